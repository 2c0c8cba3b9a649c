/** Shared bits of this package's own tests (not exported from the package). */
import { makeEvent, subjects, type DriftlessEvent } from '@driftless/contracts';
import { createLogger, type Logger } from '@driftless/telemetry';

/** A logger whose lines the test can inspect. */
export function captureLogger(): { log: Logger; lines: () => Record<string, unknown>[] } {
  const chunks: string[] = [];
  const log = createLogger({ name: 'test', level: 'debug', destination: { write: (l: string) => void chunks.push(l) } });
  return {
    log,
    lines: () =>
      chunks
        .join('')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

/** A valid event, distinct per `n` (the id is a hash of type, subject and data). */
export function heartbeat(n: number, cluster = 'dev-1'): DriftlessEvent {
  return makeEvent({
    type: 'driftless.cluster.heartbeat.v1',
    source: `agent/${cluster}`,
    subject: subjects.cluster(cluster, 'heartbeat'),
    data: { cluster, agentVersion: '0.1.0', components: n, uptimeMs: 1000 },
  });
}
