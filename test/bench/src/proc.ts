/**
 * CPU time and memory of the processes under test, read from /proc (Linux): user + system CPU
 * seconds since each process started, current and peak resident set size.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

export interface ProcSample {
  cpuSeconds: number;
  rssBytes: number;
  peakRssBytes: number;
}

let ticksPerSecond: number | undefined;

function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

/** undefined when the process is gone. */
export function sampleProcess(pid: number): ProcSample | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may contain spaces and parentheses: the fields start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0) * 1024;
    return { cpuSeconds: ticks / clockTicks(), rssBytes: kb('VmRSS'), peakRssBytes: kb('VmHWM') };
  } catch {
    return undefined;
  }
}

/** The pid of a running process whose command line contains every one of `parts` (read-only scan of /proc). */
export function findPid(parts: readonly string[]): number | undefined {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const args = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (parts.every((part) => args.includes(part))) return Number(entry);
    } catch {
      // The process ended while we looked.
    }
  }
  return undefined;
}

export interface WatchedProcess {
  role: string;
  pid: number;
}

/** Samples RSS of several processes at an interval, keeping the mean and the maximum per role. */
export class RssSampler {
  private readonly sums = new Map<string, { total: number; count: number; max: number }>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly processes: readonly WatchedProcess[]) {}

  start(intervalMs: number): this {
    this.sample();
    this.timer = setInterval(() => this.sample(), intervalMs);
    this.timer.unref();
    return this;
  }

  stop(): Map<string, { meanBytes: number; maxBytes: number }> {
    clearInterval(this.timer);
    this.sample();
    return new Map([...this.sums].map(([role, s]) => [role, { meanBytes: s.total / Math.max(1, s.count), maxBytes: s.max }]));
  }

  private sample(): void {
    for (const p of this.processes) {
      const sample = sampleProcess(p.pid);
      if (!sample) continue;
      const s = this.sums.get(p.role) ?? { total: 0, count: 0, max: 0 };
      s.total += sample.rssBytes;
      s.count += 1;
      s.max = Math.max(s.max, sample.rssBytes);
      this.sums.set(p.role, s);
    }
  }
}

/** CPU seconds per role (several processes may share a role, e.g. the agent hosts). */
export function cpuByRole(processes: readonly WatchedProcess[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const p of processes) out.set(p.role, (out.get(p.role) ?? 0) + (sampleProcess(p.pid)?.cpuSeconds ?? 0));
  return out;
}

/** Current and peak RSS per role, summed over the role's processes. */
export function memoryByRole(processes: readonly WatchedProcess[]): Map<string, { rssBytes: number; peakRssBytes: number }> {
  const out = new Map<string, { rssBytes: number; peakRssBytes: number }>();
  for (const p of processes) {
    const sample = sampleProcess(p.pid);
    const m = out.get(p.role) ?? { rssBytes: 0, peakRssBytes: 0 };
    m.rssBytes += sample?.rssBytes ?? 0;
    m.peakRssBytes += sample?.peakRssBytes ?? 0;
    out.set(p.role, m);
  }
  return out;
}
