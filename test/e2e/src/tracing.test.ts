/**
 * One change, one trace: the repo-watcher's commit and publish spans, the agent's reconcile and
 * the audit's record of it share a trace id, collected by an OTLP receiver in this process.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { describeInventory, startE2eSystem, type E2eSystem, type InventoryItem, type Transition } from './harness.js';
import { startOtlpReceiver, type ReceivedSpan } from './otlp-receiver.js';

describe('tracing, end to end', () => {
  let system: E2eSystem;
  let receiver: Awaited<ReturnType<typeof startOtlpReceiver>>;
  let sha: string;

  before(async () => {
    receiver = await startOtlpReceiver();
    system = await startE2eSystem({
      clusters: ['dev-1'],
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_BSP_SCHEDULE_DELAY: '200', OTEL_TRACES_SAMPLER: 'always_on' },
    });
    await system.waitFor('the first sync of dev-1', async (note) => {
      const items = (await system.get<{ items: InventoryItem[] }>('/v1/inventory?cluster=dev-1')).items;
      note(describeInventory(items));
      return items.length === 3 && items.every((i) => i.sync === 'Synced');
    }, 90_000);
    sha = await system.commit({ name: 'Alice', email: 'alice@example.com' }, 'cart 1.6.0 to dev', {
      'versions/dev.yaml': (text) => text.replace(/^cart: .*$/m, 'cart: 1.6.0'),
    });
  });

  after(async () => {
    await system?.close();
    await receiver?.stop();
  });

  it('follows the commit through watcher, agent and audit in one trace', async () => {
    const applied = await system.waitFor('the change applied and recorded', async (note) => {
      const items = (await system.get<{ items: Transition[] }>('/v1/transitions?cluster=dev-1&component=cart&kind=applied')).items;
      note(`applied rows of cart on dev-1: ${items.map((t) => `${t.toVersion} @${t.commitSha?.slice(0, 12) ?? '-'}`).join(', ') || 'none'} (waiting for ${sha.slice(0, 12)})`);
      return items.find((t) => t.commitSha === sha);
    });
    assert.match(applied.traceId ?? '', /^[0-9a-f]{32}$/, 'the ledger row carries the trace id');
    const traceId = applied.traceId!;
    const inTrace = () => receiver.spans.filter((s) => s.traceId === traceId);
    // Each service exports its spans in its own batches, on its own timer: a span of one hop can
    // arrive well after the ledger row, or after another hop's spans. Wait for every span looked at below.
    const nameOf = (s: ReceivedSpan) =>
      s.name === 'audit.record' ? `audit.record ${String(s.attributes['driftless.event.type'])}` : s.name === 'agent.reconcile' ? `agent.reconcile ${String(s.attributes['driftless.component'])}` : s.name;
    const wanted = ['repo-watcher.commit', 'repo-watcher.publish', 'agent.reconcile cart', 'audit.record driftless.desired.changed.v1', 'audit.record driftless.agent.applied.v1'];
    const spans = await system.waitFor('spans of every hop to be exported', (note) => {
      const names = new Set(inTrace().map(nameOf));
      note(`spans of the trace: ${[...names].join(', ') || 'none'}`);
      return wanted.every((name) => names.has(name)) ? inTrace() : undefined;
    }, 30_000);
    assert.deepEqual(receiver.rejected, []);

    // commit → render/publish (watcher) → reconcile (agent, child of publish) → record (audit).
    const commit = spans.find((s) => s.name === 'repo-watcher.commit');
    const publish = spans.find((s) => s.name === 'repo-watcher.publish');
    assert.ok(commit && publish, 'the watcher’s commit and publish spans are in the trace');
    assert.equal(publish.parentSpanId, commit.spanId);
    assert.equal(commit.attributes['driftless.commit'], sha);
    const reconcile = spans.find((s) => s.name === 'agent.reconcile' && s.attributes['driftless.component'] === 'cart');
    assert.ok(reconcile, 'the agent’s reconcile of cart is in the trace');
    assert.equal(reconcile.parentSpanId, publish.spanId, 'the agent continues from the publish span');
    const records = spans.filter((s) => s.name === 'audit.record').map((s) => s.attributes['driftless.event.type']);
    assert.ok(records.includes('driftless.desired.changed.v1'), `audit recorded the desired change: ${records.join(', ')}`);
    assert.ok(records.includes('driftless.agent.applied.v1'), `audit recorded the apply: ${records.join(', ')}`);
    assert.deepEqual(new Set(spans.map((s) => s.service.replace(/^driftless-/, ''))), new Set(['repo-watcher', 'agent', 'audit']));
  });
});
