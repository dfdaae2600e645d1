/**
 * elepay charge workflows: listing (elepay's page size, a search by order number elepay cannot
 * filter on), creating with an idempotency key that survives a lost answer, capturing and
 * canceling with the state checks that come before any write. Resolvers (graphql/types/charge.ts)
 * validate input first; user errors name the mutation's input fields (API.md, Inputs).
 */
import { randomBytes } from 'node:crypto';
import type { Context } from '../context.js';
import { fail, isRefusal } from '../domain/errors.js';
import type { Charge } from '../domain/model.js';
import { amountProblems, Dec, type Money } from '../domain/money.js';
import type { ChargeListQuery, ChargePage, NewCharge } from '../domain/requests.js';
import { failAll, requireCharge } from './lookups.js';

/** elepay's page size limit (providers/elepay.md §6). */
export const ELEPAY_MAX_PAGE = 100;
/** How far a search by order number looks: the newest this many pages of charges. */
export const ORDER_NO_SCAN_PAGES = 5;

/**
 * The charges at `offset`, at most `limit` (capped at elepay's page size), and how many match in
 * all. Every charge listed is then read from the request's loader, not fetched again.
 */
export async function listCharges(
  ctx: Context,
  query: ChargeListQuery,
  { offset, limit }: { offset: number; limit: number },
): Promise<ChargePage> {
  const page = await ctx.services.elepay.listCharges({
    ...query,
    offset,
    limit: Math.min(limit, ELEPAY_MAX_PAGE),
  });
  // Only what the viewer may see is primed: a tenant's later lookup of another's charge is checked.
  for (const charge of await ctx.loaders.visible(page.charges, ctx.viewer.tenant))
    ctx.loaders.remember(charge);
  // A page read is a read like any other: its charges enter the ledger (src/ledger), unawaited.
  void ctx.services.ledger.observe(page.charges, 'READ');
  return page;
}

/**
 * Whether charges follow the `shown` ones from `offset`, when elepay counted the matches. A page
 * reads one charge past its end to tell, but for a page of 100 elepay's limit cuts that one off:
 * the count answers for every page size. Undefined when there is no count.
 */
export function hasMoreCharges(page: ChargePage, offset: number, shown: number): boolean | undefined {
  return page.total === null ? undefined : offset + shown < page.total;
}

/** The charge with this order number among the newest ORDER_NO_SCAN_PAGES pages (elepay has no such filter). */
export async function findChargeByOrderNo(
  ctx: Context,
  orderNo: string,
  query: ChargeListQuery = {},
): Promise<Charge | null> {
  for (let page = 0; page < ORDER_NO_SCAN_PAGES; page++) {
    const { charges } = await ctx.services.elepay.listCharges({
      ...query,
      limit: ELEPAY_MAX_PAGE,
      offset: page * ELEPAY_MAX_PAGE,
    });
    const match = charges.find((charge) => charge.orderNo === orderNo);
    if (match) return match;
    if (charges.length < ELEPAY_MAX_PAGE) break;
  }
  return null;
}

/** A fresh order number when the caller has none: elepay requires one (§4 ChargeReq). */
function generateOrderNo(): string {
  return `pg-${Date.now().toString(36)}-${randomBytes(8).toString('hex')}`;
}

/** A charge to create, as its input was validated; without an orderNo one is made up. */
export interface ChargeRequest {
  amount: string;
  currency: string;
  paymentMethod: string;
  orderNo?: string | null;
  capture: boolean;
  description?: string | null;
  metadata?: Record<string, string> | null;
}

/**
 * Creates a charge. With a retry key (and no orderNo of the caller's) the key fixes the orderNo:
 * elepay then refuses a second charge for it, so not even a retry after a lost answer can charge
 * twice — it gets the charge the first attempt made.
 */
export async function createCharge(
  ctx: Context,
  request: ChargeRequest,
  retryKey: string | null,
): Promise<Charge> {
  const keyedOrderNo = !request.orderNo && retryKey ? `pg-${retryKey}` : null;
  const charge: NewCharge = {
    amount: { amount: request.amount, currency: request.currency },
    paymentMethod: request.paymentMethod,
    orderNo: request.orderNo || keyedOrderNo || generateOrderNo(),
    capture: request.capture,
    description: request.description || null,
    metadata: request.metadata ?? null,
  };
  let created: Charge;
  try {
    created = await ctx.services.elepay.createCharge(charge);
  } catch (error) {
    // elepay's "amount too large" means its own limit here, not a remaining amount.
    if (isRefusal(error, 'AMOUNT_TOO_LARGE')) {
      fail(['input', 'amount'], 'INVALID', 'elepay does not accept this amount for this payment method');
    }
    if (!keyedOrderNo || !isRefusal(error, 'DUPLICATE_ORDER')) throw error;
    created = await chargeOfEarlierAttempt(ctx, keyedOrderNo, charge, error);
  }
  ctx.loaders.remember(created);
  return created;
}

/**
 * The charge an earlier execution with the same key created: its answer was lost (or its record
 * expired), and elepay refused the key's orderNo as taken. Rethrows elepay's refusal when the charge
 * is not among the newest elepay lists; refuses a charge that does not fit the request.
 */
async function chargeOfEarlierAttempt(
  ctx: Context,
  orderNo: string,
  request: NewCharge,
  refusal: unknown,
): Promise<Charge> {
  const charge = await findChargeByOrderNo(ctx, orderNo);
  if (!charge) throw refusal;
  // A partial capture lowers `amount`; the authorized amount is still what was asked for.
  const asked = new Dec(request.amount.amount);
  const fits =
    charge.amount.currency === request.amount.currency &&
    charge.paymentMethod === request.paymentMethod &&
    [charge.amount, charge.authorizedAmount].some((money) => money !== null && asked.eq(money.amount));
  if (!fits) {
    fail(
      ['input', 'idempotencyKey'],
      'IDEMPOTENCY_KEY_REUSED',
      'this idempotency key already created a charge with a different amount or payment method',
    );
  }
  return charge;
}

/**
 * Whether the charge reads as this capture having happened: captured (or refunded since) for the
 * amount asked, or the whole authorization when no amount was given. A capture is a state change,
 * not a new object: there is nothing else to find after a lost answer, and the state asked for holds.
 */
function isCaptureOf(charge: Charge, amount: string | null): boolean {
  const captured =
    charge.status === 'SUCCEEDED' || charge.status === 'PARTIALLY_REFUNDED' || charge.status === 'REFUNDED';
  // A charge captured on payment was never authorized: no captureCharge can have captured it.
  if (!captured || !charge.authorizedAmount) return false;
  return new Dec(amount ?? charge.authorizedAmount.amount).eq(charge.amount.amount);
}

/** Captures an AUTHORIZED charge, all of it or `amount` (in the charge's currency). */
export async function captureCharge(
  ctx: Context,
  chargeId: string | null,
  amount: string | null,
  retryKey: string | null,
): Promise<Charge> {
  const charge = await requireCharge(ctx, chargeId, ['input', 'chargeId']);
  // A keyed retry whose first attempt captured (and lost the answer) gets that capture.
  if (retryKey && isCaptureOf(charge, amount)) return charge;
  if (charge.status !== 'AUTHORIZED') {
    fail(
      ['input', 'chargeId'],
      'INVALID_STATE',
      `only authorized charges can be captured; this one is ${charge.providerStatus}`,
    );
  }
  let partial: Money | null = null;
  if (amount) {
    const currency = charge.amount.currency;
    failAll(['input', 'amount'], amountProblems(amount, currency));
    const ceiling = new Dec((charge.authorizedAmount ?? charge.amount).amount);
    if (new Dec(amount).gt(ceiling)) {
      fail(
        ['input', 'amount'],
        'AMOUNT_EXCEEDS_REMAINING',
        `at most ${ceiling.toString()} ${currency} is authorized`,
      );
    }
    partial = { amount, currency };
  }
  return ctx.services.elepay.captureCharge(charge.providerId, partial);
}

/** Cancels (elepay: revokes) a PENDING or AUTHORIZED charge; a captured one is refunded instead. */
export async function cancelCharge(
  ctx: Context,
  chargeId: string | null,
  retryKey: string | null,
): Promise<Charge> {
  const charge = await requireCharge(ctx, chargeId, ['input', 'chargeId']);
  // A keyed retry whose first attempt canceled (and lost the answer) gets that cancellation.
  if (retryKey && charge.status === 'CANCELED') return charge;
  if (charge.status !== 'PENDING' && charge.status !== 'AUTHORIZED') {
    fail(
      ['input', 'chargeId'],
      'INVALID_STATE',
      charge.status === 'SUCCEEDED'
        ? 'a captured charge cannot be canceled; refund it instead'
        : `only pending or authorized charges can be canceled; this one is ${charge.providerStatus}`,
    );
  }
  return ctx.services.elepay.cancelCharge(charge.providerId);
}
