/**
 * elepay answers checked at the boundary (providers/elepay.md §4, §6, §7, §8): every body is parsed
 * with one of these before map.ts reads it, so a field of the wrong type is elepay's failure, not a
 * crash further up. Each schema's output is the wire type of the same name in wire.ts. Numbers
 * arrive as their exact text (providers/json.ts), hence strings; fields any version of the spec
 * omits are optional (drift, §11); fields the gateway never reads are not checked.
 */
import { z } from 'zod';
import type {
  ElepayChargesResponseWire,
  ElepayChargeWire,
  ElepayErrorWire,
  ElepayRefundsResponseWire,
  ElepayRefundWire,
} from './wire.js';

/** A JSON number (or numeric string) as its exact text. */
const numberText = z.string();
const stringMap = z.record(z.string(), z.string());

export const elepayRefundSchema = z.object({
  id: z.string().min(1),
  object: z.string().optional(),
  chargeId: z.string().min(1),
  liveMode: z.boolean().nullish(),
  amount: numberText,
  currency: z.string().nullish(),
  metadata: stringMap.nullish(),
  reason: z.string().nullish(),
  status: z.string().min(1),
  refundedTime: numberText.nullish(),
  createTime: numberText.nullish(),
}) satisfies z.ZodType<ElepayRefundWire>;

export const elepayChargeSchema = z.object({
  id: z.string().min(1),
  object: z.string().optional(),
  appId: z.string().nullish(),
  liveMode: z.boolean().nullish(),
  amount: numberText,
  authorizeAmount: numberText.nullish(),
  currency: z.string().nullish(),
  authorize: z.boolean().nullish(),
  paymentMethod: z.string().nullish(),
  resource: z.string().nullish(),
  orderNo: z.string(),
  description: z.string().nullish(),
  metadata: stringMap.nullish(),
  paid: z.boolean().nullish(),
  refunded: z.boolean().nullish(),
  disputed: z.boolean().nullish(),
  refunds: z.object({ amount: numberText.nullish(), totalCount: numberText.nullish() }).nullish(),
  status: z.string().min(1),
  paidTime: numberText.nullish(),
  refundTime: numberText.nullish(),
  expiryTime: numberText.nullish(),
  settleTime: numberText.nullish(),
  createTime: numberText.nullish(),
}) satisfies z.ZodType<ElepayChargeWire>;

/** A list answer whose list is missing is no answer at all (it would read as "none"). */
export const elepayChargesSchema = z.object({
  total: numberText,
  charges: z.array(elepayChargeSchema),
}) satisfies z.ZodType<ElepayChargesResponseWire>;

export const elepayRefundsSchema = z.object({
  total: numberText,
  refunds: z.array(elepayRefundSchema),
}) satisfies z.ZodType<ElepayRefundsResponseWire>;

/** A value of an error body, kept only when it is short text (codes and names, never prose). */
const shortText = z.string().max(200).optional().catch(undefined);

/** Error body: current shape plus the legacy `{code, message}` / `{type, code, message}` (§7). */
export const elepayErrorSchema = z
  .object({ errorCode: shortText, code: shortText, type: shortText, parameterName: shortText })
  .catch({}) satisfies z.ZodType<ElepayErrorWire>;

/** The webhook envelope (§8), as far as the gateway reads it: which object, and when. */
export const elepayEventSchema = z.object({
  /** The event's own ID (`evt_…`, §8). */
  id: z.string().min(1).max(200).optional().catch(undefined),
  type: z.string().min(1).max(200),
  /** UNIX milliseconds (§1), when elepay says it happened. */
  createTime: z.number().nonnegative().optional().catch(undefined),
  data: z.object({
    object: z.object({
      id: z.string().min(1).max(200),
      chargeId: z.string().min(1).max(200).optional().catch(undefined),
    }),
  }),
});
