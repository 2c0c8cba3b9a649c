/**
 * The host side of the IPC protocol: answers the benchmark's calls with the given handlers and
 * sends notices. A host exits when the benchmark goes away, so no process outlives a crashed run.
 */
import { isHostMessage, type NoticeMessage, type ReplyMessage } from '../core/protocol.js';

export type Handler = (payload: unknown) => unknown;

function send(message: ReplyMessage | NoticeMessage): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send) return resolve();
    process.send(message, undefined, {}, () => resolve());
  });
}

export function notify(name: string, payload: unknown = null): Promise<void> {
  return send({ kind: 'notice', name, payload });
}

/** Serves calls until `stop` is called; `stop`'s reply is sent before the process exits. */
export function serve(handlers: Record<string, Handler>, stop: () => Promise<void>): void {
  if (!process.send) throw new Error('a benchmark host must be started with an IPC channel');
  let isStopping = false;
  const shutdown = async (id: number | undefined) => {
    if (isStopping) return;
    isStopping = true;
    let error: string | undefined;
    try {
      await stop();
    } catch (err) {
      error = err instanceof Error ? err.message : String(err);
    }
    if (id !== undefined) await send(error === undefined ? { kind: 'reply', id, isOk: true, value: null } : { kind: 'reply', id, isOk: false, error });
    process.exit(error === undefined ? 0 : 1);
  };
  process.on('message', (message: unknown) => {
    if (!isHostMessage(message) || message.kind !== 'call') return;
    if (message.method === 'stop') return void shutdown(message.id);
    const handler = handlers[message.method];
    void (async () => {
      try {
        if (!handler) throw new Error(`unknown method ${message.method}`);
        const value = await handler(message.payload);
        await send({ kind: 'reply', id: message.id, isOk: true, value: value ?? null });
      } catch (err) {
        await send({ kind: 'reply', id: message.id, isOk: false, error: err instanceof Error ? (err.stack ?? err.message) : String(err) });
      }
    })();
  });
  // The benchmark died or closed the channel: nothing will ever stop us otherwise.
  process.on('disconnect', () => void shutdown(undefined));
  process.on('SIGTERM', () => void shutdown(undefined));
}

