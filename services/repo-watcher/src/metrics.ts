/** The watcher's own metrics, on the meter `libs/telemetry` sets up (rendered on `/metrics`). */
import type { Counter, Histogram, Meter } from '@opentelemetry/api';

export interface WatcherMetrics {
  syncs: Counter;
  publishedKeys: Counter;
  removedKeys: Counter;
  renderFailures: Counter;
  rewrites: Counter;
  webhooks: Counter;
  fetchMs: Histogram;
  renderMs: Histogram;
  publishMs: Histogram;
  /** change.held events (commits the change policy held), by whether an approval can release them. */
  changesHeld?: Counter;
  changesReleased?: Counter;
  /** Promote requests answered, by op and outcome (planned, committed, unchanged, or the error code). */
  promotions?: Counter;
}

export function createWatcherMetrics(meter: Meter): WatcherMetrics {
  const ms = { unit: 'ms', advice: { explicitBucketBoundaries: [5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000] } };
  return {
    syncs: meter.createCounter('repo_watcher_syncs', { description: 'Repository syncs by outcome' }),
    publishedKeys: meter.createCounter('repo_watcher_desired_published', { description: 'Desired-state keys written' }),
    removedKeys: meter.createCounter('repo_watcher_desired_removed', { description: 'Desired-state keys removed' }),
    renderFailures: meter.createCounter('repo_watcher_render_failures', { description: 'render.failed events published' }),
    rewrites: meter.createCounter('repo_watcher_rewrites', { description: 'Force-pushes and rewinds detected' }),
    webhooks: meter.createCounter('repo_watcher_webhooks', { description: 'Webhook requests by provider and result' }),
    fetchMs: meter.createHistogram('repo_watcher_fetch_duration', { description: 'Git fetch duration', ...ms }),
    renderMs: meter.createHistogram('repo_watcher_render_duration', { description: 'Render duration of one commit', ...ms }),
    publishMs: meter.createHistogram('repo_watcher_publish_duration', { description: 'Publish duration of one commit', ...ms }),
    changesHeld: meter.createCounter('repo_watcher_changes_held', { description: 'Commits held by the change policy' }),
    changesReleased: meter.createCounter('repo_watcher_changes_released', { description: 'Held commits released by approval' }),
    promotions: meter.createCounter('repo_watcher_promotions', { description: 'Promote requests answered, by op and outcome' }),
  };
}
