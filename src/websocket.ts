import type { Server } from 'node:http';
import { type DocumentNode, type ExecutionArgs, GraphQLError } from 'graphql';
import type { SubscribePayload } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import type { YogaServerInstance } from 'graphql-yoga';
import { WebSocketServer } from 'ws';
import type { AuthInitialContext } from './auth/useAuthentication.js';
import type { Authenticator } from './auth/viewer.js';
import type { Viewer } from './context.js';
import { serializedResult } from './events/sharedExecution.js';
import type { GraphqlWsOperation } from './events/subscriberGroups.js';
import type { Logger } from './logger.js';
import type { Metrics } from './metrics.js';

type EnvelopedArgs = ExecutionArgs & {
  rootValue: { execute: (args: ExecutionArgs) => unknown; subscribe: (args: ExecutionArgs) => unknown };
};

/**
 * The `Authorization` value a graphql-ws client sent in its `connectionParams`: `authorization`
 * or `Authorization`, or nested in `headers` as some clients (Apollo) send it.
 */
function authorizationOf(params: Record<string, unknown> | undefined): string | null {
  const headers =
    params?.headers && typeof params.headers === 'object' ? (params.headers as Record<string, unknown>) : {};
  const value =
    params?.authorization ?? params?.Authorization ?? headers.authorization ?? headers.Authorization;
  return typeof value === 'string' ? value : null;
}

/**
 * Whether a WebSocket upgrade may proceed. Browsers send no preflight for WebSockets, so without
 * this any site a user visits could open a socket to the gateway and run operations as that user
 * (in open access, as anyone): a browser's `Origin` must be this gateway's own (same host) or on
 * the CORS allow-list. Non-browser clients send no `Origin` and are not affected.
 */
export function originAllowed(
  origin: string | undefined,
  host: string | undefined,
  corsOrigins: readonly string[],
) {
  if (!origin) return true;
  if (corsOrigins.includes(origin)) return true;
  try {
    return new URL(origin).host === host;
  } catch {
    return false;
  }
}

/**
 * Writes a subscriber group's shared result (events/sharedExecution.ts) into each graphql-ws frame
 * as the text serialized once for the group, rather than serializing it again for every operation:
 * while graphql-ws stringifies a `next` message, the replacer swaps the shared payload for a marker
 * and keeps its text; the socket's `send`, called synchronously right after, splices the text in
 * where the marker ends the frame (`payload` is the message's last key). Only the operation-id
 * framing is built per subscriber.
 */
const PAYLOAD_MARKER = '\u0000paygraph:shared-payload\u0000';
const MARKED_FRAME_END = `${JSON.stringify(PAYLOAD_MARKER)}}`;
let pendingPayload: string | null = null;

function sharedPayloadReplacer(this: unknown, key: string, value: unknown): unknown {
  if (key !== 'payload' || value === null || typeof value !== 'object') return value;
  const text = serializedResult(value);
  if (text === null) return value;
  pendingPayload = text;
  return PAYLOAD_MARKER;
}

function withSharedPayload(frame: string): string {
  if (pendingPayload === null || !frame.endsWith(MARKED_FRAME_END)) return frame;
  const spliced = `${frame.slice(0, -MARKED_FRAME_END.length)}${pendingPayload}}`;
  pendingPayload = null;
  return spliced;
}

/** Query texts kept, so that identical subscriptions share one copy (see sharedQueryText). */
const QUERY_TEXTS_KEPT = 1_000;
const queryTexts = new Map<string, string>();

/**
 * The one copy kept of a query text equal to `text`: 10,000 subscriptions of the same operation
 * would otherwise hold 10,000 copies of it, about half a kilobyte each for a typical live query.
 */
function sharedQueryText(text: string): string {
  const kept = queryTexts.get(text);
  if (kept !== undefined) return kept;
  if (queryTexts.size >= QUERY_TEXTS_KEPT) queryTexts.clear();
  queryTexts.set(text, text);
  return text;
}

/**
 * graphql-ws on the same path as HTTP. Every operation goes through Yoga's envelop pipeline
 * (`getEnveloped`): the same parse, validation, context, error masking and plugins as over HTTP.
 * A socket authenticates once, in `connection_init` (`connectionParams.authorization:
 * "Bearer <token>"`): without a valid token the server refuses the connection (close 4403
 * Forbidden, before any operation), and every operation on an accepted socket runs as that viewer.
 */
export function serveGraphqlOverWebSocket(
  server: Server,
  // biome-ignore lint/suspicious/noExplicitAny: Yoga's server/user context generics are not needed here
  yoga: YogaServerInstance<any, any>,
  authenticator: Authenticator,
  logger?: Logger,
  corsOrigins: readonly string[] = [],
  metrics?: Metrics,
): () => Promise<void> {
  const wss = new WebSocketServer({
    server,
    path: yoga.graphqlEndpoint,
    verifyClient: ({ origin, req }: { origin?: string; req: { headers: { host?: string } } }) =>
      originAllowed(origin, req.headers.host, corsOrigins),
  });
  // Registered before useServer's own listener, so every frame graphql-ws sends passes through it.
  wss.on('connection', (socket, request) => {
    const send = socket.send.bind(socket);
    const tcp = request.socket;
    let corked = false;
    socket.send = ((data: unknown, ...rest: unknown[]) => {
      // One event reaches all of a socket's subscriptions in the same run of microtasks: their
      // frames leave in one write (writev) when it ends, instead of one system call each.
      if (!corked) {
        corked = true;
        tcp.cork();
        process.nextTick(() => {
          corked = false;
          tcp.uncork();
        });
      }
      (send as (...args: unknown[]) => void)(
        typeof data === 'string' ? withSharedPayload(data) : data,
        ...rest,
      );
    }) as typeof socket.send;
  });
  const disposable = useServer<Record<string, unknown> | undefined, { viewer: Viewer }>(
    {
      onConnect: async (ctx) => {
        const result = await authenticator.authenticateFrom(
          ctx.extra.request.socket.remoteAddress,
          authorizationOf(ctx.connectionParams),
        );
        // false: graphql-ws closes the socket with 4403 Forbidden. Nothing about the token is logged.
        if ('retryInMs' in result) {
          logger?.warn('WebSocket connection refused: too many failed authentications from its address');
          return false;
        }
        if ('failure' in result) {
          logger?.[result.failure === 'invalid' ? 'warn' : 'info'](
            { reason: result.failure },
            'WebSocket connection refused: no valid API token',
          );
          return false;
        }
        ctx.extra.viewer = result.viewer;
        metrics?.liveConnections.inc({ transport: 'graphql-ws' });
        return true;
      },
      // Called only for sockets onConnect accepted, so the gauge counts exactly those.
      onDisconnect: () => {
        metrics?.liveConnections.dec({ transport: 'graphql-ws' });
      },
      jsonMessageReplacer: sharedPayloadReplacer,
      // A shared result goes out as it is (not copied), so the replacer recognizes it.
      onNext: (_ctx, _id, _payload, _args, result) =>
        serializedResult(result) === null ? undefined : (result as never),
      execute: (args) => (args as EnvelopedArgs).rootValue.execute(args) as never,
      subscribe: (args) => (args as EnvelopedArgs).rootValue.subscribe(args) as never,
      onSubscribe: async (ctx, id, payload: SubscribePayload) => {
        // graphql-ws keeps the message (and so its query text) as long as the operation lives.
        (payload as { query: string }).query = sharedQueryText(payload.query);
        const initial: AuthInitialContext = { webSocketViewer: ctx.extra.viewer };
        const graphqlWsOperation: GraphqlWsOperation = {
          socket: ctx.extra.socket,
          connection: ctx.extra.request.socket,
          id,
        };
        // What plugins read of a graphql-ws operation: the node request (the client's address), the
        // operation's params, where its frames go and the socket's viewer. A subscription keeps this
        // context as long as it lives, so nothing else goes in.
        const { schema, execute, subscribe, contextFactory, parse, validate } = yoga.getEnveloped({
          req: ctx.extra.request,
          params: payload,
          graphqlWsOperation,
          ...initial,
        });
        // A syntax error (or a query over the token limit, which fails while parsing) must answer
        // this operation with an error, not close the socket and every subscription on it.
        let document: DocumentNode;
        try {
          document = parse(payload.query);
        } catch (error) {
          return [error instanceof GraphQLError ? error : new GraphQLError('the query could not be parsed')];
        }
        const args: EnvelopedArgs = {
          schema,
          operationName: payload.operationName,
          document,
          variableValues: payload.variables,
          contextValue: await contextFactory(),
          rootValue: { execute, subscribe },
        };
        const errors = validate(args.schema, args.document);
        return errors.length > 0 ? errors : args;
      },
    },
    wss,
  );
  return async () => {
    await disposable.dispose();
    for (const client of wss.clients) client.terminate();
    await new Promise<void>((resolve) => wss.close(() => resolve()));
  };
}
