import { type AddressInfo, createServer } from 'node:net';
import { request } from 'undici';
import { describe, expect, it } from 'vitest';
import { ChargeAndPaymentDocument } from './generated/graphql.js';
import { execute } from './support/client.js';
import { banner, type Run, startProcess } from './support/process.js';

/**
 * The real process, started the way `npm start` starts it (tsx running src/main.ts): the banner,
 * GraphiQL, a query, a clean stop on SIGTERM, and a bad configuration refused in plain words.
 */
const ELEPAY_WEBHOOK_SECRET = 'whsec_process_test_secret_0001';
const ELOPAGE_WEBHOOK_TOKEN = 'process-test-elopage-webhook-token-0001';
/** Generated sandbox credentials look like these (src/gateway.ts); none may reach a browser. */
const GENERATED_SECRET = /sk_test_[0-9a-f]{48}|secret_[0-9a-f]{48}|key_[0-9a-f]{32}|whsec_[0-9a-f]{48}/;

describe('npm start', () => {
  let run: Run;
  let graphiqlUrl = '';

  it('logs one banner line: where GraphiQL is, both providers on their embedded sandboxes', async () => {
    run = startProcess({ PORT: '0', ELEPAY_WEBHOOK_SECRET, ELOPAGE_WEBHOOK_TOKEN });
    const { graphiql, msg } = await banner(run);
    graphiqlUrl = graphiql;
    expect(graphiql).toMatch(/^http:\/\/localhost:\d+\/graphql$/);
    expect(graphiql).not.toMatch(/:0\/graphql$/);
    expect(msg).toContain(`GraphiQL at ${graphiql}`);
    expect(msg).toMatch(/elepay: SANDBOX \(embedded simulator at http:\/\/127\.0\.0\.1:\d+\)/);
    expect(msg).toMatch(/elopage: SANDBOX \(embedded simulator at http:\/\/127\.0\.0\.1:\d+\)/);
    expect(msg).toContain('access: OPEN (no API clients; all providers sandboxed)');
  });

  it('serves GraphiQL with the example operations and no secret', async () => {
    const response = await request(graphiqlUrl, { headers: { accept: 'text/html' } });
    const page = await response.body.text();
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/html/);
    expect(page).toContain('<title>paygraph</title>');
    for (const operation of [
      'CreateSalesPage',
      'SandboxCompleteCheckout',
      'CreateCharge',
      'RefundTransaction',
    ]) {
      expect(page).toContain(operation);
    }
    expect(page).not.toContain(ELEPAY_WEBHOOK_SECRET);
    expect(page).not.toContain(ELOPAGE_WEBHOOK_TOKEN);
    expect(page).not.toMatch(GENERATED_SECRET);
  });

  it('answers a query reading both providers', async () => {
    const { data, errors } = await execute(graphiqlUrl.replace(/\/graphql$/, ''), ChargeAndPaymentDocument, {
      chargeId: 'ch_1',
      paymentId: '540391',
    });
    expect(errors).toEqual([]);
    expect(data?.charge).toMatchObject({ providerId: 'ch_1', provider: 'ELEPAY' });
    expect(data?.payment).toMatchObject({ providerId: '540391', provider: 'ELOPAGE' });
  });

  it('stops on SIGTERM with exit code 0, having logged no secret', async () => {
    run.child.kill('SIGTERM');
    expect(await run.exit).toEqual({ code: 0, signal: null });
    const output = [...run.stdout, ...run.stderr].join('');
    expect(output).toContain('"signal":"SIGTERM"');
    expect(output).not.toContain(ELEPAY_WEBHOOK_SECRET);
    expect(output).not.toContain(ELOPAGE_WEBHOOK_TOKEN);
    expect(output).not.toMatch(GENERATED_SECRET);
  });
});

describe('refusing to start', () => {
  it('lists every configuration problem, one line per variable, exit code 1, no stack trace', async () => {
    const run = startProcess({ PORT: 'abc', ELEPAY_AUTH_SCHEME: 'digest', ELOPAGE_API_KEY: 'k_only' });
    expect(await run.exit).toEqual({ code: 1, signal: null });
    const stderr = run.stderr.join('');
    expect(stderr).not.toContain('    at ');
    const problems = stderr.split('\n').filter((line) => line.startsWith('  - '));
    expect(problems.map((line) => line.slice(4).split(':')[0]).sort()).toEqual([
      'ELEPAY_AUTH_SCHEME',
      'ELOPAGE_API_SECRET',
      'ELOPAGE_WEBHOOK_TOKEN',
      'PAYGRAPH_CLIENTS',
      'PORT',
    ]);
    expect(stderr).not.toContain('k_only');
    expect(run.stdout.join('')).toBe('');
  });

  it('says in one line that the database cannot be opened, exit code 1, no stack trace, no password', async () => {
    // Port 1 on loopback: nothing listens there, so the connection is refused at once.
    const run = startProcess({
      DATABASE_URL: 'postgres://paygraph:db_password_process_test@127.0.0.1:1/paygraph',
    });
    expect(await run.exit).toEqual({ code: 1, signal: null });
    const stderr = run.stderr.join('');
    expect(stderr).toContain('paygraph: cannot start: ledger: cannot open the database');
    expect(stderr).toContain('DATABASE_URL');
    expect(stderr).not.toContain('    at ');
    expect(stderr + run.stdout.join('')).not.toContain('db_password_process_test');
  });

  it('says in one line that the port is taken, exit code 1, no stack trace', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = taken.address() as AddressInfo;
      const run = startProcess({ PORT: String(port) });
      expect(await run.exit).toEqual({ code: 1, signal: null });
      const stderr = run.stderr.join('');
      expect(stderr).toContain(`cannot listen on 127.0.0.1:${port} (EADDRINUSE)`);
      expect(stderr).toContain('PORT');
      expect(stderr).not.toContain('    at ');
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
  });
});
