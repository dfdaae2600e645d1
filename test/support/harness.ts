import { Writable } from 'node:stream';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { request } from 'undici';
import { expect } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { type RunningGateway, startGateway } from '../../src/gateway.js';
import { createLogger, type Logger } from '../../src/logger.js';
import { createElepaySandbox } from '../../src/sandbox/elepay/index.js';
import { createElopageSandbox } from '../../src/sandbox/elopage/index.js';
import type { SandboxServer } from '../../src/sandbox/server.js';
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
  /** Runs a typed document; every response body is recorded. */
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

export async function startTestGateway(env: Record<string, string> = {}): Promise<TestGateway> {
  const capture = captureLogs();
  const config = loadConfig({ PORT: '0', ELEPAY_SANDBOX_PORT: '0', ELOPAGE_SANDBOX_PORT: '0', ...env });
  const gateway = await startGateway(config, capture.logger);
  const bodies: string[] = [];
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
    gql: (document, variables, headers) =>
      execute(gateway.url, document, variables, { headers, onBody: (text) => bodies.push(text) }),
    stats: (provider) => sandboxStats(sandboxUrl(provider)),
    async resetStats() {
      for (const provider of ['elepay', 'elopage'] as const) {
        if (gateway.sandboxes[provider]) await resetSandboxStats(sandboxUrl(provider));
      }
    },
    expectNoLeaks(extraSecrets = []) {
      const secrets = [...gateway.secrets, ...extraSecrets];
      expect(secrets.length).toBeGreaterThan(0);
      for (const secret of secrets) {
        expect(secret.length).toBeGreaterThanOrEqual(8);
        for (const text of [...capture.lines, ...bodies]) expect(text).not.toContain(secret);
      }
    },
    close: () => gateway.close(),
  };
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
): Promise<{ url: string; baseUrl: string; credentials: Record<string, string>; server: SandboxServer }> {
  const logger = createLogger({ level: 'silent' });
  if (provider === 'elepay') {
    const secretKey = 'sk_test_standalone_simulator_key_0001';
    const { server } = createElepaySandbox({ secretKey, logger, ...options });
    const url = await server.listen();
    return { url, baseUrl: url, credentials: { ELEPAY_SECRET_KEY: secretKey }, server };
  }
  const apiKey = 'standalone_elopage_key_0001';
  const apiSecret = 'standalone_elopage_secret_0001';
  const { server } = createElopageSandbox({ apiKey, apiSecret, logger, ...options });
  const url = await server.listen();
  return {
    url,
    baseUrl: `${url}/api`,
    credentials: { ELOPAGE_API_KEY: apiKey, ELOPAGE_API_SECRET: apiSecret },
    server,
  };
}
