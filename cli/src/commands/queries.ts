/** `driftless inventory|history|blast-radius|commit`: what runs where, what changed, what a change touches. */
import { UsageError } from '../errors.js';
import { dnsLabel, sinceTime, stringOption, type Command, type Values } from '../command.js';
import { ExitCode } from '../errors.js';
import { dash, json, keyValues, statusStyle, table, time } from '../format.js';
import { fetchAll } from './paging.js';

interface InventoryItem {
  cluster: string;
  component: string;
  stage: string | null;
  desired: { version: string | null; isRemoved: boolean } | null;
  applied: { version: string } | null;
  health: { status: string } | null;
  drift: { status: string } | null;
  problem: { kind: string; reason: string } | null;
  sync: string;
  skew: { isDesiredSkewed: boolean; isAppliedSkewed: boolean };
}

interface Transition {
  seq: number;
  kind: string;
  occurredAt: string;
  cluster: string | null;
  component: string | null;
  fromVersion: string | null;
  toVersion: string | null;
  commitSha: string | null;
  actor: string | null;
}

interface Placement {
  cluster: string;
  stage: string | null;
  desiredVersion: string | null;
  appliedVersion: string | null;
  health: string | null;
  sync: string;
}

interface BlastRadius {
  component: string;
  clusterCount: number;
  stages: string[];
  versions: string[];
  apps: { app: string; placements: Placement[] }[];
  placements: Placement[];
}

interface CommitReport {
  sha: string;
  commit: { repo: string; authorName: string; authorEmail: string; message: string; committedAt: string } | null;
  targets: { cluster: string; component: string; stage: string | null; version: string | null; status: string; health: string | null; appliedAt: string | null; reason: string | null }[];
  counts: Record<string, number>;
}

const filters = (values: Values, names: readonly ('cluster' | 'component' | 'stage')[]) => {
  const out: Record<string, string> = {};
  for (const name of names) {
    const v = stringOption(values, name);
    if (v !== undefined) out[name] = dnsLabel(name, v);
  }
  return out;
};

const shortSha = (sha: string | null) => (sha ? sha.slice(0, 12) : '-');

export const queryCommands: readonly Command[] = [
  {
    path: ['inventory'],
    summary: 'What version of which component runs on which cluster, with health, sync and drift',
    args: [],
    options: {
      cluster: { type: 'string', value: 'CLUSTER', description: 'Only this cluster' },
      component: { type: 'string', value: 'COMPONENT', description: 'Only this component' },
      stage: { type: 'string', value: 'STAGE', description: 'Only clusters of this stage' },
    },
    examples: ['driftless inventory --stage prod --component cart'],
    async run(ctx, _positionals, values) {
      const items = await fetchAll<InventoryItem>(ctx.api, '/v1/inventory', { ...filters(values, ['cluster', 'component', 'stage']), limit: 5000 });
      if (ctx.format === 'json') {
        ctx.print(json(items));
        return ExitCode.ok;
      }
      ctx.print(
        table(
          items,
          [
            { header: 'CLUSTER', value: (i) => i.cluster },
            { header: 'COMPONENT', value: (i) => i.component },
            { header: 'STAGE', value: (i) => dash(i.stage) },
            { header: 'DESIRED', value: (i) => (i.desired?.isRemoved ? '(removed)' : dash(i.desired?.version)) },
            { header: 'APPLIED', value: (i) => dash(i.applied?.version) },
            { header: 'SYNC', value: (i) => i.sync, style: (i) => statusStyle(i.sync) },
            { header: 'HEALTH', value: (i) => dash(i.health?.status), style: (i) => statusStyle(i.health?.status) },
            { header: 'DRIFT', value: (i) => dash(i.drift?.status), style: (i) => statusStyle(i.drift?.status) },
            { header: 'SKEW', value: (i) => (i.skew.isDesiredSkewed || i.skew.isAppliedSkewed ? 'skewed' : '-'), style: (i) => (i.skew.isAppliedSkewed ? 'yellow' : undefined) },
            { header: 'PROBLEM', value: (i) => (i.problem ? `${i.problem.kind}: ${i.problem.reason}` : '-'), style: (i) => (i.problem ? 'red' : undefined) },
          ],
          ctx.p,
          'nothing deployed matches',
        ),
      );
      return ExitCode.ok;
    },
  },
  {
    path: ['history'],
    summary: 'Recorded version transitions, newest first: who changed what, where and when',
    args: [],
    options: {
      cluster: { type: 'string', value: 'CLUSTER', description: 'Only this cluster' },
      component: { type: 'string', value: 'COMPONENT', description: 'Only this component' },
      since: { type: 'string', value: 'WHEN', description: 'Only since a duration ago (30m, 24h, 7d) or an RFC 3339 time' },
      actor: { type: 'string', value: 'ACTOR', description: 'Only this actor (commit author email, drift manager, token:<name>)' },
      promotion: { type: 'string', value: 'ID', description: 'Only the steps of this promotion (requested, waiting, approved, committed, …)' },
      limit: { type: 'string', value: 'N', description: 'At most N transitions (default 100)' },
    },
    examples: ['driftless history --cluster prod-eu --since 24h --actor ada@example.com', 'driftless history --promotion pr_5f2a9c01d3e4'],
    async run(ctx, _positionals, values) {
      const since = stringOption(values, 'since');
      const actor = stringOption(values, 'actor');
      const promotion = stringOption(values, 'promotion');
      const limitText = stringOption(values, 'limit') ?? '100';
      if (!/^[1-9]\d{0,5}$/.test(limitText)) throw new UsageError(`--limit takes a whole number from 1 to 999999, got ${JSON.stringify(limitText)}`);
      const limit = Number(limitText);
      const items = await fetchAll<Transition>(
        ctx.api,
        '/v1/transitions',
        {
          ...filters(values, ['cluster', 'component']),
          ...(since === undefined ? {} : { since: sinceTime('since', since, new Date()) }),
          ...(actor === undefined ? {} : { actor }),
          ...(promotion === undefined ? {} : { promotion }),
          limit: Math.min(limit, 1000),
        },
        limit,
      );
      if (ctx.format === 'json') {
        ctx.print(json(items));
        return ExitCode.ok;
      }
      ctx.print(
        table(
          items,
          [
            { header: 'TIME', value: (t) => time(t.occurredAt) },
            { header: 'KIND', value: (t) => t.kind, style: (t) => (/failed|drift_detected|revoked|rejected/.test(t.kind) ? 'red' : undefined) },
            { header: 'CLUSTER', value: (t) => dash(t.cluster) },
            { header: 'COMPONENT', value: (t) => dash(t.component) },
            { header: 'VERSION', value: (t) => (t.fromVersion && t.toVersion && t.fromVersion !== t.toVersion ? `${t.fromVersion} → ${t.toVersion}` : dash(t.toVersion)) },
            { header: 'COMMIT', value: (t) => shortSha(t.commitSha) },
            { header: 'ACTOR', value: (t) => dash(t.actor) },
          ],
          ctx.p,
          'no transitions match',
        ),
      );
      return ExitCode.ok;
    },
  },
  {
    path: ['blast-radius'],
    summary: 'Which apps, clusters, stages and versions a change to a component would touch',
    args: [{ name: 'COMPONENT', description: 'The component (a DNS label)' }],
    options: {},
    examples: ['driftless blast-radius cart'],
    async run(ctx, [name = '']) {
      const component = dnsLabel('component name', name);
      const radius = await ctx.api.get<BlastRadius>(`/v1/components/${component}/blast-radius`);
      if (ctx.format === 'json') {
        ctx.print(json(radius));
        return ExitCode.ok;
      }
      const appsOf = new Map<string, string[]>();
      for (const { app, placements } of radius.apps) for (const pl of placements) appsOf.set(pl.cluster, [...(appsOf.get(pl.cluster) ?? []), app]);
      ctx.print(
        keyValues(
          [
            ['Component', radius.component],
            ['Clusters', String(radius.clusterCount)],
            ['Stages', radius.stages.join(', ') || '-'],
            ['Versions running', radius.versions.join(', ') || '-'],
            ['Apps', radius.apps.map((a) => a.app).join(', ') || '-'],
          ],
          ctx.p,
        ) + '\n',
      );
      ctx.print(
        table(
          radius.placements,
          [
            { header: 'CLUSTER', value: (pl) => pl.cluster },
            { header: 'STAGE', value: (pl) => dash(pl.stage) },
            { header: 'APPS', value: (pl) => (appsOf.get(pl.cluster) ?? []).join(',') || '-' },
            { header: 'DESIRED', value: (pl) => dash(pl.desiredVersion) },
            { header: 'APPLIED', value: (pl) => dash(pl.appliedVersion) },
            { header: 'SYNC', value: (pl) => pl.sync, style: (pl) => statusStyle(pl.sync) },
            { header: 'HEALTH', value: (pl) => dash(pl.health), style: (pl) => statusStyle(pl.health) },
          ],
          ctx.p,
        ),
      );
      return ExitCode.ok;
    },
  },
  {
    path: ['commit'],
    summary: 'What a commit did, everywhere: every cluster and component it changed and how far each got',
    args: [{ name: 'SHA', description: 'The full commit SHA (40 or 64 hex digits)' }],
    options: {},
    examples: ['driftless commit 3f2c9a1e0b7d4c6a8e5f1b2d3c4a5e6f7a8b9c0d'],
    async run(ctx, [sha = '']) {
      if (!/^[0-9a-f]{40}([0-9a-f]{24})?$/.test(sha)) throw new UsageError(`SHA must be a full commit SHA (40 or 64 lowercase hex digits), got ${JSON.stringify(sha)}`);
      const report = await ctx.api.get<CommitReport>(`/v1/commits/${sha}`);
      if (ctx.format === 'json') {
        ctx.print(json(report));
        return ExitCode.ok;
      }
      const c = report.commit;
      ctx.print(
        keyValues(
          [
            ['Commit', report.sha],
            ...(c
              ? ([
                  ['Repository', c.repo],
                  ['Author', `${c.authorName} <${c.authorEmail}>`],
                  ['Date', time(c.committedAt)],
                  ['Message', c.message.split('\n')[0] ?? ''],
                ] as const)
              : []),
            ['Progress', Object.entries(report.counts).map(([k, n]) => `${n} ${k}`).join(', ')],
          ],
          ctx.p,
        ) + '\n',
      );
      ctx.print(
        table(
          report.targets,
          [
            { header: 'CLUSTER', value: (t) => t.cluster },
            { header: 'COMPONENT', value: (t) => t.component },
            { header: 'STAGE', value: (t) => dash(t.stage) },
            { header: 'VERSION', value: (t) => dash(t.version) },
            { header: 'STATUS', value: (t) => t.status, style: (t) => statusStyle(t.status) },
            { header: 'HEALTH', value: (t) => dash(t.health), style: (t) => statusStyle(t.health) },
            { header: 'APPLIED AT', value: (t) => time(t.appliedAt) },
            { header: 'REASON', value: (t) => dash(t.reason) },
          ],
          ctx.p,
          'the commit changed no cluster',
        ),
      );
      return ExitCode.ok;
    },
  },
];
