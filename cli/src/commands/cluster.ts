/** `driftless cluster add|list|revoke|token`: registering clusters and their agents. */
import { durationSeconds, dnsLabel, keyValuePairs, requiredOption, scalarValue, stringOption, stringOptions, type Command } from '../command.js';
import { ExitCode } from '../errors.js';
import { dash, json, labels, statusStyle, table, time, type Painter } from '../format.js';
import { fetchAll } from './paging.js';

interface Registration {
  name: string;
  stage: string;
  labels: Record<string, string>;
  values: Record<string, unknown>;
  registeredBy: string;
  registeredAt: string;
  revokedAt: string | null;
  revokedBy: string | null;
}

interface BootstrapToken {
  id: string;
  token: string;
  expiresAt: string;
  helmInstallCommand: string;
}

interface ClusterSummary {
  name: string;
  stage: string | null;
  labels: Record<string, string>;
  registeredAt: string | null;
  revokedAt: string | null;
  lastHeartbeatAt: string | null;
  agentVersion: string | null;
  componentCount: number;
  byHealth: Record<string, number>;
  driftedCount: number;
  failingCount: number;
}

const ttlOption = { type: 'string', value: 'DURATION', description: 'How long the bootstrap token stays valid: 30m, 2h, 1d… (default 1h, at most 7d)' } as const;

function installText(clusterName: string, token: BootstrapToken, p: Painter): string {
  return [
    `${p.paint('bold', 'Bootstrap token')} (works once, until ${time(token.expiresAt)}; it is not shown again):`,
    `  ${token.token}`,
    '',
    `${p.paint('bold', 'Install the agent')} in cluster ${clusterName}:`,
    ...token.helmInstallCommand.split('\n').map((l) => `  ${l}`),
    '',
  ].join('\n');
}

export const clusterCommands: readonly Command[] = [
  {
    path: ['cluster', 'add'],
    summary: 'Register a cluster and print the one-time bootstrap token and the agent install command',
    description:
      'The token is shown once and stored only as a hash. The agent trades it for NATS credentials that read only this cluster\'s desired state and publish only its events. Values: numbers and true/false become numbers and booleans; write "…" in quotes to keep a string.',
    args: [{ name: 'NAME', description: 'The cluster name, a DNS label (e.g. prod-eu)' }],
    options: {
      stage: { type: 'string', value: 'STAGE', isRequired: true, description: 'The stage the cluster belongs to, e.g. prod (required)' },
      label: { type: 'string', multiple: true, value: 'KEY=VALUE', description: 'A label, repeatable (e.g. --label region=eu)' },
      value: { type: 'string', multiple: true, value: 'KEY=VALUE', description: 'A per-cluster value for rendering, repeatable (e.g. --value replicas=3)' },
      ttl: ttlOption,
    },
    examples: ['driftless cluster add prod-eu --stage prod --label region=eu --value replicas=3'],
    async run(ctx, [name = ''], values) {
      const cluster = dnsLabel('cluster name', name);
      const stage = dnsLabel('stage', requiredOption(values, 'stage', 'STAGE'));
      const ttl = stringOption(values, 'ttl');
      const body = {
        name: cluster,
        stage,
        labels: keyValuePairs('label', stringOptions(values, 'label'), (v) => v),
        values: keyValuePairs('value', stringOptions(values, 'value'), scalarValue),
        ...(ttl === undefined ? {} : { ttlSeconds: durationSeconds('ttl', ttl) }),
      };
      const res = await ctx.api.post<{ cluster: Registration; bootstrapToken: BootstrapToken }>('/v1/clusters', body);
      if (ctx.format === 'json') {
        ctx.print(json(res));
        return ExitCode.ok;
      }
      ctx.print(`Registered cluster ${ctx.p.paint('bold', res.cluster.name)} (stage ${res.cluster.stage}, labels ${labels(res.cluster.labels)}).\n\n`);
      ctx.print(installText(res.cluster.name, res.bootstrapToken, ctx.p));
      return ExitCode.ok;
    },
  },
  {
    path: ['cluster', 'list'],
    summary: 'List every known cluster with its agent, heartbeat and health counts',
    args: [],
    options: { stage: { type: 'string', value: 'STAGE', description: 'Only clusters of this stage' } },
    examples: ['driftless cluster list --stage prod'],
    async run(ctx, _positionals, values) {
      const stage = stringOption(values, 'stage');
      const items = await fetchAll<ClusterSummary>(ctx.api, '/v1/clusters', { ...(stage === undefined ? {} : { stage: dnsLabel('stage', stage) }), limit: 1000 });
      if (ctx.format === 'json') {
        ctx.print(json(items));
        return ExitCode.ok;
      }
      const status = (c: ClusterSummary) => (c.revokedAt ? 'revoked' : c.lastHeartbeatAt ? 'connected' : 'registered');
      ctx.print(
        table(
          items,
          [
            { header: 'NAME', value: (c) => c.name },
            { header: 'STAGE', value: (c) => dash(c.stage) },
            { header: 'STATUS', value: status, style: (c) => (c.revokedAt ? 'red' : c.lastHeartbeatAt ? 'green' : undefined) },
            { header: 'LABELS', value: (c) => labels(c.labels) },
            { header: 'AGENT', value: (c) => dash(c.agentVersion) },
            { header: 'LAST HEARTBEAT', value: (c) => time(c.lastHeartbeatAt) },
            { header: 'COMPONENTS', value: (c) => String(c.componentCount) },
            { header: 'HEALTHY', value: (c) => String(c.byHealth['Healthy'] ?? 0) },
            { header: 'DEGRADED', value: (c) => String(c.byHealth['Degraded'] ?? 0), style: (c) => ((c.byHealth['Degraded'] ?? 0) > 0 ? statusStyle('Degraded') : undefined) },
            { header: 'DRIFTED', value: (c) => String(c.driftedCount), style: (c) => (c.driftedCount > 0 ? 'yellow' : undefined) },
            { header: 'FAILING', value: (c) => String(c.failingCount), style: (c) => (c.failingCount > 0 ? 'red' : undefined) },
          ],
          ctx.p,
          'no clusters yet: register one with `driftless cluster add NAME --stage STAGE`',
        ),
      );
      return ExitCode.ok;
    },
  },
  {
    path: ['cluster', 'revoke'],
    summary: 'Revoke a cluster: every credential issued for it stops working and its agent stops',
    description: 'Connected agents of the cluster are disconnected and refused from then on. Running it again pushes the revocation to NATS again.',
    args: [{ name: 'NAME', description: 'The cluster to revoke' }],
    options: { reason: { type: 'string', value: 'TEXT', description: 'Why, for the audit log' } },
    examples: ['driftless cluster revoke prod-eu --reason "cluster decommissioned"'],
    async run(ctx, [name = ''], values) {
      const cluster = dnsLabel('cluster name', name);
      const reason = stringOption(values, 'reason');
      const res = await ctx.api.delete<{ cluster: Registration; revokedCredentials: number; wasAlreadyRevoked: boolean }>(`/v1/clusters/${cluster}`, { reason });
      if (ctx.format === 'json') {
        ctx.print(json(res));
        return ExitCode.ok;
      }
      ctx.print(
        res.wasAlreadyRevoked
          ? `Cluster ${cluster} was already revoked (at ${time(res.cluster.revokedAt)} by ${dash(res.cluster.revokedBy)}); the revocation list was pushed to NATS again.\n`
          : `Revoked cluster ${ctx.p.paint('bold', cluster)}: ${res.revokedCredentials} agent credential${res.revokedCredentials === 1 ? '' : 's'} no longer work.\n`,
      );
      return ExitCode.ok;
    },
  },
  {
    path: ['cluster', 'token'],
    summary: 'Issue another one-time bootstrap token for a registered cluster (to install its agent again)',
    args: [{ name: 'NAME', description: 'A registered, unrevoked cluster' }],
    options: { ttl: ttlOption },
    examples: ['driftless cluster token prod-eu --ttl 2h'],
    async run(ctx, [name = ''], values) {
      const cluster = dnsLabel('cluster name', name);
      const ttl = stringOption(values, 'ttl');
      const token = await ctx.api.post<BootstrapToken>(`/v1/clusters/${cluster}/bootstrap-tokens`, ttl === undefined ? {} : { ttlSeconds: durationSeconds('ttl', ttl) });
      ctx.print(ctx.format === 'json' ? json(token) : installText(cluster, token, ctx.p));
      return ExitCode.ok;
    },
  },
];
