import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print } from 'graphql';
import { type Client, type ClientOptions, createClient } from 'graphql-ws';
import { request } from 'undici';
import WebSocket from 'ws';
import {
  ChargeDocument,
  TransactionStatusChangedDocument,
  type TransactionStatusChangedSubscription,
} from '../generated/graphql.js';

/**
 * Real subscription clients for tests: graphql-ws over WebSocket and Yoga's server-sent events.
 * Both collect every `next` payload in `received`, in order, until closed.
 *
 * Both `subscribeWs` and `subscribeSse` return only once the gateway is following the log for the
 * new subscription, so an event caused right after they return cannot be missed (see syncWs and
 * subscribeSse for how each transport proves it).
 */
export interface Subscriber<T> {
  received: T[];
  errors: unknown[];
  /** Whether the server ended the subscription (complete or error). */
  ended: boolean;
  /** Resolves once `count` payloads arrived (rejects after `timeoutMs`, or when it ends short). */
  waitFor(count: number, timeoutMs?: number): Promise<T[]>;
  close(): Promise<void>;
}

type Sink<T> = Pick<Subscriber<T>, 'received' | 'errors' | 'waitFor' | 'ended'> & {
  push(value: T): void;
  fail(error: unknown): void;
  end(): void;
};

function collector<T>(): Sink<T> {
  const received: T[] = [];
  const errors: unknown[] = [];
  const waiters = new Set<{ count: number; resolve: (values: T[]) => void; reject: (e: Error) => void }>();
  const describe = (count: number) =>
    `expected ${count} events, got ${received.length}: ${JSON.stringify(received).slice(0, 500)} ${JSON.stringify(errors).slice(0, 500)}`;
  const sink: Sink<T> = {
    received,
    errors,
    ended: false,
    push(value) {
      received.push(value);
      for (const waiter of waiters) {
        if (received.length >= waiter.count) {
          waiters.delete(waiter);
          waiter.resolve(received.slice());
        }
      }
    },
    fail(error) {
      errors.push(error);
    },
    end() {
      sink.ended = true;
      // Nothing more can arrive: fail the waits that cannot be met at once rather than at the timeout.
      for (const waiter of waiters) {
        waiters.delete(waiter);
        waiter.reject(new Error(`subscription ended; ${describe(waiter.count)}`));
      }
    },
    waitFor(count, timeoutMs = 15_000) {
      if (received.length >= count) return Promise.resolve(received.slice());
      if (sink.ended) return Promise.reject(new Error(`subscription ended; ${describe(count)}`));
      return new Promise((resolve, reject) => {
        const waiter = {
          count,
          resolve: (values: T[]) => {
            clearTimeout(timer);
            resolve(values);
          },
          reject: (error: Error) => {
            clearTimeout(timer);
            reject(error);
          },
        };
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          reject(new Error(describe(count)));
        }, timeoutMs);
        waiters.add(waiter);
      });
    },
  };
  return sink;
}

/**
 * Opens a graphql-ws client; share one across many subscriptions with `subscribeWs(client, …)`.
 * `connectionParams` carries the API token (`{ authorization: 'Bearer …' }`, see TestGateway.wsParams)
 * when the gateway has clients configured; `options` overrides any other client option.
 */
export function connectWs(
  gatewayUrl: string,
  connectionParams?: Record<string, unknown>,
  options: Partial<ClientOptions> = {},
): Client {
  return createClient({
    url: `${gatewayUrl.replace(/^http/, 'ws')}/graphql`,
    webSocketImpl: WebSocket,
    connectionParams,
    lazy: false,
    retryAttempts: 0,
    ...options,
  });
}

/**
 * Proves that every subscription sent on `client` so far is live on the server. graphql-ws sends
 * nothing when a subscription starts, so this sends a query on the same socket after them: the
 * server reads messages in order, and it registers a subscription's log listener without waiting
 * for any I/O, whereas this query's resolver has to call elepay (an unknown charge: null) first.
 */
export async function syncWs(client: Client): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    client.subscribe(
      { query: print(ChargeDocument), variables: { id: 'ch_subscription_sync_probe' } },
      {
        next: () => undefined,
        error: (error) => reject(error instanceof Error ? error : new Error(JSON.stringify(error))),
        complete: resolve,
      },
    );
  });
}

/**
 * Subscribes over graphql-ws. Resolves once the subscription is live (see syncWs); pass
 * `{ sync: false }` when opening many on one client, then call syncWs(client) once.
 */
export async function subscribeWs<T, V>(
  client: Client,
  document: TypedDocumentNode<T, V>,
  variables?: V,
  options: { sync?: boolean } = {},
): Promise<Subscriber<T>> {
  const sink = collector<T>();
  const dispose = client.subscribe<T>(
    { query: print(document), variables: variables as Record<string, unknown> | undefined },
    {
      next: (value) => (value.data ? sink.push(value.data) : sink.fail(value.errors)),
      error: (error) => {
        sink.fail(error);
        sink.end();
      },
      complete: () => sink.end(),
    },
  );
  if (options.sync !== false) await syncWs(client);
  return Object.assign(sink, { close: async () => dispose() });
}

/**
 * Subscribes over server-sent events (Yoga's distinct-connection mode). Resolves once the first
 * bytes of the stream arrived: Yoga starts every stream with a `:` comment and only then pulls the
 * first event, which is when the subscription registers with the log, before anything is written.
 */
export async function subscribeSse<T, V>(
  gatewayUrl: string,
  document: TypedDocumentNode<T, V>,
  variables?: V,
  headers: Record<string, string> = {},
): Promise<Subscriber<T>> {
  const sink = collector<T>();
  const controller = new AbortController();
  const response = await request(`${gatewayUrl}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'text/event-stream', ...headers },
    body: JSON.stringify({ query: print(document), variables }),
    signal: controller.signal,
  });
  if (response.statusCode !== 200)
    throw new Error(`SSE subscribe failed: ${response.statusCode} ${await response.body.text()}`);
  let opened: () => void = () => undefined;
  let failedToOpen: (error: unknown) => void = () => undefined;
  const open = new Promise<void>((resolve, reject) => {
    opened = resolve;
    failedToOpen = reject;
  });
  void (async () => {
    let buffer = '';
    try {
      for await (const chunk of response.body) {
        opened();
        buffer += chunk.toString();
        let end = buffer.indexOf('\n\n');
        while (end >= 0) {
          const message = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const data = message
            .split('\n')
            .filter((line) => line.startsWith('data:'))
            .map((line) => line.slice(5).trim())
            .join('\n');
          if (message.includes('event: next') && data) {
            const payload = JSON.parse(data) as { data?: T; errors?: unknown };
            if (payload.data) sink.push(payload.data);
            else sink.fail(payload.errors);
          }
          end = buffer.indexOf('\n\n');
        }
      }
      failedToOpen(new Error('SSE stream ended before it started'));
    } catch (error) {
      if (!controller.signal.aborted) sink.fail(error);
      failedToOpen(error);
    } finally {
      sink.end();
    }
  })();
  await open;
  return Object.assign(sink, { close: async () => controller.abort() });
}

/**
 * Every status change a gateway publishes, as its own graphql-ws client receives them (live once
 * this resolves); `close` ends the subscription and the client.
 */
export async function watchStatusChanges(gateway: {
  url: string;
  wsParams: Record<string, unknown> | undefined;
}): Promise<Subscriber<TransactionStatusChangedSubscription>> {
  const client = connectWs(gateway.url, gateway.wsParams);
  const subscriber = await subscribeWs(client, TransactionStatusChangedDocument);
  const unsubscribe = subscriber.close;
  return Object.assign(subscriber, {
    close: async () => {
      await unsubscribe();
      await client.dispose();
    },
  });
}
