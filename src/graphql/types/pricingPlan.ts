/**
 * elopage pricing plans: the `PricingPlan` interface and one object per form, the `pricingPlan`
 * query, the plan input every sales page mutation shares, and createPricingPlan/deletePricingPlan
 * (services/salesPages.ts).
 */
import { z } from 'zod';
import type { SplitPricingPlan, SubscriptionPricingPlan } from '../../domain/model.js';
import type { PricingPlanDraft } from '../../domain/requests.js';
import { providerCalls } from '../../plugins/providerCallCost.js';
import { createPricingPlan, deletePricingPlan } from '../../services/salesPages.js';
import { type BuilderTypes, builder } from '../builder.js';
import { IDEMPOTENCY_KEY_DESCRIPTION, runMutation, validate } from '../mutations.js';
import { loadPricingPlan, providerIdOf, typenameOf } from '../nodes.js';
import { payloadType } from '../payloads.js';
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
} from '../refs.js';
import { pricingPlan } from '../validation.js';

PricingPlanRef.implement({
  description: 'A way to pay for an elopage sales page. The concrete type depends on `form`.',
  interfaces: [NodeRef],
  resolveType: (plan) => typenameOf(plan),
  fields: (t) => ({
    providerId: t.exposeID('providerId', { description: "elopage's pricing plan ID." }),
    form: t.expose('form', {
      type: PricingPlanFormEnum,
      description: 'How the plan charges.',
    }),
  }),
});

OneTimePricingPlanRef.implement({
  description: 'One payment of `price`.',
  interfaces: [PricingPlanRef, NodeRef],
  fields: (t) => ({
    price: t.expose('price', { type: MoneyRef, description: 'The price.' }),
    oldPrice: t.expose('oldPrice', {
      type: MoneyRef,
      nullable: true,
      description: 'A former price shown struck through.',
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
      firstInterval: t.expose('firstInterval', {
        type: BillingIntervalEnum,
        nullable: true,
        description: 'Time until the second payment.',
      }),
      firstAmount: t.expose('firstAmount', {
        type: MoneyRef,
        nullable: true,
        description: 'The first payment.',
      }),
      nextInterval: t.expose('nextInterval', {
        type: BillingIntervalEnum,
        nullable: true,
        description: 'Time between the following payments.',
      }),
      nextAmount: t.expose('nextAmount', {
        type: MoneyRef,
        nullable: true,
        description: 'Each following payment.',
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
    splittingType: t.expose('splittingType', {
      type: SplittingTypeEnum,
      nullable: true,
      description: 'How the payments are invoiced.',
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

type InputFields = PothosSchemaTypes.InputFieldBuilder<BuilderTypes, 'InputObject'>;

/** The terms both recurring plan inputs take. */
const recurringTerms = (t: InputFields) => ({
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
});

const SubscriptionPlanInput = builder.inputType('SubscriptionPlanInput', {
  description: 'A subscription: a first payment, then a recurring one.',
  fields: (t) => recurringTerms(t),
});

const SplitPlanInput = builder.inputType('SplitPlanInput', {
  description: 'A fixed number of payments.',
  fields: (t) => ({
    paymentsCount: t.int({ required: true, description: 'How many payments in all (2–100).' }),
    ...recurringTerms(t),
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

/** The @oneOf plan input as the plan it describes. */
export function toPricingPlanDraft(plan: PricingPlanInputShape): PricingPlanDraft {
  if (plan.oneTime) return { form: 'ONE_TIME', ...plan.oneTime };
  if (plan.subscription) return { form: 'SUBSCRIPTION', ...plan.subscription };
  if (plan.split) return { form: 'SPLIT', ...plan.split };
  throw new Error('PricingPlanInput is @oneOf: one form is always set');
}

builder.queryField('pricingPlan', (t) =>
  t.field({
    extensions: providerCalls({ calls: 1 }),
    type: PricingPlanRef,
    nullable: true,
    description: "An elopage pricing plan by global ID or elopage's own ID; null if it does not exist.",
    args: { id: t.arg.id({ required: true, description: 'Global ID or elopage pricing plan ID.' }) },
    resolve: (_root, { id }, ctx) => loadPricingPlan(ctx, id),
  }),
);

const CreatePricingPlanPayload = payloadType('CreatePricingPlanPayload', {
  description: 'The result of `createPricingPlan`.',
  unchanged: 'nothing was created',
  fields: (t) => ({
    pricingPlan: t.field({ type: PricingPlanRef, nullable: true, description: 'The new plan.' }),
  }),
});

const CreatePricingPlanInput = builder.inputType('CreatePricingPlanInput', {
  description: 'A plan and the sales page it belongs to.',
  fields: (f) => ({
    salesPageId: f.id({ required: true, description: 'Global ID or elopage ID of the sales page.' }),
    plan: f.field({ type: PricingPlanInput, required: true, description: 'The plan.' }),
    idempotencyKey: f.string({ description: IDEMPOTENCY_KEY_DESCRIPTION }),
  }),
});

builder.mutationField('createPricingPlan', (t) =>
  t.field({
    extensions: providerCalls({ calls: 3 }), // load the page + create + read the plan back
    type: CreatePricingPlanPayload,
    description: 'Adds a pricing plan to an elopage sales page (at most 5 per page).',
    args: {
      input: t.arg({ type: CreatePricingPlanInput, required: true, description: "The mutation's input." }),
    },
    resolve: (_root, { input }, ctx) =>
      runMutation(ctx, 'createPricingPlan', input, async () => {
        validate(z.object({ plan: pricingPlan(ctx.services.elopageCurrency) }), input);
        const salesPageId = providerIdOf(input.salesPageId, 'SalesPage');
        return { pricingPlan: await createPricingPlan(ctx, salesPageId, toPricingPlanDraft(input.plan)) };
      }),
  }),
);

const DeletePricingPlanPayload = payloadType('DeletePricingPlanPayload', {
  description: 'The result of `deletePricingPlan`.',
  unchanged: 'nothing was deleted',
  fields: (t) => ({
    deletedPricingPlanId: t.id({ nullable: true, description: 'Global ID of the deleted plan.' }),
  }),
});

const DeletePricingPlanInput = builder.inputType('DeletePricingPlanInput', {
  description: 'The plan to delete.',
  fields: (f) => ({
    id: f.id({ required: true, description: 'Global ID or elopage ID of the plan.' }),
    idempotencyKey: f.string({ description: IDEMPOTENCY_KEY_DESCRIPTION }),
  }),
});

builder.mutationField('deletePricingPlan', (t) =>
  t.field({
    extensions: providerCalls({ calls: 2 }),
    type: DeletePricingPlanPayload,
    description: 'Deletes an elopage pricing plan. A sales page keeps at least one.',
    args: {
      input: t.arg({ type: DeletePricingPlanInput, required: true, description: "The mutation's input." }),
    },
    resolve: (_root, { input }, ctx) =>
      runMutation(ctx, 'deletePricingPlan', input, async () => ({
        deletedPricingPlanId: await deletePricingPlan(ctx, providerIdOf(input.id, 'PricingPlan')),
      })),
  }),
);
