/**
 * `driftless promote|rollback|approve|reject|promotions`: promotions from stage to stage. The
 * plan (apps, clusters, objects, prunes) is shown before anything is recorded; `--wait` follows
 * the promotion until it is committed, rejected or halted.
 */
import { dnsLabel, stringOption, type Command, type Context, type Values } from '../command.js';
import { CommandFailedError, ExitCode, UsageError } from '../errors.js';
import { dash, json, keyValues, labels, table, time } from '../format.js';
import { fetchAll } from './paging.js';
import { confirm, isInteractive } from './promote-confirm.js';

interface Gates {
  soakSeconds: number;
  approvals: number;
  windows: { days: string[]; start: string; end: string; timezone: string }[];
  isRollbackExempt: boolean;
}

interface Plan {
  repo: string;
  baseSha: string;
  stage: string;
  previousStage: string | null;
  components: { component: string; version: string; currentVersion: string | null; previousStageVersion: string | null }[];
  clusters: { name: string; labels: Record<string, string> }[];
  changes: { cluster: string; component: string; apps: string[]; fromVersion: string | null; toVersion: string; objects: number; prunes: { kind: string; namespace?: string; name: string }[] }[];
  unchanged: { cluster: string; component: string; reason: string }[];
  gates: Gates;
}

interface PlanOnly {
  repo: string;
  plan: Plan;
  targets: string[];
  waves: string[][];
}

export interface Promotion {
  id: string;
  kind: 'promote' | 'rollback';
  repo: string;
  stage: string;
  components: { component: string; version: string }[];
  clusters: string[] | null;
  selector: string | null;
  wave: number | null;
  requester: string;
  author: { name: string; email: string };
  reason: string | null;
  status: 'requested' | 'waiting' | 'committing' | 'committed' | 'rejected' | 'halted';
  statusReason: string | null;
  decidedBy: string | null;
  pending: { gate: string; message: string }[];
  gates: Gates;
  approvalsNeeded: number;
  approvals: { approver: string; role: string; comment: string | null; approvedAt: string }[];
  waves: { wave: number; clusters: string[]; commitSha: string | null; committedAt: string | null }[];
  commits: { sha: string; wave: number | null; clusters: string[] | null; committedAt: string }[];
  watcherError: string | null;
  createdAt: string;
  updatedAt: string;
}

const ID = /^pr_[0-9a-f]{1,64}$/;
const VERSION = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;
const FOLLOW_INTERVAL_MS = 1000;

function promotionId(raw: string): string {
  if (!ID.test(raw)) throw new UsageError(`PROMOTION must be a promotion id such as pr_3f2c9a1e0b7d, got ${JSON.stringify(raw)}`);
  return raw;
}

function version(flag: string, raw: string): string {
  if (!VERSION.test(raw)) throw new UsageError(`${flag} must be a version such as 1.4.2 (letters, digits, '.', '_', '-'), got ${JSON.stringify(raw)}`);
  return raw;
}

function positiveInteger(flag: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  if (!/^[1-9]\d{0,5}$/.test(raw)) throw new UsageError(`--${flag} takes a whole number of at least 1, got ${JSON.stringify(raw)}`);
  return Number(raw);
}

/** `cart`, `cart@1.4.2` … with `--version` for a single component. */
export function componentsOf(positionals: readonly string[], versionFlag: string | undefined): { component: string; version?: string }[] {
  const out = positionals.map((word) => {
    const at = word.indexOf('@');
    const component = dnsLabel('component', at < 0 ? word : word.slice(0, at));
    return at < 0 ? { component } : { component, version: version(`the version of ${component}`, word.slice(at + 1)) };
  });
  if (versionFlag !== undefined) {
    const [only] = out;
    if (out.length !== 1 || only === undefined || only.version !== undefined) throw new UsageError('--version goes with exactly one COMPONENT written without @VERSION');
    out[0] = { component: only.component, version: version('--version', versionFlag) };
  }
  const repeated = out.map((c) => c.component).filter((c, i, all) => all.indexOf(c) !== i);
  if (repeated.length > 0) throw new UsageError(`each component may be named once; repeated: ${[...new Set(repeated)].join(', ')}`);
  return out;
}

function describeGates(g: Gates, previousStage: string | null): string {
  const parts = [
    g.soakSeconds > 0 ? `soak ${g.soakSeconds} s on ${previousStage ?? 'the previous stage'}` : 'no soak',
    g.approvals > 0 ? `${g.approvals} approval${g.approvals === 1 ? '' : 's'}` : 'no approvals',
    g.windows.length > 0 ? `windows ${g.windows.map((w) => `${w.days.join(',')} ${w.start}-${w.end} ${w.timezone}`).join('; ')}` : 'any time',
  ];
  if (g.isRollbackExempt) parts.push('rollbacks exempt');
  return parts.join(', ');
}

export function planText(kind: string, planned: PlanOnly, ctx: Pick<Context, 'p'>): string {
  const { plan } = planned;
  const what = plan.components.map((c) => `${c.component} ${c.currentVersion ?? '(none)'} → ${c.version}`).join(', ');
  const from = plan.previousStage === null ? '' : ` (${plan.previousStage} runs ${plan.components.map((c) => `${c.component} ${c.previousStageVersion ?? '-'}`).join(', ')})`;
  const lines = [
    `${ctx.p.paint('bold', kind === 'rollback' ? 'Roll back' : 'Promote')} ${what} on ${ctx.p.paint('bold', plan.stage)}${from}`,
    keyValues(
      [
        ['Repository', `${planned.repo} at ${plan.baseSha.slice(0, 12)}`],
        ['Gates', describeGates(plan.gates, plan.previousStage)],
        ['Clusters', planned.targets.join(', ')],
        ...(planned.waves.length > 1 ? [['Waves', planned.waves.map((w, i) => `${i + 1}: ${w.join(', ')}`).join(' | ')] as const] : []),
      ],
      ctx.p,
    ).trimEnd(),
    '',
    table(
      plan.changes,
      [
        { header: 'CLUSTER', value: (c) => c.cluster },
        { header: 'COMPONENT', value: (c) => c.component },
        { header: 'FROM', value: (c) => dash(c.fromVersion) },
        { header: 'TO', value: (c) => c.toVersion },
        { header: 'APPS', value: (c) => c.apps.join(',') || '-' },
        { header: 'OBJECTS', value: (c) => String(c.objects) },
        { header: 'PRUNES', value: (c) => (c.prunes.length === 0 ? '-' : c.prunes.map((r) => `${r.kind}/${r.name}`).join(',')), style: (c) => (c.prunes.length > 0 ? 'yellow' : undefined) },
      ],
      ctx.p,
      'no cluster would change',
    ).trimEnd(),
  ];
  if (plan.unchanged.length > 0) lines.push('', `Unchanged: ${plan.unchanged.map((u) => `${u.cluster}/${u.component} (${u.reason})`).join(', ')}`);
  return `${lines.join('\n')}\n`;
}

export function promotionText(p: Promotion, ctx: Pick<Context, 'p'>): string {
  const status = ctx.p.paint(p.status === 'committed' ? 'green' : p.status === 'rejected' || p.status === 'halted' ? 'red' : 'yellow', p.status);
  const pairs: [string, string][] = [
    ['Promotion', `${p.id} (${p.kind})`],
    ['Components', p.components.map((c) => `${c.component} ${c.version}`).join(', ')],
    ['Stage', p.stage + (p.clusters ? ` (clusters ${p.clusters.join(', ')})` : p.selector ? ` (clusters matching ${p.selector})` : '')],
    ['Requested', `${time(p.createdAt)} by ${p.requester}${p.reason ? `: ${p.reason}` : ''}`],
    ['Author', `${p.author.name} <${p.author.email}>`],
    ['Status', status + (p.statusReason ? `: ${p.statusReason}` : '') + (p.decidedBy ? ` (by ${p.decidedBy})` : '')],
    ['Gates', describeGates(p.gates, null)],
    ['Approvals', `${p.approvals.length} of ${p.approvalsNeeded}${p.approvals.length > 0 ? `: ${p.approvals.map((a) => a.approver).join(', ')}` : ''}`],
  ];
  for (const pending of p.pending) pairs.push([`Waiting (${pending.gate})`, pending.message]);
  if (p.watcherError) pairs.push(['Repo-watcher', `${p.watcherError} (asking again)`]);
  for (const w of p.waves) pairs.push([`Wave ${w.wave}`, `${w.clusters.join(', ')}: ${w.commitSha ? `committed ${w.commitSha.slice(0, 12)} at ${time(w.committedAt)}` : 'not yet'}`]);
  for (const c of p.commits.filter((x) => x.wave === null)) pairs.push(['Commit', `${c.sha} at ${time(c.committedAt)}`]);
  return keyValues(pairs, ctx.p);
}

const isFinal = (p: Promotion) => p.status === 'committed' || p.status === 'rejected' || p.status === 'halted';

/** One line per change of what the promotion is doing, until it ends. */
async function follow(ctx: Context, id: string, sleep: (ms: number) => Promise<void>): Promise<Promotion> {
  let last = '';
  for (;;) {
    const p = await ctx.api.get<Promotion>(`/v1/promotions/${id}`);
    const line = [
      p.status,
      ...p.pending.map((x) => `${x.gate}: ${x.message}`),
      ...(p.watcherError ? [`repo-watcher: ${p.watcherError}`] : []),
      ...p.commits.map((c) => `committed ${c.sha.slice(0, 12)}${c.wave === null ? '' : ` (wave ${c.wave}: ${(c.clusters ?? []).join(', ')})`}`).slice(-1),
      ...(p.statusReason ? [p.statusReason] : []),
    ].join(' — ');
    if (line !== last) {
      ctx.note(`${time(new Date().toISOString())} ${id} ${line}\n`);
      last = line;
    }
    if (isFinal(p)) return p;
    await sleep(FOLLOW_INTERVAL_MS);
  }
}

const wait = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function requestPromotion(ctx: Context, body: Record<string, unknown>, values: Values): Promise<ExitCode> {
  const planned = await ctx.api.post<PlanOnly>('/v1/promotions', { ...body, dryRun: true });
  if (values['dry-run'] === true) {
    ctx.print(ctx.format === 'json' ? json(planned) : planText(String(body['kind']), planned, ctx));
    return ExitCode.ok;
  }
  if (ctx.format !== 'json') ctx.print(planText(String(body['kind']), planned, ctx));
  if (values['yes'] !== true && isInteractive() && !(await confirm('Request this promotion?'))) {
    throw new CommandFailedError('cancelled: nothing was recorded');
  }
  let p = await ctx.api.post<Promotion>('/v1/promotions', body);
  if (ctx.format !== 'json') ctx.print(`\nRequested promotion ${ctx.p.paint('bold', p.id)}; follow it with \`driftless promotions show ${p.id}\`.\n`);
  if (values['wait'] === true) {
    p = await follow(ctx, p.id, wait);
    if (ctx.format !== 'json') ctx.print(promotionText(p, ctx));
  }
  if (ctx.format === 'json') ctx.print(json(p));
  return p.status === 'rejected' || p.status === 'halted' ? ExitCode.failed : ExitCode.ok;
}

const followOptions = {
  reason: { type: 'string', value: 'TEXT', description: 'Why, for the audit log and the commit message' },
  'dry-run': { type: 'boolean', description: 'Show the plan only; record nothing' },
  yes: { type: 'boolean', short: 'y', description: 'Do not ask for confirmation on a terminal' },
  wait: { type: 'boolean', description: 'Follow the promotion until it is committed, rejected or halted (exit 1 unless committed)' },
  repo: { type: 'string', value: 'REPO', description: 'The environment repository (when components come from several)' },
} as const;

const limitOptions = {
  clusters: { type: 'string', value: 'A,B', description: 'Only these clusters of the stage (their versions are pinned, and the pins stay)' },
  selector: { type: 'string', short: 'l', value: 'SELECTOR', description: 'Only clusters whose labels match, e.g. region=eu,tier!=canary' },
  wave: { type: 'string', value: 'N', description: 'Move N clusters at a time, each wave waiting until the previous one is healthy' },
  'wave-timeout': { type: 'string', value: 'SECONDS', description: 'Halt when a wave is not healthy within this long (default 600)' },
} as const;

function limitsOf(values: Values): Record<string, unknown> {
  const clusters = stringOption(values, 'clusters');
  const selector = stringOption(values, 'selector');
  if (clusters !== undefined && selector !== undefined) throw new UsageError('choose clusters with --clusters or --selector, not both');
  const wave = positiveInteger('wave', stringOption(values, 'wave'));
  const waveTimeout = positiveInteger('wave-timeout', stringOption(values, 'wave-timeout'));
  return {
    ...(clusters === undefined ? {} : { clusters: clusters.split(',').map((c) => dnsLabel('cluster', c.trim())) }),
    ...(selector === undefined ? {} : { selector }),
    ...(wave === undefined ? {} : { wave }),
    ...(waveTimeout === undefined ? {} : { waveTimeoutSeconds: waveTimeout }),
  };
}

function commonOf(values: Values): Record<string, unknown> {
  const reason = stringOption(values, 'reason');
  const repo = stringOption(values, 'repo');
  return { ...(reason === undefined ? {} : { reason }), ...(repo === undefined ? {} : { repo: dnsLabel('repository', repo) }) };
}

export const promoteCommands: readonly Command[] = [
  {
    path: ['promote'],
    summary: 'Promote components to a stage: the version running on the previous stage, or the one named',
    description:
      'Shows what would change (apps, clusters, objects, prunes), asks to confirm on a terminal, and records the promotion. It waits for the stage\'s gates (soak, approvals, time windows); then the repo-watcher commits a one-line edit of the stage\'s version file, authored as you. Several components are promoted together as one release.',
    args: [{ name: 'COMPONENT[@VERSION]...', description: 'One or more components, each optionally with its version (cart@1.4.2)' }],
    options: {
      to: { type: 'string', value: 'STAGE', isRequired: true, description: 'The stage to promote to (required)' },
      version: { type: 'string', value: 'V', description: 'The version, for a single COMPONENT (default: what the previous stage runs)' },
      ...limitOptions,
      ...followOptions,
    },
    examples: ['driftless promote cart --to prod', 'driftless promote cart@1.4.2 payment@3.1.0 --to test --reason "release 42" --wait', 'driftless promote cart --to prod --wave 1 --yes'],
    async run(ctx, positionals, values) {
      const to = stringOption(values, 'to');
      if (to === undefined) throw new UsageError('--to STAGE is required');
      const components = componentsOf(positionals, stringOption(values, 'version'));
      return requestPromotion(ctx, { components, toStage: dnsLabel('stage', to), kind: 'promote', ...limitsOf(values), ...commonOf(values) }, values);
    },
  },
  {
    path: ['rollback'],
    summary: 'Roll a component back on a stage: to the version it ran before (from the audit log), or the one named',
    description: 'A rollback is a promotion of an earlier version: it goes through the same gates unless the stage\'s policy exempts rollbacks, and it is a commit to the version file, so nothing fights it.',
    args: [{ name: 'COMPONENT', description: 'The component to roll back' }],
    options: {
      stage: { type: 'string', value: 'STAGE', isRequired: true, description: 'The stage to roll back on (required)' },
      to: { type: 'string', value: 'V', description: 'The version to return to (default: the one the stage ran before its current one)' },
      ...limitOptions,
      ...followOptions,
    },
    examples: ['driftless rollback cart --stage prod', 'driftless rollback cart --stage prod --to 1.3.2 --yes --wait'],
    async run(ctx, [component = ''], values) {
      const stage = stringOption(values, 'stage');
      if (stage === undefined) throw new UsageError('--stage STAGE is required');
      const to = stringOption(values, 'to');
      const components = [{ component: dnsLabel('component', component), ...(to === undefined ? {} : { version: version('--to', to) }) }];
      return requestPromotion(ctx, { components, toStage: dnsLabel('stage', stage), kind: 'rollback', ...limitsOf(values), ...commonOf(values) }, values);
    },
  },
  {
    path: ['approve'],
    summary: 'Approve a waiting promotion (operators other than the requester)',
    args: [{ name: 'PROMOTION', description: 'The promotion id, e.g. pr_3f2c9a1e0b7d' }],
    options: { comment: { type: 'string', value: 'TEXT', description: 'A note for the audit log' } },
    examples: ['driftless approve pr_3f2c9a1e0b7d --comment "checked the dashboards"'],
    async run(ctx, [id = ''], values) {
      const comment = stringOption(values, 'comment');
      const p = await ctx.api.post<Promotion>(`/v1/promotions/${promotionId(id)}/approve`, comment === undefined ? {} : { comment });
      ctx.print(ctx.format === 'json' ? json(p) : `Approved ${p.id}: ${p.approvals.length} of ${p.approvalsNeeded} approvals; it is ${p.status}.\n`);
      return ExitCode.ok;
    },
  },
  {
    path: ['reject'],
    summary: 'Reject a promotion that has not finished (a wave rollout stops where it is)',
    args: [{ name: 'PROMOTION', description: 'The promotion id' }],
    options: { reason: { type: 'string', value: 'TEXT', isRequired: true, description: 'Why (required, recorded in the audit log)' } },
    examples: ['driftless reject pr_3f2c9a1e0b7d --reason "payment freeze this week"'],
    async run(ctx, [id = ''], values) {
      const reason = stringOption(values, 'reason');
      if (reason === undefined || reason.trim() === '') throw new UsageError('--reason TEXT is required');
      const p = await ctx.api.post<Promotion>(`/v1/promotions/${promotionId(id)}/reject`, { reason });
      ctx.print(ctx.format === 'json' ? json(p) : `Rejected ${p.id}: ${reason}\n`);
      return ExitCode.ok;
    },
  },
  {
    path: ['promotions', 'list'],
    summary: 'Promotions, newest first (the default of `driftless promotions`)',
    args: [],
    options: {
      status: { type: 'string', value: 'STATUS', description: 'requested, waiting, committing, committed, rejected or halted' },
      component: { type: 'string', value: 'NAME', description: 'Only promotions of this component' },
      stage: { type: 'string', value: 'STAGE', description: 'Only promotions to this stage' },
      limit: { type: 'string', value: 'N', description: 'At most N (default 50)' },
    },
    examples: ['driftless promotions', 'driftless promotions list --status waiting --stage prod'],
    async run(ctx, _positionals, values) {
      const component = stringOption(values, 'component');
      const stage = stringOption(values, 'stage');
      const status = stringOption(values, 'status');
      const limit = positiveInteger('limit', stringOption(values, 'limit')) ?? 50;
      const items = await fetchAll<Promotion>(
        ctx.api,
        '/v1/promotions',
        {
          ...(status === undefined ? {} : { status }),
          ...(component === undefined ? {} : { component: dnsLabel('component', component) }),
          ...(stage === undefined ? {} : { stage: dnsLabel('stage', stage) }),
          limit: Math.min(limit, 500),
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
            { header: 'ID', value: (p) => p.id },
            { header: 'KIND', value: (p) => p.kind },
            { header: 'STAGE', value: (p) => p.stage },
            { header: 'COMPONENTS', value: (p) => p.components.map((c) => `${c.component}@${c.version}`).join(',') },
            { header: 'CLUSTERS', value: (p) => p.clusters?.join(',') ?? (p.selector ? labels({ selector: p.selector }) : 'all') },
            { header: 'STATUS', value: (p) => p.status, style: (p) => (p.status === 'committed' ? 'green' : isFinal(p) ? 'red' : 'yellow') },
            { header: 'APPROVALS', value: (p) => `${p.approvals.length}/${p.approvalsNeeded}` },
            { header: 'REQUESTED', value: (p) => time(p.createdAt) },
            { header: 'BY', value: (p) => p.requester },
            { header: 'WAITING FOR / WHY', value: (p) => p.statusReason ?? p.pending.map((x) => x.gate).join(',') },
          ],
          ctx.p,
          'no promotions yet: `driftless promote COMPONENT --to STAGE`',
        ),
      );
      return ExitCode.ok;
    },
  },
  {
    path: ['promotions', 'show'],
    summary: 'One promotion: its gates, what it waits for, approvals, waves and commits',
    args: [{ name: 'ID', description: 'The promotion id' }],
    options: {},
    examples: ['driftless promotions show pr_3f2c9a1e0b7d'],
    async run(ctx, [id = '']) {
      const p = await ctx.api.get<Promotion>(`/v1/promotions/${promotionId(id)}`);
      ctx.print(ctx.format === 'json' ? json(p) : promotionText(p, ctx));
      return ExitCode.ok;
    },
  },
];
