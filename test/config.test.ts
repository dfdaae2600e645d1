import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, SCOPES } from '../src/config.js';

/** loadConfig: environment → typed configuration, or every problem at once, one line per variable. */
const TOKEN = 'elopage-webhook-token-config-0001';
/** Real credentials need API clients (test/security/access.test.ts covers that rule). */
const CLIENTS = {
  PAYGRAPH_CLIENTS: JSON.stringify([{ name: 'config-test', tokenSha256: 'a'.repeat(64), scopes: ['read'] }]),
};
const ELOPAGE_REMOTE = {
  ...CLIENTS,
  ELOPAGE_API_KEY: 'config_test_key',
  ELOPAGE_API_SECRET: 'config_test_secret',
  ELOPAGE_WEBHOOK_TOKEN: TOKEN,
};

/** The problems loadConfig reports for this environment (fails the test if it accepts it). */
function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    const { problems, message } = error as ConfigError;
    // The message lists each problem too, so a plain `throw` would still be readable.
    for (const problem of problems) expect(message).toContain(problem);
    return problems;
  }
  throw new Error(`configuration was accepted: ${JSON.stringify(env)}`);
}

describe('defaults', () => {
  it('runs both providers on their embedded sandboxes when nothing is configured', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({ port: 4000, host: '127.0.0.1', publicUrl: null, graphiql: true });
    expect(config.elepay).toMatchObject({
      mode: 'sandbox',
      secretKey: null,
      authScheme: 'basic',
      webhookSecret: null,
      timeoutMs: 10_000,
      maxConcurrency: 128,
    });
    expect(config.elopage).toMatchObject({
      mode: 'sandbox',
      apiKey: null,
      apiSecret: null,
      currency: 'EUR',
      webhookToken: null,
    });
  });

  it('reads an empty variable as unset (PORT= does not mean a random port)', () => {
    expect(loadConfig({ PORT: '', ELOPAGE_CURRENCY: ' ', ELEPAY_TIMEOUT_MS: '' })).toMatchObject({
      port: 4000,
      elopage: { currency: 'EUR' },
      elepay: { timeoutMs: 10_000 },
    });
  });

  it('takes remote credentials, the auth scheme and a public URL without its trailing slash', () => {
    const config = loadConfig({
      PUBLIC_URL: 'https://pay.example.com/',
      ELEPAY_SECRET_KEY: 'sk_live_FAKE',
      ELEPAY_AUTH_SCHEME: 'bearer',
      ...ELOPAGE_REMOTE,
      ELOPAGE_CURRENCY: 'chf',
    });
    expect(config.publicUrl).toBe('https://pay.example.com');
    expect(config.elepay).toMatchObject({
      mode: 'remote',
      baseUrl: 'https://api.elepay.io',
      secretKey: 'sk_live_FAKE',
      authScheme: 'bearer',
    });
    expect(config.elopage).toMatchObject({ mode: 'remote', currency: 'CHF', webhookToken: TOKEN });
  });

  it('lets per-provider timeouts and concurrency override PROVIDER_TIMEOUT_MS / PROVIDER_MAX_CONCURRENCY', () => {
    const shared = { PROVIDER_TIMEOUT_MS: '2500', PROVIDER_MAX_CONCURRENCY: '4' };
    expect(loadConfig(shared)).toMatchObject({
      elepay: { timeoutMs: 2500, maxConcurrency: 4 },
      elopage: { timeoutMs: 2500, maxConcurrency: 4 },
    });
    const overridden = loadConfig({ ...shared, ELEPAY_TIMEOUT_MS: '300', ELOPAGE_MAX_CONCURRENCY: '2' });
    expect(overridden.elepay).toMatchObject({ timeoutMs: 300, maxConcurrency: 4 });
    expect(overridden.elopage).toMatchObject({ timeoutMs: 2500, maxConcurrency: 2 });
  });
});

describe('problems', () => {
  it.each([
    [{ PORT: 'abc' }, 'PORT'],
    [{ PORT: '70000' }, 'PORT'],
    [{ ELEPAY_AUTH_SCHEME: 'digest' }, 'ELEPAY_AUTH_SCHEME'],
    [{ ELOPAGE_CURRENCY: 'EURO' }, 'ELOPAGE_CURRENCY'],
    [{ ELOPAGE_CURRENCY: 'XYZ' }, 'ELOPAGE_CURRENCY'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
    [{ GRAPHIQL: 'maybe' }, 'GRAPHIQL'],
    [{ PUBLIC_URL: 'ftp://pay.example.com' }, 'PUBLIC_URL'],
    [{ PROVIDER_TIMEOUT_MS: '0' }, 'PROVIDER_TIMEOUT_MS'],
    [{ ELEPAY_MAX_CONCURRENCY: 'many' }, 'ELEPAY_MAX_CONCURRENCY'],
    [{ ELOPAGE_WEBHOOK_TOKEN: 'short' }, 'ELOPAGE_WEBHOOK_TOKEN'],
    [{ METRICS_TOKEN: 'short' }, 'METRICS_TOKEN'],
    [{ METRICS_TOKEN: 'has a space in it 0000000000000' }, 'METRICS_TOKEN'],
    [{ CORS_ORIGINS: 'https://app.example.com, app.example.com' }, 'CORS_ORIGINS'],
    [{ PAYGRAPH_CLIENTS: '[{"name":"x"' }, 'PAYGRAPH_CLIENTS'],
    [{ ELEPAY_BASE_URL: 'https://api.elepay.io' }, 'ELEPAY_BASE_URL'],
    [{ ELOPAGE_BASE_URL: 'https://elopage.com/api' }, 'ELOPAGE_BASE_URL'],
    [{ ELOPAGE_API_KEY: 'k', ELOPAGE_WEBHOOK_TOKEN: TOKEN }, 'ELOPAGE_API_SECRET'],
    [{ ELOPAGE_API_SECRET: 's', ELOPAGE_WEBHOOK_TOKEN: TOKEN }, 'ELOPAGE_API_KEY'],
    [{ ELOPAGE_API_KEY: 'k', ELOPAGE_API_SECRET: 's' }, 'ELOPAGE_WEBHOOK_TOKEN'],
  ])('%j is one problem naming %s', (env, variable) => {
    const problems = problemsOf({ ...CLIENTS, ...env });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(new RegExp(`^${variable}: \\S`));
    expect(problems[0]).not.toContain('\n');
  });

  it.each(['http://localhost:8080', 'HTTP://127.0.0.1:8080', 'http://[::1]:8080'])(
    'refuses a live elepay key over plain HTTP, even to %s',
    (url) => {
      expect(problemsOf({ ...CLIENTS, ELEPAY_SECRET_KEY: 'sk_live_FAKE', ELEPAY_BASE_URL: url })).toEqual([
        expect.stringMatching(/^ELEPAY_BASE_URL: must use https/),
      ]);
      // A test key may talk plain HTTP to this machine (a simulator).
      expect(
        loadConfig({ ...CLIENTS, ELEPAY_SECRET_KEY: 'sk_test_0123456789', ELEPAY_BASE_URL: url }).elepay.mode,
      ).toBe('remote');
    },
  );

  it('refuses any credentials over plain HTTP to another host', () => {
    expect(
      problemsOf({
        ...CLIENTS,
        ELEPAY_SECRET_KEY: 'sk_test_0123456789',
        ELEPAY_BASE_URL: 'http://api.elepay.io',
      }),
    ).toEqual([expect.stringMatching(/^ELEPAY_BASE_URL: /)]);
    expect(problemsOf({ ...ELOPAGE_REMOTE, ELOPAGE_BASE_URL: 'http://elopage.com/api' })).toEqual([
      expect.stringMatching(/^ELOPAGE_BASE_URL: /),
    ]);
    // elopage's staging host is the documented exception.
    const staging = loadConfig({ ...ELOPAGE_REMOTE, ELOPAGE_BASE_URL: 'http://staging.elopage.com/api' });
    expect(staging.elopage.baseUrl).toBe('http://staging.elopage.com/api');
  });

  it.each([
    'https://user:pa55word@api.elepay.io',
    'https://api.elepay.io/?token=pa55word',
    'https://api.elepay.io/#pa55word',
  ])('refuses a base URL carrying credentials, a query or a fragment: %s', (url) => {
    const problems = problemsOf({ ELEPAY_SECRET_KEY: 'sk_test_0123456789', ELEPAY_BASE_URL: url });
    expect(problems).toEqual([expect.stringMatching(/^ELEPAY_BASE_URL: must not contain/)]);
    expect(problems[0]).not.toContain('pa55word');
    expect(problemsOf({ PUBLIC_URL: url })).toEqual([expect.stringMatching(/^PUBLIC_URL: /)]);
  });

  it('reports several problems together, malformed values and missing companions alike', () => {
    const problems = problemsOf({
      PORT: 'abc',
      ELEPAY_AUTH_SCHEME: 'digest',
      ELOPAGE_CURRENCY: 'EURO',
      ELEPAY_BASE_URL: 'https://api.elepay.io',
      ELOPAGE_API_KEY: 'key-without-secret',
    });
    expect(problems.map((problem) => problem.split(':')[0]).sort()).toEqual([
      'ELEPAY_AUTH_SCHEME',
      'ELEPAY_BASE_URL',
      'ELOPAGE_API_SECRET',
      'ELOPAGE_CURRENCY',
      'ELOPAGE_WEBHOOK_TOKEN',
      'PAYGRAPH_CLIENTS',
      'PORT',
    ]);
  });

  it('reports a malformed client list and CORS origin beside other malformed variables', () => {
    const problems = problemsOf({
      PORT: 'abc',
      CORS_ORIGINS: 'app.example.com',
      PAYGRAPH_CLIENTS: JSON.stringify([{ name: 'shop', tokenSha256: 'a'.repeat(64), scopes: ['admin'] }]),
    });
    expect(problems).toEqual([
      expect.stringMatching(/^PORT: /),
      'CORS_ORIGINS: 1 entry is not an origin like https://app.example.com',
      'PAYGRAPH_CLIENTS[0].scopes[0]: must be "read", "write", "refund" or "operator"',
    ]);
    expect(problemsOf({ PORT: 'abc', PAYGRAPH_CLIENTS_FILE: '/nonexistent/paygraph-clients.json' })).toEqual([
      expect.stringMatching(/^PORT: /),
      'PAYGRAPH_CLIENTS_FILE: cannot be read (ENOENT)',
    ]);
  });

  it("names a client's tenant that is not a name, and accepts one that is", () => {
    const client = { name: 'shop', tokenSha256: 'a'.repeat(64), scopes: ['read'] };
    expect(
      problemsOf({ PAYGRAPH_CLIENTS: JSON.stringify([{ ...client, tenant: 'acme corp; drop' }]) }),
    ).toEqual(['PAYGRAPH_CLIENTS[0].tenant: must be 1–64 characters of A–Z, a–z, 0–9, "_", "." or "-"']);
    expect(problemsOf({ PAYGRAPH_CLIENTS: JSON.stringify([{ ...client, tenant: '' }]) })).toHaveLength(1);
    expect(problemsOf({ PAYGRAPH_CLIENTS: JSON.stringify([{ ...client, tenant: 42 }]) })).toEqual([
      expect.stringMatching(/^PAYGRAPH_CLIENTS\[0\]\.tenant: /),
    ]);
    expect(
      problemsOf({
        PAYGRAPH_CLIENTS: JSON.stringify([{ ...client, scopes: ['read', 'operator'], tenant: 'acme' }]),
      }),
    ).toEqual([
      'PAYGRAPH_CLIENTS[0].scopes: must not include "operator" for a client with a tenant: the operator view spans every tenant',
    ]);
    const config = loadConfig({ PAYGRAPH_CLIENTS: JSON.stringify([{ ...client, tenant: 'acme-eu.1' }]) });
    expect(config.security.clients[0]?.tenant).toBe('acme-eu.1');
  });

  it('keeps ledger rows forever unless LEDGER_RETENTION_DAYS says how many days', () => {
    expect(loadConfig({ ...CLIENTS }).ledgerRetentionDays).toBeNull();
    expect(loadConfig({ ...CLIENTS, LEDGER_RETENTION_DAYS: '90' }).ledgerRetentionDays).toBe(90);
    expect(problemsOf({ ...CLIENTS, LEDGER_RETENTION_DAYS: '0' })).toEqual([
      'LEDGER_RETENTION_DAYS: must be at least 1',
    ]);
  });

  it('never repeats a secret value in a problem', () => {
    const problems = problemsOf({
      ELEPAY_SECRET_KEY: 'sk_live_do_not_print_me',
      ELEPAY_BASE_URL: 'http://localhost:1',
      ELOPAGE_API_KEY: 'elopage_key_do_not_print_me',
    });
    expect(problems.length).toBeGreaterThan(1);
    expect(problems.join('\n')).not.toMatch(/do_not_print_me/);
  });
});

describe('the scopes', () => {
  const read = (path: string) => readFileSync(new URL(`../${path}`, import.meta.url), 'utf8');
  /** The text from `start` to the next line that starts with `end`. */
  const section = (text: string, start: string, end: RegExp) => {
    const from = text.indexOf(start);
    expect(from).toBeGreaterThanOrEqual(0);
    const rest = text.slice(from + start.length);
    return rest.slice(0, rest.search(end));
  };

  it("are the README's scope table and its client examples", () => {
    const readme = section(read('README.md'), '**Scopes.**', /^\*\*Headers\.\*\*/m);
    expect([...readme.matchAll(/^\| `(\w+)` \|/gm)].map((match) => match[1])).toEqual([...SCOPES]);
    const examples = [...readme.matchAll(/"scopes":(\[[^\]]*\])/g)].flatMap(
      (match) => JSON.parse(match[1] ?? '[]') as string[],
    );
    expect(examples.length).toBeGreaterThan(0);
    for (const scope of examples) expect(SCOPES).toContain(scope);
  });

  it('are the ones the API conventions name', () => {
    const conventions = section(read('docs/api.intro.md'), '**Scopes.**', /^$/m);
    expect([...conventions.matchAll(/`(\w+)`\s+\(/g)].map((match) => match[1])).toEqual([...SCOPES]);
  });
});

describe('tracing (OpenTelemetry variables)', () => {
  it('is off without an OTLP endpoint, and off when the SDK or the traces exporter is disabled', () => {
    expect(loadConfig({}).tracing).toBeNull();
    expect(
      loadConfig({ OTEL_SERVICE_NAME: 'paygraph', OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' }).tracing,
    ).toBeNull();
    const endpoint = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' };
    expect(loadConfig({ ...endpoint, OTEL_SDK_DISABLED: 'TRUE' }).tracing).toBeNull();
    expect(loadConfig({ ...endpoint, OTEL_TRACES_EXPORTER: 'none' }).tracing).toBeNull();
  });

  it('sends to <endpoint>/v1/traces over http/protobuf by default; the traces-only variables win', () => {
    expect(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' }).tracing).toMatchObject({
      endpoint: 'http://collector:4318/v1/traces',
      protocol: 'http/protobuf',
    });
    expect(
      loadConfig({
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://traces.example.com/otlp/traces',
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
        OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/json',
      }).tracing,
    ).toMatchObject({ endpoint: 'https://traces.example.com/otlp/traces', protocol: 'http/json' });
  });

  it('keeps the OTLP header values (an API key, a bearer token) as secrets for the logs', () => {
    const tracing = loadConfig({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'https://otlp.example.com',
      OTEL_EXPORTER_OTLP_HEADERS:
        'x-api-key=vendor_key_0123456789,authorization=Bearer%20tok_0123456789abcdef',
    }).tracing;
    expect(tracing?.secrets).toEqual(
      expect.arrayContaining([
        'vendor_key_0123456789',
        'Bearer tok_0123456789abcdef',
        'tok_0123456789abcdef',
      ]),
    );
  });

  it('refuses gRPC, other exporters and an endpoint with credentials, in one line each', () => {
    const problems = problemsOf({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://user:pass_do_not_print_me@collector:4318',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
      OTEL_TRACES_EXPORTER: 'zipkin',
    });
    expect(problems.map((problem) => problem.split(':')[0]).sort()).toEqual([
      'OTEL_EXPORTER_OTLP_ENDPOINT',
      'OTEL_EXPORTER_OTLP_PROTOCOL',
      'OTEL_TRACES_EXPORTER',
    ]);
    expect(problems.find((problem) => problem.startsWith('OTEL_EXPORTER_OTLP_PROTOCOL'))).toContain('4318');
    expect(problems.join('\n')).not.toContain('pass_do_not_print_me');
  });
});
