/**
 * The one way services log: pino writing JSON lines, constant messages with structured fields,
 * the active trace and span ids mixed in so a log line can be found from a trace and back.
 */
import { hostname } from 'node:os';
import { context, trace } from '@opentelemetry/api';
import { pino, stdTimeFunctions, type DestinationStream, type Level, type Logger as PinoLogger, type LoggerOptions as PinoOptions } from 'pino';

export type Logger = PinoLogger;
export type LogLevel = Level | 'silent';

export interface LoggerOptions {
  /** The service or unit name, logged as `name` on every line. */
  name: string;
  level?: LogLevel;
  /** Fields added to every line, e.g. `{ cluster: 'prod-eu' }`. */
  bindings?: Readonly<Record<string, unknown>>;
  /** Where lines go; stdout by default. Tests pass a stream to capture them. */
  destination?: DestinationStream;
}

// Credentials must never reach a log line, whatever object a caller hands to the logger.
const REDACTED_PATHS = [
  'token',
  'password',
  'pass',
  'secret',
  'authorization',
  'credentials',
  '*.token',
  '*.password',
  '*.pass',
  '*.secret',
  '*.authorization',
  '*.credentials',
  'headers.authorization',
  'req.headers.authorization',
];

/** Creates a JSON logger; use `logger.child({ ... })` for each unit of work. */
export function createLogger(options: LoggerOptions): Logger {
  const pinoOptions: PinoOptions = {
    name: options.name,
    level: options.level ?? 'info',
    base: { pid: process.pid, hostname: hostname(), ...options.bindings },
    timestamp: stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    mixin: traceFields,
  };
  // pino's default destination is a synchronous stdout writer: no line is lost on a crash.
  return options.destination ? pino(pinoOptions, options.destination) : pino(pinoOptions);
}

function traceFields(): Record<string, string> {
  const spanContext = trace.getSpan(context.active())?.spanContext();
  if (!spanContext || !trace.isSpanContextValid(spanContext)) return {};
  return { traceId: spanContext.traceId, spanId: spanContext.spanId };
}
