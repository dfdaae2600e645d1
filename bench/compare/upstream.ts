import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * The REST upstream both gateways of `npm run bench:gateway` talk to: elopage-shaped payments and
 * sales pages under `/api`, elepay-shaped charges at the root, every answer after an added latency
 * that the bench changes between cases (`POST /_bench/latency`). It counts every provider call, so
 * calls per GraphQL request come from the upstream's own count (`GET /_bench/stats`).
 *
 * Run as its own process (`node --import tsx bench/compare/upstream.ts --serve`); it prints its URL.
 */

/** Payments 540001…540020 belong to 8 sales pages: "20 payments + their sales pages" is 28 calls. */
export const PAYMENT_IDS = Array.from({ length: 20 }, (_, i) => String(540_001 + i));
export const SALES_PAGE_COUNT = 8;
const salesPageOf = (paymentId: number) => 1000 + (paymentId % SALES_PAGE_COUNT);

function paymentBody(id: number): string {
  return JSON.stringify({
    id,
    payer: { email: `buyer${id}@example.com`, first_name: 'Ada', last_name: 'Lovelace', country: 'DE' },
    revenue: 199.9,
    amount: 193.85,
    fee: 6.05,
    recurring: false,
    recurring_form: 'one_time',
    payment_method: 'card',
    payment_session_id: id * 10,
    sales_page_id: salesPageOf(id),
    state: 'successful',
    created_date: '2026-11-20T10:15Z',
    success_date: '2026-11-20T10:16Z',
    success_date_short: '2026-11-20',
    invoice_link: `https://elopage.com/invoices/${id}`,
    success_link: null,
    author_commissions: [{ id: id * 3, rate: 10.0, amount: 19.385, payment_id: id }],
  });
}

function salesPageBody(id: number): string {
  return JSON.stringify({
    id,
    name: `Online course ${id}`,
    url_to_pay: `https://elopage.com/s/bench/${id}`,
    success_url: null,
    cancel_url: null,
    error_url: null,
    webhook_url: null,
    free: false,
    pricing_plans: [{ id: id * 10, form: 'one_time', preferences: { price: '199.90', old_price: null } }],
    authors: [{ author_id: 4, c_c_enabled: true, commission: 10 }],
  });
}

function chargeBody(id: string): string {
  return JSON.stringify({
    id,
    object: 'charge',
    liveMode: false,
    orderNo: `order-${id}`,
    amount: 1000,
    currency: 'JPY',
    status: 'captured',
    paymentMethod: 'creditcard',
    refundedAmount: 0,
    createTime: 1_763_000_000_000,
    paidTime: 1_763_000_001_000,
  });
}

/** The provider reads the upstream serves, each answered with a body made once per ID. */
const ROUTES: { pattern: RegExp; name: string; body: (id: string) => string }[] = [
  { pattern: /^\/api\/payments\/(\d+)$/, name: 'GET /payments/:id', body: (id) => paymentBody(Number(id)) },
  {
    pattern: /^\/api\/sales_pages\/(\d+)$/,
    name: 'GET /sales_pages/:id',
    body: (id) => salesPageBody(Number(id)),
  },
  { pattern: /^\/charges\/([\w-]+)$/, name: 'GET /charges/:id', body: chargeBody },
];

export interface UpstreamStats {
  calls: number;
  byRoute: Record<string, number>;
}

export function startUpstream(port = 0): Promise<{ url: string; close(): Promise<void> }> {
  let latencyMs = 0;
  const stats: UpstreamStats = { calls: 0, byRoute: {} };
  const bodies = new Map<string, string>();
  const cached = (key: string, make: () => string) => {
    let body = bodies.get(key);
    if (body === undefined) {
      body = make();
      bodies.set(key, body);
    }
    return body;
  };

  const answer = (res: ServerResponse, status: number, body: string) => {
    const send = () => {
      res.writeHead(status, {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(body),
      });
      res.end(body);
    };
    if (latencyMs > 0) setTimeout(send, latencyMs);
    else send();
  };

  const count = (route: string) => {
    stats.calls += 1;
    stats.byRoute[route] = (stats.byRoute[route] ?? 0) + 1;
  };

  const route = (req: IncomingMessage, res: ServerResponse, body: string) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    if (path === '/healthz') return answer(res, 200, '{"status":"ok"}');
    if (path === '/_bench/stats') {
      if (req.method === 'POST') {
        stats.calls = 0;
        stats.byRoute = {};
      }
      return answer(res, 200, JSON.stringify(stats));
    }
    if (path === '/_bench/latency' && req.method === 'POST') {
      latencyMs = Number((JSON.parse(body) as { ms: number }).ms);
      res.writeHead(200).end();
      return;
    }
    for (const { pattern, name, body: make } of ROUTES) {
      const id = req.method === 'GET' ? pattern.exec(path)?.[1] : undefined;
      if (id === undefined) continue;
      count(name);
      return answer(
        res,
        200,
        cached(`${name} ${id}`, () => make(id)),
      );
    }
    count('other');
    return answer(res, 404, JSON.stringify({ error: 'NotFound' }));
  };

  const server = createServer((req, res) => {
    if (req.method === 'GET') return route(req, res, '');
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => {
      body += chunk;
    });
    req.on('end', () => route(req, res, body));
  });
  server.keepAliveTimeout = 60_000;
  return new Promise((resolve) => {
    server.listen(port, '127.0.0.1', () => {
      const { port: bound } = server.address() as AddressInfo;
      resolve({
        url: `http://127.0.0.1:${bound}`,
        close: () =>
          new Promise<void>((done) => {
            server.closeAllConnections();
            server.close(() => done());
          }),
      });
    });
  });
}

// Spawned by the bench with `--serve`; imported (for PAYMENT_IDS) without it.
if (process.argv.includes('--serve')) {
  const { url } = await startUpstream();
  console.log(url);
}
