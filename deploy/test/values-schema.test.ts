/**
 * values.schema.json and the charts' own checks turn a wrong value into a message that names
 * the value and what is expected, with helm 4 and helm 3 alike (their wording differs, so each
 * case lists the words both must contain).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Chart, HELM_VERSIONS, renderError, type RenderOptions } from './helm.js';

interface Rejection {
  what: string;
  chart: Chart;
  opts: RenderOptions;
  /** Every one must match helm's error output. */
  expect: RegExp[];
}

const rejections: Rejection[] = [
  { what: 'a replica count that is not a number', chart: Chart.controlPlane, opts: { variant: 'minimal', set: { 'audit.replicas': 'two' } }, expect: [/audit[./]replicas/, /integer/, /string/] },
  { what: 'an unknown log level', chart: Chart.controlPlane, opts: { variant: 'minimal', set: { logLevel: 'loud' } }, expect: [/logLevel/, /"?'?info'?"?/, /"?'?debug'?"?/] },
  { what: 'a misspelt setting', chart: Chart.controlPlane, opts: { variant: 'minimal', set: { 'audit.replica': '2' } }, expect: [/audit/, /[Aa]dditional propert(y|ies) '?replica'? (is )?not allowed/] },
  { what: 'a NATS URL with the wrong scheme', chart: Chart.controlPlane, opts: { variant: 'minimal', set: { 'nats.url': 'http://nats:4222' } }, expect: [/nats[./]url/, /match pattern/i] },
  { what: 'a malformed image digest', chart: Chart.controlPlane, opts: { variant: 'minimal', set: { 'audit.image.digest': 'latest' } }, expect: [/audit[./]image[./]digest/, /sha256/] },
  { what: 'a repository name that is not a DNS label', chart: Chart.controlPlane, opts: { variant: 'minimal', set: { 'repoWatcher.repos[0].name': 'Envs_1' } }, expect: [/repoWatcher[./]repos[./]0[./]name/, /match pattern/i] },
  { what: 'an extra variable outside DRIFTLESS_ and OTEL_', chart: Chart.controlPlane, opts: { variant: 'minimal', set: { 'extraEnv.NODE_OPTIONS': '--inspect' } }, expect: [/extraEnv/, /NODE_OPTIONS/] },
  { what: 'turning off the non-root security context', chart: Chart.controlPlane, opts: { variant: 'minimal', set: { 'podSecurityContext.runAsNonRoot': 'false' } }, expect: [/podSecurityContext[./]runAsNonRoot/, /true/] },
  { what: 'an agent cluster name that is not a DNS label', chart: Chart.agent, opts: { variant: 'minimal', set: { cluster: 'Prod_EU' } }, expect: [/cluster/, /match pattern/i] },
  { what: 'an unknown RBAC scope', chart: Chart.agent, opts: { variant: 'minimal', set: { 'rbac.scope': 'everything' } }, expect: [/rbac[./]scope/, /cluster/, /namespaces/] },
  { what: 'two agent replicas', chart: Chart.agent, opts: { variant: 'minimal', set: { replicas: '2' } }, expect: [/replicas/, /(maximum|less than or equal to|<=|1)/] },
];

/** Checks the templates make, where a schema cannot say it readably. */
const templateRejections: Rejection[] = [
  { what: 'credentials inside a repository URL', chart: Chart.controlPlane, opts: { variant: 'minimal', set: { 'repoWatcher.repos[0].url': 'https://bot:ghp_x@github.com/acme/envs.git' } }, expect: [/repository "envs" has credentials in its URL; put the token in the Secret/] },
  { what: 'an SSH key without the Secret holding it', chart: Chart.controlPlane, opts: { variant: 'minimal', set: { 'repoWatcher.repos[0].sshKey': 'envs' } }, expect: [/repository "envs" names sshKey "envs" but repoWatcher.credentials.sshKeysSecret is empty/] },
  { what: 'a persistent mirror volume shared by two watchers', chart: Chart.controlPlane, opts: { variant: 'minimal', set: { 'repoWatcher.persistence.enabled': 'true', 'repoWatcher.replicas': '2' } }, expect: [/repoWatcher.persistence.enabled needs repoWatcher.replicas=1/] },
  { what: 'the migration Job with the in-chart Postgres', chart: Chart.controlPlane, opts: { variant: 'try', set: { 'audit.migrations.job.enabled': 'true' } }, expect: [/audit.migrations.job.enabled needs an external Postgres/] },
  { what: 'namespaced RBAC without namespaces', chart: Chart.agent, opts: { variant: 'minimal', set: { 'rbac.scope': 'namespaces' } }, expect: [/rbac.namespaces is empty: with rbac.scope=namespaces, list the namespaces/] },
  { what: 'an agent with no credentials', chart: Chart.agent, opts: { set: { cluster: 'dev-1', 'nats.url': 'nats://nats:4222' } }, expect: [/the agent has no way to authenticate: set enrollment.bootstrapToken/] },
  { what: 'an agent without a NATS URL', chart: Chart.agent, opts: { set: { cluster: 'dev-1', 'enrollment.bootstrapToken': 'dlb_0123456789abcdef' } }, expect: [/nats.url is required: the control plane's NATS as the agents reach it/] },
  { what: 'leader election, which the agent does not have yet', chart: Chart.agent, opts: { variant: 'minimal', set: { 'leaderElection.enabled': 'true' } }, expect: [/replicas > 1 needs leader election/] },
];

describe('values rejected with a readable message', () => {
  for (const version of HELM_VERSIONS) {
    for (const { what, chart, opts, expect } of [...rejections, ...templateRejections]) {
      it(`helm ${version}: ${chart} refuses ${what}`, async () => {
        const stderr = await renderError(chart, { ...opts, version });
        for (const pattern of expect) assert.match(stderr, pattern);
      });
    }
  }

  it('the schema reports every problem at once, not just the first', async () => {
    const stderr = await renderError(Chart.controlPlane, { variant: 'minimal', set: { 'audit.replicas': 'two', logLevel: 'loud', 'repoWatcher.config.pollIntervalMs': '10' } });
    assert.match(stderr, /audit[./]replicas/);
    assert.match(stderr, /logLevel/);
    assert.match(stderr, /pollIntervalMs/);
  });
});
