/**
 * Child processes of the benchmark: hosts (kube-sim, agents, watcher) spoken to over IPC, and
 * plain services (the audit service's own main.ts). Output goes to a log file per process.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { isHostMessage, type CallMessage } from './core/protocol.js';

export class ChildProcessError extends Error {
  override readonly name: string = 'ChildProcessError';
}

export interface ChildSpec {
  name: string;
  /** Arguments to node (a script path, with loader flags before it). */
  args: readonly string[];
  env: Record<string, string>;
  logFile: string;
  cwd?: string;
}

export interface Child {
  readonly name: string;
  readonly pid: number;
  readonly logFile: string;
  /** Throws if the process has exited, with the end of its log. */
  assertRunning(): void;
  stop(timeoutMs?: number): Promise<void>;
}

export interface Host extends Child {
  call<T>(method: string, payload?: unknown, timeoutMs?: number): Promise<T>;
  /** Resolves with the payload of the first notice called `name` (including one already received). */
  notice<T>(name: string, timeoutMs: number): Promise<T>;
}

function tail(file: string): string {
  try {
    return readFileSync(file, 'utf8').slice(-3000);
  } catch {
    return '';
  }
}

interface Started {
  child: ChildProcess;
  exit: () => string | undefined;
  exited: Promise<void>;
}

function start(spec: ChildSpec, isIpc: boolean): Started {
  const fd = openSync(spec.logFile, 'a');
  const child = spawn(process.execPath, [...spec.args], {
    cwd: spec.cwd,
    env: { ...process.env, ...spec.env },
    stdio: isIpc ? ['ignore', fd, fd, 'ipc'] : ['ignore', fd, fd],
  });
  closeSync(fd);
  let exit: string | undefined;
  const exited = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exit = signal ?? `exit code ${code}`;
      resolve();
    });
    child.once('error', (err) => {
      exit = err.message;
      resolve();
    });
  });
  if (child.pid === undefined) throw new ChildProcessError(`could not start ${spec.name}`);
  return { child, exit: () => exit, exited };
}

function base(spec: ChildSpec, started: Started): Child {
  const { child } = started;
  return {
    name: spec.name,
    pid: child.pid ?? 0,
    logFile: spec.logFile,
    assertRunning() {
      const exit = started.exit();
      if (exit !== undefined) throw new ChildProcessError(`${spec.name} stopped (${exit}); its log ${spec.logFile} ends with:\n${tail(spec.logFile)}`);
    },
    async stop(timeoutMs = 15_000) {
      if (started.exit() !== undefined) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      await started.exited;
      clearTimeout(timer);
    },
  };
}

/** A plain child process (no IPC), e.g. a service's main.ts. */
export function spawnChild(spec: ChildSpec): Child {
  return base(spec, start(spec, false));
}

/** A host process answering calls over IPC. */
export function spawnHost(spec: ChildSpec): Host {
  const started = start(spec, true);
  const { child } = started;
  const child0 = base(spec, started);
  let nextId = 1;
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  const notices = new Map<string, unknown>();
  const noticeWaiters = new Map<string, ((payload: unknown) => void)[]>();
  child.on('message', (message: unknown) => {
    if (!isHostMessage(message)) return;
    if (message.kind === 'reply') {
      const waiter = pending.get(message.id);
      pending.delete(message.id);
      if (!waiter) return;
      if (message.isOk) waiter.resolve(message.value);
      else waiter.reject(new ChildProcessError(`${spec.name}: ${message.error ?? 'call failed'}`));
    } else if (message.kind === 'notice') {
      notices.set(message.name, message.payload);
      for (const waiter of noticeWaiters.get(message.name)?.splice(0) ?? []) waiter(message.payload);
    }
  });
  void started.exited.then(() => {
    const error = new ChildProcessError(`${spec.name} exited (${started.exit()}); see ${spec.logFile}:\n${tail(spec.logFile)}`);
    for (const waiter of pending.values()) waiter.reject(error);
    pending.clear();
  });

  const call = <T>(method: string, payload: unknown = null, timeoutMs = 120_000): Promise<T> => {
    child0.assertRunning();
    const id = nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        pending.delete(id);
        reject(new ChildProcessError(`${spec.name} did not answer ${method} within ${timeoutMs} ms`));
      }, timeoutMs);
      pending.set(id, {
        resolve: (v) => {
          clearTimeout(timer);
          resolve(v as T);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      const message: CallMessage = { kind: 'call', id, method, payload };
      child.send(message);
    });
  };

  return {
    ...child0,
    call,
    notice<T>(name: string, timeoutMs: number): Promise<T> {
      if (notices.has(name)) return Promise.resolve(notices.get(name) as T);
      return new Promise<T>((resolve, reject) => {
        const timer = setTimeout(() => reject(new ChildProcessError(`${spec.name} did not report "${name}" within ${timeoutMs} ms; see ${spec.logFile}:\n${tail(spec.logFile)}`)), timeoutMs);
        const onExit = () => {
          clearTimeout(timer);
          reject(new ChildProcessError(`${spec.name} exited (${started.exit()}) before reporting "${name}"; see ${spec.logFile}:\n${tail(spec.logFile)}`));
        };
        void started.exited.then(onExit);
        const list = noticeWaiters.get(name) ?? [];
        list.push((payload) => {
          clearTimeout(timer);
          resolve(payload as T);
        });
        noticeWaiters.set(name, list);
      });
    },
    async stop(timeoutMs = 20_000) {
      if (started.exit() !== undefined) return;
      // Ask first, so the host can close its connections cleanly; signals are the fallback.
      await call('stop', null, timeoutMs).catch(() => undefined);
      await child0.stop(5_000);
    },
  };
}

/** Node arguments running a TypeScript file through tsx (libraries here have no build step). */
export function tsxArgs(script: string, nodeFlags: readonly string[] = []): string[] {
  return [...nodeFlags, '--import', 'tsx', script];
}
