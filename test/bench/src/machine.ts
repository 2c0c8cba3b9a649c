/** The machine a run happened on, recorded with every result (the figures mean little without it). */
import { cpus, freemem, hostname, loadavg, release, totalmem } from 'node:os';

export interface MachineInfo {
  cpus: number;
  model: string;
  memoryBytes: number;
  freeMemoryBytes: number;
  node: string;
  os: string;
  /** 1, 5 and 15 minute load averages when the run started: above the CPU count means others were busy. */
  loadAverageAtStart: [number, number, number];
  hostname: string;
}

export function machineInfo(): MachineInfo {
  const list = cpus();
  const [one = 0, five = 0, fifteen = 0] = loadavg();
  return {
    cpus: list.length,
    model: list[0]?.model.trim() ?? 'unknown',
    memoryBytes: totalmem(),
    freeMemoryBytes: freemem(),
    node: process.version,
    os: `${process.platform} ${release()}`,
    loadAverageAtStart: [one, five, fifteen].map((n) => Math.round(n * 100) / 100) as [number, number, number],
    hostname: hostname(),
  };
}

export function currentLoadAverage(): number {
  return Math.round((loadavg()[0] ?? 0) * 100) / 100;
}
