/**
 * The HTTP shell both provider simulators share: routing, exact JSON in and out, optional
 * authentication, injected latency, per-route request counts (`GET /_sandbox/stats`) that tests
 * use to prove how many provider calls the gateway made, and the one place where a thrown
 * ProviderError becomes the provider's error reply.
 */

import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import FindMyWay, { type HTTPMethod } from 'find-my-way';
import type { Logger } from '../logger.js';
import { parseExactJson, stringifyExactJson } from '../providers/json.js';
import { BodyTooLarge, readBody } from '../readBody.js';
import { ProviderError } from './errors.js';

export interface SandboxRequest {
  method: string;
  /** The route template, e.g. `GET /charges/:id` — also the stats key. */
  route: string;
  params: Record<string, string>;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  rawBody: string;
  /** The body parsed as exact JSON (numbers as their text); undefined when empty. */
  body: unknown;
}

export interface SandboxReply {
  status: number;
  body?: unknown;
}

export interface SandboxRoute {
  method: HTTPMethod;
  path: string;
  handler: (request: SandboxRequest) => SandboxReply | Promise<SandboxReply>;
  /** Test-helper routes (`/_sandbox/...`) are neither authenticated nor counted as provider calls. */
  helper?: boolean;
}

export interface SandboxServerOptions {
  name: string;
  routes: SandboxRoute[];
  /** Throws the provider's error when the request's credentials are wrong. */
  authenticate: (request: SandboxRequest) => void;
  /** Delay before answering every provider route: lets tests make a provider slow. */
  latencyMs?: number;
  logger: Logger;
  /** Runs on close, e.g. to stop a webhook sender's retry timers. */
  onClose?: () => void;
}

const MAX_BODY_BYTES = 1024 * 1024;

export class SandboxServer {
  private readonly server: Server;
  private readonly counts = new Map<string, number>();
  private readonly router = FindMyWay();
  private readonly routes = new Map<string, SandboxRoute>();
  private listeningOrigin: string | null = null;

  constructor(private readonly options: SandboxServerOptions) {
    const allRoutes: SandboxRoute[] = [
      ...options.routes,
      {
        method: 'GET',
        path: '/_sandbox/stats',
        helper: true,
        handler: () => ({ status: 200, body: this.stats() }),
      },
      {
        method: 'POST',
        path: '/_sandbox/stats/reset',
        helper: true,
        handler: () => {
          this.counts.clear();
          return { status: 200, body: this.stats() };
        },
      },
    ];
    for (const route of allRoutes) {
      const key = `${route.method} ${route.path}`;
      this.routes.set(key, route);
      this.router.on(route.method, route.path, () => undefined, { key });
    }
    this.server = createServer((req, res) => {
      this.handle(req.method ?? 'GET', req.url ?? '/', req.headers, req)
        .then((reply) => {
          const text = reply.body === undefined ? '' : stringifyExactJson(reply.body);
          res.writeHead(reply.status, { 'content-type': 'application/json;charset=utf-8' });
          res.end(text);
        })
        .catch((error: unknown) => {
          options.logger.error({ err: error }, 'sandbox handler failed');
          res.writeHead(500, { 'content-type': 'application/json;charset=utf-8' });
          res.end(JSON.stringify({ error: 'InternalError', message: 'sandbox handler failed' }));
        });
    });
    this.server.keepAliveTimeout = 30_000;
  }

  /** Requests per provider route since start or the last reset. */
  stats(): { total: number; routes: Record<string, number> } {
    const routes = Object.fromEntries([...this.counts.entries()].sort(([a], [b]) => a.localeCompare(b)));
    const total = [...this.counts.values()].reduce((sum, n) => sum + n, 0);
    return { total, routes };
  }

  /** The provider routes (`GET /charges/:id`), as `/_sandbox/stats` names them. */
  providerRoutes(): string[] {
    return [...this.routes.entries()].filter(([, route]) => !route.helper).map(([key]) => key);
  }

  /** Where the simulator listens (`http://127.0.0.1:4011`); null before `listen`. */
  get origin(): string | null {
    return this.listeningOrigin;
  }

  async listen(port = 0, host = '127.0.0.1'): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => resolve());
    });
    const address = this.server.address() as AddressInfo;
    this.listeningOrigin = `http://${host}:${address.port}`;
    return this.listeningOrigin;
  }

  async close(): Promise<void> {
    this.options.onClose?.();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(
    method: string,
    url: string,
    headers: IncomingHttpHeaders,
    body: AsyncIterable<Buffer>,
  ): Promise<SandboxReply> {
    const parsed = new URL(url, 'http://sandbox');
    const found = this.router.find(method as HTTPMethod, parsed.pathname);
    const key = (found?.store as { key?: string } | undefined)?.key;
    const route = key ? this.routes.get(key) : undefined;
    if (!found || !route || !key)
      return { status: 404, body: { error: 'NotFound', message: 'no such route' } };
    if (!route.helper) this.counts.set(key, (this.counts.get(key) ?? 0) + 1);

    const rawBody = await readBody(body, { maxBytes: MAX_BODY_BYTES }).then(
      (buffer) => buffer.toString('utf8'),
      (error: unknown) => (error instanceof BodyTooLarge ? null : Promise.reject(error)),
    );
    if (rawBody === null)
      return { status: 413, body: { error: 'PayloadTooLarge', message: 'body too large' } };
    let parsedBody: unknown;
    if (rawBody.trim() !== '') {
      try {
        parsedBody = parseExactJson(rawBody);
      } catch {
        return { status: 400, body: { error: 'InvalidBody', message: 'body is not valid JSON' } };
      }
    }
    const request: SandboxRequest = {
      method,
      route: key,
      params: found.params as Record<string, string>,
      query: parsed.searchParams,
      headers,
      rawBody,
      body: parsedBody,
    };
    try {
      if (!route.helper) {
        if (this.options.latencyMs)
          await new Promise((resolve) => setTimeout(resolve, this.options.latencyMs));
        this.options.authenticate(request);
      }
      return await route.handler(request);
    } catch (error) {
      if (error instanceof ProviderError) return error.toReply(route.helper === true);
      throw error;
    }
  }
}
