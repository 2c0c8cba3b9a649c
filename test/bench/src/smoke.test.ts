/**
 * The benchmark is not part of `npm test`, but a smoke run of its harness is (2 clusters × 5
 * components), so the harness cannot rot. Figures are not checked: only that every scenario ran.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import { promisify } from 'node:util';

const main = join(dirname(fileURLToPath(import.meta.url)), 'main.ts');

describe('npm run bench -- --smoke', () => {
  const dir = mkdtempSync(join(tmpdir(), 'driftless-bench-smoke-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('runs every scenario of the harness and writes the results file', async () => {
    const out = join(dir, 'results.json');
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', main, '--smoke', '--out', out], { maxBuffer: 16 * 1024 * 1024 });
    assert.match(stdout, /\| scenario|###/, 'prints the markdown report');
    const results = JSON.parse(readFileSync(out, 'utf8')) as { preset: string; machine: { cpus: number }; scenarios: { scenario: string; status: string }[] };
    assert.equal(results.preset, 'smoke');
    assert.ok(results.machine.cpus > 0);
    const statuses = Object.fromEntries(results.scenarios.map((s) => [s.scenario, s.status]));
    for (const scenario of ['fan-out', 'propagation', 'steady-state']) assert.equal(statuses[scenario], 'ok', `${scenario}: ${JSON.stringify(results.scenarios)}`);
  });
});
