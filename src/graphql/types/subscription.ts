/**
 * Live status: the `transactionStatusChanged` subscription and its event type. Events come from
 * the event log (events/), which records what the provider's API said after a webhook.
 */
import type { TransactionStatusEvent } from '../../events/event.js';
import { StatusSubscription } from '../../events/statusSubscription.js';
import { graphqlWsOperationOf } from '../../events/subscriberGroups.js';
import { checkResumeCursor } from '../../events/subscription.js';
import { builder } from '../builder.js';
import { providerIdOf } from '../nodes.js';
import { PaymentStatusEnum, ProviderEnum, TransactionRef } from '../refs.js';

const TransactionStatusEventRef = builder
  .objectRef<TransactionStatusEvent>('TransactionStatusEvent')
  .implement({
    description:
      "A transaction changed status at its provider (verified through the provider's API, not the webhook body).",
    fields: (t) => ({
      cursor: t.exposeString('cursor', {
        description:
          'Position in the event log; pass it as `after` to resume from here without loss or repeats.',
      }),
      occurredAt: t.expose('occurredAt', {
        type: 'DateTime',
        description: 'When the gateway recorded the change.',
      }),
      provider: t.expose('provider', {
        type: ProviderEnum,
        description: 'The provider of the transaction.',
      }),
      previousStatus: t.expose('previousStatus', {
        type: PaymentStatusEnum,
        nullable: true,
        description: 'The status before, when the gateway knew it.',
      }),
      status: t.expose('status', { type: PaymentStatusEnum, description: 'The new status.' }),
      transaction: t.expose('transaction', {
        type: TransactionRef,
        description: "The transaction as the provider's API reported it when the change was recorded.",
      }),
    }),
  });

const TransactionStatusFilter = builder.inputType('TransactionStatusFilter', {
  description: 'Which changes to receive; all given conditions must hold.',
  fields: (t) => ({
    ids: t.idList({ description: 'Only these transactions (global IDs of payments, charges or refunds).' }),
    provider: t.field({ type: ProviderEnum, description: 'Only this provider.' }),
    salesPageId: t.id({
      description: 'Only payments and refunds of this elopage sales page (global or elopage ID).',
    }),
  }),
});

builder.subscriptionType({
  description: 'Live updates, over graphql-ws (WebSocket on /graphql) or server-sent events.',
  // Subscriptions read: they need the `read` scope, like queries (src/auth/scopes.ts).
  authScopes: { read: true },
});

builder.subscriptionField('transactionStatusChanged', (t) =>
  t.field({
    type: TransactionStatusEventRef,
    description:
      "Status changes of payments, charges and refunds as the providers' webhooks report them. With `after`, first replays the changes since that cursor, then continues live.",
    args: {
      filter: t.arg({ type: TransactionStatusFilter, description: 'Narrow the changes.' }),
      after: t.arg.string({
        description:
          'Resume after this event cursor (from a previous event); "0-0" replays every kept event. A cursor this log never assigned is BAD_USER_INPUT; one older than retention is CURSOR_EXPIRED (`extensions.oldestCursor`): re-read your state, then subscribe again.',
      }),
    },
    subscribe: async (_root, { filter, after }, ctx) => {
      if (after != null) await checkResumeCursor(ctx.services.events, after);
      // graphql-ws puts its operation in the context (websocket.ts); everything else is SSE.
      const transport = graphqlWsOperationOf(ctx) ? 'graphql-ws' : 'sse';
      return new StatusSubscription(
        ctx.services.events,
        {
          // Events carry global IDs, so anything else in `ids` simply matches nothing.
          ids: filter?.ids ? new Set(filter.ids) : undefined,
          provider: filter?.provider ?? undefined,
          salesPageId: filter?.salesPageId
            ? (providerIdOf(filter.salesPageId, 'SalesPage') ?? 'unknown')
            : undefined,
          // A tenant's client gets only its tenant's changes (docs/ledger.md, Tenants).
          tenant: ctx.viewer.tenant ?? undefined,
        },
        after ?? null,
        ctx.services.metrics,
        transport,
      );
    },
    resolve: (event) => event,
  }),
);
