/**
 * Prometheus metrics without a second port: a MeterProvider whose Prometheus reader never opens
 * its own server, plus a function that renders the text a service's own `/metrics` route returns.
 */
import type { Meter } from '@opentelemetry/api';
import { PrometheusExporter, PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';

export interface MetricsOptions {
  serviceName: string;
  /** Prefix of every metric name, e.g. `driftless`. */
  prefix?: string;
}

export interface Metrics {
  meter: Meter;
  meterProvider: MeterProvider;
  /** The current values in the Prometheus text exposition format. */
  renderPrometheus(): Promise<string>;
  shutdown(): Promise<void>;
}

/** The content type a `/metrics` route should send with `renderPrometheus()`'s text. */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

export function createMetrics(options: MetricsOptions): Metrics {
  const exporter = new PrometheusExporter({ preventServerStart: true, withoutScopeInfo: true, ...(options.prefix === undefined ? {} : { prefix: options.prefix }) });
  // One meter per service: the otel_scope_name label would only repeat the service name.
  const serializer = new PrometheusSerializer(options.prefix, false, undefined, false, true);
  const meterProvider = new MeterProvider({
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: options.serviceName }),
    readers: [exporter],
  });
  return {
    meter: meterProvider.getMeter(options.serviceName),
    meterProvider,
    async renderPrometheus() {
      const { resourceMetrics, errors } = await exporter.collect();
      const text = serializer.serialize(resourceMetrics);
      // A failed collection still renders what was collected, plus a comment saying why it is partial.
      return errors.length === 0 ? text : `${text}# collection errors: ${errors.map(String).join('; ').replace(/\n/g, ' ')}\n`;
    },
    shutdown: () => meterProvider.shutdown(),
  };
}
