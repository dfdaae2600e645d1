import { createHash, randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { request } from 'undici';
import { expect } from 'vitest';
import { loadConfig, SCOPES, type Scope } from '../../src/config.js';
import { type RunningGateway, startGateway } from '../../src/gateway.js';
import { createLogger, type Logger } from '../../src/logger.js';
import { createElepaySandbox } from '../../src/sandbox/elepay/index.js';
import { createElopageSandbox } from '../../src/sandbox/elopage/index.js';
import type { SandboxServer } from '../../src/sandbox/server.js';
import type { WebhookSender } from '../../src/sandbox/webhooks.js';
import { execute, type GraphQLResponse } from './client.js';

/**
 * The one test harness: starts the real gateway (the same startGateway as `npm start`) on a free
 * loopback port, with its real embedded simulators, and records every log line and response body
 * so a suite can prove no secret ever left the process.
 */
export interface LogCapture {
  logger: Logger;
  lines: string[];
}

export function captureLogs(): LogCapture {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
  return { logger: createLogger({ level: 'debug', destination }), lines };
}

export interface TestGateway {
  gateway: RunningGateway;
  url: string;
  logs: string[];
  bodies: string[];
  /**
   * The API token `gql` sends by default: the test client the harness configures for a gateway
   * with a remote provider and no PAYGRAPH_CLIENTS (such a gateway refuses to start without one);
   * null otherwise (open access, or the test configured its own clients).
   */
  token: string | null;
  /** `{ authorization: 'Bearer <token>' }`, or empty without a token: for SSE and raw requests. */
  authHeaders: Record<string, string>;
  /** graphql-ws `connectionParams` carrying the token, or undefined without one. */
  wsParams: Record<string, unknown> | undefined;
  /**
   * Runs a typed document; every response body is recorded. `headers` add to (and override)
   * authHeaders; `{ authorization: '' }` sends none.
   */
  gql<T, V>(
    document: TypedDocumentNode<T, V>,
    variables?: V,
    headers?: Record<string, string>,
  ): Promise<GraphQLResponse<T>>;
  /** Provider requests per route since the last reset, from the simulator's /_sandbox/stats. */
  stats(provider: 'elepay' | 'elopage'): Promise<{ total: number; routes: Record<string, number> }>;
  resetStats(): Promise<void>;
  /** Asserts that no secret in use appears in any log line or response body seen so far. */
  expectNoLeaks(extraSecrets?: string[]): void;
  close(): Promise<void>;
}

/** A random API token and the PAYGRAPH_CLIENTS entry that admits it (only its SHA-256 is configured). */
export function testClient(
  name: string,
  scopes: Scope[],
): { token: string; client: { name: string; tokenSha256: string; scopes: string[] } } {
  const token = `pgt_${name}_${randomBytes(24).toString('base64url')}`;
  return { token, client: { name, tokenSha256: createHash('sha256').update(token).digest('hex'), scopes } };
}

export async function startTestGateway(env: Record<string, string> = {}): Promise<TestGateway> {
  const capture = captureLogs();
  // A remote provider needs API clients (config.ts); suites about something else get one with
  // every scope, so they run unchanged with the token gql sends by default.
  const remote = Boolean(env.ELEPAY_SECRET_KEY || env.ELOPAGE_API_KEY || env.ELOPAGE_API_SECRET);
  const auto =
    remote && !env.PAYGRAPH_CLIENTS && !env.PAYGRAPH_CLIENTS_FILE
      ? testClient('test-harness', [...SCOPES])
      : null;
  const token = auto?.token ?? null;
  const config = loadConfig({
    PORT: '0',
    ELEPAY_SANDBOX_PORT: '0',
    ELOPAGE_SANDBOX_PORT: '0',
    ...(auto ? { PAYGRAPH_CLIENTS: JSON.stringify([auto.client]) } : {}),
    ...env,
  });
  const gateway = await startGateway(config, capture.logger);
  const bodies: string[] = [];
  const authHeaders: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
  const sandboxUrl = (provider: 'elepay' | 'elopage') => {
    const sandbox = gateway.sandboxes[provider];
    if (!sandbox) throw new Error(`${provider} is not running on its embedded sandbox`);
    return sandbox.url;
  };
  return {
    gateway,
    url: gateway.url,
    logs: capture.lines,
    bodies,
    token,
    authHeaders,
    wsParams: token ? { authorization: `Bearer ${token}` } : undefined,
    gql: (document, variables, headers) =>
      execute(gateway.url, document, variables, {
        headers: mergeHeaders(authHeaders, headers),
        onBody: (text) => bodies.push(text),
      }),
    stats: (provider) => sandboxStats(sandboxUrl(provider)),
    async resetStats() {
      for (const provider of ['elepay', 'elopage'] as const) {
        if (gateway.sandboxes[provider]) await resetSandboxStats(sandboxUrl(provider));
      }
    },
    expectNoLeaks(extraSecrets = []) {
      const secrets = [...gateway.secrets, ...(token ? [token] : []), ...extraSecrets];
      expect(secrets.length).toBeGreaterThan(0);
      for (const secret of secrets) {
        expect(secret.length).toBeGreaterThanOrEqual(8);
        for (const text of [...capture.lines, ...bodies]) expect(text).not.toContain(secret);
      }
    },
    close: () => gateway.close(),
  };
}

/**
 * Two gateway instances on what `env` shares (one PostgreSQL, one Redis): B talks to A's embedded
 * elepay simulator, whose webhooks reach A only, so one provider stands behind both and each of its
 * changes is recorded on A.
 */
export async function startTwoInstances(env: Record<string, string>): Promise<[TestGateway, TestGateway]> {
  const a = await startTestGateway(env);
  const elepay = a.gateway.sandboxes.elepay;
  if (!elepay) {
    await a.close();
    throw new Error('no embedded elepay');
  }
  const b = await startTestGateway({
    ...env,
    ELEPAY_BASE_URL: elepay.url,
    ELEPAY_SECRET_KEY: elepay.credentials.secretKey ?? '',
  });
  return [a, b];
}

/**
 * Merges header sets case-insensitively (a later `Authorization` replaces the default
 * `authorization`) and drops headers set to '' (how a test unsets a default such as authorization).
 */
function mergeHeaders(...sets: (Record<string, string> | undefined)[]): Record<string, string> {
  const merged: Record<string, string> = {};
  for (const set of sets) {
    for (const [name, value] of Object.entries(set ?? {})) merged[name.toLowerCase()] = value;
  }
  return Object.fromEntries(Object.entries(merged).filter(([, value]) => value !== ''));
}

export async function sandboxStats(
  baseUrl: string,
): Promise<{ total: number; routes: Record<string, number> }> {
  const response = await request(`${baseUrl}/_sandbox/stats`);
  return (await response.body.json()) as { total: number; routes: Record<string, number> };
}

export async function resetSandboxStats(baseUrl: string): Promise<void> {
  await (await request(`${baseUrl}/_sandbox/stats/reset`, { method: 'POST' })).body.dump();
}

/** A standalone simulator (as `npm run sandbox` runs them), e.g. to point a gateway at with wrong keys. */
export async function startSimulator(
  provider: 'elepay' | 'elopage',
  options: { latencyMs?: number } = {},
): Promise<{
  url: string;
  baseUrl: string;
  credentials: Record<string, string>;
  server: SandboxServer;
  /** Its webhooks: `allowOrigin(gateway.url)` lets them reach a gateway started after it. */
  webhooks: WebhookSender;
}> {
  const logger = createLogger({ level: 'silent' });
  if (provider === 'elepay') {
    const secretKey = 'sk_test_standalone_simulator_key_0001';
    const { server, webhooks } = createElepaySandbox({ secretKey, logger, ...options });
    const url = await server.listen();
    return { url, baseUrl: url, credentials: { ELEPAY_SECRET_KEY: secretKey }, server, webhooks };
  }
  const apiKey = 'standalone_elopage_key_0001';
  const apiSecret = 'standalone_elopage_secret_0001';
  const { server, webhooks } = createElopageSandbox({ apiKey, apiSecret, logger, ...options });
  const url = await server.listen();
  return {
    url,
    baseUrl: `${url}/api`,
    credentials: { ELOPAGE_API_KEY: apiKey, ELOPAGE_API_SECRET: apiSecret },
    server,
    webhooks,
  };
}
