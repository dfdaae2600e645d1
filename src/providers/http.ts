/**
 * The one HTTP client every provider call goes through: a keep-alive pool per provider whose size
 * is the provider's concurrency cap, one deadline per call (queueing and retries included), exact
 * JSON, and every failure turned into a ProviderError. Resilience is cockatiel's, composed once per
 * provider: a circuit breaker (after BREAKER_FAILURES provider failures in a row calls fail at once
 * with PROVIDER_UNAVAILABLE and `retryAfter`, until a half-open probe succeeds), retries for GETs
 * only, and a hold that honours `Retry-After` on 429/503 (no call before it, retried or not).
 *
 * What a failure says is what is known: "could not be reached" only when the request provably never
 * left (connection refused, DNS, circuit open); a write whose answer was lost after it may have
 * reached the provider is OUTCOME_UNKNOWN, never a plain failure, because a caller who believes it
 * failed would pay or refund twice. It logs route templates (`GET /charges/:id`), never URLs, query
 * strings or bodies — elopage puts its credentials in both (providers/elopage.md, Auth).
 */
import {
  type CircuitBreakerPolicy,
  ConsecutiveBreaker,
  circuitBreaker,
  ExponentialBackoff,
  handleWhen,
  type IPolicy,
  isBrokenCircuitError,
  retry,
  wrap,
} from 'cockatiel';
import { Pool } from 'undici';
import { ProviderError } from '../domain/errors.js';
import type { Provider } from '../domain/model.js';
import type { Logger } from '../logger.js';
import type { Metrics, ProviderCallObserver } from '../metrics.js';
import { type ProviderCallTrace, traceProviderCall, traceSharedRead } from '../tracing/index.js';
import { parseExactJson, stringifyExactJson } from './json.js';
import { SharedReads } from './sharedReads.js';

export interface ProviderRequest {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Path below the base URL, with IDs already encoded. */
  path: string;
  /** The path template for logs and metrics, e.g. `GET /charges/:id`. */
  route: string;
  query?: Record<string, string | string[] | undefined>;
  headers?: Record<string, string>;
  /** Serialized as exact JSON (may contain jsonNumber values). */
  body?: unknown;
  /** A GET that must not join an identical read already in flight (sharedReads.ts). */
  fresh?: boolean;
}

/** For lookups a webhook triggers: the object just changed, so a read already in flight is too old. */
export type FreshRead = Pick<ProviderRequest, 'fresh'>;

export interface ProviderHttpOptions {
  provider: Provider;
  baseUrl: string;
  timeoutMs: number;
  maxConcurrency: number;
  /** How long the circuit stays open before a half-open probe (PROVIDER_BREAKER_COOLDOWN_MS). */
  breakerCooldownMs: number;
  logger: Logger;
  /** Where calls, retries and pool load are reported (src/metrics.ts); none in unit uses. */
  metrics?: Metrics;
  /** Classifies a non-2xx answer; gets the body parsed as exact JSON when it is JSON. */
  describeFailure: (status: number, body: unknown) => ProviderError;
}

/** A GET that failed because the provider was unreachable or overloaded is retried this often. */
const GET_RETRIES = 2;
const RETRY_BASE_DELAY_MS = 50;
/** Provider failures in a row that open the circuit. */
const BREAKER_FAILURES = 5;
/** The longest pause a Retry-After may impose on all calls (a larger value is capped, and logged). */
const MAX_HOLD_MS = 5 * 60_000;
/** A larger answer is cut off by undici (its `maxResponseSize`) and fails the call unread. */
const MAX_RESPONSE_BYTES = 8 * 1024 * 1024;
/** Errors that prove the request never left this process: nothing can have happened. */
const NEVER_SENT_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/** Failures that say the provider is unwell (not the caller's input): they count against its circuit. */
function isProviderFault(error: Error): boolean {
  return (
    error instanceof ProviderError &&
    (error.failure === 'UNAVAILABLE' || error.failure === 'TIMEOUT' || error.failure === 'OUTCOME_UNKNOWN')
  );
}

export class ProviderHttp {
  private readonly pool: Pool;
  private readonly shared = new SharedReads();
  private readonly basePath: string;
  private readonly observer: ProviderCallObserver | undefined;
  private readonly breaker: CircuitBreakerPolicy;
  private readonly reads: IPolicy;
  /** When calls may go through again: the circuit's half-open time or a Retry-After hold's end. */
  private openUntil = 0;
  private hold: { handle: { dispose(): void }; timer: NodeJS.Timeout } | null = null;
  readonly origin: string;

  constructor(private readonly options: ProviderHttpOptions) {
    const base = new URL(options.baseUrl);
    this.origin = base.origin;
    this.basePath = base.pathname.replace(/\/+$/, '');
    this.pool = new Pool(this.origin, {
      connections: options.maxConcurrency,
      keepAliveTimeout: 30_000,
      // Backstops; the per-call deadline below is what callers rely on.
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
      connect: { timeout: options.timeoutMs },
      maxResponseSize: MAX_RESPONSE_BYTES,
    });
    this.observer = options.metrics?.providerObserver(options.provider);
    options.metrics?.watchPool(() => ({
      provider: options.provider,
      running: this.pool.stats.running,
      queued: this.pool.stats.pending,
    }));
    this.breaker = circuitBreaker(handleWhen(isProviderFault), {
      halfOpenAfter: options.breakerCooldownMs,
      breaker: new ConsecutiveBreaker(BREAKER_FAILURES),
    });
    const log = { provider: options.provider };
    this.breaker.onBreak((reason) => {
      if ('isolated' in reason) return;
      this.openUntil = Math.max(this.openUntil, Date.now() + options.breakerCooldownMs);
      options.logger.warn(
        { ...log, cooldownMs: options.breakerCooldownMs },
        'provider circuit open: calls fail at once until a probe succeeds',
      );
    });
    this.breaker.onReset(() => options.logger.info(log, 'provider circuit closed: calls go through again'));
    // Retries wrap the breaker, so each attempt counts and an opening circuit stops the retries.
    this.reads = wrap(
      retry(
        handleWhen(
          (error) => error instanceof ProviderError && error.failure === 'UNAVAILABLE' && !error.retryAfter,
        ),
        {
          maxAttempts: GET_RETRIES,
          backoff: new ExponentialBackoff({ initialDelay: RETRY_BASE_DELAY_MS, maxDelay: 1_000 }),
        },
      ),
      this.breaker,
    );
    // The circuit's state as a metric: closed from the start, then every change.
    this.observer?.circuit('closed');
    this.breaker.onBreak(() => this.observer?.circuit('open'));
    this.breaker.onHalfOpen(() => this.observer?.circuit('half-open'));
    this.breaker.onReset(() => this.observer?.circuit('closed'));
  }

  /**
   * Identical concurrent GETs are sent once and share the answer (sharedReads.ts). SharedReads
   * calls `exchange` at once when this request goes to the provider, so not calling it means joined.
   */
  send(request: ProviderRequest): Promise<unknown> {
    let joined = true;
    const answer = this.shared.send(request, () => {
      joined = false;
      return this.observed(request);
    });
    if (joined) {
      this.observer?.shared(request.route);
      traceSharedRead(this.options.provider, request.route);
    }
    return answer;
  }

  /**
   * One provider call (retries included), reported to the metrics observer when there is one, and
   * a span of its own with tracing on (src/tracing/).
   */
  private async observed(request: ProviderRequest): Promise<unknown> {
    const trace = traceProviderCall(this.options.provider, request.route, this.breaker);
    if (!this.observer && !trace) return this.exchange(request);
    const started = performance.now();
    const seconds = () => (performance.now() - started) / 1000;
    try {
      const body = await this.exchange(request, trace);
      this.observer?.call(request.route, 'ok', seconds());
      trace?.end('ok');
      return body;
    } catch (error) {
      const outcome = error instanceof ProviderError ? error.failure : 'OTHER';
      this.observer?.call(request.route, outcome, seconds());
      trace?.end(outcome);
      throw error;
    }
  }

  private async exchange(request: ProviderRequest, trace?: ProviderCallTrace): Promise<unknown> {
    // A controller and a timer of our own rather than AbortSignal.timeout, which costs about 9 µs
    // a call (its timer is tracked for garbage collection): this costs under one.
    const expiry = new AbortController();
    const timer = setTimeout(
      () => expiry.abort(new DOMException('The provider call deadline passed', 'TimeoutError')),
      this.options.timeoutMs,
    ).unref();
    const deadline = expiry.signal;
    const started = performance.now();
    const policy = request.method === 'GET' ? this.reads : this.breaker;
    let attempt = 0;
    try {
      const body = await policy.execute(async () => {
        if (++attempt > 1) this.observer?.retry(request.route);
        try {
          return await this.attempt(request, deadline, trace);
        } catch (error) {
          const failure = this.classify(error, request, deadline);
          trace?.attemptFailed(attempt, failure.failure, failure.status);
          // "Not found" is an ordinary answer to a lookup, not a failure worth a warning.
          this.options.logger[failure.failure === 'NOT_FOUND' ? 'debug' : 'warn'](
            {
              provider: this.options.provider,
              route: request.route,
              failure: failure.failure,
              httpStatus: failure.status,
              providerCode: failure.providerCode,
              retryAfter: failure.retryAfter,
              attempt,
            },
            'provider call failed',
          );
          throw failure;
        }
      }, deadline);
      if (this.options.logger.isLevelEnabled('debug')) {
        this.options.logger.debug(
          {
            provider: this.options.provider,
            route: request.route,
            ms: Math.round(performance.now() - started),
          },
          'provider call',
        );
      }
      return body;
    } catch (error) {
      if (error instanceof ProviderError) throw error;
      if (isBrokenCircuitError(error)) throw this.circuitOpenError();
      // The retry policy gave up because the deadline passed between attempts (a GET: no effect).
      if (deadline.aborted) throw this.timeoutError();
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    if (this.hold) {
      clearTimeout(this.hold.timer);
      this.hold.handle.dispose();
      this.hold = null;
    }
    await this.pool.close();
  }

  private async attempt(
    request: ProviderRequest,
    deadline: AbortSignal,
    trace?: ProviderCallTrace,
  ): Promise<unknown> {
    const headers: Record<string, string> = { accept: 'application/json', ...request.headers };
    let payload: string | undefined;
    if (request.body !== undefined) {
      payload = stringifyExactJson(request.body);
      headers['content-type'] = 'application/json;charset=utf-8';
    }
    const response = await this.pool.request({
      method: request.method,
      path: `${this.basePath}${request.path}${queryString(request.query)}`,
      headers,
      body: payload,
      signal: deadline,
    });
    trace?.answered(response.statusCode);
    const text = await response.body.text();
    const parsed = parseOrUndefined(text);
    if (response.statusCode >= 200 && response.statusCode < 300) {
      // Every provider answer we use is a JSON object: an empty body, `null` or a truncated text
      // is no answer at all (for a write: no proof of what happened).
      if (parsed === null || typeof parsed !== 'object') {
        throw this.unreadable(
          request,
          response.statusCode,
          text.trim() === '' ? 'an empty body' : 'a body that is not a JSON object',
        );
      }
      return parsed;
    }
    const failure = this.options.describeFailure(response.statusCode, parsed);
    const retryAfterMs = parseRetryAfter(response.headers['retry-after']);
    if ((response.statusCode === 429 || response.statusCode === 503) && retryAfterMs !== null) {
      this.holdFor(retryAfterMs);
      throw withRetryAfter(failure, retryAfterMs);
    }
    throw failure;
  }

  /** Turns whatever an attempt threw into what is known about the call. */
  private classify(error: unknown, request: ProviderRequest, deadline: AbortSignal): ProviderError {
    const write = request.method !== 'GET';
    if (error instanceof ProviderError) {
      // A 5xx other than 503 may come from a proxy after the provider acted: for a write, unknown.
      const afterEffect =
        write && error.failure === 'UNAVAILABLE' && (error.status ?? 0) >= 500 && error.status !== 503;
      return afterEffect ? this.outcomeUnknown(`answered HTTP ${error.status}`, error.status) : error;
    }
    const code = (error as { code?: string } | null)?.code;
    if (code && NEVER_SENT_CODES.has(code)) {
      return new ProviderError(this.options.provider, 'UNAVAILABLE', this.sentence('could not be reached'));
    }
    const timedOut = deadline.aborted || isUndiciTimeout(error);
    if (write)
      return this.outcomeUnknown(
        timedOut
          ? `did not answer within ${this.options.timeoutMs} ms`
          : 'dropped the connection before answering',
      );
    if (timedOut) return this.timeoutError();
    return new ProviderError(
      this.options.provider,
      'UNAVAILABLE',
      this.sentence('dropped the connection before answering'),
    );
  }

  private unreadable(request: ProviderRequest, status: number, what: string): ProviderError {
    if (request.method !== 'GET') return this.outcomeUnknown(`answered with ${what}`, status);
    return new ProviderError(
      this.options.provider,
      'UNAVAILABLE',
      this.sentence(`answered with ${what}`),
      status,
    );
  }

  private outcomeUnknown(what: string, status?: number): ProviderError {
    return outcomeUnknown(this.options.provider, what, status);
  }

  /** No call before `ms` from now (a provider's Retry-After): the circuit is held open until then. */
  private holdFor(ms: number): void {
    const capped = Math.min(ms, MAX_HOLD_MS);
    const until = Date.now() + capped;
    if (until <= this.openUntil && this.hold) return;
    this.openUntil = Math.max(this.openUntil, until);
    const handle = this.hold?.handle ?? this.breaker.isolate();
    if (this.hold) clearTimeout(this.hold.timer);
    const timer = setTimeout(() => {
      this.hold = null;
      handle.dispose();
    }, capped);
    timer.unref();
    this.hold = { handle, timer };
    this.options.logger.warn(
      { provider: this.options.provider, holdMs: capped },
      'provider asked for a pause (Retry-After); holding calls',
    );
  }

  private circuitOpenError(): ProviderError {
    const seconds = Math.max(1, Math.ceil((this.openUntil - Date.now()) / 1000));
    return new ProviderError(
      this.options.provider,
      'UNAVAILABLE',
      this.sentence(
        this.hold
          ? `asked for a pause (Retry-After); not calling it for ${seconds} s (nothing was sent)`
          : `is failing; not calling it for ${seconds} s (nothing was sent)`,
      ),
      undefined,
      undefined,
      seconds,
    );
  }

  private timeoutError(): ProviderError {
    return new ProviderError(
      this.options.provider,
      'TIMEOUT',
      this.sentence(`did not answer within ${this.options.timeoutMs} ms`),
    );
  }

  private sentence(text: string): string {
    return `${this.options.provider === 'ELEPAY' ? 'elepay' : 'elopage'} ${text}`;
  }
}

/** A write that may have taken effect although its answer says nothing usable; `what` says why. */
export function outcomeUnknown(provider: Provider, what = 'answered without the object', status?: number) {
  return new ProviderError(
    provider,
    'OUTCOME_UNKNOWN',
    `${provider === 'ELEPAY' ? 'elepay' : 'elopage'} ${what}, so whether the request took effect is unknown: it may have. Retry with the same idempotencyKey (it is not done twice), or without a key read the object first to see whether it happened`,
    status,
  );
}

function withRetryAfter(error: ProviderError, ms: number): ProviderError {
  return new ProviderError(
    error.provider,
    error.failure,
    error.message,
    error.status,
    error.providerCode,
    Math.max(1, Math.ceil(ms / 1000)),
    error.refusal,
  );
}

/** `Retry-After` as delay-seconds or an HTTP date, in milliseconds; null when absent or unreadable. */
function parseRetryAfter(header: string | string[] | undefined): number | null {
  const value = Array.isArray(header) ? header[0] : header;
  if (!value) return null;
  if (/^\d{1,9}$/.test(value.trim())) return Number(value.trim()) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? null : Math.max(0, date - Date.now());
}

function queryString(query: ProviderRequest['query']): string {
  if (!query) return '';
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined) continue;
    for (const item of Array.isArray(value) ? value : [value]) params.append(key, item);
  }
  const text = params.toString();
  return text ? `?${text}` : '';
}

function parseOrUndefined(text: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return parseExactJson(text);
  } catch {
    return undefined;
  }
}

function isUndiciTimeout(error: unknown): boolean {
  const code = (error as { code?: string } | null)?.code;
  return (
    code === 'UND_ERR_HEADERS_TIMEOUT' ||
    code === 'UND_ERR_BODY_TIMEOUT' ||
    code === 'UND_ERR_CONNECT_TIMEOUT'
  );
}

/** A lookup's answer, or null when the provider has no such object. */
export async function unlessNotFound<T>(pending: Promise<T>): Promise<T | null> {
  try {
    return await pending;
  } catch (error) {
    if (error instanceof ProviderError && error.failure === 'NOT_FOUND') return null;
    throw error;
  }
}
