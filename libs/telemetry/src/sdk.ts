/**
 * OpenTelemetry Node SDK set-up from the standard `OTEL_*` variables, read from the `env` the
 * caller passes (services load config once in main.ts). Trace export is off unless an OTLP
 * endpoint or `OTEL_TRACES_EXPORTER=otlp` is given; spans are still created and W3C context is
 * always propagated, so trace ids flow through NATS and logs either way.
 */
import { NodeSDK } from '@opentelemetry/sdk-node';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { hostDetector, processDetector, resourceFromAttributes } from '@opentelemetry/resources';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BatchSpanProcessor,
  NoopSpanProcessor,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
  type Sampler,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';
import { w3cPropagator } from './propagation.js';

export type Env = Readonly<Record<string, string | undefined>>;

export interface TelemetryOptions {
  serviceName: string;
  serviceVersion: string;
  /** The environment to read `OTEL_*` variables from (the service passes its process environment). */
  env: Env;
}

export interface Telemetry {
  /** Whether spans are exported (an OTLP endpoint was configured). */
  readonly isTraceExportEnabled: boolean;
  /** Where spans go, if exported. */
  readonly tracesUrl: string | undefined;
  /** Flushes pending spans and unregisters nothing else; call once on shutdown. */
  shutdown(): Promise<void>;
}

export class TelemetryConfigError extends Error {
  override readonly name: string = 'TelemetryConfigError';
}

const DEFAULT_OTLP_HTTP_ENDPOINT = 'http://localhost:4318';

/** Where the OTLP/HTTP trace exporter should send spans, or undefined when export is off. */
export function tracesUrlFromEnv(env: Env): string | undefined {
  const exporters = (env['OTEL_TRACES_EXPORTER'] ?? '')
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);
  if (exporters.includes('none')) return undefined;
  const unsupported = exporters.filter((e) => e !== 'otlp');
  if (unsupported.length > 0) {
    throw new TelemetryConfigError(`OTEL_TRACES_EXPORTER="${env['OTEL_TRACES_EXPORTER']}" is not supported: use otlp or none (e.g. OTEL_TRACES_EXPORTER=otlp)`);
  }
  const tracesEndpoint = nonEmpty(env['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT']);
  const endpoint = nonEmpty(env['OTEL_EXPORTER_OTLP_ENDPOINT']);
  if (tracesEndpoint === undefined && endpoint === undefined && exporters.length === 0) return undefined;
  // The signal-specific variable is used as is; the generic one gets the signal path appended (OTel spec).
  const url = tracesEndpoint ?? `${(endpoint ?? DEFAULT_OTLP_HTTP_ENDPOINT).replace(/\/+$/, '')}/v1/traces`;
  try {
    new URL(url);
  } catch {
    throw new TelemetryConfigError(`OTLP traces endpoint "${url}" is not a URL (e.g. OTEL_EXPORTER_OTLP_ENDPOINT=http://otel-collector:4318)`);
  }
  return url;
}

/** Parses `OTEL_EXPORTER_OTLP_HEADERS`-style `k=v,k2=v2` lists (values URL-encoded). */
export function parseKeyValueList(raw: string | undefined, what: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (raw ?? '').split(',')) {
    if (part.trim() === '') continue;
    const eq = part.indexOf('=');
    if (eq <= 0) throw new TelemetryConfigError(`${what} has an entry without "key=value" (e.g. ${what}=api-key=abc)`);
    out[decodeURIComponent(part.slice(0, eq).trim())] = decodeURIComponent(part.slice(eq + 1).trim());
  }
  return out;
}

/** The sampler named by `OTEL_TRACES_SAMPLER` / `OTEL_TRACES_SAMPLER_ARG` (parent-based always-on by default). */
export function samplerFromEnv(env: Env): Sampler {
  const name = nonEmpty(env['OTEL_TRACES_SAMPLER'])?.toLowerCase() ?? 'parentbased_always_on';
  const ratio = (): number => {
    const raw = nonEmpty(env['OTEL_TRACES_SAMPLER_ARG']) ?? '1';
    const value = Number(raw);
    if (!Number.isFinite(value) || value < 0 || value > 1) {
      throw new TelemetryConfigError(`OTEL_TRACES_SAMPLER_ARG="${raw}" must be a ratio between 0 and 1 (e.g. OTEL_TRACES_SAMPLER_ARG=0.1)`);
    }
    return value;
  };
  switch (name) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'traceidratio':
      return new TraceIdRatioBasedSampler(ratio());
    case 'parentbased_always_on':
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(ratio()) });
    default:
      throw new TelemetryConfigError(
        `OTEL_TRACES_SAMPLER="${name}" is not supported: use always_on, always_off, traceidratio or their parentbased_ forms (e.g. OTEL_TRACES_SAMPLER=parentbased_traceidratio)`,
      );
  }
}

/**
 * Starts the Node SDK: context manager, W3C propagator, tracer provider with the configured
 * sampler and, when configured, an OTLP/HTTP span exporter. Metrics and logs are not exported
 * by the SDK (metrics are served on `/metrics` through `createMetrics`, logs go to stdout).
 */
export function startTelemetry(options: TelemetryOptions): Telemetry {
  const { env } = options;
  if (isTrue(env['OTEL_SDK_DISABLED'])) {
    return { isTraceExportEnabled: false, tracesUrl: undefined, shutdown: () => Promise.resolve() };
  }
  const tracesUrl = tracesUrlFromEnv(env);
  const headers = {
    ...parseKeyValueList(env['OTEL_EXPORTER_OTLP_HEADERS'], 'OTEL_EXPORTER_OTLP_HEADERS'),
    ...parseKeyValueList(env['OTEL_EXPORTER_OTLP_TRACES_HEADERS'], 'OTEL_EXPORTER_OTLP_TRACES_HEADERS'),
  };
  // Without an exporter a no-op processor still makes the SDK register a tracer provider, so
  // spans get real ids that propagate downstream and show up in logs.
  const spanProcessor: SpanProcessor =
    tracesUrl === undefined ? new NoopSpanProcessor() : new BatchSpanProcessor(new OTLPTraceExporter({ url: tracesUrl, headers }));
  const sdk = new NodeSDK({
    resource: resourceFromAttributes({
      ...parseKeyValueList(env['OTEL_RESOURCE_ATTRIBUTES'], 'OTEL_RESOURCE_ATTRIBUTES'),
      [ATTR_SERVICE_NAME]: nonEmpty(env['OTEL_SERVICE_NAME']) ?? options.serviceName,
      [ATTR_SERVICE_VERSION]: options.serviceVersion,
    }),
    // The env detector would read process.env behind the caller's back; host and process do not.
    resourceDetectors: [hostDetector, processDetector],
    textMapPropagator: w3cPropagator,
    sampler: samplerFromEnv(env),
    spanProcessors: [spanProcessor],
    // Explicitly empty, or the SDK would default to OTLP metric and log exporters.
    metricReaders: [],
    logRecordProcessors: [],
  });
  sdk.start();
  let stopping: Promise<void> | undefined;
  return {
    isTraceExportEnabled: tracesUrl !== undefined,
    tracesUrl,
    shutdown: () => (stopping ??= sdk.shutdown()),
  };
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

function isTrue(value: string | undefined): boolean {
  return ['1', 'true', 'yes', 'on'].includes((value ?? '').trim().toLowerCase());
}
