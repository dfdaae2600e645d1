import { parseArgs } from 'node:util';
import { parseExactJson } from '../src/providers/json.js';

/**
 * `npm run trigger -- <event> [options]`: asks a provider simulator (`POST /_sandbox/trigger`) to
 * emit a real webhook at the gateway, like `stripe trigger`. The simulator does the work (state
 * machine, signing, retries); this script only picks the simulator, sends the request and prints a
 * short summary. It prints no credentials: the simulator answers with none, and URLs are shown
 * without userinfo or query.
 */
type Provider = 'elepay' | 'elopage';

const EVENTS: Record<string, { provider: Provider; fresh: string }> = {
  'charge.succeeded': { provider: 'elepay', fresh: 'a new 1000 JPY card charge is captured' },
  'charge.revoked': { provider: 'elepay', fresh: 'a new 1000 JPY card charge is cancelled' },
  'refund.succeeded': { provider: 'elepay', fresh: 'a new charge is captured, then 100 JPY refunded' },
  'payment.successful': { provider: 'elopage', fresh: 'checkout with a test card' },
  'payment.pending': { provider: 'elopage', fresh: 'SEPA checkout, pending until settled' },
  'payment.error': { provider: 'elopage', fresh: 'checkout with a declined card' },
  'payment.canceled': { provider: 'elopage', fresh: 'the buyer cancels the checkout' },
  'refund.successful': { provider: 'elopage', fresh: 'a successful checkout, refunded in full' },
};

/** The ports the gateway's embedded simulators listen on under `npm start`. */
const DEFAULT_SANDBOX: Record<Provider, { env: string; url: string }> = {
  elepay: { env: 'ELEPAY_SANDBOX_URL', url: 'http://127.0.0.1:4010' },
  elopage: { env: 'ELOPAGE_SANDBOX_URL', url: 'http://127.0.0.1:4011' },
};

const REQUEST_TIMEOUT_MS = 15_000;

const USAGE = `Usage: npm run trigger -- <event> [options]

Makes a provider simulator send a real webhook to the gateway, so a
transactionStatusChanged subscription ticks. Without --id a fresh object is
made and driven to the event's state; with --id the event is sent again for
that object's current state (the gateway publishes only real changes).

Events:
${Object.entries(EVENTS)
  .map(([name, { provider, fresh }]) => `  ${provider.padEnd(8)} ${name.padEnd(19)} ${fresh}`)
  .join('\n')}

Options:
  --id ID           re-send for this existing charge, refund or payment ID
  --charge ID       elepay: the charge (with refund.succeeded: the refund's charge)
  --sales-page ID   elopage: check out on this sales page
                    (default: the newest sales page with an http(s) webhook_url)
  --sandbox URL     the simulator's base URL (default: $ELEPAY_SANDBOX_URL or
                    ${DEFAULT_SANDBOX.elepay.url} for elepay events, $ELOPAGE_SANDBOX_URL
                    or ${DEFAULT_SANDBOX.elopage.url} for elopage events)
  -h, --help        show this help

Examples:
  npm run trigger -- charge.succeeded
  npm run trigger -- refund.succeeded --id re_3
  npm run trigger -- payment.pending --sales-page 1089`;

class UsageError extends Error {}

interface Invocation {
  event: string;
  provider: Provider;
  base: URL;
  body: Record<string, string>;
}

function parseInvocation(argv: string[], env: NodeJS.ProcessEnv): Invocation | 'help' {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      id: { type: 'string' },
      charge: { type: 'string' },
      'sales-page': { type: 'string' },
      sandbox: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return 'help';
  const [event, ...extra] = positionals;
  if (!event) throw new UsageError('missing <event>');
  if (extra.length > 0) throw new UsageError(`unexpected argument "${extra[0]}"`);
  const known = EVENTS[event];
  if (!known) throw new UsageError(unknownEvent(event));
  const { provider } = known;
  if (provider === 'elopage' && values.charge !== undefined) {
    throw new UsageError('--charge applies to elepay events only');
  }
  if (provider === 'elepay' && values['sales-page'] !== undefined) {
    throw new UsageError('--sales-page applies to elopage events only');
  }
  const body: Record<string, string> = { event };
  if (values.id !== undefined) body.id = values.id;
  if (values.charge !== undefined) body.chargeId = values.charge;
  if (values['sales-page'] !== undefined) body.sales_page_id = values['sales-page'];
  const defaults = DEFAULT_SANDBOX[provider];
  return { event, provider, base: sandboxUrl(values.sandbox ?? env[defaults.env] ?? defaults.url), body };
}

function unknownEvent(event: string): string {
  const names = Object.keys(EVENTS);
  const closest = names
    .map((name) => ({ name, distance: editDistance(event, name) }))
    .sort((a, b) => a.distance - b.distance)[0];
  const hint =
    closest && closest.distance <= Math.max(3, Math.floor(event.length / 3))
      ? ` Did you mean ${closest.name}?`
      : '';
  return `unknown event "${event.slice(0, 60)}".${hint}\nEvents: ${names.join(', ')}`;
}

function editDistance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i += 1) {
    const next = [i];
    for (let j = 1; j <= b.length; j += 1) {
      const substitution = (row[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      next.push(Math.min((row[j] ?? 0) + 1, (next[j - 1] ?? 0) + 1, substitution));
    }
    row = next;
  }
  return row[b.length] ?? 0;
}

function sandboxUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError('--sandbox must be an http(s) URL such as http://127.0.0.1:4010');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError('--sandbox must be an http(s) URL such as http://127.0.0.1:4010');
  }
  // fetch refuses URLs with userinfo anyway; saying so beats echoing them in an error.
  if (url.username || url.password) throw new UsageError('--sandbox must not contain credentials');
  url.search = '';
  url.hash = '';
  if (!url.pathname.endsWith('/')) url.pathname += '/';
  return url;
}

/** Origin and path only: what is safe to print. */
function shown(url: URL): string {
  return `${url.origin}${url.pathname.replace(/\/$/, '')}`;
}

type Json = Record<string, unknown>;

function field(object: Json, key: string): string {
  const value = object[key];
  return typeof value === 'string' || typeof value === 'number' ? String(value) : '?';
}

/** One line about the object: what it is, its ID and its status, in each provider's own words. */
function describe(provider: Provider, object: Json): string {
  if (provider === 'elepay') {
    const money = `${field(object, 'amount')} ${field(object, 'currency')}`;
    return object.object === 'refund'
      ? `refund ${field(object, 'id')} of charge ${field(object, 'chargeId')}: status ${field(object, 'status')}, ${money}`
      : `charge ${field(object, 'id')} (orderNo ${field(object, 'orderNo')}): status ${field(object, 'status')}, ${money}`;
  }
  return 'refunded_transfer_id' in object
    ? `refund ${field(object, 'id')} of payment ${field(object, 'refunded_transfer_id')}: state ${field(object, 'state')}, total ${field(object, 'total')}`
    : `payment ${field(object, 'id')} on sales page ${field(object, 'sales_page_id')}: state ${field(object, 'state')}, revenue ${field(object, 'revenue')}`;
}

function errorMessage(status: number, body: unknown): string {
  const record = (typeof body === 'object' && body !== null ? body : {}) as Json;
  const code = typeof record.errorCode === 'string' ? ` [${record.errorCode}]` : '';
  const message = typeof record.message === 'string' ? record.message : 'no error message';
  return `HTTP ${status}: ${message}${code}`;
}

async function trigger(invocation: Invocation): Promise<string> {
  const { provider, base, body } = invocation;
  const where = `the ${provider} simulator at ${shown(base)}`;
  let response: Response;
  try {
    response = await fetch(new URL('_sandbox/trigger', base), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
  } catch (error) {
    if ((error as Error).name === 'TimeoutError') {
      throw new Error(`no answer from ${where} within ${REQUEST_TIMEOUT_MS / 1000} s`);
    }
    const detail = (error as { cause?: { code?: string; message?: string } }).cause;
    const cause = detail?.code ?? detail?.message ?? (error as Error).name;
    const env = DEFAULT_SANDBOX[provider].env;
    throw new Error(
      `cannot reach ${where} (${cause}). Is the gateway running (npm start) with its embedded ` +
        `${provider} sandbox? Point --sandbox or ${env} at the simulator.`,
    );
  }
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = text ? parseExactJson(text) : undefined;
  } catch {
    parsed = undefined;
  }
  if (response.status === 404 && (parsed as Json | undefined)?.message === 'no such route') {
    throw new Error(`${where} has no /_sandbox/trigger route: is that URL really a paygraph simulator?`);
  }
  if (response.status !== 200)
    throw new Error(`${where} refused ${invocation.event}: ${errorMessage(response.status, parsed)}`);
  const answer = (parsed ?? {}) as Json;
  const object = (answer.object ?? {}) as Json;
  const webhook =
    answer.webhook === 'queued' ? 'queued' : `not sent (${String(answer.webhook ?? 'unknown')})`;
  return [
    `${invocation.event} triggered on ${where}`,
    `  ${describe(provider, object)}`,
    `  webhook: ${webhook}`,
  ].join('\n');
}

async function main(argv: string[]): Promise<number> {
  let invocation: Invocation | 'help';
  try {
    invocation = parseInvocation(argv, process.env);
  } catch (error) {
    // parseArgs errors name only the option at fault, never its value, so they are safe to print.
    process.stderr.write(
      `error: ${(error as Error).message}\nRun \`npm run trigger -- --help\` for usage.\n`,
    );
    return 1;
  }
  if (invocation === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  try {
    process.stdout.write(`${await trigger(invocation)}\n`);
    return 0;
  } catch (error) {
    process.stderr.write(`error: ${(error as Error).message}\n`);
    return 1;
  }
}

// exitCode, not exit(): lets stdout drain when it is a pipe (the tests read it that way).
process.exitCode = await main(process.argv.slice(2));
