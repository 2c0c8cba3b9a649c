/**
 * Registering a cluster as a platform engineer does: `driftless cluster add` gives a one-time
 * bootstrap token, the agent enrolls with it for NATS credentials of its own cluster only (NATS
 * runs in operator mode), applies its desired state, shows up in the inventory; `driftless
 * cluster revoke` cuts it off and the agent says so and stops.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { eventually } from '@driftless/testkit';
import { describeInventory, startE2eSystem, type E2eSystem, type InventoryItem } from './harness.js';
import { waitUntil } from './wait.js';

describe('registering and revoking a cluster, end to end', () => {
  let system: E2eSystem;

  before(async () => {
    system = await startE2eSystem({ clusters: ['dev-1', 'test-1'] });
  });

  after(async () => {
    await system?.close();
  });

  it('enrolls each agent through its bootstrap token and applies its desired state', async () => {
    assert.equal(system.isOperatorMode, true, 'NATS runs in operator mode');
    const items = await system.waitFor('both clusters synced', async (note) => {
      const all = (await system.get<{ items: InventoryItem[] }>('/v1/inventory')).items.filter((i) => i.cluster === 'dev-1' || i.cluster === 'test-1');
      note(describeInventory(all));
      return all.length === 6 && all.every((i) => i.sync === 'Synced') ? all : undefined;
    }, 90_000);
    assert.deepEqual([...new Set(items.map((i) => i.cluster))].sort(), ['dev-1', 'test-1']);

    const clusters = JSON.parse(await system.cli(['cluster', 'list', '-o', 'json'])) as { name: string; registeredAt: string | null; lastHeartbeatAt: string | null }[];
    for (const name of ['dev-1', 'test-1']) {
      const cluster = clusters.find((c) => c.name === name);
      assert.ok(cluster?.registeredAt, `${name} is registered`);
    }
    const table = await system.cli(['inventory', '--cluster', 'dev-1']);
    assert.match(table, /dev-1\s+cart\s+dev\s+1\.5\.0\s+1\.5\.0\s+Synced/);
  });

  it('refuses a second use of a bootstrap token', async () => {
    const added = JSON.parse(await system.cli(['cluster', 'add', 'spare-1', '--stage', 'dev', '-o', 'json'])) as { bootstrapToken: { token: string } };
    const enroll = (publicKey: string) =>
      fetch(`${system.apiUrl}/v1/agents/enroll`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ bootstrapToken: added.bootstrapToken.token, publicKey }),
      });
    const first = await enroll('UDXU4RCSJNZOIQHZNWXHXORDPRTGNJAHAHFRGZNEEJCPQTT2M7NLCNF4');
    assert.equal(first.status, 200, await first.clone().text());
    const second = await enroll('UDXU4RCSJNZOIQHZNWXHXORDPRTGNJAHAHFRGZNEEJCPQTT2M7NLCNF4');
    assert.ok(second.status === 401 || second.status === 403 || second.status === 409, `second use answered ${second.status}`);
    assert.match(second.headers.get('content-type') ?? '', /problem\+json/);
  });

  it('cuts a revoked cluster off: its agent reports it and stops, the others go on', async () => {
    const out = await system.cli(['cluster', 'revoke', 'test-1']);
    assert.match(out, /test-1/);
    const stopped = await eventually(
      () => {
        try {
          system.assertRunning();
          return undefined;
        } catch (err) {
          return (err as Error).message;
        }
      },
      { what: 'the test-1 agent to stop', timeoutMs: 60_000 },
    );
    assert.match(stopped, /agent-test-1 stopped \(exit code 3\)/);
    assert.match(stopped, /revoked|refused|authoriz/i);
    // The audit service records the revocation from its own event, which can reach the ledger
    // after the agent has already been cut off and stopped.
    await waitUntil(
      'the revocation to reach the ledger',
      async (note) => {
        const rows = (await system.get<{ items: { kind: string; cluster: string | null }[] }>('/v1/transitions?cluster=test-1')).items;
        note(`test-1's rows: ${rows.map((t) => t.kind).join(', ')}`);
        return rows.some((t) => t.kind === 'cluster_revoked');
      },
      { timeoutMs: 60_000, intervalMs: 200 },
    );
    // dev-1's agent keeps its credentials: a change still reaches it.
    await system.commit({ name: 'Alice', email: 'alice@example.com' }, 'cart 1.6.0 to dev', { 'versions/dev.yaml': (t) => t.replace(/^cart: .*$/m, 'cart: 1.6.0') });
    // Not system.waitFor: that fails as soon as any service stopped, and test-1's agent has.
    await waitUntil(
      'dev-1 to apply cart 1.6.0',
      async (note) => {
        const items = (await system.get<{ items: InventoryItem[] }>('/v1/inventory?cluster=dev-1')).items;
        note(describeInventory(items));
        return items.find((i) => i.component === 'cart')?.applied?.version === '1.6.0';
      },
      { timeoutMs: 60_000, intervalMs: 200 },
    );
  });
});
