/** `driftless changes [list]` and `driftless changes approve SHA`: commits held by the change policy or the brake. */
import { stringOption, type Command } from '../command.js';
import { ExitCode, UsageError } from '../errors.js';
import { json, table, time } from '../format.js';

interface HeldChange {
  repo: string;
  commit: { sha: string; author: { name: string; email: string }; message: string; time: string };
  stages: string[];
  reasons: { rule: string; stage: string; message: string }[];
  isApprovable: boolean;
  clusters: { changed: number; removed: number };
  heldAt: string;
  approvers: string[];
  releasedAt: string | null;
}

function sha(raw: string): string {
  if (!/^[0-9a-f]{40}([0-9a-f]{24})?$/.test(raw)) throw new UsageError(`SHA must be a full commit sha (40 hex digits), got ${JSON.stringify(raw)}`);
  return raw;
}

export const changeCommands: readonly Command[] = [
  {
    path: ['changes', 'list'],
    summary: 'Commits the repo-watcher held (change policy, blast-radius brake), with why (the default of `driftless changes`)',
    args: [],
    options: {
      all: { type: 'boolean', description: 'Include released commits' },
      repo: { type: 'string', value: 'REPO', description: 'Only this environment repository' },
    },
    examples: ['driftless changes', 'driftless changes list --all'],
    async run(ctx, _positionals, values) {
      const repo = stringOption(values, 'repo');
      const { items } = await ctx.api.get<{ items: HeldChange[] }>('/v1/changes', { all: values['all'] === true, ...(repo === undefined ? {} : { repo }) });
      if (ctx.format === 'json') {
        ctx.print(json(items));
        return ExitCode.ok;
      }
      ctx.print(
        table(
          items,
          [
            { header: 'COMMIT', value: (c) => c.commit.sha.slice(0, 12) },
            { header: 'AUTHOR', value: (c) => c.commit.author.email },
            { header: 'STAGES', value: (c) => c.stages.join(',') },
            { header: 'CLUSTERS', value: (c) => `${c.clusters.changed} changed, ${c.clusters.removed} removed` },
            { header: 'HELD', value: (c) => time(c.heldAt) },
            { header: 'APPROVED BY', value: (c) => c.approvers.join(',') || '-' },
            { header: 'STATUS', value: (c) => (c.releasedAt ? 'released' : c.isApprovable ? 'held' : 'refused'), style: (c) => (c.releasedAt ? 'green' : c.isApprovable ? 'yellow' : 'red') },
            { header: 'WHY', value: (c) => c.reasons.map((r) => `${r.stage}: ${r.message}`).join('; ') },
          ],
          ctx.p,
          'no held commits',
        ),
      );
      return ExitCode.ok;
    },
  },
  {
    path: ['changes', 'approve'],
    summary: 'Approve a held commit so the repo-watcher releases it (never your own commit)',
    args: [{ name: 'SHA', description: 'The full commit sha (from `driftless changes`)' }],
    options: { comment: { type: 'string', value: 'TEXT', description: 'A note for the audit log' } },
    examples: ['driftless changes approve 3f2c9a1e0b7d4c5a6b7c8d9e0f1a2b3c4d5e6f70'],
    async run(ctx, [raw = ''], values) {
      const comment = stringOption(values, 'comment');
      const res = await ctx.api.post<{ change: HeldChange; approver: string }>(`/v1/changes/${sha(raw)}/approve`, comment === undefined ? {} : { comment });
      ctx.print(
        ctx.format === 'json'
          ? json(res)
          : `Approved ${res.change.commit.sha.slice(0, 12)} as ${res.approver} (approvals: ${res.change.approvers.join(', ')}); the repo-watcher releases it once its policy is satisfied.\n`,
      );
      return ExitCode.ok;
    },
  },
];
