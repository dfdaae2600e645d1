/**
 * Delivers a simulator's webhooks the way the providers do: POST, any 2xx acknowledges, anything
 * else (or no answer) is retried on a schedule. elepay documents 3 retries one minute apart, then
 * 2 ten minutes apart (providers/elepay.md §8); elopage documents none, so it uses the same.
 */

import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { request } from 'undici';
import { hostAddress, isInternalAddress } from '../domain/addresses.js';
import type { Logger } from '../logger.js';

export const PROVIDER_RETRY_DELAYS_MS = [60_000, 60_000, 60_000, 600_000, 600_000];

export interface WebhookDelivery {
  url: string;
  body: string;
  /** Called for every attempt, so a signature's timestamp is fresh on each retry. */
  headers: () => Record<string, string>;
  /** What to log about it, e.g. `charge.succeeded ch_123`: never the body. */
  label: string;
}

export interface WebhookSenderOptions {
  retryDelaysMs?: number[];
  timeoutMs?: number;
  /**
   * Origins (`http://127.0.0.1:4000`) that may be internal addresses: the gateway itself. Every
   * other target resolving to a loopback, private or link-local address is refused.
   */
  allowedOrigins?: Iterable<string>;
  /** False: nothing is sent (SANDBOX_WEBHOOKS=off), as when a provider's webhooks are lost. */
  enabled?: boolean;
  logger: Logger;
}

export class WebhookSender {
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly inFlight = new Set<Promise<void>>();
  private closed = false;
  private readonly retryDelaysMs: number[];
  private readonly timeoutMs: number;
  private readonly allowedOrigins: Set<string>;

  constructor(private readonly options: WebhookSenderOptions) {
    this.retryDelaysMs = options.retryDelaysMs ?? PROVIDER_RETRY_DELAYS_MS;
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.allowedOrigins = new Set([...(options.allowedOrigins ?? [])].map(originOf));
  }

  /** Lets webhooks reach a gateway started after the simulator (a standalone simulator's gateway). */
  allowOrigin(origin: string): void {
    this.allowedOrigins.add(originOf(origin));
  }

  send(delivery: WebhookDelivery): void {
    if (this.options.enabled === false) return;
    this.attempt(delivery, 0);
  }

  /** Resolves once every delivery under way has had its current attempt answered. */
  async idle(): Promise<void> {
    await Promise.all([...this.inFlight]);
  }

  close(): void {
    this.closed = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  private attempt(delivery: WebhookDelivery, attemptIndex: number): void {
    if (this.closed) return;
    const run = this.post(delivery).then((outcome) => {
      const log = {
        url: redactUrl(delivery.url),
        webhook: delivery.label,
        attempt: attemptIndex + 1,
        outcome,
      };
      if (outcome === 'delivered') {
        this.options.logger.info(log, 'webhook delivered');
        return;
      }
      if (outcome.startsWith('refused')) {
        this.options.logger.warn(log, 'webhook not sent: the target is not allowed');
        return;
      }
      const delay = this.retryDelaysMs[attemptIndex];
      if (delay === undefined) {
        this.options.logger.warn(log, 'webhook delivery failed; no retries left');
        return;
      }
      this.options.logger.warn({ ...log, retryInMs: delay }, 'webhook delivery failed; will retry');
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        this.attempt(delivery, attemptIndex + 1);
      }, delay);
      timer.unref();
      this.timers.add(timer);
    });
    this.inFlight.add(run);
    void run.finally(() => this.inFlight.delete(run));
  }

  private async post(delivery: WebhookDelivery): Promise<string> {
    try {
      const refusal = await webhookTargetRefusal(delivery.url, this.allowedOrigins);
      if (refusal) return refusal;
      const response = await request(delivery.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...delivery.headers() },
        body: delivery.body,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      await response.body.dump();
      return response.statusCode >= 200 && response.statusCode < 300
        ? 'delivered'
        : `http ${response.statusCode}`;
    } catch (error) {
      // Names first: a DOMException's `code` is a legacy number (a timeout reads 23).
      return (error as Error).name === 'Error'
        ? ((error as { code?: string }).code ?? 'error')
        : (error as Error).name;
    }
  }
}

/** Why a target is refused (never retried), or null. */
async function webhookTargetRefusal(
  url: string,
  allowedOrigins: ReadonlySet<string>,
): Promise<string | null> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'refused: not a URL';
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return 'refused: not http(s)';
  if (allowedOrigins.has(parsed.origin)) return null;
  const host = hostAddress(parsed.hostname);
  // Every address the name resolves to is checked; one internal address is enough to refuse. A
  // name that changes its answer between this lookup and the connection could still slip by; the
  // simulator is a development tool, and the gateway already refuses internal addresses and names
  // like `localhost` in `webhookUrl`.
  const addresses = isIP(host)
    ? [host]
    : await lookup(host, { all: true }).then(
        (found) => found.map((entry) => entry.address),
        () => [],
      );
  return addresses.some(isInternalAddress) ? 'refused: internal address' : null;
}

function originOf(url: string): string {
  return new URL(url).origin;
}

/** Webhook URLs can carry a path token (elopage): log only origin and the first path segments. */
function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    const segments = parsed.pathname.split('/').filter(Boolean);
    return `${parsed.origin}/${segments.slice(0, 2).join('/')}${segments.length > 2 ? '/…' : ''}`;
  } catch {
    return 'invalid-url';
  }
}
