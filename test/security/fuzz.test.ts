import { createHmac } from 'node:crypto';
import { Readable } from 'node:stream';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../support/harness.js';

/**
 * Thousands of malformed requests — random bytes, invalid UTF-8, huge and deeply nested bodies,
 * wrong types, truncated JSON, odd content types and encodings, null bytes, huge headers — against
 * /graphql (POST and GET) and both webhook routes. None may get a 5xx, none may crash the process
 * or leak a secret, and memory must stay bounded. The generator is a seeded xorshift, so a failure
 * replays exactly: FUZZ_SEED=<seed> npx vitest run test/security/fuzz.test.ts
 */
const SEED = Number(process.env.FUZZ_SEED ?? 0x5eed_c0de) >>> 0 || 1;
const REQUESTS = Number(process.env.FUZZ_REQUESTS ?? 2400);
const CONCURRENCY = 16;
const MEMORY_BOUND_BYTES = 200 * 1024 * 1024;
const HEAP_BOUND_BYTES = 64 * 1024 * 1024;

const ELEPAY_WEBHOOK_SECRET = 'whsec_fuzz_tests_current_secret_00000001';
const ELEPAY_WEBHOOK_SECRET_PREVIOUS = 'whsec_fuzz_tests_previous_secret_0000002';
const ELOPAGE_WEBHOOK_TOKEN = 'fuzz-tests-elopage-webhook-token-000003';

/** xorshift32: tiny, deterministic, good enough to pick cases. */
class Random {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0 || 1;
  }
  next(): number {
    let x = this.state;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.state = x >>> 0;
    return this.state;
  }
  int(below: number): number {
    return this.next() % below;
  }
  between(min: number, max: number): number {
    return min + this.int(max - min + 1);
  }
  chance(p: number): boolean {
    return this.next() / 0x1_0000_0000 < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)] as T;
  }
  bytes(length: number): Buffer {
    const buffer = Buffer.allocUnsafe(length);
    for (let i = 0; i < length; i++) buffer[i] = this.next() & 0xff;
    return buffer;
  }
  /** Printable ASCII: what an HTTP client will put in a header or URL without refusing. */
  ascii(length: number): string {
    let text = '';
    for (let i = 0; i < length; i++) text += String.fromCharCode(0x20 + this.int(0x5f));
    return text;
  }
}

type Target = 'graphql-post' | 'graphql-get' | 'elepay' | 'elopage' | 'elopage-wrong-token';

interface Case {
  target: Target;
  kind: string;
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: Buffer | string | (() => Readable);
  /** Huge bodies and headers: the server may answer and close before the client finished sending. */
  mayDropConnection?: boolean;
}

interface Outcome {
  status: number | null;
  error?: string;
  /** The first few hundred characters of the answer. */
  body: string;
}

const deepArray = (levels: number) => `${'['.repeat(levels)}${']'.repeat(levels)}`;
const deepObject = (levels: number) => `${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}`;

/** Byte sequences that are not UTF-8: stray continuation, overlong, surrogate halves, 0xFF. */
const INVALID_UTF8 = [
  Buffer.from([0x80]),
  Buffer.from([0xc3, 0x28]),
  Buffer.from([0xe2, 0x82]),
  Buffer.from([0xed, 0xa0, 0x80]),
  Buffer.from([0xf8, 0x88, 0x80, 0x80, 0x80]),
  Buffer.from([0xff, 0xfe]),
  Buffer.from([0xc0, 0xaf]),
];

const CONTENT_TYPES = [
  'application/json',
  'application/json; charset=utf-8',
  'application/json; charset=latin1',
  'application/json; charset=bogus-42',
  'application/graphql',
  'application/graphql-response+json',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=----fuzz',
  'multipart/mixed; boundary=-',
  'text/plain',
  'text/html',
  'application/octet-stream',
  'application/x-ndjson',
  ';;;',
  'application/json; boundary="',
];

const ACCEPTS = [
  'application/json',
  'application/graphql-response+json',
  'text/event-stream',
  'multipart/mixed',
  'text/html',
  '*/*',
  'application/xml',
  'application/json;q=0, text/event-stream;q=0',
  ',,,',
];

const GRAPHQL_PIECES = [
  '{',
  '}',
  '(',
  ')',
  '[',
  ']',
  '$',
  '...',
  '@',
  ':',
  '=',
  '!',
  'query',
  'mutation',
  'subscription',
  'fragment',
  'on',
  '__typename',
  '__schema',
  'charge',
  'payment',
  'node',
  'id:',
  '"ch_1"',
  '"""block"""',
  '"\\u00e9\\uD800"',
  '123',
  '-1e309',
  'null',
  'true',
  '#comment\n',
  '\u0000',
  '\uFFFF',
  'createCharge(input: {amount: "1e999", paymentMethod: 1})',
  '{ id providerId }',
];

/** The kinds of request bodies, each a function of the PRNG. */
function randomQuery(random: Random): string {
  let text = '';
  const pieces = random.between(1, 40);
  for (let i = 0; i < pieces; i++) text += `${random.pick(GRAPHQL_PIECES)} `;
  return text;
}

const WRONG_VALUES: unknown[] = [
  null,
  0,
  -1,
  1e308,
  true,
  'string',
  '',
  [],
  [1, 2, 3],
  {},
  { query: '{ __typename }' },
  [{ query: '{ __typename }' }],
  { __proto__: { polluted: true } },
  { constructor: { prototype: { polluted: true } } },
];

function wrongTypesBody(random: Random): string {
  const body: Record<string, unknown> = {};
  body.query = random.chance(0.5)
    ? random.pick(WRONG_VALUES)
    : random.pick(['{ __typename }', randomQuery(random)]);
  if (random.chance(0.7)) body.variables = random.pick(WRONG_VALUES);
  if (random.chance(0.5)) body.operationName = random.pick(WRONG_VALUES);
  if (random.chance(0.3)) body.extensions = random.pick(WRONG_VALUES);
  if (random.chance(0.2)) body[random.ascii(random.between(1, 12))] = random.pick(WRONG_VALUES);
  // A JSON text whose top level is not an object at all, now and then.
  return random.chance(0.15) ? JSON.stringify(random.pick(WRONG_VALUES)) : JSON.stringify(body);
}

function deepBody(random: Random): string {
  const levels = random.pick([1_000, 5_000, 10_000, 50_000]);
  const deep = random.chance(0.5) ? deepArray(levels) : deepObject(levels);
  switch (random.int(5)) {
    case 0:
      return deep;
    case 1:
      return `{"query":"query($m: JSONObject) { __typename }","variables":{"m":${deep}}}`;
    case 2:
      return `{"query":"mutation($input: CreateChargeInput!) { createCharge(input: $input) { userErrors { code } } }","variables":{"input":{"amount":"1","paymentMethod":"creditcard","metadata":{"x":${deep}}}}}`;
    case 3:
      return `{"query":"{ __typename }","extensions":${deep}}`;
    default:
      // A deeply nested GraphQL document: the parser must refuse it, not recurse until it overflows.
      return JSON.stringify({
        query: `${'{ node(id: "x") { ... on Charge '.repeat(levels / 10)}id${' }'.repeat(levels / 5)}`,
      });
  }
}

function invalidUtf8Body(random: Random): Buffer {
  const parts: Buffer[] = [Buffer.from('{"query":"{ __typename ')];
  for (let i = random.between(1, 4); i > 0; i--)
    parts.push(random.pick(INVALID_UTF8), Buffer.from(random.ascii(3)));
  parts.push(Buffer.from('}","variables":{"k":"'), random.pick(INVALID_UTF8), Buffer.from('"}}'));
  return Buffer.concat(parts);
}

function truncatedBody(random: Random): string {
  const whole = JSON.stringify({
    query: 'query Charge($id: ID!) { charge(id: $id) { id status amount { amount currency } } }',
    variables: { id: 'ch_1', nested: { list: [1, 2, { deeper: 'yes' }] } },
    operationName: 'Charge',
  });
  return whole.slice(0, random.int(whole.length));
}

function nullBytesBody(random: Random): string {
  const text = JSON.stringify({ query: '{ __typename }', variables: { id: 'ch_1' } });
  const at = random.int(text.length);
  return `${text.slice(0, at)}\u0000${random.chance(0.5) ? '\\u0000' : ''}${text.slice(at)}`;
}

/** Several MB, with a declared length (refused before reading) or chunked (refused while reading). */
function hugeBody(random: Random): Buffer | (() => Readable) {
  const size = random.between(2, 6) * 1024 * 1024;
  const chunk = Buffer.from(`{"query":"{ __typename }","variables":{"pad":"${'x'.repeat(64 * 1024)}`);
  if (random.chance(0.5)) return Buffer.alloc(size, 'A');
  const chunks = Math.ceil(size / chunk.length);
  return () =>
    Readable.from(
      (function* () {
        for (let i = 0; i < chunks; i++) yield chunk;
      })(),
    );
}

function elepayEventBody(random: Random): string {
  const object: Record<string, unknown> = {};
  if (random.chance(0.8))
    object.id = random.pick([
      ...WRONG_VALUES,
      'ch_1',
      'ch_nonexistent',
      random.ascii(20),
      '../../x?y=1#z',
      'ch_%00',
      'x'.repeat(5000),
    ]);
  if (random.chance(0.5))
    object.chargeId = random.pick([...WRONG_VALUES, 'ch_1', random.ascii(16), '/../..']);
  const type = random.pick<unknown>([
    'charge.succeeded',
    'charge.revoked',
    'refund.succeeded',
    'refund.created',
    'customer.created',
    '',
    'charge.',
    'refund.',
    42,
    null,
    ['charge.succeeded'],
    { charge: true },
  ]);
  const envelope = random.pick<unknown>([
    { type, data: { object } },
    { type, data: object },
    { type, data: [object] },
    { type },
    { data: { object } },
    [{ type, data: { object } }],
  ]);
  return JSON.stringify(envelope);
}

function elopageNotificationBody(random: Random): string | Buffer {
  switch (random.int(5)) {
    case 0:
      return JSON.stringify({
        event: random.pick(['payment.successful', 'payment.pending', 'bogus', 7]),
        id: random.pick<unknown>([
          ...WRONG_VALUES,
          '540391',
          540391,
          99999999999999,
          '1e5',
          '-1',
          random.ascii(10),
          '0x1F',
        ]),
      });
    case 1:
      return `id=${encodeURIComponent(random.ascii(random.between(0, 20)))}&event=${random.pick(['payment.successful', '%zz', '&&'])}`;
    case 2:
      return random.ascii(random.between(0, 200));
    case 3:
      return JSON.stringify({ id: { id: '540391' }, payment: { id: 540391 } });
    default:
      return random.bytes(random.between(0, 512));
  }
}

function elepaySignature(random: Random, body: Buffer | string, now: number): string | undefined {
  const t = Math.floor(now / 1000);
  switch (random.int(8)) {
    case 0:
      return undefined;
    case 1:
      return random.ascii(random.between(0, 300));
    case 2:
      return `t=${t},sign=${random.bytes(32).toString('hex')}`;
    case 3:
      return `t=${random.pick(['', '-1', '99999999999999', '1e9', `${t}.5`, 'abc'])},sign=${random.bytes(32).toString('hex')}`;
    case 4:
      return `t=${t},${Array.from({ length: random.between(50, 400) }, () => `sign=${random.bytes(32).toString('hex')}`).join(',')}`;
    case 5:
      return `sign=${random.bytes(32).toString('hex')},t=${t - 3600}`;
    default: {
      // A valid signature over a malformed body: what follows the check must be robust too.
      const secret = random.chance(0.5) ? ELEPAY_WEBHOOK_SECRET : ELEPAY_WEBHOOK_SECRET_PREVIOUS;
      const sign = createHmac('sha256', secret).update(`${t}.`).update(body).digest('hex');
      return `t=${t},sign=${sign}`;
    }
  }
}

function headerNoise(random: Random, headers: Record<string, string>): void {
  if (random.chance(0.2)) headers['x-request-id'] = random.ascii(random.between(0, 100));
  if (random.chance(0.1))
    headers.authorization = random.pick(['Bearer ', `Bearer ${random.ascii(40)}`, random.ascii(30)]);
  if (random.chance(0.1)) headers['idempotency-key'] = random.ascii(random.between(0, 400));
  if (random.chance(0.05))
    headers['content-encoding'] = random.pick(['gzip', 'deflate', 'br', 'identity', 'bogus']);
  if (random.chance(0.05))
    headers.origin = random.pick(['https://evil.example.net', 'null', random.ascii(20)]);
  if (random.chance(0.03)) headers['x-long'] = 'v'.repeat(random.pick([4_000, 12_000]));
}

function bodyFor(random: Random, kind: string): Buffer | string | (() => Readable) {
  switch (kind) {
    case 'random-bytes':
      return random.bytes(random.between(0, 4096));
    case 'invalid-utf8':
      return invalidUtf8Body(random);
    case 'deep-json':
      return deepBody(random);
    case 'wrong-types':
      return wrongTypesBody(random);
    case 'truncated-json':
      return truncatedBody(random);
    case 'null-bytes':
      return nullBytesBody(random);
    case 'random-graphql':
      return JSON.stringify({
        query: randomQuery(random),
        variables: random.chance(0.5) ? { id: random.ascii(8) } : undefined,
      });
    default:
      return '';
  }
}

const BODY_KINDS = [
  'random-bytes',
  'invalid-utf8',
  'deep-json',
  'wrong-types',
  'wrong-types',
  'truncated-json',
  'null-bytes',
  'random-graphql',
  'random-graphql',
  'empty',
];

function makeCase(random: Random, index: number, now: number): Case {
  const target = random.pick<Target>([
    'graphql-post',
    'graphql-post',
    'graphql-post',
    'graphql-get',
    'elepay',
    'elepay',
    'elopage',
    'elopage',
    'elopage-wrong-token',
  ]);
  const headers: Record<string, string> = {};
  headerNoise(random, headers);
  const huge = index % 80 === 7; // ~30 huge bodies spread over the run
  const giantHeader = index % 97 === 11; // beyond Node's 16 KB header limit: 431, connection closed

  if (giantHeader)
    headers[random.pick(['x-request-id', 'elepay-signature', 'authorization', 'cookie'])] = 'g'.repeat(
      40_000,
    );

  if (target === 'graphql-get') {
    const params = random.pick([
      () => `query=${encodeURIComponent(randomQuery(random))}`,
      () =>
        `query=${encodeURIComponent('{ __typename }')}&variables=${encodeURIComponent(random.pick([deepArray(5_000), '[1]', '"x"', '{', 'null']))}`,
      () => `query=%E0%A4%A&variables=%zz&operationName=%`,
      () => `query[]=a&query[]=b&extensions=${encodeURIComponent(deepObject(2_000))}`,
      () => random.ascii(random.between(0, 2_000)).replace(/[#\s]/g, '_'),
      () => `query=${'%00'.repeat(random.between(1, 50))}`,
      () =>
        `query=${encodeURIComponent('mutation { cancelCharge(input: {chargeId: "ch_1"}) { userErrors { code } } }')}`,
    ])();
    // Half of them carry the header a GET needs past the CSRF guard, so the parser is reached.
    if (random.chance(0.5)) headers['x-graphql-yoga-csrf'] = '1';
    if (random.chance(0.4)) headers.accept = random.pick(ACCEPTS);
    // A GET accepting HTML is answered with GraphiQL (9 MB): a few are enough, and many would make
    // the memory this test measures a matter of how many happened to overlap.
    if (headers.accept === 'text/html' && !random.chance(0.1)) headers.accept = '*/*';
    return {
      target,
      kind: 'query-string',
      method: random.pick(['GET', 'GET', 'GET', 'HEAD', 'OPTIONS', 'DELETE', 'PUT']),
      path: `/graphql?${params}`,
      headers,
      mayDropConnection: giantHeader,
    };
  }

  let kind: string;
  let body: Case['body'];
  let mayDropConnection = giantHeader;
  if (huge) {
    kind = 'huge-body';
    body = hugeBody(random);
    mayDropConnection = true;
  } else {
    kind = target === 'graphql-post' || random.chance(0.5) ? random.pick(BODY_KINDS) : 'provider-shaped';
    body =
      kind === 'provider-shaped'
        ? target === 'elepay'
          ? elepayEventBody(random)
          : elopageNotificationBody(random)
        : bodyFor(random, kind);
  }

  headers['content-type'] = random.chance(0.6) ? 'application/json' : random.pick(CONTENT_TYPES);
  if (random.chance(0.05))
    headers['content-type'] = `application/json; ${'p=v; '.repeat(random.between(100, 1_500))}`;
  // Mostly an Accept that Yoga serves, so the parsers are reached rather than refused with 406.
  if (target === 'graphql-post' && random.chance(0.4)) headers.accept = random.pick(ACCEPTS);
  if (target === 'elepay' && typeof body !== 'function') {
    const signature = elepaySignature(random, body, now);
    if (signature !== undefined) headers['elepay-signature'] = signature;
  }
  const path =
    target === 'graphql-post'
      ? '/graphql'
      : target === 'elepay'
        ? '/webhooks/elepay'
        : target === 'elopage'
          ? `/webhooks/elopage/${ELOPAGE_WEBHOOK_TOKEN}`
          : `/webhooks/elopage/${encodeURIComponent(random.pick([random.ascii(random.between(1, 64)), ELOPAGE_WEBHOOK_TOKEN.slice(0, -1), `${ELOPAGE_WEBHOOK_TOKEN}x`, 'a'.repeat(3_000)]))}`;
  return {
    target,
    kind,
    method: random.chance(0.95) ? 'POST' : random.pick(['PUT', 'PATCH', 'DELETE', 'GET']),
    path,
    headers,
    body,
    mayDropConnection,
  };
}

const recordedBodies = new Set<string>();

async function send(gw: TestGateway, fuzzCase: Case): Promise<Outcome> {
  const body = typeof fuzzCase.body === 'function' ? fuzzCase.body() : fuzzCase.body;
  try {
    const response = await request(`${gw.url}${fuzzCase.path}`, {
      method: fuzzCase.method as 'POST',
      headers: fuzzCase.headers,
      body: fuzzCase.method === 'GET' || fuzzCase.method === 'HEAD' ? undefined : body,
      headersTimeout: 15_000,
      bodyTimeout: 15_000,
    });
    // A stream (SSE, multipart) that opened is an answer: its status is what counts.
    if (/event-stream|multipart/.test(String(response.headers['content-type']))) {
      // Destroying the body rejects its pending reads with an AbortError: expected, not an escape.
      response.body.on('error', () => undefined);
      response.body.destroy();
      return { status: response.statusCode, body: '' };
    }
    const text = await response.body.text();
    // Every distinct body is kept for the leak search; repeats (the 9 MB GraphiQL page) only once.
    if (!recordedBodies.has(text)) {
      recordedBodies.add(text);
      gw.bodies.push(text);
    }
    // Only the start is kept, for describing a failure: whole bodies (GraphiQL is 9 MB) would be
    // what this test measures as memory growth. Copied, since a V8 substring keeps its parent alive.
    return { status: response.statusCode, body: Buffer.from(text.slice(0, 300)).toString() };
  } catch (error) {
    const { code, message } = error as { code?: string; message?: string };
    return { status: null, error: `${code ?? 'error'}: ${message ?? String(error)}`, body: '' };
  }
}

/** What a failing case looked like, short enough to print. */
function describeCase(fuzzCase: Case, outcome: Outcome): string {
  const body =
    typeof fuzzCase.body === 'function'
      ? '<chunked stream>'
      : fuzzCase.body === undefined
        ? '<none>'
        : `${Buffer.byteLength(fuzzCase.body)} bytes: ${JSON.stringify(fuzzCase.body.toString().slice(0, 160))}`;
  const headers = Object.fromEntries(
    Object.entries(fuzzCase.headers).map(([name, value]) => [
      name,
      value.length > 80 ? `${value.slice(0, 80)}…(${value.length})` : value,
    ]),
  );
  return `${fuzzCase.kind} ${fuzzCase.method} ${fuzzCase.path.slice(0, 120)} headers=${JSON.stringify(headers)} body=${body} → ${outcome.status ?? outcome.error} ${outcome.body.slice(0, 300)}`;
}

/**
 * A full garbage collection, so that memory is compared between like states rather than between
 * two points of V8's lazy collection (vitest's workers do not run with --expose-gc).
 */
function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway({
    ELEPAY_WEBHOOK_SECRET,
    ELEPAY_WEBHOOK_SECRET_PREVIOUS,
    ELOPAGE_WEBHOOK_TOKEN,
    // The simulators' own webhooks go nowhere: every webhook the gateway sees is one of ours.
    SANDBOX_WEBHOOK_URL: 'http://127.0.0.1:1',
  });
});
afterAll(async () => {
  gw.expectNoLeaks([ELEPAY_WEBHOOK_SECRET, ELEPAY_WEBHOOK_SECRET_PREVIOUS, ELOPAGE_WEBHOOK_TOKEN]);
  await gw.close();
});

describe(`fuzz (seed ${SEED})`, () => {
  it(`${REQUESTS} malformed requests: no 5xx, no crash, bounded memory, still healthy`, {
    timeout: 90_000,
  }, async () => {
    const random = new Random(SEED);
    const now = Date.now();
    const escaped: unknown[] = [];
    const onEscape = (error: unknown) => escaped.push(error);
    process.on('uncaughtException', onEscape);
    process.on('unhandledRejection', onEscape);

    // Cases are made as they are sent (several MB each, at times) and dropped once answered; only a
    // short description of a failing one is kept. Indices are taken synchronously, so the PRNG
    // sequence — hence every case — is the same whatever the order the answers come back in.
    const outcomes: Outcome[] = [];
    const serverErrors: string[] = [];
    const droppedUnexpectedly: string[] = [];
    const statuses = new Map<string, number>();
    let next = 0;
    const run = (until: number) =>
      Promise.all(
        Array.from({ length: CONCURRENCY }, async () => {
          while (next < until) {
            const index = next++;
            const fuzzCase = makeCase(random, index, now);
            const outcome = await send(gw, fuzzCase);
            outcomes.push(outcome);
            const key = `${fuzzCase.target} ${outcome.status ?? 'dropped'}`;
            statuses.set(key, (statuses.get(key) ?? 0) + 1);
            // A well-formed elopage notification (valid token) naming a payment elopage does not
            // have is a 503 by design: it may be read-after-write lag, so the provider retries.
            const retryLater = fuzzCase.target === 'elopage' && outcome.status === 503;
            if (outcome.status !== null && outcome.status >= 500 && !retryLater)
              serverErrors.push(describeCase(fuzzCase, outcome));
            if (outcome.status === null && !fuzzCase.mayDropConnection) {
              droppedUnexpectedly.push(describeCase(fuzzCase, outcome));
            }
          }
        }),
      );

    const started = performance.now();
    let rssGrowth = 0;
    let heapGrowth = 0;
    try {
      // A first tenth warms up pools, caches and JIT; memory is measured from there to the end.
      await run(REQUESTS / 10);
      collectGarbage();
      const before = process.memoryUsage();
      await run(REQUESTS);
      collectGarbage();
      const after = process.memoryUsage();
      rssGrowth = after.rss - before.rss;
      heapGrowth = after.heapUsed - before.heapUsed;
    } finally {
      process.off('uncaughtException', onEscape);
      process.off('unhandledRejection', onEscape);
    }
    const seconds = (performance.now() - started) / 1000;

    const answered = outcomes.filter((outcome) => outcome.status !== null).length;
    // Not a failure here (no 5xx, no crash), but each is a malformed input some resolver mistook for
    // a bug; the report names them so they get fixed where they are.
    const unexpected = gw.logs.filter((line) => line.includes('"msg":"unexpected error"')).length;
    console.info(
      `fuzz seed ${SEED}: ${outcomes.length} requests (${answered} answered) in ${seconds.toFixed(1)} s, rss +${Math.round(rssGrowth / 1024 / 1024)} MB, heap after GC +${Math.round(heapGrowth / 1024 / 1024)} MB, ${unexpected} INTERNAL errors logged`,
      Object.fromEntries([...statuses].sort()),
    );

    expect(serverErrors.slice(0, 10), `${serverErrors.length} responses were 5xx`).toEqual([]);
    expect(droppedUnexpectedly.slice(0, 10), `${droppedUnexpectedly.length} connections failed`).toEqual([]);
    expect(escaped.map((error) => (error instanceof Error ? error.stack : String(error)))).toEqual([]);
    expect(answered).toBeGreaterThanOrEqual(2_000);
    // RSS is a high-water mark (V8 keeps what it once needed); the heap after a full GC is what would
    // show a leak: four times the requests grow it by a few MB only.
    expect(rssGrowth).toBeLessThan(MEMORY_BOUND_BYTES);
    expect(heapGrowth).toBeLessThan(HEAP_BOUND_BYTES);

    // Still alive and still serving.
    const health = await request(`${gw.url}/healthz`);
    expect(health.statusCode).toBe(200);
    await health.body.dump();
    const query = await request(`${gw.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ __typename }' }),
    });
    expect(query.statusCode).toBe(200);
    expect(await query.body.json()).toEqual({ data: { __typename: 'Query' } });
  });
});
