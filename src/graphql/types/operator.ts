import { OPERATOR_SCOPE_ONLY } from '../../auth/scopes.js';
import { fail } from '../../domain/errors.js';
import { decodeGlobalId, encodeGlobalId } from '../../domain/ids.js';
import type { DELIVERY_OUTCOMES, DELIVERY_REFUSALS, WebhookDelivery } from '../../ledger/deliveries.js';
import { providerCalls } from '../../plugins/providerCallCost.js';
import { pollTransaction } from '../../services/reconcile.js';
import { type ReplayResult, replayWebhookDelivery } from '../../services/webhookReplay.js';
import { builder } from '../builder.js';
import {
  decodeListCursor,
  encodeListCursor,
  pageArgs,
  pageOf,
  pageSizeOf,
  pageType,
} from '../ledgerPages.js';
import { runMutation } from '../mutations.js';
import { payloadType } from '../payloads.js';
import { PaymentStatusEnum, ProviderEnum, TransactionRef } from '../refs.js';

const REFUSAL_DESCRIPTIONS: Record<(typeof DELIVERY_REFUSALS)[number], string> = {
  WEBHOOKS_DISABLED: 'elepay webhooks are off: no signing secret is configured.',
  SIGNATURE_MISSING: 'No `elepay-signature` header.',
  SIGNATURE_MALFORMED: 'The `elepay-signature` header is not `t=…, sign=…`.',
  STALE_TIMESTAMP: 'The signature is more than five minutes from the time it was received.',
  BAD_SIGNATURE: 'The signature matches no configured elepay secret.',
  WRONG_TOKEN: "The elopage webhook URL's token is wrong (the token given is never stored).",
  BODY_TOO_LARGE: 'The body is over 256 KiB (not read).',
  BODY_TOO_SLOW: 'The body did not arrive within 10 s.',
  UNREADABLE_BODY: "Verified, but the body is not the provider's event or names nothing readable.",
  OBJECT_NOT_READABLE_YET:
    'Verified, but the provider could not show the object yet (the reconciler polls it).',
  PROVIDER_UNAVAILABLE:
    'Verified, but reading the object from the provider failed (the reconciler polls it).',
  EVENT_LOG_UNAVAILABLE: 'Verified, but the event log could not record it (the reconciler polls it).',
};

const OUTCOME_DESCRIPTIONS: Record<(typeof DELIVERY_OUTCOMES)[number], string> = {
  RECORDED: 'Answered 200; a status change was recorded and published.',
  DUPLICATE: 'Answered 200; nothing new (the gateway already had this status).',
  IGNORED: 'Answered 200; an event about nothing the gateway follows.',
  RETRY_LATER: 'Answered 503: the provider retries it.',
  REFUSED: 'Answered 4xx: not accepted (see `refusal`).',
};

const describedValues = <K extends string>(descriptions: Record<K, string>) =>
  Object.fromEntries(
    Object.entries<string>(descriptions).map(([name, description]) => [name, { description }]),
  ) as Record<K, { description: string }>;

const WebhookRefusalEnum = builder.enumType('WebhookRefusal', {
  description: 'Why a webhook delivery was refused, or not recorded yet.',
  values: describedValues(REFUSAL_DESCRIPTIONS),
});

const WebhookOutcomeEnum = builder.enumType('WebhookDeliveryOutcome', {
  description: 'How the gateway answered a webhook delivery.',
  values: describedValues(OUTCOME_DESCRIPTIONS),
});

/** A delivery's ID: opaque to clients, like the transactions' global IDs. */
const DELIVERY_ID = /^WebhookDelivery:(\d{1,15})$/;

function deliveryIdOf(delivery: WebhookDelivery): string {
  return Buffer.from(`WebhookDelivery:${delivery.id}`, 'utf8').toString('base64url');
}

/** The ledger's number of a delivery ID; null when it is not one. */
function deliveryNumberOf(id: string): number | null {
  const match = id.length <= 64 ? DELIVERY_ID.exec(Buffer.from(id, 'base64url').toString('utf8')) : null;
  return match ? Number(match[1]) : null;
}

const WebhookDeliveryRef = builder.objectRef<WebhookDelivery>('WebhookDelivery').implement({
  description:
    'One webhook request the gateway received, as it was verified and answered. The body is kept for replay but never shown.',
  fields: (t) => ({
    id: t.id({ description: 'Opaque ID; pass it to `replayWebhookDelivery`.', resolve: deliveryIdOf }),
    receivedAt: t.field({ type: 'DateTime', description: 'When it arrived.', resolve: (d) => d.receivedAt }),
    provider: t.field({ type: ProviderEnum, description: 'Who sent it.', resolve: (d) => d.provider }),
    verified: t.exposeBoolean('verified', {
      description: "Whether elepay's signature or elopage's URL token was right.",
    }),
    refusal: t.field({
      type: WebhookRefusalEnum,
      nullable: true,
      description: 'Why it was refused or not recorded; null when it was recorded.',
      resolve: (d) => d.refusal,
    }),
    outcome: t.field({
      type: WebhookOutcomeEnum,
      description: 'How it was answered.',
      resolve: (d) => d.outcome,
    }),
    httpStatus: t.exposeInt('httpStatus', { description: 'The HTTP status it was answered with.' }),
    transactionIds: t.idList({
      description:
        'Global IDs of the transactions it named: those read from the provider, or (before that) those an elepay event names.',
      resolve: (d) => d.transactionIds,
    }),
    eventCursors: t.stringList({
      description:
        'Event-log cursors of the status changes it published (subscribe `after` one to resume there).',
      resolve: (d) => d.eventCursors,
    }),
    providerEventId: t.exposeString('providerEventId', {
      nullable: true,
      description: "The provider's event ID (elepay `evt_…`).",
    }),
    awaitingReconciliation: t.exposeBoolean('awaitingReconciliation', {
      description: 'Verified but not recorded: the reconciler polls what it named until it is.',
    }),
  }),
});

const WebhookDeliveryFilter = builder.inputType('WebhookDeliveryFilter', {
  description: 'Narrows `webhookDeliveries`; all given conditions must hold.',
  fields: (t) => ({
    provider: t.field({ type: ProviderEnum, description: 'Only this provider.' }),
    verified: t.boolean({ description: 'Only verified (true) or unverified (false) deliveries.' }),
    outcome: t.field({ type: WebhookOutcomeEnum, description: 'Only this outcome.' }),
    receivedAfter: t.field({ type: 'DateTime', description: 'Received at or after this instant.' }),
    receivedBefore: t.field({ type: 'DateTime', description: 'Received at or before this instant.' }),
  }),
});

const WebhookDeliveryEdgeRef = builder
  .objectRef<{ cursor: string; node: WebhookDelivery }>('WebhookDeliveryEdge')
  .implement({
    description: 'A webhook delivery in a page.',
    fields: (t) => ({
      cursor: t.exposeString('cursor', { description: 'Opaque cursor of this item; pass it as `after`.' }),
      node: t.field({ type: WebhookDeliveryRef, description: 'The delivery.', resolve: (edge) => edge.node }),
    }),
  });

const WebhookDeliveryConnectionRef = pageType(
  'WebhookDeliveryConnection',
  WebhookDeliveryEdgeRef,
  'webhook deliveries',
);

builder.queryField('webhookDeliveries', (t) =>
  t.field({
    ...OPERATOR_SCOPE_ONLY,
    type: WebhookDeliveryConnectionRef,
    // The ledger alone answers: no provider call.
    extensions: providerCalls({ calls: 0 }),
    description:
      'Operator: every webhook request the gateway received, newest first, verified or not, with how it was answered. Needs the `operator` scope.',
    args: {
      filter: t.arg({ type: WebhookDeliveryFilter, description: 'Narrow the list.' }),
      ...pageArgs(t.arg),
    },
    resolve: async (_root, { filter, first, after }, ctx) => {
      const size = pageSizeOf(first);
      const cursor = after != null ? decodeListCursor(after) : null;
      const page = await ctx.services.ledger.deliveries.list(
        filter ?? {},
        size,
        cursor && { receivedAt: cursor.at, id: cursor.number },
      );
      const edges = page.deliveries.map((node) => ({
        cursor: encodeListCursor({ at: node.receivedAt, number: node.id }),
        node,
      }));
      return pageOf(edges, { after: cursor, hasNextPage: page.hasNextPage, totalCount: page.totalCount });
    },
  }),
);

const WebhookReplayResultEnum = builder.enumType('WebhookReplayResult', {
  description: 'What replaying a webhook delivery did.',
  values: {
    PUBLISHED: { description: 'A status change the gateway did not have was recorded and published.' },
    DUPLICATE: {
      description: 'Nothing new: the gateway already had what the provider says now; nothing published.',
    },
    IGNORED: { description: 'An event about nothing the gateway follows.' },
    NOT_VERIFIED: {
      description:
        'It fails verification (elepay: signature checked again with the secrets configured now; elopage: its token was wrong). No provider was called.',
    },
    UNREADABLE_BODY: { description: "Its body is not the provider's event." },
    NOT_READABLE_YET: { description: 'The provider cannot show the object yet; replay later.' },
  } satisfies Record<ReplayResult, unknown>,
});

const ReplayWebhookDeliveryPayload = payloadType('ReplayWebhookDeliveryPayload', {
  description: 'The result of `replayWebhookDelivery`.',
  unchanged: 'nothing was replayed',
  fields: (t) => ({
    delivery: t.field({ type: WebhookDeliveryRef, nullable: true, description: 'The delivery replayed.' }),
    result: t.field({ type: WebhookReplayResultEnum, nullable: true, description: 'What the replay did.' }),
    transactions: t.field({
      type: [TransactionRef],
      nullable: true,
      description: 'What the delivery named, as the provider has it now.',
    }),
    eventCursors: t.stringList({ nullable: true, description: 'Cursors of the changes it published.' }),
  }),
});

const ReconcileTransactionPayload = payloadType('ReconcileTransactionPayload', {
  description: 'The result of `reconcileTransaction`.',
  unchanged: 'nothing was polled',
  fields: (t) => ({
    transaction: t.field({
      type: TransactionRef,
      nullable: true,
      description: 'The transaction as its provider has it now; null when the provider does not know it.',
    }),
    previousStatus: t.field({
      type: PaymentStatusEnum,
      nullable: true,
      description: 'The status the ledger had before; null when the gateway had not seen the transaction.',
    }),
    changed: t.boolean({
      nullable: true,
      description:
        'Whether the poll recorded a status change (published to subscribers, source RECONCILIATION).',
    }),
    eventCursor: t.string({ nullable: true, description: 'The cursor of the change it published, if any.' }),
  }),
});

builder.mutationFields((t) => ({
  replayWebhookDelivery: t.field({
    ...OPERATOR_SCOPE_ONLY,
    // A refund event reads the refund and its charge.
    extensions: providerCalls({ calls: 2 }),
    type: ReplayWebhookDeliveryPayload,
    description:
      "Operator: replays a stored webhook delivery through the receivers' path: verified again where possible, what it names read from the provider now and recorded; a duplicate publishes nothing. Needs the `operator` scope.",
    args: { id: t.arg.id({ required: true, description: 'The delivery (`WebhookDelivery.id`).' }) },
    resolve: (_root, { id }, ctx) =>
      runMutation(async () => {
        const number = deliveryNumberOf(id);
        if (number === null) fail(['id'], 'INVALID', 'not a webhook delivery ID');
        const delivery = await ctx.services.ledger.deliveries.find(number);
        if (!delivery) fail(['id'], 'NOT_FOUND', 'no webhook delivery with this ID');
        const replay = await replayWebhookDelivery(ctx.services, delivery);
        for (const transaction of replay.transactions) ctx.loaders.remember(transaction);
        const current = (await ctx.services.ledger.deliveries.find(number)) ?? delivery;
        return { delivery: current, ...replay };
      }),
  }),
  reconcileTransaction: t.field({
    ...OPERATOR_SCOPE_ONLY,
    extensions: providerCalls({ calls: 1 }),
    type: ReconcileTransactionPayload,
    description:
      "Operator: polls one payment, charge or refund from its provider now, through the reconciler's path: a status the gateway did not have is recorded (source RECONCILIATION) and published. Needs the `operator` scope.",
    args: { id: t.arg.id({ required: true, description: 'Global ID of a Payment, Charge or Refund.' }) },
    resolve: (_root, { id }, ctx) =>
      runMutation(async () => {
        const ref = decodeGlobalId(id);
        if (!ref || (ref.kind !== 'Payment' && ref.kind !== 'Charge' && ref.kind !== 'Refund')) {
          fail(['id'], 'INVALID', 'not the ID of a payment, charge or refund');
        }
        const globalId = encodeGlobalId(ref);
        const known = await ctx.services.ledger.entry(globalId);
        const poll = await pollTransaction(ctx.services, globalId, known);
        if (!poll.transaction) fail(['id'], 'NOT_FOUND', 'the provider knows no such transaction');
        ctx.loaders.remember(poll.transaction);
        return {
          transaction: poll.transaction,
          previousStatus: poll.previousStatus,
          changed: poll.cursor !== null,
          eventCursor: poll.cursor,
        };
      }),
  }),
}));
