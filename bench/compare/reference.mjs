import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';
import DataLoader from 'dataloader';
import { GraphQLError } from 'graphql';
import { createSchema, createYoga } from 'graphql-yoga';
import { Pool } from 'undici';

/**
 * The hand-written reference `npm run bench:gateway` measures paygraph against: what a team would
 * write instead of adopting paygraph for the same reads. graphql-yoga with an SDL schema,
 * per-request DataLoaders, one undici Pool, a bearer-token check, JSON.parse and no other policy.
 * Same GraphQL shape as paygraph for the fields the bench queries. Plain JavaScript, so it runs on
 * bare `node` as paygraph's compiled build does: no loader in either process.
 *
 * Env: UPSTREAM_URL (the bench's upstream), PORT, TOKEN_SHA256, POOL_CONNECTIONS.
 */
const typeDefs = /* GraphQL */ `
  type Query {
    payment(id: ID!): Payment
    charge(id: ID!): Charge
  }
  type Money {
    amount: String!
    currency: String!
  }
  enum TransactionStatus { PENDING SUCCEEDED FAILED CANCELED }
  type Payment {
    id: ID!
    providerId: ID!
    status: TransactionStatus!
    providerStatus: String!
    amount: Money!
    revenue: Money!
    fee: Money!
    netAmount: Money!
    paymentMethod: String
    createdAt: String
    salesPage: SalesPage
  }
  type SalesPage {
    id: ID!
    providerId: ID!
    name: String
    urlToPay: String
  }
  type Charge {
    id: ID!
    providerId: ID!
    status: TransactionStatus!
    amount: Money!
    orderNo: String
  }
`;

const upstream = new URL(process.env.UPSTREAM_URL ?? 'http://127.0.0.1:1');
const pool = new Pool(upstream.origin, { connections: Number(process.env.POOL_CONNECTIONS ?? 128) });
const credentials = 'key=bench_key&secret=bench_secret';

async function get(path) {
  const res = await pool.request({ method: 'GET', path, headers: { accept: 'application/json' } });
  if (res.statusCode === 404) {
    await res.body.dump();
    return null;
  }
  if (res.statusCode !== 200) {
    await res.body.dump();
    throw new GraphQLError('upstream unavailable', { extensions: { code: 'PROVIDER_UNAVAILABLE' } });
  }
  return await res.body.json();
}

const loader = (path) => new DataLoader((ids) => Promise.all(ids.map((id) => get(path(id)).catch((e) => e))));

const STATUS = {
  successful: 'SUCCEEDED',
  success_av: 'SUCCEEDED',
  captured: 'SUCCEEDED',
  canceled: 'CANCELED',
  error: 'FAILED',
};
const globalId = (kind, provider, id) =>
  Buffer.from(`${kind}:${provider}:${String(id)}`).toString('base64url');
const eur = (value) => ({ amount: Number(value).toFixed(2), currency: 'EUR' });

const resolvers = {
  Query: {
    payment: (_, { id }, ctx) => ctx.payments.load(id),
    charge: (_, { id }, ctx) => ctx.charges.load(id),
  },
  Payment: {
    id: (p) => globalId('Payment', 'elopage', p.id),
    providerId: (p) => String(p.id),
    status: (p) => STATUS[String(p.state)] ?? 'PENDING',
    providerStatus: (p) => p.state,
    amount: (p) => eur(p.revenue),
    revenue: (p) => eur(p.revenue),
    fee: (p) => eur(p.fee),
    netAmount: (p) => eur(p.amount),
    paymentMethod: (p) => p.payment_method,
    createdAt: (p) => (p.created_date ? new Date(String(p.created_date)).toISOString() : null),
    salesPage: (p, _, ctx) => (p.sales_page_id ? ctx.salesPages.load(String(p.sales_page_id)) : null),
  },
  SalesPage: {
    id: (s) => globalId('SalesPage', 'elopage', s.id),
    providerId: (s) => String(s.id),
    urlToPay: (s) => s.url_to_pay,
  },
  Charge: {
    id: (c) => globalId('Charge', 'elepay', c.id),
    providerId: (c) => c.id,
    status: (c) => STATUS[String(c.status)] ?? 'PENDING',
    amount: (c) => ({ amount: String(c.amount), currency: c.currency }),
  },
};

const tokenHash = Buffer.from(process.env.TOKEN_SHA256 ?? '', 'hex');
function authorized(header) {
  const token = header?.startsWith('Bearer ') ? header.slice(7) : '';
  const hash = createHash('sha256').update(token).digest();
  return hash.length === tokenHash.length && timingSafeEqual(hash, tokenHash);
}

const yoga = createYoga({
  schema: createSchema({ typeDefs, resolvers }),
  graphiql: false,
  landingPage: false,
  context: ({ request }) => {
    if (!authorized(request.headers.get('authorization'))) {
      throw new GraphQLError('unauthenticated', { extensions: { http: { status: 401 } } });
    }
    return {
      payments: loader((id) => `/api/payments/${encodeURIComponent(id)}?${credentials}`),
      salesPages: loader((id) => `/api/sales_pages/${encodeURIComponent(id)}?${credentials}`),
      charges: loader((id) => `/charges/${encodeURIComponent(id)}`),
    };
  },
});

const server = createServer((req, res) => {
  if (req.url === '/healthz') {
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
    return;
  }
  void yoga(req, res);
});
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  console.log(`http://127.0.0.1:${server.address().port}`);
});
