/**
 * The `Node` and `Transaction` interfaces and the lookups by global ID: `node`, `nodes` and
 * `transaction` (whichever provider the ID names).
 */
import { decodeGlobalId, globalIdOf } from '../../domain/ids.js';
import { providerCalls } from '../../plugins/providerCallCost.js';
import { builder } from '../builder.js';
import { loadNode, typenameOf } from '../nodes.js';
import { MoneyRef, NodeRef, PaymentStatusEnum, ProviderEnum, TransactionRef } from '../refs.js';

NodeRef.implement({
  description: 'An object with a global ID (Relay). Fetch any of them with `node(id:)`.',
  resolveType: (node) => typenameOf(node),
  fields: (t) => ({
    id: t.id({
      description: "Opaque global ID. It encodes the type and the provider's own ID.",
      resolve: (node) => globalIdOf(node),
    }),
  }),
});

TransactionRef.implement({
  description: 'Money moving at a provider: an elopage payment, an elepay charge, or a refund of either.',
  interfaces: [NodeRef],
  resolveType: (transaction) => transaction.kind,
  fields: (t) => ({
    providerId: t.exposeID('providerId', { description: "The provider's own ID." }),
    provider: t.expose('provider', {
      type: ProviderEnum,
      description: 'The provider it lives at.',
    }),
    status: t.expose('status', {
      type: PaymentStatusEnum,
      description: 'Normalized status.',
    }),
    providerStatus: t.exposeString('providerStatus', { description: 'The raw status the provider reports.' }),
    amount: t.expose('amount', {
      type: MoneyRef,
      description:
        'The amount: what the payer paid (gross) for payments and charges, what was returned for refunds (positive).',
    }),
    createdAt: t.expose('createdAt', {
      type: 'DateTime',
      nullable: true,
      description: 'When the provider created it.',
    }),
  }),
});

builder.queryFields((t) => ({
  node: t.field({
    extensions: providerCalls({ calls: 1 }),
    type: NodeRef,
    nullable: true,
    description: 'Any object by its global ID; null when it does not exist.',
    args: { id: t.arg.id({ required: true, description: 'A global ID.' }) },
    resolve: (_root, { id }, ctx) => {
      const ref = decodeGlobalId(id);
      return ref ? loadNode(ctx, ref) : null;
    },
  }),
  nodes: t.field({
    // One call per distinct ID: the loaders send the same ID once.
    extensions: providerCalls(({ ids }) => {
      const count = Array.isArray(ids) ? new Set(ids).size : ids == null ? 0 : 1;
      return { calls: count, items: count };
    }),
    type: [NodeRef],
    nullable: { list: false, items: true },
    description: 'Several objects by global ID, in order; null for each that does not exist.',
    args: { ids: t.arg.idList({ required: true, description: 'Global IDs.' }) },
    resolve: (_root, { ids }, ctx) =>
      ids.map((id) => {
        const ref = decodeGlobalId(id);
        return ref ? loadNode(ctx, ref) : null;
      }),
  }),
  transaction: t.field({
    extensions: providerCalls({ calls: 1 }),
    type: TransactionRef,
    nullable: true,
    description: 'A payment, charge or refund by global ID; null for anything else.',
    args: { id: t.arg.id({ required: true, description: 'A global ID of a Payment, Charge or Refund.' }) },
    resolve: async (_root, { id }, ctx) => {
      const ref = decodeGlobalId(id);
      if (!ref || ref.kind === 'SalesPage' || ref.kind === 'PricingPlan') return null;
      return (await loadNode(ctx, ref)) as Awaited<ReturnType<typeof loadNode>> & {
        kind: 'Payment' | 'Charge' | 'Refund';
      };
    },
  }),
}));
