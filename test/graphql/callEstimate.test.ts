import {
  type DocumentNode,
  type FragmentDefinitionNode,
  Kind,
  type OperationDefinitionNode,
  parse,
} from 'graphql';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadGraphiqlTabs } from '../../src/graphiqlTabs.js';
import { schema } from '../../src/graphql/schema.js';
import { estimateProviderCalls } from '../../src/plugins/providerCallCost.js';
import { startTestGateway, type TestGateway } from '../support/harness.js';
import { type Subscriber, subscribeSse } from '../support/subscriptions.js';
import { until } from '../support/wait.js';

/**
 * The provider-call estimate (src/plugins/providerCallCost.ts) against the calls the simulators
 * really see. Every operation in schema/operations runs as GraphiQL's tabs run it (its own default
 * variables, tabs in order on one gateway, so CancelCharge finds the charge CreateCharge made), and
 * its estimate must be at least the calls counted by /_sandbox/stats. A subscription's estimate is
 * per event: each one is open while the simulators fire one event of each transaction kind, and the
 * calls the webhook itself costs (measured with no subscriber) are not the subscription's.
 */
interface Example {
  name: string;
  kind: OperationDefinitionNode['operation'];
  /** The tab's text: the operation, its file's other operations and every fragment it uses. */
  query: string;
  /** Only this operation and the tab's fragments (SSE subscriptions carry no operationName). */
  alone: DocumentNode;
  /** Whether it replays the log when it starts (`after` defaults to a cursor). */
  replays: boolean;
}

async function loadExamples(): Promise<Example[]> {
  const tabs = await loadGraphiqlTabs(new URL('../../schema/operations/', import.meta.url));
  return tabs.flatMap(({ query }) => {
    const definitions = parse(query).definitions;
    const fragments = definitions.filter(
      (definition): definition is FragmentDefinitionNode => definition.kind === Kind.FRAGMENT_DEFINITION,
    );
    return definitions
      .filter((definition) => definition.kind === Kind.OPERATION_DEFINITION)
      .map((operation) => ({
        name: operation.name?.value ?? '',
        kind: operation.operation,
        query,
        alone: { kind: Kind.DOCUMENT, definitions: [operation, ...fragments] } as DocumentNode,
        replays: (operation.variableDefinitions ?? []).some(
          (variable) => variable.variable.name.value === 'after' && variable.defaultValue,
        ),
      }));
  });
}

const examples = await loadExamples();
/** The estimate for the operation as GraphiQL sends it (no variables: the defaults apply). */
function estimateOf(example: Example): number {
  const estimate = estimateProviderCalls(schema, parse(example.query), example.name, undefined);
  expect(estimate).not.toBeNull();
  return estimate ?? 0;
}

/** Provider calls both simulators counted since the last reset. */
async function providerCalls(gw: TestGateway): Promise<number> {
  const [elepay, elopage] = await Promise.all([gw.stats('elepay'), gw.stats('elopage')]);
  return elepay.total + elopage.total;
}

it('covers queries, mutations and subscriptions, each named', () => {
  expect(examples.map((example) => example.name)).not.toContain('');
  expect(new Set(examples.map((example) => example.kind))).toEqual(
    new Set(['query', 'mutation', 'subscription']),
  );
});

describe('queries and mutations', () => {
  let gw: TestGateway;
  const counted: number[] = [];
  beforeAll(async () => {
    // The simulators' webhooks (a checkout, a settled charge) would make the gateway fetch the
    // object while the operation's calls are counted: here they go nowhere (connection refused).
    gw = await startTestGateway({ SANDBOX_WEBHOOK_URL: 'http://127.0.0.1:9' });
    // ReplayWebhookDelivery's default replays the first delivery the gateway recorded: this one.
    const webhook = await request(`${gw.url}/webhooks/elopage/not-the-token`, { method: 'POST', body: '{}' });
    await webhook.body.dump();
    await until(
      async () =>
        (
          await request(`${gw.url}/graphql`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ query: '{ webhookDeliveries { totalCount } }' }),
          })
        ).body.json() as Promise<{ data?: { webhookDeliveries: { totalCount: number } } }>,
      (answer) => answer.data?.webhookDeliveries.totalCount === 1,
      'the webhook delivery',
    );
  });
  afterAll(async () => {
    gw.expectNoLeaks();
    await gw.close();
  });

  it.each(examples.filter((example) => example.kind !== 'subscription').map((e) => [e.name, e] as const))(
    '%s: the estimate is at least the calls made',
    async (_name, example) => {
      await gw.resetStats();
      const response = await request(`${gw.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: example.query, operationName: example.name }),
      });
      const text = await response.body.text();
      gw.bodies.push(text);
      const body = JSON.parse(text) as { data?: Record<string, unknown>; errors?: unknown[] };
      // It really ran: no GraphQL error, and a mutation's payload has no userErrors.
      expect(body.errors).toBeUndefined();
      for (const payload of Object.values(body.data ?? {})) {
        expect((payload as { userErrors?: unknown[] } | null)?.userErrors ?? []).toEqual([]);
      }
      const calls = await providerCalls(gw);
      counted.push(calls);
      expect(estimateOf(example)).toBeGreaterThanOrEqual(calls);
    },
  );

  it('counted real calls (the sandbox helpers alone call only uncounted helper routes)', () => {
    expect(counted.filter((calls) => calls > 0).length).toBeGreaterThan(counted.length / 2);
  });
});

describe('subscriptions, per event', () => {
  let gw: TestGateway;
  let salesPageId = '';
  beforeAll(async () => {
    gw = await startTestGateway({
      ELEPAY_WEBHOOK_SECRET: 'whsec_call_estimate_tests_0000001',
      ELOPAGE_WEBHOOK_TOKEN: 'elopage_call_estimate_token_000001',
    });
    // elopage's trigger needs a sales page that posts to this gateway (createSalesPage sets that).
    const created = examples.find((example) => example.name === 'CreateSalesPage');
    const response = await request(`${gw.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: created?.query, operationName: 'CreateSalesPage' }),
    });
    const body = (await response.body.json()) as {
      data: { createSalesPage: { salesPage: { providerId: string } } };
    };
    salesPageId = body.data.createSalesPage.salesPage.providerId;
  });
  afterAll(async () => {
    gw.expectNoLeaks();
    await gw.close();
  });

  /** One event of each transaction kind, made by the simulators (their helper calls are not counted). */
  const triggers = [
    { kind: 'Charge', provider: 'elepay', event: { event: 'charge.succeeded' } },
    { kind: 'Refund (and its charge)', provider: 'elepay', event: { event: 'refund.succeeded' } },
    { kind: 'Payment', provider: 'elopage', event: { event: 'payment.successful' } },
  ] as const;

  /** Fires `trigger`, waits until the gateway answered its webhooks; returns the events it published. */
  async function fire(trigger: (typeof triggers)[number]): Promise<number> {
    const sandbox = gw.gateway.sandboxes[trigger.provider];
    const published = () => gw.logs.filter((line) => line.includes('"verdict":"publish"')).length;
    const before = published();
    const body =
      trigger.provider === 'elopage' ? { ...trigger.event, sales_page_id: salesPageId } : trigger.event;
    const response = await request(`${sandbox?.url}/_sandbox/trigger`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(response.statusCode).toBe(200);
    await response.body.dump();
    await sandbox?.sandbox.webhooks.idle();
    return published() - before;
  }

  /** The calls one trigger costs with no subscriber: the webhook's own lookups. */
  const webhookCalls = new Map<string, number>();
  /** Events published so far: what a subscription replaying from "0-0" receives first. */
  let seen = 0;
  const counted: number[] = [];

  it.each(triggers.map((trigger) => [trigger.kind, trigger] as const))(
    'measures what a %s webhook costs by itself',
    async (kind, trigger) => {
      await gw.resetStats();
      const events = await fire(trigger);
      expect(events).toBeGreaterThan(0);
      seen += events;
      webhookCalls.set(kind, await providerCalls(gw));
    },
  );

  for (const example of examples.filter((e) => e.kind === 'subscription')) {
    it.each(triggers.map((trigger) => [trigger.kind, trigger] as const))(
      `${example.name}: the estimate is at least the calls of one %s event`,
      async (kind, trigger) => {
        const subscriber: Subscriber<unknown> = await subscribeSse(gw.url, example.alone, undefined);
        try {
          // A replay (`after: "0-0"`) is other events' cost: let it finish first.
          const replayed = example.replays ? seen : 0;
          await subscriber.waitFor(replayed);
          await gw.resetStats();
          const events = await fire(trigger);
          seen += events;
          await subscriber.waitFor(replayed + events);
          expect(subscriber.errors).toEqual([]);
          const calls = (await providerCalls(gw)) - (webhookCalls.get(kind) ?? 0);
          counted.push(calls);
          // A refund trigger publishes its charge's change too: each event may cost the estimate.
          expect(estimateOf(example) * events).toBeGreaterThanOrEqual(calls);
        } finally {
          await subscriber.close();
        }
      },
    );
  }

  it('counted real calls (nested provider fields resolve once per event)', () => {
    expect(counted.some((calls) => calls > 0)).toBe(true);
  });
});
