import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createMetrics } from './index.js';

describe('createMetrics', () => {
  it('renders Prometheus text with a counter and a histogram that were recorded', async () => {
    const metrics = createMetrics({ serviceName: 'audit' });
    const counter = metrics.meter.createCounter('events_ingested', { description: 'events written to Postgres' });
    counter.add(3, { type: 'driftless.agent.applied.v1' });
    counter.add(2, { type: 'driftless.agent.applied.v1' });
    metrics.meter.createHistogram('batch_duration', { unit: 'ms' }).record(12);

    const text = await metrics.renderPrometheus();
    assert.match(text, /# HELP events_ingested_total events written to Postgres/);
    assert.match(text, /events_ingested_total\{type="driftless.agent.applied.v1"\} 5/);
    assert.match(text, /batch_duration_milliseconds_count 1|batch_duration_count 1/);
    await metrics.shutdown();
  });

  it('applies a prefix to every metric name', async () => {
    const metrics = createMetrics({ serviceName: 'agent', prefix: 'driftless' });
    metrics.meter.createCounter('reconciles').add(1);
    assert.match(await metrics.renderPrometheus(), /driftless_reconciles_total 1/);
    await metrics.shutdown();
  });
});
