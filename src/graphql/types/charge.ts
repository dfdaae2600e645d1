/**
 * The elepay `Charge`: the object, the `charge` and `charges` queries, and createCharge,
 * captureCharge and cancelCharge. Resolvers validate input and hand over to the workflows in
 * services/charges.ts; refundCharge is with the other refunds (types/refund.ts).
 */
import { resolveArrayConnection, resolveOffsetConnection } from '@pothos/plugin-relay';
import { z } from 'zod';
import type { ChargePage } from '../../domain/requests.js';
import { pageSize, providerCalls } from '../../plugins/providerCallCost.js';
import {
  cancelCharge,
  captureCharge,
  createCharge,
  ELEPAY_MAX_PAGE,
  findChargeByOrderNo,
  hasMoreCharges,
  listCharges,
  ORDER_NO_SCAN_PAGES,
} from '../../services/charges.js';
import { builder } from '../builder.js';
import { IDEMPOTENCY_KEY_DESCRIPTION, runMutation, validate } from '../mutations.js';
import { loadCharge, providerIdOf } from '../nodes.js';
import { payloadType } from '../payloads.js';
import { ChargeRef, MoneyRef, NodeRef, PaymentStatusEnum, RefundRef, TransactionRef } from '../refs.js';
import { amountAndReason, currencyCode, newCharge } from '../validation.js';

ChargeRef.implement({
  description:
    'An elepay charge: a payment request that the payer completes, then captured, canceled or refunded.',
  interfaces: [NodeRef, TransactionRef],
  fields: (t) => ({
    orderNo: t.exposeString('orderNo', {
      description: "The merchant's order number, unique per charge (at most 50 characters).",
    }),
    paymentMethod: t.exposeString('paymentMethod', {
      nullable: true,
      description: "elepay's payment method, e.g. creditcard, paypay.",
    }),
    description: t.exposeString('description', { nullable: true, description: 'Free text.' }),
    metadata: t.expose('metadata', {
      type: 'JSONObject',
      nullable: true,
      description: 'String key/value pairs kept with the charge.',
    }),
    refundedAmount: t.expose('refundedAmount', {
      type: MoneyRef,
      nullable: true,
      description: 'The sum of completed refunds.',
    }),
    authorizedAmount: t.expose('authorizedAmount', {
      type: MoneyRef,
      nullable: true,
      description: 'The amount held for capture (charges created with `capture: false`).',
    }),
    paidAt: t.expose('paidAt', { type: 'DateTime', nullable: true, description: 'When it was paid.' }),
    refundedAt: t.expose('refundedAt', {
      type: 'DateTime',
      nullable: true,
      description: 'When it was refunded in full.',
    }),
    liveMode: t.exposeBoolean('liveMode', { description: 'False for test-mode charges.' }),
    refunds: t.connection(
      {
        type: RefundRef,
        extensions: providerCalls((args) => ({ calls: 1, items: pageSize(args) })),
        description:
          "The charge's refunds, pending ones included, oldest first (for a tenant's client, the tenant's refunds).",
        resolve: async (charge, args, ctx) =>
          resolveArrayConnection(
            { args },
            await ctx.loaders.visible(
              (await ctx.loaders.chargeRefunds.load(charge.providerId)) ?? [],
              ctx.viewer.tenant,
            ),
          ),
      },
      { name: 'RefundConnection', description: 'A page of refunds.' },
      { name: 'RefundEdge', description: 'A refund in a page.' },
    ),
  }),
});

const ChargeFilter = builder.inputType('ChargeFilter', {
  description: 'Narrows `charges`. elepay filters on these server-side, except `orderNo` (see there).',
  fields: (t) => ({
    status: t.field({
      type: PaymentStatusEnum,
      description:
        'Only charges in this status. PENDING matches elepay `pending` only (not waiting/notified).',
    }),
    orderNo: t.string({
      description:
        'Only the charge with this order number. elepay cannot filter on it, so the gateway scans the newest 500 charges (within the date range).',
    }),
    createdAfter: t.field({ type: 'DateTime', description: 'Created at or after this instant.' }),
    createdBefore: t.field({ type: 'DateTime', description: 'Created at or before this instant.' }),
    paymentMethods: t.stringList({ description: 'Only these elepay payment methods.' }),
  }),
});

builder.queryFields((t) => ({
  charge: t.field({
    extensions: providerCalls({ calls: 1 }),
    type: ChargeRef,
    nullable: true,
    description: "An elepay charge by global ID or elepay's own charge ID; null if it does not exist.",
    args: { id: t.arg.id({ required: true, description: 'Global ID or elepay charge ID.' }) },
    resolve: (_root, { id }, ctx) => loadCharge(ctx, id),
  }),
  charges: t.connection(
    {
      type: ChargeRef,
      // A search by order number scans pages of charges and finds one at most.
      extensions: providerCalls((args) =>
        (args.filter as { orderNo?: unknown } | null | undefined)?.orderNo != null
          ? { calls: ORDER_NO_SCAN_PAGES, items: 1 }
          : { calls: 1, items: pageSize(args, ELEPAY_MAX_PAGE) },
      ),
      // Nullable on purpose: an elepay outage then nulls this field only, not elopage data beside it.
      nullable: true,
      description:
        "elepay charges, newest first. For a tenant's client, only its tenant's charges of each page (a page may hold fewer than asked) and no `totalCount`: `transactions` lists a tenant's charges in full pages.",
      args: { filter: t.arg({ type: ChargeFilter, description: 'Narrow the list.' }) },
      resolve: async (_root, args, ctx) => {
        const { orderNo, ...query } = args.filter ?? {};
        if (orderNo) {
          const found = await findChargeByOrderNo(ctx, orderNo, query);
          const [match] = await ctx.loaders.visible(found ? [found] : [], ctx.viewer.tenant);
          return { ...resolveArrayConnection({ args }, match ? [match] : []), totalCount: match ? 1 : 0 };
        }
        let page: ChargePage = { charges: [], total: null };
        let offset = 0;
        const connection = await resolveOffsetConnection(
          { args, defaultSize: 20, maxSize: ELEPAY_MAX_PAGE },
          async (window) => {
            offset = window.offset;
            page = await listCharges(ctx, query, window);
            return page.charges;
          },
        );
        const hasNextPage = hasMoreCharges(page, offset, connection.edges.length);
        // A tenant's client sees its tenant's charges of each page elepay lists, at elepay's
        // positions (so `after` pages on), and no count of the others' (docs/ledger.md, Tenants).
        const shown = new Set(
          await ctx.loaders.visible(
            connection.edges.map((edge) => edge.node),
            ctx.viewer.tenant,
          ),
        );
        return {
          ...connection,
          edges:
            ctx.viewer.tenant === null
              ? connection.edges
              : connection.edges.filter((edge) => shown.has(edge.node)),
          pageInfo: { ...connection.pageInfo, hasNextPage: hasNextPage ?? connection.pageInfo.hasNextPage },
          totalCount: ctx.viewer.tenant === null ? page.total : null,
        };
      },
    },
    {
      name: 'ChargeConnection',
      description: 'A page of charges.',
      fields: (c) => ({
        totalCount: c.int({
          nullable: true,
          description: 'How many charges match in all, as elepay counts them.',
          resolve: (connection) => (connection as { totalCount?: number | null }).totalCount ?? null,
        }),
      }),
    },
    { name: 'ChargeEdge', description: 'A charge in a page.' },
  ),
}));

const ChargePayload = payloadType('ChargePayload', {
  description: 'The result of `createCharge`, `captureCharge` and `cancelCharge`.',
  unchanged: 'nothing happened',
  fields: (t) => ({
    charge: t.field({ type: ChargeRef, nullable: true, description: 'The charge as elepay now has it.' }),
  }),
});

const CreateChargeInput = builder.inputType('CreateChargeInput', {
  description: 'A new elepay charge.',
  fields: (t) => ({
    amount: t.field({
      type: 'Decimal',
      required: true,
      description: 'The amount, e.g. "1000" (JPY has no decimals).',
    }),
    currency: t.string({ description: 'ISO-4217 code; default JPY.' }),
    paymentMethod: t.string({
      required: true,
      description: 'elepay payment method, e.g. creditcard, paypay, linepay.',
    }),
    orderNo: t.string({
      description: 'Your order number (unique, at most 50 characters); generated when left out.',
    }),
    description: t.string({ description: 'Free text.' }),
    metadata: t.field({
      type: 'JSONObject',
      description:
        'Up to 20 string values of at most 255 bytes; keys of 1–40 characters must not start with "route" or "__".',
    }),
    capture: t.boolean({
      description: 'False to authorize only and capture later with captureCharge. Default true.',
    }),
    idempotencyKey: t.string({
      description: `${IDEMPOTENCY_KEY_DESCRIPTION} Without an orderNo, the key also fixes the generated orderNo, so even a retry whose first response was lost cannot create a second charge: it returns the first.`,
    }),
  }),
});

const CHARGE_ID = 'Global ID or elepay charge ID.';

const CaptureChargeInput = builder.inputType('CaptureChargeInput', {
  description: 'The charge to capture.',
  fields: (f) => ({
    chargeId: f.id({ required: true, description: CHARGE_ID }),
    amount: f.field({
      type: 'Decimal',
      description: 'Capture less than authorized; leave out to capture it all.',
    }),
    idempotencyKey: f.string({ description: IDEMPOTENCY_KEY_DESCRIPTION }),
  }),
});

const CancelChargeInput = builder.inputType('CancelChargeInput', {
  description: 'The charge to cancel.',
  fields: (f) => ({
    chargeId: f.id({ required: true, description: CHARGE_ID }),
    idempotencyKey: f.string({ description: IDEMPOTENCY_KEY_DESCRIPTION }),
  }),
});

builder.mutationFields((t) => ({
  createCharge: t.field({
    // The write, and when a keyed retry finds its orderNo taken, the pages scanned for that charge.
    extensions: providerCalls({ calls: 1 + ORDER_NO_SCAN_PAGES }),
    type: ChargePayload,
    description: 'Creates an elepay charge. It starts PENDING until the payer completes it.',
    args: { input: t.arg({ type: CreateChargeInput, required: true, description: "The mutation's input." }) },
    resolve: (_root, { input }, ctx) =>
      runMutation(ctx, 'createCharge', input, async (retryKey) => {
        const currency = validate(z.object({ currency: currencyCode.nullish() }), input).currency ?? 'JPY';
        const valid = validate(newCharge(currency), input);
        const request = { ...valid, currency, capture: input.capture !== false };
        return { charge: await createCharge(ctx, request, retryKey) };
      }),
  }),
  captureCharge: t.field({
    extensions: providerCalls({ calls: 2 }), // load + capture
    type: ChargePayload,
    description: 'Captures an AUTHORIZED charge, in full or for a smaller amount.',
    args: {
      input: t.arg({ type: CaptureChargeInput, required: true, description: "The mutation's input." }),
    },
    resolve: (_root, { input }, ctx) =>
      runMutation(ctx, 'captureCharge', input, async (retryKey) => {
        validate(amountAndReason, { amount: input.amount });
        const id = providerIdOf(input.chargeId, 'Charge');
        return { charge: await captureCharge(ctx, id, input.amount ?? null, retryKey) };
      }),
  }),
  cancelCharge: t.field({
    extensions: providerCalls({ calls: 2 }), // load + revoke
    type: ChargePayload,
    description:
      'Cancels a PENDING or AUTHORIZED charge (elepay "revoke"). Captured charges are refunded instead.',
    args: { input: t.arg({ type: CancelChargeInput, required: true, description: "The mutation's input." }) },
    resolve: (_root, { input }, ctx) =>
      runMutation(ctx, 'cancelCharge', input, async (retryKey) => {
        const id = providerIdOf(input.chargeId, 'Charge');
        return { charge: await cancelCharge(ctx, id, retryKey) };
      }),
  }),
}));
