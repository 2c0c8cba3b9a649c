/**
 * Helpers for tests and benchmarks: where the real kubectl/helm binaries are, the local
 * NATS and Postgres addresses, and unique names so parallel test files never collide.
 */
import { existsSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The monorepo root (the folder holding turbo.json). */
export function repoRoot(): string {
  if (process.env['DRIFTLESS_ROOT']) return process.env['DRIFTLESS_ROOT'];
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'turbo.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('cannot find the repository root (no turbo.json above this file)');
    dir = parent;
  }
  return dir;
}

export type ToolVersion = 'v35' | 'v32';

/** Path of the real kubectl or helm unpacked by `npm run tools` (never the one on PATH). */
export function toolPath(tool: 'kubectl' | 'helm', version: ToolVersion = 'v35'): string {
  const path = join(repoRoot(), '.tools', version, tool);
  if (!existsSync(path)) throw new Error(`${tool} ${version} is not unpacked at .tools/${version}/${tool}: run \`npm run tools\``);
  return path;
}

export const NATS_URL = process.env['DRIFTLESS_TEST_NATS_URL'] ?? 'nats://127.0.0.1:4222';
export const POSTGRES_URL = process.env['DRIFTLESS_TEST_POSTGRES_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';

/** A name unique to this test run: lowercase letters, digits and '-', safe as a DNS label. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

/** Polls `check` until it returns a truthy value or `timeoutMs` passes; returns that value. */
export async function eventually<T>(check: () => T | Promise<T>, { timeoutMs = 10_000, intervalMs = 25, what = 'condition' } = {}): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`, { cause: lastError });
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
