/**
 * The Dockerfiles cannot be built here (no registry access), so they are held to what can be
 * checked: conventional multi-stage shape, a pinned base, a numeric non-root user, and agreement
 * with the charts (image names, ports, uid, entrypoint). Their one unusual step, the esbuild
 * bundle, is run for real: each bundle starts far enough to validate its configuration, and
 * the audit bundle migrates a real database from the migrations copied beside it.
 */
import assert from 'node:assert/strict';
import { cp, mkdir, readFile, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createScratchDatabase, type ScratchDatabase } from '@driftless/db/testing';
import { POSTGRES_URL, repoRoot, uniqueName } from '@driftless/testkit';
import { Chart, DEPLOY_DIR, podsOf, render, run } from './helm.js';

const SERVICES = ['repo-watcher', 'audit', 'agent'] as const;
type Service = (typeof SERVICES)[number];

/** What each image's chart expects from it. */
const EXPECTED: Readonly<Record<Service, { port: number; requiredVariable: string }>> = {
  'repo-watcher': { port: 8080, requiredVariable: 'DRIFTLESS_WATCHER_REPOS' },
  audit: { port: 8080, requiredVariable: 'DRIFTLESS_AUDIT_POSTGRES_URL' },
  agent: { port: 9090, requiredVariable: 'DRIFTLESS_CLUSTER' },
};

interface Stage {
  from: string;
  name: string | undefined;
  lines: string[];
}

async function dockerfile(service: Service): Promise<{ text: string; args: Map<string, string>; stages: Stage[] }> {
  const text = await readFile(join(DEPLOY_DIR, 'docker', `${service}.Dockerfile`), 'utf8');
  // Join continuation lines, drop comments.
  const lines = text.replace(/\\\n/g, ' ').split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
  const args = new Map<string, string>();
  const stages: Stage[] = [];
  for (const line of lines) {
    const from = /^FROM\s+(\S+)(?:\s+AS\s+(\S+))?$/i.exec(line);
    if (from) stages.push({ from: from[1]!, name: from[2], lines: [] });
    else if (stages.length === 0) {
      const arg = /^ARG\s+(\w+)=(\S+)$/.exec(line);
      if (arg) args.set(arg[1]!, arg[2]!);
    } else stages.at(-1)!.lines.push(line);
  }
  return { text, args, stages };
}

describe('Dockerfiles', () => {
  for (const service of SERVICES) {
    it(`${service}: multi-stage from a pinned Node 20 slim base, ending as uid 1000 with node running the bundle`, async () => {
      const { args, stages } = await dockerfile(service);
      assert.match(args.get('NODE_IMAGE') ?? '', /^node:20\.\d+\.\d+-bookworm-slim(@sha256:[a-f0-9]{64})?$/, 'base pinned to an exact Node 20 release');
      assert.ok(stages.length >= 3, 'build, deps and runtime stages');
      const names = new Set<string>();
      for (const stage of stages) {
        assert.ok(stage.from === '${NODE_IMAGE}' || names.has(stage.from), `FROM ${stage.from} is neither the pinned base nor an earlier stage`);
        if (stage.name) names.add(stage.name);
      }
      const runtime = stages.at(-1)!;
      assert.equal(runtime.from, '${NODE_IMAGE}', 'the runtime stage starts from the slim base, not from the build stage');
      const users = runtime.lines.filter((l) => l.startsWith('USER '));
      assert.deepEqual(users, ['USER 1000:1000'], 'a numeric non-root user, so runAsNonRoot can verify it');
      assert.ok(runtime.lines.indexOf('USER 1000:1000') > runtime.lines.findLastIndex((l) => l.startsWith('RUN ')), 'nothing runs as root after USER');
      const entrypoint = runtime.lines.find((l) => l.startsWith('ENTRYPOINT '));
      assert.match(entrypoint ?? '', /^ENTRYPOINT \["node", ("--[a-z-]+(=\d+)?", )*"--enable-source-maps", "\/app\/main\.mjs"\]$/, 'exec form running the bundle');
      assert.ok(runtime.lines.includes(`EXPOSE ${EXPECTED[service].port}`));
      assert.ok(!runtime.lines.some((l) => /npm (ci|install)/.test(l)), 'no npm install in the runtime stage');
    });

    it(`${service}: builds the workspace and entry point that exist in this repository`, async () => {
      const { text } = await dockerfile(service);
      const pkg = JSON.parse(await readFile(join(repoRoot(), 'services', service, 'package.json'), 'utf8')) as { name: string };
      assert.ok(text.includes(`--workspace ${pkg.name}`), `installs the production dependencies of ${pkg.name}`);
      const entry = /bundle\.mjs (\S+) /.exec(text)?.[1];
      assert.equal(entry, `services/${service}/src/main.ts`);
      assert.ok(existsSync(join(repoRoot(), entry)));
      for (const copied of text.matchAll(/cp -r (\S+) \/out\//g)) assert.ok(existsSync(join(repoRoot(), copied[1]!)), `${copied[1]} exists`);
    });
  }

  it('repo-watcher: builds nodegit with the Kerberos and OpenSSL headers and ships only their runtime libraries', async () => {
    const { stages } = await dockerfile('repo-watcher');
    const build = stages.filter((s) => s !== stages.at(-1)).flatMap((s) => s.lines).join('\n');
    assert.match(build, /libkrb5-dev/);
    assert.match(build, /libssl-dev/);
    assert.match(build, /npm rebuild nodegit/);
    const runtime = stages.at(-1)!.lines.join('\n');
    assert.match(runtime, /libgssapi-krb5-2/);
    assert.match(runtime, /ca-certificates/);
    assert.doesNotMatch(runtime, /-dev\b/);
  });

  it('the charts use these images, their ports and their user', async () => {
    const pods = [...podsOf(await render(Chart.controlPlane, { variant: 'minimal' })), ...podsOf(await render(Chart.agent, { variant: 'minimal' }))];
    for (const pod of pods) {
      const image = pod.spec.containers[0]!.image;
      const service = /\/driftless\/([a-z-]+):/.exec(image)?.[1] as Service | undefined;
      assert.ok(service && SERVICES.includes(service), `${image} has a Dockerfile`);
      assert.equal(pod.spec.securityContext?.['runAsUser'], 1000);
      const ports = (pod.spec.containers[0] as unknown as { ports: { containerPort: number }[] }).ports;
      assert.equal(ports[0]!.containerPort, EXPECTED[service].port);
    }
  });
});

describe('the bundles the images run', () => {
  let out: string;

  before(async () => {
    // Inside the repository so the bundles resolve npm packages from its node_modules, as the
    // image resolves them from /app/node_modules.
    out = join(DEPLOY_DIR, 'dist', uniqueName('bundle'));
    await mkdir(out, { recursive: true });
  });

  after(async () => {
    await rm(out, { recursive: true, force: true });
  });

  const bundle = async (service: Service): Promise<string> => {
    const file = join(out, service, 'main.mjs');
    const result = await run(process.execPath, [join(DEPLOY_DIR, 'docker', 'bundle.mjs'), `services/${service}/src/main.ts`, file], { cwd: repoRoot() });
    assert.equal(result.code, 0, result.stderr);
    return file;
  };

  for (const service of SERVICES) {
    it(`${service}: bundles and starts far enough to check its configuration`, async () => {
      const file = await bundle(service);
      // No DRIFTLESS_* variables: the service must list what is missing and exit non-zero.
      const result = await run(process.execPath, [file], { env: { PATH: process.env['PATH'] ?? '' } });
      assert.notEqual(result.code, 0);
      assert.match(result.stderr, /invalid configuration/);
      assert.match(result.stderr, new RegExp(`${EXPECTED[service].requiredVariable} is required`));
      assert.doesNotMatch(result.stderr, /Cannot find (module|package)|ERR_MODULE_NOT_FOUND/);
    });
  }

  describe('audit bundle with its migrations beside it', () => {
    let db: ScratchDatabase;
    before(async () => {
      db = await createScratchDatabase(POSTGRES_URL, 'deploy_bundle');
    });
    after(async () => {
      await db.drop();
    });

    it('migrates a fresh database and creates a token', async () => {
      const file = await bundle('audit');
      await cp(join(repoRoot(), 'services/audit/src/adapters/migrations'), join(out, 'audit', 'migrations'), { recursive: true });
      const result = await run(process.execPath, [file, 'create-token', 'first-admin', 'admin'], { env: { PATH: process.env['PATH'] ?? '', DRIFTLESS_AUDIT_POSTGRES_URL: db.url } });
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout.trim(), /^\S{32,}$/);
      const tables = await db.sql<{ n: number }[]>`select count(*)::int as n from information_schema.tables where table_schema not in ('pg_catalog', 'information_schema')`;
      assert.ok(tables[0]!.n > 0, 'the migrations created tables');
    });
  });
});
