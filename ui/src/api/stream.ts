/**
 * Follows `GET /v1/stream` with fetch() so the token travels in the Authorization header,
 * never in a URL. Reconnects after a dropped connection with `Last-Event-ID`, so no transition
 * is missed; a `reset` (too far behind) or a 401 is passed to the caller.
 */
import { SseParser } from '../core/sse.js';
import { problemOf, toSearch, type ApiClient } from './client.js';
import type { Transition } from './types.js';

export interface StreamFilters {
  cluster?: string;
  component?: string;
  commit?: string;
}

export interface StreamHandlers {
  transition(t: Transition): void;
  /** The stream could not replay what was missed: reload the page's data. */
  reset?(): void;
  /** Connected (true) or waiting to reconnect (false). */
  status?(isLive: boolean): void;
  unauthenticated(reason: string): void;
}

const RETRY_MS = [1000, 2000, 5000, 10_000];
/** The server sends a comment every 15 s: this long without a byte means the connection is dead. */
const SILENCE_MS = 45_000;

export function followTransitions(api: ApiClient, filters: StreamFilters, handlers: StreamHandlers): () => void {
  const controller = new AbortController();
  let lastEventId: string | undefined;
  let attempt = 0;

  const run = async () => {
    while (!controller.signal.aborted) {
      // One controller per connection, so a silent connection can be dropped and replaced.
      const connection = new AbortController();
      const stop = () => connection.abort();
      controller.signal.addEventListener('abort', stop);
      let watchdog = setTimeout(stop, SILENCE_MS);
      try {
        const res = await fetch(`/v1/stream${toSearch({ ...filters })}`, {
          headers: { authorization: `Bearer ${api.token}`, accept: 'text/event-stream', ...(lastEventId === undefined ? {} : { 'last-event-id': lastEventId }) },
          signal: connection.signal,
        });
        if (res.status === 401) {
          handlers.unauthenticated(await problemOf(res));
          return;
        }
        if (!res.ok || !res.body) throw new Error(`stream answered ${res.status}`);
        attempt = 0;
        handlers.status?.(true);
        const parser = new SseParser();
        const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          clearTimeout(watchdog);
          watchdog = setTimeout(stop, SILENCE_MS);
          for (const event of parser.push(value)) {
            if (event.id !== undefined) lastEventId = event.id;
            if (event.event === 'transition') handlers.transition(JSON.parse(event.data) as Transition);
            else if (event.event === 'reset') handlers.reset?.();
          }
        }
      } catch {
        if (controller.signal.aborted) return;
      } finally {
        clearTimeout(watchdog);
        controller.signal.removeEventListener('abort', stop);
      }
      handlers.status?.(false);
      const delay = RETRY_MS[Math.min(attempt++, RETRY_MS.length - 1)] ?? 10_000;
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  };
  void run();
  return () => controller.abort();
}
