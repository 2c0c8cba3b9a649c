/**
 * `GET /v1/stream`: new ledger rows as Server-Sent Events, one `transition` event per row
 * (`id:` = seq, data = the Transition schema), optionally only those about one cluster,
 * component or commit. `Last-Event-ID` resumes after that seq. A comment line every
 * `heartbeatMs` keeps proxies from closing an idle stream and lets the client notice a dead one.
 *
 * Authenticated by the Authorization header like every route, so the token never goes into a URL
 * (the UI reads the stream with fetch(), not EventSource, which cannot send headers).
 */
import { InvalidInputError, UnavailableError } from '@driftless/contracts';
import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { LedgerRow } from '../../core/ledger.js';
import type { Subscription, TransitionHub } from '../../stream.js';
import { presentTransition } from '../present.js';
import { Name, Sha, TransitionSchema, responses } from '../schemas.js';

export const StreamQuerySchema = Type.Object({
  cluster: Type.Optional(Name),
  component: Type.Optional(Name),
  commit: Type.Optional(Sha),
});

/** Only the fields the Transition schema lists go on the wire, as with every JSON response. */
const TRANSITION_FIELDS = Object.keys(TransitionSchema.properties) as (keyof ReturnType<typeof presentTransition>)[];

function transitionEvent(row: LedgerRow): string {
  const shown = presentTransition(row);
  const data = Object.fromEntries(TRANSITION_FIELDS.map((k) => [k, shown[k]]));
  return `id: ${row.seq}\nevent: transition\ndata: ${JSON.stringify(data)}\n\n`;
}

/** A client this far behind (bytes not yet sent) is cut off; it reconnects with Last-Event-ID. */
const MAX_BUFFERED_BYTES = 4 * 1024 * 1024;

export function parseLastEventId(header: string | string[] | undefined): number | undefined {
  if (header === undefined) return undefined;
  const value = Array.isArray(header) ? header[0] : header;
  if (value === undefined || value.trim() === '') return undefined;
  if (!/^\d{1,15}$/.test(value.trim())) throw new InvalidInputError(`Last-Event-ID must be a ledger seq (a non-negative integer), got "${value.slice(0, 40)}"`);
  return Number(value.trim());
}

export function streamRoutes(hub: TransitionHub, options: { heartbeatMs?: number } = {}): FastifyPluginCallbackTypebox {
  const heartbeatMs = options.heartbeatMs ?? 15_000;
  return (app, _options, done) => {
    // Open streams never end on their own: closing the app ends them, or close() would wait forever.
    const open = new Set<() => void>();
    app.addHook('preClose', (hookDone) => {
      for (const end of open) end();
      hookDone();
    });

    app.get(
      '/v1/stream',
      {
        schema: {
          summary: 'New ledger rows, live, as Server-Sent Events',
          description:
            'One `transition` event per new row (`id:` is its seq, `data:` a Transition). Filters: cluster, component, commit. Send `Last-Event-ID` to resume after a seq; a resume too far back gets a `reset` event (reload, then follow). A comment every 15 s keeps the connection alive. 503 when the process serves its maximum of live streams.',
          tags: ['audit'],
          produces: ['text/event-stream'],
          querystring: StreamQuerySchema,
          response: responses({ 200: Type.String({ description: 'text/event-stream' }) }),
        },
      },
      async (request, reply) => {
        const { cluster, component, commit } = request.query;
        const lastSeq = parseLastEventId(request.headers['last-event-id']);
        const isWanted = (row: LedgerRow) =>
          (cluster === undefined || row.cluster === cluster) && (component === undefined || row.component === component) && (commit === undefined || row.commitSha === commit);

        const res = reply.raw;
        // Set once the stream is open; `end` may run before that (shutdown, a client gone early).
        const live: { subscription?: Subscription; heartbeat?: NodeJS.Timeout } = {};
        let isEnded = false;
        let isOpen = false;
        const end = () => {
          if (isEnded) return;
          isEnded = true;
          clearInterval(live.heartbeat);
          open.delete(end);
          live.subscription?.unsubscribe();
          if (isOpen && !res.writableEnded) res.end();
        };
        const write = (chunk: string) => {
          if (isEnded) return;
          res.write(chunk);
          if (res.writableLength > MAX_BUFFERED_BYTES) {
            request.log.warn({ bufferedBytes: res.writableLength }, 'live stream client is not reading; closing its stream');
            end();
          }
        };
        const pending: string[] = [];
        const send = (chunk: string) => (isOpen ? write(chunk) : pending.push(chunk));

        // Subscribe before answering, so "too many streams" is an ordinary 503 problem document.
        live.subscription = await hub.subscribe(
          {
            rows: (rows) => {
              for (const row of rows) if (isWanted(row)) send(transitionEvent(row));
            },
            reset: (reason) => send(`event: reset\ndata: ${JSON.stringify({ reason })}\n\n`),
            close: end,
          },
          lastSeq,
        );
        if (isEnded) {
          live.subscription.unsubscribe();
          throw new UnavailableError('the audit service is shutting down');
        }

        void reply.hijack();
        res.writeHead(200, {
          'content-type': 'text/event-stream; charset=utf-8',
          'cache-control': 'no-cache, no-transform',
          connection: 'keep-alive',
          // Proxies that buffer responses (nginx) would hold the events back.
          'x-accel-buffering': 'no',
        });
        res.write(': connected\nretry: 3000\n\n');
        isOpen = true;
        for (const chunk of pending.splice(0)) write(chunk);
        live.heartbeat = setInterval(() => write(': heartbeat\n\n'), heartbeatMs);
        open.add(end);
        res.once('close', end);
        res.once('error', end);
        // The client may have gone while we subscribed; then no 'close' is still to come.
        if (res.destroyed || request.raw.destroyed) end();
      },
    );
    done();
  };
}
