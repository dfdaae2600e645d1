import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { renderGraphiQL } from '@graphql-yoga/render-graphiql';
import FindMyWay from 'find-my-way';
import { createYoga, type GraphiQLOptions } from 'graphql-yoga';
import { createContext, type Services } from './context.js';
import { createWebhookReceivers, type WebhookReceiverOptions } from './events/receivers.js';
import { schema } from './graphql/schema.js';
import { checkReadiness } from './health.js';
import { createMaskError } from './plugins/maskError.js';

export interface AppOptions {
  services: Services;
  webhooks: WebhookReceiverOptions;
  graphiql: boolean;
  /** Example operations GraphiQL opens with, one tab each. */
  graphiqlTabs: { query: string }[];
}

export type RequestListener = (req: IncomingMessage, res: ServerResponse) => void;

/** A client may send its own request ID (for tracing across services); anything odd is replaced. */
function requestIdOf(headers: Headers | undefined): string {
  const given = headers?.get('x-request-id');
  return given && /^[A-Za-z0-9._-]{8,64}$/.test(given) ? given : randomUUID();
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}

/**
 * The gateway's HTTP surface: `/graphql` (Yoga, with GraphiQL and SSE subscriptions), the provider
 * webhooks, `/healthz`, `/readyz`. Returns the Yoga instance too, for graphql-ws (websocket.ts).
 */
export function buildApp({ services, webhooks, graphiql, graphiqlTabs }: AppOptions) {
  const graphiqlOptions: GraphiQLOptions = { title: 'paygraph', defaultTabs: graphiqlTabs };
  const yoga = createYoga({
    schema,
    graphqlEndpoint: '/graphql',
    landingPage: false,
    graphiql: graphiql ? graphiqlOptions : false,
    renderGraphiQL,
    // Over WebSocket there is no Request: graphql-ws passes its own connection context instead.
    context: ({ request }: { request?: Request }) => createContext(services, requestIdOf(request?.headers)),
    maskedErrors: { maskError: createMaskError(services.logger) },
    logging: {
      debug: (...args) => services.logger.debug({ args: args.map(String) }, 'yoga'),
      info: (...args) => services.logger.info({ args: args.map(String) }, 'yoga'),
      warn: (...args) => services.logger.warn({ args: args.map(String) }, 'yoga'),
      error: (...args) => services.logger.error({ args: args.map(String) }, 'yoga'),
    },
  });

  const router = FindMyWay({
    defaultRoute: (_req, res) => sendJson(res, 404, { error: 'not found' }),
  });
  router.all('/graphql', (req, res) => {
    void yoga(req, res);
  });
  const receivers = createWebhookReceivers(webhooks);
  router.post('/webhooks/elepay', (req, res) => {
    void receivers.elepay(req, res);
  });
  router.post('/webhooks/elopage/:token', (req, res, params) => {
    void receivers.elopage(req, res, params.token ?? '');
  });
  router.get('/healthz', (_req, res) => sendJson(res, 200, { status: 'ok' }));
  router.get('/readyz', (_req, res) => {
    checkReadiness(services).then(
      (readiness) => sendJson(res, readiness.ready ? 200 : 503, readiness),
      () => sendJson(res, 503, { ready: false }),
    );
  });
  const listener: RequestListener = (req, res) => router.lookup(req, res);
  return { listener, yoga };
}
