import { type Context, context, type Span, SpanStatusCode, trace } from '@opentelemetry/api';

/**
 * Runs `work` with `span` active under `parent` (so what it starts, provider calls included,
 * becomes a child), ends the span when the work returns or settles, and rethrows what it throws.
 * `settle` sees the outcome just before the span ends.
 */
export function inSpan<T>(
  span: Span,
  parent: Context,
  work: () => T,
  settle?: (ok: boolean, result: Awaited<T> | undefined) => void,
): T {
  const finish = (ok: boolean, result: Awaited<T> | undefined, error?: unknown) => {
    if (!ok) markError(span, error);
    settle?.(ok, result);
    span.end();
  };
  let result: T;
  try {
    result = context.with(trace.setSpan(parent, span), work);
  } catch (error) {
    finish(false, undefined, error);
    throw error;
  }
  // Yoga's phases may return a promise-like of its own (@whatwg-node/promise-helpers), not a Promise.
  if (isPromiseLike(result)) {
    return result.then(
      (value: Awaited<T>) => {
        finish(true, value);
        return value;
      },
      (error: unknown) => {
        finish(false, undefined, error);
        throw error;
      },
    ) as T;
  }
  finish(true, result as Awaited<T>);
  return result;
}

function isPromiseLike<T>(value: T): value is T & PromiseLike<Awaited<T>> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}

const CODE = /^[A-Z][A-Z0-9_]{0,63}$/;

/**
 * Marks a span failed with the error's code (GraphQL `extensions.code`, a CodedError's `code`) or
 * its class: never its message, which may quote input.
 */
function markError(span: Span, error: unknown): void {
  const coded = error as { code?: unknown; extensions?: { code?: unknown }; name?: unknown } | null;
  const code = [coded?.extensions?.code, coded?.code].find(
    (value): value is string => typeof value === 'string' && CODE.test(value),
  );
  const type = code ?? (typeof coded?.name === 'string' ? coded.name : 'Error');
  span.setAttribute('error.type', type);
  span.setStatus({ code: SpanStatusCode.ERROR, message: type });
}
