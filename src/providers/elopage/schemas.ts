/**
 * elopage answers checked at the boundary (providers/elopage.md): every body is parsed with one of
 * these before map.ts reads it. Each schema's output is the wire type of the same name in wire.ts.
 * elopage sends decimals and IDs both as JSON numbers and as strings; after the exact parse
 * (providers/json.ts) both are text, so they are strings here. Fields the gateway never reads are
 * not checked.
 */
import { z } from 'zod';
import type {
  ElopageAuthorCommissionWire,
  ElopageDeleteResponseWire,
  ElopageErrorWire,
  ElopagePayerWire,
  ElopagePaymentWire,
  ElopagePricingPlanWire,
  ElopageRefundWire,
  ElopageSalesPageSavedWire,
  ElopageSalesPageWire,
} from './wire.js';

/** A JSON number or numeric string as its exact text. */
const numberText = z.string();
const optionalText = z.string().nullish();

const payerSchema = z.object({
  email: optionalText,
  first_name: optionalText,
  last_name: optionalText,
  country: optionalText,
  city: optionalText,
  street: optionalText,
  zip: optionalText,
  company: optionalText,
  vat_id: optionalText,
  phone: optionalText,
}) satisfies z.ZodType<ElopagePayerWire>;

const commissionSchema = z.object({
  id: numberText,
  rate: numberText.nullish(),
  amount: numberText,
  payment_id: numberText.nullish(),
}) satisfies z.ZodType<ElopageAuthorCommissionWire>;

export const elopagePaymentSchema = z.object({
  id: numberText.min(1),
  payer: payerSchema.nullish(),
  revenue: numberText,
  amount: numberText,
  fee: numberText,
  recurring: z.boolean().nullish(),
  recurring_form: optionalText,
  payment_method: optionalText,
  payment_session_id: numberText.nullish(),
  sales_page_id: numberText.nullish(),
  state: z.string().min(1),
  created_date: optionalText,
  success_date: optionalText,
  success_date_short: optionalText,
  invoice_link: optionalText,
  success_link: optionalText,
  author_commissions: z.array(commissionSchema).nullish(),
}) satisfies z.ZodType<ElopagePaymentWire>;

export const elopageRefundSchema = z.object({
  id: numberText.min(1),
  payer: payerSchema.nullish(),
  total: numberText,
  amount: numberText,
  fee: numberText,
  payment_method: optionalText,
  payment_session_id: numberText.nullish(),
  sales_page_id: numberText.nullish(),
  refunded_transfer_id: numberText.nullish(),
  refunded_tansfer_id: numberText.nullish(),
  state: z.string().min(1),
  created_date: optionalText,
  author_commissions: z.array(commissionSchema).nullish(),
}) satisfies z.ZodType<ElopageRefundWire>;

const preferencesSchema = z.object({
  price: numberText.nullish(),
  old_price: numberText.nullish(),
  p_count: numberText.nullish(),
  first_interval: optionalText,
  first_amount: numberText.nullish(),
  next_interval: optionalText,
  next_amount: numberText.nullish(),
  splitting_type: optionalText,
});

export const elopagePricingPlanSchema = z.object({
  id: numberText.nullish(),
  form: z.string(),
  preferences: preferencesSchema.nullish(),
}) satisfies z.ZodType<ElopagePricingPlanWire>;

export const elopageSalesPageSchema = z.object({
  id: numberText.nullish(),
  name: optionalText,
  url_to_pay: optionalText,
  success_url: optionalText,
  cancel_url: optionalText,
  error_url: optionalText,
  webhook_url: optionalText,
  free: z.boolean().nullish(),
  pricing_plans: z.array(elopagePricingPlanSchema).nullish(),
  authors: z
    .array(
      z.object({
        author_id: numberText.nullish(),
        id: numberText.nullish(),
        c_c_enabled: z.boolean().nullish(),
        custom_commission_enabled: z.boolean().nullish(),
        commission: numberText.nullish(),
      }),
    )
    .nullish(),
}) satisfies z.ZodType<ElopageSalesPageWire>;

export const elopageSalesPageSavedSchema = z.object({
  id: numberText.min(1),
  url_to_pay: optionalText,
}) satisfies z.ZodType<ElopageSalesPageSavedWire>;

export const elopageDeleteSchema = z.object({
  status: z.string(),
  response: optionalText,
}) satisfies z.ZodType<ElopageDeleteResponseWire>;

/** Error body; the document names `NoAccessRight` and `UserNotFound` but no shape. */
export const elopageErrorSchema = z
  .object({
    error: z.string().max(200).optional().catch(undefined),
    errors: z.record(z.string(), z.unknown()).optional().catch(undefined),
  })
  .catch({}) satisfies z.ZodType<Pick<ElopageErrorWire, 'error'>>;

/** The payment notification elopage posts (a payment or refund, quirk 7): its ID, number or string. */
export const elopageNotificationSchema = z.object({
  id: z.union([z.string(), z.number().int().nonnegative().transform(String)]),
});
