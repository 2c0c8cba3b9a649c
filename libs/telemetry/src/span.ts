/** Runs a unit of work inside an active span that records a thrown error and always ends. */
import { SpanStatusCode, context as contextApi, type Attributes, type Context, type Span, type Tracer } from '@opentelemetry/api';

/**
 * Starts `name` as the active span (child of `parent`, the active context by default), runs `fn`
 * inside it, records an exception and an error status if `fn` throws, and ends the span.
 */
export async function withSpan<T>(
  tracer: Tracer,
  name: string,
  attributes: Attributes,
  fn: (span: Span) => Promise<T> | T,
  parent: Context = contextApi.active(),
): Promise<T> {
  return tracer.startActiveSpan(name, { attributes }, parent, async (span) => {
    try {
      return await fn(span);
    } catch (err) {
      const error = err instanceof Error ? err : new Error(String(err));
      span.recordException(error);
      span.setStatus({ code: SpanStatusCode.ERROR, message: error.message });
      throw err;
    } finally {
      span.end();
    }
  });
}
