import { z } from 'zod';
import { encodeGlobalId } from '../../domain/ids.js';
import type { SplitPricingPlan, SubscriptionPricingPlan } from '../../domain/model.js';
import type { PricingPlanDraft } from '../../domain/requests.js';
import { builder } from '../builder.js';
import { fail, IDEMPOTENCY_KEY_DESCRIPTION, runMutation, validate } from '../mutations.js';
import { loadPricingPlan, loadSalesPage, providerIdOf, typenameOf } from '../nodes.js';
import {
  BillingIntervalEnum,
  MoneyRef,
  NodeRef,
  OneTimePricingPlanRef,
  PricingPlanFormEnum,
  PricingPlanRef,
  SplitPricingPlanRef,
  SplittingTypeEnum,
  SubscriptionPricingPlanRef,
  UserErrorRef,
} from '../refs.js';
import { amount } from '../validation.js';

/** elopage allows at most 5 pricing plans per sales page (document, Pricing plans). */
export const MAX_PRICING_PLANS = 5;

PricingPlanRef.implement({
  description: 'A way to pay for an elopage sales page. The concrete type depends on `form`.',
  interfaces: [NodeRef],
  resolveType: (plan) => typenameOf(plan),
  fields: (t) => ({
    providerId: t.exposeID('providerId', { description: "elopage's pricing plan ID." }),
    form: t.field({
      type: PricingPlanFormEnum,
      description: 'How the plan charges.',
      resolve: (plan) => plan.form,
    }),
  }),
});

OneTimePricingPlanRef.implement({
  description: 'One payment of `price`.',
  interfaces: [PricingPlanRef, NodeRef],
  fields: (t) => ({
    price: t.field({ type: MoneyRef, description: 'The price.', resolve: (plan) => plan.price }),
    oldPrice: t.field({
      type: MoneyRef,
      nullable: true,
      description: 'A former price shown struck through.',
      resolve: (plan) => plan.oldPrice,
    }),
  }),
});

/** The terms subscription and split plans share; clients can select them once on this interface. */
const RecurringPricingPlanRef = builder
  .interfaceRef<SubscriptionPricingPlan | SplitPricingPlan>('RecurringPricingPlan')
  .implement({
    description: 'A plan that charges a first amount and then follow-up amounts at intervals.',
    interfaces: [PricingPlanRef, NodeRef],
    resolveType: (plan) => typenameOf(plan),
    fields: (t) => ({
      firstInterval: t.field({
        type: BillingIntervalEnum,
        nullable: true,
        description: 'Time until the second payment.',
        resolve: (plan) => plan.firstInterval,
      }),
      firstAmount: t.field({
        type: MoneyRef,
        nullable: true,
        description: 'The first payment.',
        resolve: (plan) => plan.firstAmount,
      }),
      nextInterval: t.field({
        type: BillingIntervalEnum,
        nullable: true,
        description: 'Time between the following payments.',
        resolve: (plan) => plan.nextInterval,
      }),
      nextAmount: t.field({
        type: MoneyRef,
        nullable: true,
        description: 'Each following payment.',
        resolve: (plan) => plan.nextAmount,
      }),
    }),
  });

SubscriptionPricingPlanRef.implement({
  description: 'A first payment, then `nextAmount` every `nextInterval` until the subscription ends.',
  interfaces: [RecurringPricingPlanRef, PricingPlanRef, NodeRef],
  fields: () => ({}),
});

SplitPricingPlanRef.implement({
  description: 'A fixed number of payments: installments of one invoice, or a limited subscription.',
  interfaces: [RecurringPricingPlanRef, PricingPlanRef, NodeRef],
  fields: (t) => ({
    paymentsCount: t.exposeInt('paymentsCount', { nullable: true, description: 'How many payments in all.' }),
    splittingType: t.field({
      type: SplittingTypeEnum,
      nullable: true,
      description: 'How the payments are invoiced.',
      resolve: (plan) => plan.splittingType,
    }),
  }),
});

const OneTimePlanInput = builder.inputType('OneTimePlanInput', {
  description: 'A one-time price.',
  fields: (t) => ({
    price: t.field({ type: 'Decimal', required: true, description: 'The price, e.g. "199.90".' }),
    oldPrice: t.field({ type: 'Decimal', description: 'A former price to show struck through.' }),
  }),
});

const SubscriptionPlanInput = builder.inputType('SubscriptionPlanInput', {
  description: 'A subscription: a first payment, then a recurring one.',
  fields: (t) => ({
    firstInterval: t.field({
      type: BillingIntervalEnum,
      required: true,
      description: 'Time until the second payment.',
    }),
    firstAmount: t.field({ type: 'Decimal', required: true, description: 'The first payment.' }),
    nextInterval: t.field({
      type: BillingIntervalEnum,
      required: true,
      description: 'Time between the following payments.',
    }),
    nextAmount: t.field({ type: 'Decimal', required: true, description: 'Each following payment.' }),
  }),
});

const SplitPlanInput = builder.inputType('SplitPlanInput', {
  description: 'A fixed number of payments.',
  fields: (t) => ({
    paymentsCount: t.int({ required: true, description: 'How many payments in all (2–100).' }),
    firstInterval: t.field({
      type: BillingIntervalEnum,
      required: true,
      description: 'Time until the second payment.',
    }),
    firstAmount: t.field({ type: 'Decimal', required: true, description: 'The first payment.' }),
    nextInterval: t.field({
      type: BillingIntervalEnum,
      required: true,
      description: 'Time between the following payments.',
    }),
    nextAmount: t.field({ type: 'Decimal', required: true, description: 'Each following payment.' }),
    splittingType: t.field({
      type: SplittingTypeEnum,
      required: true,
      description: 'How the payments are invoiced.',
    }),
  }),
});

export const PricingPlanInput = builder.inputType('PricingPlanInput', {
  description: 'Exactly one of `oneTime`, `subscription` or `split`.',
  isOneOf: true,
  fields: (t) => ({
    oneTime: t.field({ type: OneTimePlanInput, description: 'A one-time price.' }),
    subscription: t.field({ type: SubscriptionPlanInput, description: 'A subscription.' }),
    split: t.field({ type: SplitPlanInput, description: 'Installments or a limited subscription.' }),
  }),
});

export type PricingPlanInputShape = typeof PricingPlanInput.$inferInput;

/** Validation of one plan; amounts follow the elopage currency's minor-unit digits. */
export function pricingPlanSchema(currency: string) {
  const recurring = {
    firstInterval: z.string(),
    firstAmount: amount(currency, { allowZero: true }),
    nextInterval: z.string(),
    nextAmount: amount(currency, { allowZero: true }),
  };
  return z.object({
    oneTime: z
      .object({
        price: amount(currency, { allowZero: true }),
        oldPrice: amount(currency, { allowZero: true }).nullish(),
      })
      .nullish(),
    subscription: z.object(recurring).nullish(),
    split: z
      .object({
        ...recurring,
        paymentsCount: z
          .number()
          .int()
          .min(2, { message: 'must be at least 2' })
          .max(100, { message: 'must be at most 100' }),
        splittingType: z.string(),
      })
      .nullish(),
  });
}

/** The @oneOf plan input as the plan it describes. */
export function toPricingPlanDraft(plan: PricingPlanInputShape): PricingPlanDraft {
  if (plan.oneTime) return { form: 'ONE_TIME', ...plan.oneTime };
  if (plan.subscription) return { form: 'SUBSCRIPTION', ...plan.subscription };
  if (plan.split) return { form: 'SPLIT', ...plan.split };
  throw new Error('PricingPlanInput is @oneOf: one form is always set');
}

builder.queryField('pricingPlan', (t) =>
  t.field({
    type: PricingPlanRef,
    nullable: true,
    description: "An elopage pricing plan by global ID or elopage's own ID; null if it does not exist.",
    args: { id: t.arg.id({ required: true, description: 'Global ID or elopage pricing plan ID.' }) },
    resolve: (_root, { id }, ctx) => loadPricingPlan(ctx, id),
  }),
);

const CreatePricingPlanPayload = builder.simpleObject('CreatePricingPlanPayload', {
  description: 'The result of `createPricingPlan`.',
  fields: (t) => ({
    pricingPlan: t.field({ type: PricingPlanRef, nullable: true, description: 'The new plan.' }),
    userErrors: t.field({ type: [UserErrorRef], description: 'Why nothing was created, if so.' }),
  }),
});

builder.mutationField('createPricingPlan', (t) =>
  t.field({
    type: CreatePricingPlanPayload,
    description: 'Adds a pricing plan to an elopage sales page (at most 5 per page).',
    args: {
      input: t.arg({
        type: builder.inputType('CreatePricingPlanInput', {
          description: 'A plan and the sales page it belongs to.',
          fields: (f) => ({
            salesPageId: f.id({ required: true, description: 'Global ID or elopage ID of the sales page.' }),
            plan: f.field({ type: PricingPlanInput, required: true, description: 'The plan.' }),
            idempotencyKey: f.string({ description: IDEMPOTENCY_KEY_DESCRIPTION }),
          }),
        }),
        required: true,
        description: "The mutation's input.",
      }),
    },
    resolve: (_root, { input }, ctx) =>
      runMutation(ctx, 'createPricingPlan', input, async () => {
        validate(z.object({ plan: pricingPlanSchema(ctx.services.elopageCurrency) }), input);
        const salesPageId = providerIdOf(input.salesPageId, 'SalesPage');
        const page = salesPageId ? await loadSalesPage(ctx, salesPageId) : null;
        if (!page || !salesPageId) fail(['input', 'salesPageId'], 'NOT_FOUND', 'no sales page with this ID');
        if (page.pricingPlans.length >= MAX_PRICING_PLANS) {
          fail(
            ['input', 'salesPageId'],
            'TOO_MANY_PRICING_PLANS',
            `the sales page already has ${MAX_PRICING_PLANS} pricing plans`,
          );
        }
        const plan = await ctx.services.elopage.createPricingPlan(
          salesPageId,
          toPricingPlanDraft(input.plan),
        );
        ctx.loaders.salesPage.clear(salesPageId);
        // The create response may lack fields (quirk 5 shows a split plan without intervals): read it back.
        return { pricingPlan: plan ? ((await ctx.loaders.pricingPlan.load(plan.providerId)) ?? plan) : null };
      }),
  }),
);

const DeletePricingPlanPayload = builder.simpleObject('DeletePricingPlanPayload', {
  description: 'The result of `deletePricingPlan`.',
  fields: (t) => ({
    deletedPricingPlanId: t.id({ nullable: true, description: 'Global ID of the deleted plan.' }),
    userErrors: t.field({ type: [UserErrorRef], description: 'Why nothing was deleted, if so.' }),
  }),
});

builder.mutationField('deletePricingPlan', (t) =>
  t.field({
    type: DeletePricingPlanPayload,
    description: 'Deletes an elopage pricing plan. A sales page keeps at least one.',
    args: {
      input: t.arg({
        type: builder.inputType('DeletePricingPlanInput', {
          description: 'The plan to delete.',
          fields: (f) => ({
            id: f.id({ required: true, description: 'Global ID or elopage ID of the plan.' }),
            idempotencyKey: f.string({ description: IDEMPOTENCY_KEY_DESCRIPTION }),
          }),
        }),
        required: true,
        description: "The mutation's input.",
      }),
    },
    resolve: (_root, { input }, ctx) =>
      runMutation(ctx, 'deletePricingPlan', input, async () => {
        const planId = providerIdOf(input.id, 'PricingPlan');
        if (!planId || !/^\d+$/.test(planId))
          fail(['input', 'id'], 'NOT_FOUND', 'no pricing plan with this ID');
        if (!(await ctx.services.elopage.deletePricingPlan(planId))) {
          fail(
            ['input', 'id'],
            'PROVIDER_REJECTED',
            'elopage refused to delete this pricing plan (a sales page keeps at least one)',
          );
        }
        return { deletedPricingPlanId: encodeGlobalId({ kind: 'PricingPlan', id: planId }) };
      }),
  }),
);
