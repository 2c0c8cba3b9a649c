/**
 * The kube-sim bin as a user runs it: help, bad flags, serving a cluster that kubectl reaches
 * through the written kubeconfig, several clusters, and a clean stop on SIGTERM.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { eventually, toolPath } from '@driftless/testkit';

const BIN = join(dirname(fileURLToPath(import.meta.url)), '..', 'bin', 'kube-sim.mjs');
const dirs: string[] = [];

function runBin(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0, stdout, stderr });
    });
  });
}

function serve(args: string[]): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output: () => out, exited };
}

function kubectl(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(toolPath('kubectl', 'v35'), args, { timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? 1 : 0, stdout, stderr });
    });
  });
}

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'kube-sim-cli-'));
  dirs.push(dir);
  return dir;
}

after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe('kube-sim bin', () => {
  it('prints usage for --help', async () => {
    const r = await runBin(['--help']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /^Usage: kube-sim \[options\]/);
    assert.match(r.stdout, /--kubeconfig FILE/);
    assert.match(r.stdout, /--latency-ms N/);
  });

  it('refuses unknown flags and bad numbers with exit code 2 and the reason', async () => {
    const unknown = await runBin(['--bogus']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /Unknown option '--bogus'/);
    const bad = await runBin(['--latency-ms', 'soon']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--latency-ms must be a whole number/);
  });

  it('serves a cluster, writes its kubeconfig, and stops cleanly on SIGTERM', async () => {
    const dir = await tempDir();
    const kubeconfig = join(dir, 'config');
    const server = serve(['--port', '0', '--kubeconfig', kubeconfig, '--name', 'demo', '--latency-ms', '1']);
    try {
      const line = await eventually(() => /kube-sim demo listening on (https:\/\/127\.0\.0\.1:\d+)/.exec(server.output()), { what: 'the URL line', timeoutMs: 30_000 });
      await eventually(() => server.output().includes(`kubeconfig written to ${kubeconfig}`), { what: 'the kubeconfig line' });
      const config = parse(await readFile(kubeconfig, 'utf8')) as { 'current-context': string; clusters: Array<{ cluster: { server: string } }> };
      assert.equal(config['current-context'], 'demo');
      assert.equal(config.clusters[0]?.cluster.server, line[1]);
      const r = await kubectl(['--kubeconfig', kubeconfig, '--cache-dir', join(dir, 'cache'), 'get', 'namespaces', '-o', 'name']);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /namespace\/default/);
    } finally {
      server.child.kill('SIGTERM');
    }
    assert.equal(await server.exited, 0);
  });

  it('serves several independent clusters with one context each', async () => {
    const dir = await tempDir();
    const kubeconfig = join(dir, 'config');
    const server = serve(['--clusters', '2', '--name', 'fleet', '--kubeconfig', kubeconfig]);
    try {
      await eventually(() => server.output().includes('kubeconfig written to'), { what: 'the clusters to start', timeoutMs: 30_000 });
      assert.match(server.output(), /kube-sim fleet-1 listening on https:/);
      assert.match(server.output(), /kube-sim fleet-2 listening on https:/);
      const base = ['--kubeconfig', kubeconfig, '--cache-dir', join(dir, 'cache')];
      const created = await kubectl([...base, '--context', 'fleet-1', 'create', 'namespace', 'only-in-one']);
      assert.equal(created.code, 0, created.stderr);
      assert.match((await kubectl([...base, '--context', 'fleet-1', 'get', 'namespaces', '-o', 'name'])).stdout, /only-in-one/);
      assert.doesNotMatch((await kubectl([...base, '--context', 'fleet-2', 'get', 'namespaces', '-o', 'name'])).stdout, /only-in-one/);
    } finally {
      server.child.kill('SIGTERM');
    }
    assert.equal(await server.exited, 0);
  });
});
