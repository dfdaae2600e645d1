import { randomBytes } from 'node:crypto';
import { resolveArrayConnection, resolveOffsetConnection } from '@pothos/plugin-relay';
import { z } from 'zod';
import { REFUND_SCOPE_ONLY } from '../../auth/scopes.js';
import type { Context } from '../../context.js';
import { ProviderError } from '../../domain/errors.js';
import type { Charge } from '../../domain/model.js';
import { Dec, toMinorUnits } from '../../domain/money.js';
import type { PaymentStatus } from '../../domain/status.js';
import { toCharge } from '../../providers/elepay/map.js';
import type { ElepayListChargesQuery } from '../../providers/elepay/wire.js';
import { jsonNumber } from '../../providers/json.js';
import { builder } from '../builder.js';
import { fail, IDEMPOTENCY_KEY_DESCRIPTION, runMutation, validate } from '../mutations.js';
import { loadCharge } from '../nodes.js';
import {
  ChargeRef,
  MoneyRef,
  NodeRef,
  PaymentStatusEnum,
  RefundRef,
  TransactionRef,
  UserErrorRef,
} from '../refs.js';
import { checkAmountAndReason, refundElepayCharge } from '../refunding.js';
import { amount, currencyCode, hasControlCharacter, text } from '../validation.js';

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
    metadata: t.field({
      type: 'JSONObject',
      nullable: true,
      description: 'String key/value pairs kept with the charge.',
      resolve: (charge) => charge.metadata,
    }),
    refundedAmount: t.field({
      type: MoneyRef,
      nullable: true,
      description: 'The sum of completed refunds.',
      resolve: (charge) => charge.refundedAmount,
    }),
    authorizedAmount: t.field({
      type: MoneyRef,
      nullable: true,
      description: 'The amount held for capture (charges created with `capture: false`).',
      resolve: (charge) => charge.authorizedAmount,
    }),
    paidAt: t.field({
      type: 'DateTime',
      nullable: true,
      description: 'When it was paid.',
      resolve: (charge) => charge.paidAt,
    }),
    refundedAt: t.field({
      type: 'DateTime',
      nullable: true,
      description: 'When it was refunded in full.',
      resolve: (charge) => charge.refundedAt,
    }),
    liveMode: t.exposeBoolean('liveMode', { description: 'False for test-mode charges.' }),
    refunds: t.connection(
      {
        type: RefundRef,
        description: "The charge's refunds, pending ones included, oldest first.",
        resolve: async (charge, args, ctx) =>
          resolveArrayConnection({ args }, (await ctx.loaders.chargeRefunds.load(charge.providerId)) ?? []),
      },
      { name: 'RefundConnection', description: 'A page of refunds.' },
      { name: 'RefundEdge', description: 'A refund in a page.' },
    ),
  }),
});

/** The raw elepay status a normalized filter asks for (elepay filters on one status). */
const STATUS_FILTER: Record<PaymentStatus, string> = {
  PENDING: 'pending',
  AUTHORIZED: 'uncaptured',
  REQUIRES_ACTION: 'amount_mismatch',
  SUCCEEDED: 'captured',
  FAILED: 'failed',
  CANCELED: 'revoked',
  PARTIALLY_REFUNDED: 'partially_refunded',
  REFUNDED: 'refunded',
};

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

type ChargeFilterShape = typeof ChargeFilter.$inferInput;

/** elepay's page size limit (providers/elepay.md §6). */
const ELEPAY_MAX_PAGE = 100;
const ORDER_NO_SCAN_PAGES = 5;

function listQuery(filter: ChargeFilterShape | null | undefined): ElepayListChargesQuery {
  return {
    status: filter?.status ? STATUS_FILTER[filter.status] : undefined,
    from: filter?.createdAfter ? String(filter.createdAfter.getTime()) : undefined,
    to: filter?.createdBefore ? String(filter.createdBefore.getTime()) : undefined,
    dateField: filter?.createdAfter || filter?.createdBefore ? 'create_time' : undefined,
    paymentMethod: filter?.paymentMethods ?? undefined,
  };
}

/** Charges a list read enter the ledger (src/ledger), as every read does (loaders.ts), unawaited. */
function noteRead(ctx: Context, charges: Charge[]): Charge[] {
  void ctx.services.ledger.observe(charges, 'READ');
  return charges;
}

async function chargesByOrderNo(
  ctx: Context,
  orderNo: string,
  query: ElepayListChargesQuery,
): Promise<Charge[]> {
  for (let page = 0; page < ORDER_NO_SCAN_PAGES; page++) {
    const result = await ctx.services.elepay.listCharges({
      ...query,
      limit: ELEPAY_MAX_PAGE,
      offset: page * ELEPAY_MAX_PAGE,
    });
    const match = result.charges.find((charge) => charge.orderNo === orderNo);
    if (match) return noteRead(ctx, [toCharge(match, ctx.services.statuses)]);
    if (result.charges.length < ELEPAY_MAX_PAGE) break;
  }
  return [];
}

builder.queryFields((t) => ({
  charge: t.field({
    type: ChargeRef,
    nullable: true,
    description: "An elepay charge by global ID or elepay's own charge ID; null if it does not exist.",
    args: { id: t.arg.id({ required: true, description: 'Global ID or elepay charge ID.' }) },
    resolve: (_root, { id }, ctx) => loadCharge(ctx, id),
  }),
  charges: t.connection(
    {
      type: ChargeRef,
      // Nullable on purpose: an elepay outage then nulls this field only, not elopage data beside it.
      nullable: true,
      description: 'elepay charges, newest first.',
      args: { filter: t.arg({ type: ChargeFilter, description: 'Narrow the list.' }) },
      resolve: async (_root, args, ctx) => {
        const query = listQuery(args.filter);
        if (args.filter?.orderNo) {
          const matches = await chargesByOrderNo(ctx, args.filter.orderNo, query);
          return { ...resolveArrayConnection({ args }, matches), totalCount: matches.length };
        }
        let totalCount: number | null = null;
        let pageOffset = 0;
        const connection = await resolveOffsetConnection(
          { args, defaultSize: 20, maxSize: ELEPAY_MAX_PAGE },
          async ({ offset, limit }) => {
            // limit is one more than the page, to learn whether a next page exists.
            const result = await ctx.services.elepay.listCharges({
              ...query,
              offset,
              limit: Math.min(limit, ELEPAY_MAX_PAGE),
            });
            pageOffset = offset;
            totalCount = /^\d+$/.test(result.total) ? Number(result.total) : null;
            const charges = noteRead(
              ctx,
              result.charges.map((wire) => toCharge(wire, ctx.services.statuses)),
            );
            for (const charge of charges) ctx.loaders.charge.prime(charge.providerId, charge);
            return charges;
          },
        );
        // For a page of 100, elepay's limit cuts off the look-ahead row that tells Pothos whether
        // a next page exists, so hasNextPage would read false with more charges left; elepay's
        // total (the full match count) answers that for every page size instead.
        const pageInfo =
          totalCount === null
            ? connection.pageInfo
            : { ...connection.pageInfo, hasNextPage: pageOffset + connection.edges.length < totalCount };
        return { ...connection, pageInfo, totalCount };
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

const ChargePayload = builder.simpleObject('ChargePayload', {
  description: 'The result of `createCharge`, `captureCharge` and `cancelCharge`.',
  fields: (t) => ({
    charge: t.field({ type: ChargeRef, nullable: true, description: 'The charge as elepay now has it.' }),
    userErrors: t.field({ type: [UserErrorRef], description: 'Why nothing happened, if so.' }),
  }),
});

const RefundChargePayload = builder.simpleObject('RefundChargePayload', {
  description: 'The result of `refundCharge`.',
  fields: (t) => ({
    refund: t.field({
      type: RefundRef,
      nullable: true,
      description: 'The new refund (elepay refunds start PENDING).',
    }),
    charge: t.field({ type: ChargeRef, nullable: true, description: 'The charge as elepay now has it.' }),
    userErrors: t.field({ type: [UserErrorRef], description: 'Why nothing was refunded, if so.' }),
  }),
});

const IDEMPOTENCY_KEY = IDEMPOTENCY_KEY_DESCRIPTION;

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
      description: `${IDEMPOTENCY_KEY} Without an orderNo, the key also fixes the generated orderNo, so even a retry whose first response was lost cannot create a second charge: it returns the first.`,
    }),
  }),
});

const ORDER_NO_MAX = 50;

/** Like Stripe's: a key names a field, it does not carry data. */
const METADATA_KEY_MAX = 40;

const metadataSchema = z
  .record(z.string(), z.unknown())
  .refine((record) => Object.keys(record).length <= 20, { message: 'must have at most 20 keys' })
  .refine(
    (record) =>
      Object.keys(record).every(
        (key) => key.length >= 1 && key.length <= METADATA_KEY_MAX && !hasControlCharacter(key),
      ),
    { message: `keys must be 1–${METADATA_KEY_MAX} characters without control characters` },
  )
  .refine(
    (record) =>
      Object.values(record).every((value) => typeof value !== 'string' || !hasControlCharacter(value)),
    { message: 'values must not contain control characters or bidirectional overrides' },
  )
  .refine((record) => Object.values(record).every((value) => typeof value === 'string'), {
    message: 'values must be strings',
  })
  .refine(
    (record) =>
      Object.values(record).every((value) => typeof value !== 'string' || Buffer.byteLength(value) <= 255),
    {
      message: 'values must be at most 255 bytes',
    },
  )
  .refine((record) => Object.keys(record).every((key) => !key.startsWith('route') && !key.startsWith('__')), {
    message: 'keys starting with "route" or "__" are reserved by elepay',
  })
  .nullish();

function createChargeSchema(currency: string) {
  return z.object({
    amount: amount(currency),
    paymentMethod: z
      .string()
      .regex(/^[a-z0-9_]{1,40}$/, { message: 'must be an elepay payment method such as "creditcard"' }),
    orderNo: z
      .string()
      .regex(/^[\x21-\x7e]{1,50}$/, { message: `must be 1–${ORDER_NO_MAX} visible ASCII characters` })
      .nullish(),
    description: text(1000).nullish(),
    metadata: metadataSchema,
  });
}

/** A fresh order number when the caller has none: elepay requires one (§4 ChargeReq). */
function generateOrderNo(): string {
  return `pg-${Date.now().toString(36)}-${randomBytes(8).toString('hex')}`;
}

/** elepay's answers to a reused orderNo (providers/elepay.md §9: its only duplicate guard). */
const DUPLICATE_ORDER_NO = new Set(['M002004', 'M002007', 'duplicate_order_no']);

const AMOUNT_TOO_LARGE = new Set(['U008001']);

function isProviderCode(error: unknown, codes: ReadonlySet<string>): boolean {
  return (
    error instanceof ProviderError &&
    error.failure === 'REJECTED' &&
    error.providerCode !== undefined &&
    codes.has(error.providerCode)
  );
}

function isDuplicateOrderNo(error: unknown): boolean {
  return isProviderCode(error, DUPLICATE_ORDER_NO);
}

/**
 * The charge an earlier execution with the same key created: its response was lost (or its record
 * expired), and elepay refused the key's orderNo as taken. Rethrows elepay's refusal when the charge
 * is not among the newest elepay lists; refuses a charge that does not fit the input.
 */
async function chargeOfEarlierAttempt(
  ctx: Context,
  orderNo: string,
  expected: { amount: string; currency: string; paymentMethod: string },
  refusal: unknown,
): Promise<Charge> {
  const [charge] = await chargesByOrderNo(ctx, orderNo, {});
  if (!charge) throw refusal;
  // A partial capture lowers `amount`; the authorized amount is still what was asked for.
  const asked = new Dec(expected.amount);
  const fits =
    charge.amount.currency === expected.currency &&
    charge.paymentMethod === expected.paymentMethod &&
    [charge.amount, charge.authorizedAmount].some((money) => money !== null && asked.eq(money.amount));
  if (!fits) {
    fail(
      ['input', 'idempotencyKey'],
      'IDEMPOTENCY_KEY_REUSED',
      'this idempotency key already created a charge with a different amount or payment method',
    );
  }
  ctx.loaders.charge.prime(charge.providerId, charge);
  return charge;
}

const CHARGE_ID = 'Global ID or elepay charge ID.';

/**
 * Whether the charge reads as this capture having happened: captured (or refunded since) for the
 * amount asked, or the whole authorization when no amount was given. A capture is a state change,
 * not a new object: there is nothing else to find after a lost answer, and the state asked for holds.
 */
function isCaptureOf(charge: Charge, amount: string | null | undefined): boolean {
  const captured =
    charge.status === 'SUCCEEDED' || charge.status === 'PARTIALLY_REFUNDED' || charge.status === 'REFUNDED';
  // A charge captured on payment was never authorized: no captureCharge can have captured it.
  if (!captured || !charge.authorizedAmount) return false;
  return new Dec(amount ?? charge.authorizedAmount.amount).eq(charge.amount.amount);
}

builder.mutationFields((t) => ({
  createCharge: t.field({
    type: ChargePayload,
    description: 'Creates an elepay charge. It starts PENDING until the payer completes it.',
    args: { input: t.arg({ type: CreateChargeInput, required: true, description: "The mutation's input." }) },
    resolve: (_root, { input }, ctx) =>
      runMutation(ctx, 'createCharge', input, async (idempotency) => {
        const currency = validate(z.object({ currency: currencyCode.nullish() }), input).currency ?? 'JPY';
        const valid = validate(createChargeSchema(currency), input);
        const units = toMinorUnits(new Dec(valid.amount), currency);
        if (units === null)
          fail(['input', 'amount'], 'INVALID', `${currency} amounts take fewer decimal places`);
        // With a key (and no orderNo of the caller's), the key fixes the orderNo: elepay then refuses
        // a second charge for it, so not even a retry after a lost response can charge twice.
        const keyedOrderNo = !valid.orderNo && idempotency ? `pg-${idempotency.derivedId}` : null;
        let wire: Awaited<ReturnType<typeof ctx.services.elepay.createCharge>>;
        try {
          wire = await ctx.services.elepay.createCharge({
            amount: jsonNumber(units),
            currency,
            paymentMethod: valid.paymentMethod,
            orderNo: valid.orderNo ?? keyedOrderNo ?? generateOrderNo(),
            ...(input.capture === false ? { capture: false } : {}),
            ...(valid.description ? { description: valid.description } : {}),
            ...(valid.metadata ? { metadata: valid.metadata as Record<string, string> } : {}),
          });
        } catch (error) {
          // elepay's "amount too large" (U008001) means its own limit here, not a remaining amount.
          if (isProviderCode(error, AMOUNT_TOO_LARGE)) {
            fail(
              ['input', 'amount'],
              'INVALID',
              'elepay does not accept this amount for this payment method',
            );
          }
          if (!keyedOrderNo || !isDuplicateOrderNo(error)) throw error;
          const expected = { amount: valid.amount, currency, paymentMethod: valid.paymentMethod };
          return { charge: await chargeOfEarlierAttempt(ctx, keyedOrderNo, expected, error) };
        }
        const charge = toCharge(wire, ctx.services.statuses);
        ctx.loaders.charge.prime(charge.providerId, charge);
        return { charge };
      }),
  }),
  captureCharge: t.field({
    type: ChargePayload,
    description: 'Captures an AUTHORIZED charge, in full or for a smaller amount.',
    args: {
      input: t.arg({
        type: builder.inputType('CaptureChargeInput', {
          description: 'The charge to capture.',
          fields: (f) => ({
            chargeId: f.id({ required: true, description: CHARGE_ID }),
            amount: f.field({
              type: 'Decimal',
              description: 'Capture less than authorized; leave out to capture it all.',
            }),
            idempotencyKey: f.string({ description: IDEMPOTENCY_KEY }),
          }),
        }),
        required: true,
        description: "The mutation's input.",
      }),
    },
    resolve: (_root, { input }, ctx) =>
      runMutation(ctx, 'captureCharge', input, async (idempotency) => {
        checkAmountAndReason({ amount: input.amount });
        const charge = await loadCharge(ctx, input.chargeId);
        if (!charge) fail(['input', 'chargeId'], 'NOT_FOUND', 'no charge with this ID');
        // A keyed retry whose first attempt captured (and lost the answer) gets that capture.
        if (idempotency && isCaptureOf(charge, input.amount)) return { charge };
        if (charge.status !== 'AUTHORIZED') {
          fail(
            ['input', 'chargeId'],
            'INVALID_STATE',
            `only authorized charges can be captured; this one is ${charge.providerStatus}`,
          );
        }
        let units: string | null = null;
        if (input.amount) {
          const currency = charge.amount.currency;
          validate(z.object({ amount: amount(currency) }), { amount: input.amount });
          const ceiling = new Dec((charge.authorizedAmount ?? charge.amount).amount);
          if (new Dec(input.amount).gt(ceiling)) {
            fail(
              ['input', 'amount'],
              'AMOUNT_EXCEEDS_REMAINING',
              `at most ${ceiling.toString()} ${currency} is authorized`,
            );
          }
          units = toMinorUnits(new Dec(input.amount), currency);
        }
        const wire = await ctx.services.elepay.captureCharge(
          charge.providerId,
          units ? { amount: jsonNumber(units) } : {},
        );
        return { charge: toCharge(wire, ctx.services.statuses) };
      }),
  }),
  cancelCharge: t.field({
    type: ChargePayload,
    description:
      'Cancels a PENDING or AUTHORIZED charge (elepay "revoke"). Captured charges are refunded instead.',
    args: {
      input: t.arg({
        type: builder.inputType('CancelChargeInput', {
          description: 'The charge to cancel.',
          fields: (f) => ({
            chargeId: f.id({ required: true, description: CHARGE_ID }),
            idempotencyKey: f.string({ description: IDEMPOTENCY_KEY }),
          }),
        }),
        required: true,
        description: "The mutation's input.",
      }),
    },
    resolve: (_root, { input }, ctx) =>
      runMutation(ctx, 'cancelCharge', input, async (idempotency) => {
        const charge = await loadCharge(ctx, input.chargeId);
        if (!charge) fail(['input', 'chargeId'], 'NOT_FOUND', 'no charge with this ID');
        // A keyed retry whose first attempt canceled (and lost the answer) gets that cancellation.
        if (idempotency && charge.status === 'CANCELED') return { charge };
        if (charge.status !== 'PENDING' && charge.status !== 'AUTHORIZED') {
          fail(
            ['input', 'chargeId'],
            'INVALID_STATE',
            charge.status === 'SUCCEEDED'
              ? 'a captured charge cannot be canceled; refund it instead'
              : `only pending or authorized charges can be canceled; this one is ${charge.providerStatus}`,
          );
        }
        const wire = await ctx.services.elepay.revokeCharge(charge.providerId);
        return { charge: toCharge(wire, ctx.services.statuses) };
      }),
  }),
  refundCharge: t.field({
    ...REFUND_SCOPE_ONLY,
    type: RefundChargePayload,
    description: 'Refunds a captured charge, in part or (without amount) all that remains.',
    args: {
      input: t.arg({
        type: builder.inputType('RefundChargeInput', {
          description: 'What to refund.',
          fields: (f) => ({
            chargeId: f.id({ required: true, description: CHARGE_ID }),
            amount: f.field({
              type: 'Decimal',
              description: 'Leave out to refund everything not refunded yet.',
            }),
            reason: f.string({ description: 'Why, at most 255 characters.' }),
            idempotencyKey: f.string({ description: IDEMPOTENCY_KEY }),
          }),
        }),
        required: true,
        description: "The mutation's input.",
      }),
    },
    resolve: (_root, { input }, ctx) =>
      runMutation(ctx, 'refundCharge', input, async (idempotency) => {
        checkAmountAndReason(input);
        return refundElepayCharge(
          ctx,
          input.chargeId,
          input,
          { id: ['input', 'chargeId'], amount: ['input', 'amount'] },
          idempotency,
        );
      }),
  }),
}));
