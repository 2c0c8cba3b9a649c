/** A child process of the demo, its output in a log file, stopped with SIGTERM (then SIGKILL). */
import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';

export interface Service {
  name: string;
  /** Throws if the process has exited, naming its log file. */
  assertRunning(): true;
  waitForLog(pattern: RegExp, timeoutMs: number): Promise<void>;
  stop(): Promise<void>;
}

export interface ServiceSpec {
  name: string;
  command: string;
  args: readonly string[];
  env?: Record<string, string>;
  logFile: string;
}

export function spawnService(spec: ServiceSpec): Service {
  const log = createWriteStream(spec.logFile);
  const child = spawn(spec.command, [...spec.args], { env: { ...process.env, ...spec.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  let exit: string | undefined;
  const waiters = new Set<() => void>();
  const onData = (chunk: Buffer) => {
    log.write(chunk);
    if (output.length < 1_000_000) output += chunk.toString('utf8');
    for (const waiter of waiters) waiter();
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  child.once('exit', (code, signal) => {
    exit = signal ?? `exit code ${code}`;
    for (const waiter of waiters) waiter();
  });
  child.once('error', (err) => {
    exit = err.message;
  });

  const assertRunning = (): true => {
    if (exit !== undefined) throw new Error(`${spec.name} stopped (${exit}); its log is ${spec.logFile}:\n${output.slice(-1500)}`);
    return true;
  };
  return {
    name: spec.name,
    assertRunning,
    waitForLog: (pattern, timeoutMs) =>
      new Promise((resolve, reject) => {
        const check = () => {
          if (pattern.test(output)) return finish();
          try {
            assertRunning();
          } catch (err) {
            finish(err as Error);
          }
        };
        const timer = setTimeout(() => finish(new Error(`${spec.name} did not log ${String(pattern)} within ${timeoutMs} ms; see ${spec.logFile}`)), timeoutMs);
        const finish = (err?: Error) => {
          clearTimeout(timer);
          waiters.delete(check);
          if (err) reject(err);
          else resolve();
        };
        waiters.add(check);
        check();
      }),
    stop: async () => {
      if (exit !== undefined) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
      log.end();
    },
  };
}
