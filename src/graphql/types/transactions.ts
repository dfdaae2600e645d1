import DataLoader from 'dataloader';
import type { Context } from '../../context.js';
import { decodeGlobalId, globalIdOf } from '../../domain/ids.js';
import type { Transaction } from '../../domain/model.js';
import type { LedgerEntry, StatusChange } from '../../ledger/ledger.js';
import { pageSize, providerCalls } from '../../plugins/providerCallCost.js';
import { builder } from '../builder.js';
import {
  decodeListCursor,
  encodeListCursor,
  MAX_PAGE,
  pageArgs,
  pageOf,
  pageSizeOf,
  pageType,
} from '../ledgerPages.js';
import { loadNode, providerIdOf } from '../nodes.js';
import { PaymentStatusEnum, ProviderEnum, TransactionRef } from '../refs.js';

/**
 * The history across both providers, from the ledger (src/ledger): `transactions`, a list of every
 * transaction the gateway learned about, and `Transaction.statusHistory`. The ledger is an index:
 * it answers which transactions match, in which order and how many, without a provider call; each
 * listed transaction is then read from its provider, like `transaction(id)`, so what a list shows
 * is never older than the provider's own answer (docs/ledger.md).
 */

const TransactionKindEnum = builder.enumType('TransactionKind', {
  description: 'What a transaction is.',
  values: {
    PAYMENT: { description: 'An elopage payment.' },
    CHARGE: { description: 'An elepay charge.' },
    REFUND: { description: 'A refund, of either provider.' },
  } as const,
});

const StatusSourceEnum = builder.enumType('StatusSource', {
  description: 'How the gateway learned a status.',
  values: {
    WEBHOOK: { description: "A verified webhook, confirmed by reading the provider's API." },
    RECONCILIATION: { description: 'The gateway polled the provider for a transaction still in progress.' },
    MUTATION: { description: "The provider's answer to a mutation of this gateway." },
    READ: { description: 'A read through this gateway (a lookup or a list).' },
  } as const,
});

const StatusChangeRef = builder.objectRef<StatusChange>('StatusChange').implement({
  description: 'One step in the status history of a transaction.',
  fields: (t) => ({
    status: t.field({ type: PaymentStatusEnum, description: 'The new status.', resolve: (c) => c.status }),
    previousStatus: t.field({
      type: PaymentStatusEnum,
      nullable: true,
      description: 'The status before; null for the first status the gateway learned.',
      resolve: (c) => c.previousStatus,
    }),
    providerStatus: t.exposeString('providerStatus', {
      nullable: true,
      description: 'The raw status the provider reported.',
    }),
    source: t.field({
      type: StatusSourceEnum,
      description: 'How the gateway learned it.',
      resolve: (c) => c.source,
    }),
    providerEventId: t.exposeString('providerEventId', {
      nullable: true,
      description:
        "The provider's ID of the webhook event that reported it (elepay `evt_…`), when it sends one.",
    }),
    observedAt: t.field({
      type: 'DateTime',
      description: 'When the gateway learned it.',
      resolve: (c) => c.observedAt,
    }),
  }),
});

/** Status histories of one request's transactions, read in one query per batch. */
const historyLoaders = new WeakMap<Context, DataLoader<string, StatusChange[]>>();

function historyLoader(ctx: Context): DataLoader<string, StatusChange[]> {
  let loader = historyLoaders.get(ctx);
  if (!loader) {
    loader = new DataLoader((ids) => ctx.services.ledger.histories(ids));
    historyLoaders.set(ctx, loader);
  }
  return loader;
}

builder.interfaceField(TransactionRef, 'statusHistory', (t) =>
  t.field({
    type: [StatusChangeRef],
    description:
      'Every status the gateway has learned for this transaction, oldest first, each with how and when. A status appears once, from the first source that reported it; an older status reported later is not added.',
    resolve: (transaction, _args, ctx) => historyLoader(ctx).load(globalIdOf(transaction)),
  }),
);

const TransactionFilter = builder.inputType('TransactionFilter', {
  description: 'Narrows `transactions`; all given conditions must hold.',
  fields: (t) => ({
    provider: t.field({ type: ProviderEnum, description: 'Only this provider.' }),
    status: t.field({
      type: [PaymentStatusEnum],
      description: 'Only these statuses, as the ledger last learned them (empty or absent: any).',
    }),
    kind: t.field({ type: TransactionKindEnum, description: 'Only payments, charges or refunds.' }),
    salesPageId: t.id({
      description: 'Only payments and refunds of this elopage sales page (global or elopage ID).',
    }),
    createdAfter: t.field({ type: 'DateTime', description: 'Created at or after this instant.' }),
    createdBefore: t.field({ type: 'DateTime', description: 'Created at or before this instant.' }),
  }),
});

interface TransactionEdgeShape {
  cursor: string;
  entry: LedgerEntry;
}

const TransactionEdgeRef = builder.objectRef<TransactionEdgeShape>('TransactionEdge').implement({
  description: 'A transaction in a page.',
  fields: (t) => ({
    cursor: t.exposeString('cursor', { description: 'Opaque cursor of this item; pass it as `after`.' }),
    node: t.field({
      type: TransactionRef,
      // Read from its provider, like transaction(id).
      extensions: providerCalls({ calls: 1 }),
      nullable: true,
      description:
        'The transaction, read from its provider. Null when the provider no longer knows it; an error says so when it could not be read.',
      resolve: async (edge, _args, ctx) => {
        const ref = decodeGlobalId(edge.entry.id);
        return ref ? ((await loadNode(ctx, ref)) as Transaction | null) : null;
      },
    }),
  }),
});

const TransactionConnectionRef = pageType('TransactionConnection', TransactionEdgeRef, 'transactions');

builder.queryField('transactions', (t) =>
  t.field({
    type: TransactionConnectionRef,
    // The ledger answers the list itself; its nodes are counted on TransactionEdge.node.
    extensions: providerCalls((args) => ({ calls: 0, items: pageSize(args, MAX_PAGE) })),
    description:
      'Every payment, charge and refund the gateway has learned about (created through it, read through it, or reported by a webhook), across both providers, newest first. The list and `totalCount` come from the ledger; each node is read from its provider.',
    args: {
      filter: t.arg({ type: TransactionFilter, description: 'Narrow the list.' }),
      ...pageArgs(t.arg),
    },
    resolve: async (_root, { filter, first, after }, ctx) => {
      const size = pageSizeOf(first);
      const cursor = after != null ? decodeListCursor(after) : null;
      const salesPageId =
        filter?.salesPageId != null ? providerIdOf(filter.salesPageId, 'SalesPage') : undefined;
      // A sales page ID of another kind names no sales page: nothing matches.
      if (salesPageId === null) return pageOf([], { after: cursor, hasNextPage: false, totalCount: 0 });
      const page = await ctx.services.ledger.list(
        {
          // A tenant's client lists its tenant's transactions only (docs/ledger.md, Tenants).
          tenant: ctx.viewer.tenant,
          provider: filter?.provider,
          statuses: filter?.status,
          kind: filter?.kind,
          salesPageId,
          createdAfter: filter?.createdAfter,
          createdBefore: filter?.createdBefore,
        },
        size,
        cursor && { createdAt: cursor.at, sequence: cursor.number },
      );
      const edges = page.entries.map(({ entry, position }) => ({
        cursor: encodeListCursor({ at: position.createdAt, number: position.sequence }),
        entry,
      }));
      return pageOf(edges, { after: cursor, hasNextPage: page.hasNextPage, totalCount: page.totalCount });
    },
  }),
);
