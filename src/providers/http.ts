import { setTimeout as sleep } from 'node:timers/promises';
import { Pool } from 'undici';
import { ProviderError } from '../domain/errors.js';
import type { Provider } from '../domain/model.js';
import type { Logger } from '../logger.js';
import { parseExactJson, stringifyExactJson } from './json.js';
import { SharedReads } from './sharedReads.js';

/**
 * The one HTTP client every provider call goes through: a keep-alive pool per provider whose size
 * is the provider's concurrency cap, one deadline per call (queueing and retries included), retries
 * for GETs only, exact JSON, and every failure turned into a ProviderError. It logs route
 * templates (`GET /charges/:id`), never URLs, query strings or bodies — elopage puts its
 * credentials in both (providers/elopage.md, Auth).
 */
export interface ProviderRequest {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Path below the base URL, with IDs already encoded. */
  path: string;
  /** Resolve `path` against the origin instead of the base URL's path (simulator helper routes). */
  fromRoot?: boolean;
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
  logger: Logger;
  /** Classifies a non-2xx answer; gets the body parsed as exact JSON when it is JSON. */
  describeFailure: (status: number, body: unknown) => ProviderError;
}

/** A GET that failed because the provider was unreachable or overloaded is retried this often. */
const GET_RETRIES = 2;
const RETRY_BASE_DELAY_MS = 50;
const MAX_RESPONSE_BYTES = 8 * 1024 * 1024;

export class ProviderHttp {
  private readonly pool: Pool;
  private readonly shared = new SharedReads();
  private readonly basePath: string;
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
    });
  }

  /** Identical concurrent GETs are sent once and share the answer (sharedReads.ts). */
  send(request: ProviderRequest): Promise<unknown> {
    return this.shared.send(request, () => this.exchange(request));
  }

  private async exchange(request: ProviderRequest): Promise<unknown> {
    const deadline = AbortSignal.timeout(this.options.timeoutMs);
    const started = performance.now();
    for (let attempt = 0; ; attempt++) {
      try {
        const body = await this.attempt(request, deadline);
        this.options.logger.debug(
          {
            provider: this.options.provider,
            route: request.route,
            ms: Math.round(performance.now() - started),
          },
          'provider call',
        );
        return body;
      } catch (error) {
        const failure = this.toProviderError(error, deadline);
        const retryable =
          request.method === 'GET' &&
          failure.failure === 'UNAVAILABLE' &&
          attempt < GET_RETRIES &&
          !deadline.aborted;
        // "Not found" is an ordinary answer to a lookup, not a failure worth a warning.
        const level = failure.failure === 'NOT_FOUND' ? 'debug' : 'warn';
        this.options.logger[level](
          {
            provider: this.options.provider,
            route: request.route,
            failure: failure.failure,
            httpStatus: failure.status,
            providerCode: failure.providerCode,
            attempt: attempt + 1,
            willRetry: retryable,
          },
          'provider call failed',
        );
        if (!retryable) throw failure;
        await sleep(RETRY_BASE_DELAY_MS * 2 ** attempt, undefined, { signal: deadline }).catch(
          () => undefined,
        );
        if (deadline.aborted) throw this.timeoutError();
      }
    }
  }

  async close(): Promise<void> {
    await this.pool.close();
  }

  private async attempt(request: ProviderRequest, deadline: AbortSignal): Promise<unknown> {
    const headers: Record<string, string> = { accept: 'application/json', ...request.headers };
    let payload: string | undefined;
    if (request.body !== undefined) {
      payload = stringifyExactJson(request.body);
      headers['content-type'] = 'application/json;charset=utf-8';
    }
    const response = await this.pool.request({
      method: request.method,
      path: `${request.fromRoot ? '' : this.basePath}${request.path}${queryString(request.query)}`,
      headers,
      body: payload,
      signal: deadline,
    });
    const text = await readLimited(response.body, MAX_RESPONSE_BYTES);
    const parsed = parseOrUndefined(text);
    if (response.statusCode >= 200 && response.statusCode < 300) {
      if (text.trim() !== '' && parsed === undefined) {
        throw new ProviderError(
          this.options.provider,
          'UNAVAILABLE',
          this.sentence('answered with a body that is not JSON'),
          response.statusCode,
        );
      }
      return parsed;
    }
    throw this.options.describeFailure(response.statusCode, parsed);
  }

  private toProviderError(error: unknown, deadline: AbortSignal): ProviderError {
    if (error instanceof ProviderError) return error;
    if (deadline.aborted || isUndiciTimeout(error)) return this.timeoutError();
    return new ProviderError(this.options.provider, 'UNAVAILABLE', this.sentence('could not be reached'));
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

async function readLimited(body: AsyncIterable<Buffer>, limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.length;
    if (size > limit) throw new Error('provider response too large');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
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

/** Narrows an unknown JSON value to a plain object (for reading error bodies defensively). */
export function asRecord(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}

/** Reads an optional string field from an untrusted object. */
export function stringField(record: Record<string, unknown>, key: string): string | undefined {
  const value = record[key];
  return typeof value === 'string' && value.length <= 200 ? value : undefined;
}
