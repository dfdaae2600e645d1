/**
 * Request schemas of the API document (providers/elopage.md, Endpoints) and of the sandbox
 * helpers. elopage answers every problem at once: 422 `ValidationError` with messages per dotted
 * field path. `"199.9"` and `199.9` read the same, as do `"5"` and `5` for p_count
 * (Conventions: Numbers). null counts as "not given" where the document's examples omit a field.
 */

import { z } from 'zod';
import { Dec, isUnsignedDecimal } from '../../domain/money.js';
import { type Issues, isAbsent, parseWith } from '../validation.js';
import { type FieldErrors, validationFailed } from './errors.js';
import {
  type AuthorRow,
  CHECKOUT_OUTCOMES,
  INTERVALS,
  MAX_PLANS_PER_PAGE,
  type NewSalesPage,
  PAYER_FIELDS,
  PAYMENT_METHODS,
  type PayerRow,
  PLAN_FORMS,
  type PlanInput,
  type SalesPageChanges,
  type SalesPageFields,
  SETTLE_OUTCOMES,
  SPLITTING_TYPES,
  TRIGGER_EVENTS,
} from './model.js';

export function parse<S extends z.ZodType>(schema: S, value: unknown, status = 422): z.output<S> {
  return parseWith(schema, value ?? {}, (issues) => validationFailed(fieldErrors(issues), status));
}

function fieldErrors(issues: Issues): FieldErrors {
  const errors: FieldErrors = {};
  for (const issue of issues) {
    const path = issue.path.map(String).join('.') || 'body';
    const list = errors[path] ?? [];
    list.push(isAbsent(issue) ? 'is required' : issue.message);
    errors[path] = list;
  }
  return errors;
}

const text = () => z.string({ error: 'must be a string' });
const object = <S extends z.core.$ZodLooseShape>(shape: S) => z.object(shape, { error: 'must be an object' });
const oneOf = <const T extends readonly [string, ...string[]]>(values: T) =>
  z.enum(values, { error: `must be one of ${values.join(', ')}` });
const given = <S extends z.ZodType>(schema: S) => z.preprocess((value) => value ?? undefined, schema);

/** A numeric ID sent as a JSON number or a string (`1087` / `"1087"`). */
const idText = (what: string) => text().regex(/^[1-9]\d{0,14}$/, `must be a ${what} ID`);
const decimal = text().refine(isUnsignedDecimal, 'must be a non-negative decimal');

const recurringPreferences = {
  first_interval: given(oneOf(INTERVALS)),
  first_amount: given(decimal),
  next_interval: given(oneOf(INTERVALS)),
  next_amount: given(decimal),
};

/** Only the keys of the plan's form are kept (document, Pricing plans: preferences). */
function pricingPlan<S extends z.core.$ZodLooseShape>(extra: S) {
  return z.discriminatedUnion(
    'form',
    [
      object({
        ...extra,
        form: z.literal('one_time'),
        preferences: object({ price: given(decimal), old_price: given(decimal.optional()) }),
      }),
      object({ ...extra, form: z.literal('subscription'), preferences: object(recurringPreferences) }),
      object({
        ...extra,
        form: z.literal('split'),
        preferences: object({
          p_count: given(text().regex(/^[1-9]\d{0,5}$/, 'must be a positive integer')),
          ...recurringPreferences,
          splitting_type: given(oneOf(SPLITTING_TYPES)),
        }),
      }),
    ],
    { error: `must be one of ${PLAN_FORMS.join(', ')}` },
  );
}

/** The fields that were given: an absent key stays absent in the stored row. */
function onlyGiven<V>(fields: Record<string, V | undefined>): Record<string, V> {
  return Object.fromEntries(
    Object.entries(fields).filter((entry): entry is [string, V] => entry[1] !== undefined),
  );
}

const newPlan = pricingPlan({}).transform(
  (plan): PlanInput => ({
    form: plan.form,
    preferences: onlyGiven(plan.preferences),
  }),
);

/** A plan of a sales page update: one with `id` edits that plan. */
const editedPlan = pricingPlan({ id: idText('pricing plan').nullish() }).transform(
  (plan): PlanInput => ({
    ...(plan.id ? { id: plan.id } : {}),
    form: plan.form,
    preferences: onlyGiven(plan.preferences),
  }),
);

const plans = <S extends z.ZodType>(plan: S) =>
  z
    .array(plan, { error: 'must be an array' })
    .max(MAX_PLANS_PER_PAGE, `at most ${MAX_PLANS_PER_PAGE} pricing plans per sales page`);

/**
 * Create requests spell the author fields `id` + `custom_commission_enabled`, the document's field
 * table `c_c_enabled` (providers/elopage.md quirk 3): both are accepted.
 */
const author = object({
  id: idText('author').nullish(),
  author_id: idText('author').nullish(),
  custom_commission_enabled: z.boolean({ error: 'must be a boolean' }).nullish(),
  c_c_enabled: z.boolean({ error: 'must be a boolean' }).nullish(),
  commission: text()
    .refine((value) => isUnsignedDecimal(value) && !new Dec(value).gt(100), {
      message: 'must be a percentage between 0 and 100',
    })
    .nullish(),
})
  .refine((entry) => entry.id ?? entry.author_id, { path: ['id'], message: 'must be an author ID' })
  .transform(
    (entry): AuthorRow => ({
      authorId: (entry.id ?? entry.author_id)!,
      customCommissionEnabled: entry.custom_commission_enabled ?? entry.c_c_enabled ?? false,
      commission: entry.commission ?? null,
    }),
  );

/** `forward` and `success_email`: objects of optional strings; unknown keys are dropped. */
const stringFields = (keys: readonly string[]) =>
  object(Object.fromEntries(keys.map((key) => [key, text().nullish()])))
    .transform(onlyGiven)
    .nullish();

const nameText = text().refine((name) => name.trim() !== '', 'must not be blank');

const pageFields = object({
  success_url: text().nullish(),
  cancel_url: text().nullish(),
  error_url: text().nullish(),
  webhook_url: text().nullish(),
  page_header: text().nullish(),
  page_footer: text().nullish(),
  authors: z.array(author, { error: 'must be an array' }).nullish(),
  forward: stringFields(['first_name', 'last_name', 'email', 'coupon', 'campaign_id']),
  success_email: stringFields(['subject_en', 'subject_de', 'body_en', 'body_de']),
});

/** Wire keys → row fields; undefined stays undefined (= not given), null clears. */
function toFields(page: z.output<typeof pageFields>): SalesPageFields {
  return {
    successUrl: page.success_url,
    cancelUrl: page.cancel_url,
    errorUrl: page.error_url,
    webhookUrl: page.webhook_url,
    pageHeader: page.page_header,
    pageFooter: page.page_footer,
    // `authors: null` removes every author.
    authors: page.authors === null ? [] : page.authors,
    forward: page.forward,
    successEmail: page.success_email,
  };
}

/** POST /api/sales_pages body. */
export const newSalesPage = pageFields
  .extend({
    name: given(nameText),
    pricing_plans: given(plans(newPlan).min(1, 'at least one pricing plan is required')),
  })
  .transform((page): NewSalesPage => ({ ...toFields(page), name: page.name, plans: page.pricing_plans }));

/** PUT /api/sales_pages/:id body: every field optional. */
export const salesPageChanges = pageFields
  .extend({ name: nameText.optional(), pricing_plans: plans(editedPlan).nullish() })
  .transform(
    (page): SalesPageChanges => ({ ...toFields(page), name: page.name, plans: page.pricing_plans ?? [] }),
  );

/** POST /api/pricing_plans body. */
export const newPricingPlan = object({
  sales_page_id: given(idText('sales page')),
  pricing_plan: given(newPlan),
});

/** POST /api/payments/:id/refund: a refund is always full (providers/elopage.md quirk 8). */
export const refundRequest = object({
  amount: z.undefined({ error: 'partial refunds are not supported' }).optional(),
});

/** A payer given at checkout is taken as is: fields it leaves out are null, not defaults. */
const payer = object(Object.fromEntries(PAYER_FIELDS.map((field) => [field, text().nullish()]))).transform(
  (given): PayerRow =>
    Object.fromEntries(PAYER_FIELDS.map((field) => [field, given[field] ?? null])) as PayerRow,
);

/** Spaces are allowed in card numbers and IBANs as people type them. */
const compact = text().transform((value) => value.replace(/\s+/g, '').toUpperCase());

/** Body of the sandbox helper `POST /_sandbox/checkout`. */
export const checkoutRequest = object({
  sales_page_id: given(idText('sales page')),
  pricing_plan_id: idText('pricing plan').optional(),
  payment_method: given(oneOf(PAYMENT_METHODS).default('card')),
  outcome: given(oneOf(CHECKOUT_OUTCOMES)),
  payer: payer.nullish(),
  card_number: compact.nullish(),
  iban: compact.nullish(),
});

/** Body of the sandbox helper `POST /_sandbox/payments/:id/settle`. */
export const settleRequest = object({ outcome: given(oneOf(SETTLE_OUTCOMES)) });

/** Body of `POST /_sandbox/trigger`: an existing transaction (`id`) or a page to check out on. */
export const triggerRequest = object({
  event: given(oneOf(TRIGGER_EVENTS)),
  id: text().nullish(),
  sales_page_id: text().nullish(),
});

/** The key/secret a POST, PUT or DELETE body carries (providers/elopage.md, Auth). */
export const bodyCredentials = z
  .object({ key: z.string().optional().catch(undefined), secret: z.string().optional().catch(undefined) })
  .catch({});
