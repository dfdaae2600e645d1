/**
 * The elopage `SalesPage`: the object, the `salesPage` query, and createSalesPage/updateSalesPage
 * (services/salesPages.ts) with their input rules, the webhook URL's among them.
 */
import { z } from 'zod';
import type { Context } from '../../context.js';
import type { SalesPageDraft } from '../../domain/requests.js';
import { providerCalls } from '../../plugins/providerCallCost.js';
import {
  checkPlanCount,
  createSalesPage,
  MAX_PRICING_PLANS,
  updateSalesPage,
} from '../../services/salesPages.js';
import { builder } from '../builder.js';
import {
  IDEMPOTENCY_KEY_DESCRIPTION,
  ownWebhookToken,
  runMutation,
  validate,
  WEBHOOK_TOKEN_SHOWN_AS,
} from '../mutations.js';
import { loadSalesPage, providerIdOf } from '../nodes.js';
import { payloadType } from '../payloads.js';
import { NodeRef, PricingPlanRef, SalesPageAuthorRef, SalesPageRef } from '../refs.js';
import { optionalLine, optionalText, pricingPlan, requiredText, URL_MAX, webhookUrl } from '../validation.js';
import { PricingPlanInput, type PricingPlanInputShape, toPricingPlanDraft } from './pricingPlan.js';
import { SalesPageAuthorInput, salesPageAuthorSchema } from './salesPageAuthor.js';

SalesPageRef.implement({
  description:
    'An elopage sales page: a product with up to 5 pricing plans and a hosted checkout at `urlToPay`.',
  interfaces: [NodeRef],
  fields: (t) => ({
    providerId: t.exposeID('providerId', { description: "elopage's sales page ID." }),
    name: t.exposeString('name', {
      nullable: true,
      description: 'What the buyer pays for, shown at checkout.',
    }),
    urlToPay: t.exposeString('urlToPay', {
      nullable: true,
      description: 'The hosted checkout to send buyers to.',
    }),
    successUrl: t.exposeString('successUrl', {
      nullable: true,
      description: 'Where buyers go after paying.',
    }),
    cancelUrl: t.exposeString('cancelUrl', {
      nullable: true,
      description: 'Where buyers go when they cancel.',
    }),
    errorUrl: t.exposeString('errorUrl', {
      nullable: true,
      description: 'Where buyers go when payment fails.',
    }),
    webhookUrl: t.string({
      nullable: true,
      description:
        "Where elopage posts payment updates (by default the gateway's own webhook route, shown with its secret path token masked as `***`).",
      resolve: (page, _args, ctx) => maskOwnWebhookToken(page.webhookUrl, ownWebhookToken(ctx.services)),
    }),
    free: t.exposeBoolean('free', { nullable: true, description: 'True for a free product.' }),
    pricingPlans: t.expose('pricingPlans', {
      // Embedded in the sales page's answer: no call, up to elopage's maximum of plans.
      extensions: providerCalls({ items: MAX_PRICING_PLANS }),
      type: [PricingPlanRef],
      description: "The ways to pay, in elopage's order.",
    }),
    authors: t.expose('authors', {
      type: [SalesPageAuthorRef],
      description: 'Co-authors with a commission.',
    }),
  }),
});

/**
 * The gateway's own elopage webhook URL carries the path token that guards it
 * (providers/elopage.md quirk 7); readers of a sales page must not learn it.
 */
function maskOwnWebhookToken(url: string | null, token: string): string | null {
  return url && token ? url.replaceAll(token, WEBHOOK_TOKEN_SHOWN_AS) : url;
}

const SuccessEmailInput = builder.inputType('SuccessEmailInput', {
  description:
    'A custom confirmation email. Bodies are HTML and may use %{first_name}, %{last_name}, %{product_name}, %{amount}, %{recurring_type}.',
  fields: (t) => ({
    subjectEn: t.string({ description: 'English subject.' }),
    subjectDe: t.string({ description: 'German subject.' }),
    bodyEn: t.string({ description: 'English body (HTML).' }),
    bodyDe: t.string({ description: 'German body (HTML).' }),
  }),
});

const ForwardInput = builder.inputType('ForwardInput', {
  description: 'Values elopage prefills in the checkout form.',
  fields: (t) => ({
    firstName: t.string({ description: "Buyer's first name." }),
    lastName: t.string({ description: "Buyer's last name." }),
    email: t.string({ description: "Buyer's email." }),
    coupon: t.string({ description: 'A coupon code applied automatically.' }),
    campaignId: t.string({ description: 'A campaign ID.' }),
  }),
});

/** The fields create and update share; on update every one is optional. */
function salesPageFields(required: boolean) {
  return builder.inputType(required ? 'CreateSalesPageInput' : 'UpdateSalesPageInput', {
    description: required
      ? 'A new sales page.'
      : 'Changes to a sales page; fields left out stay as they are.',
    fields: (t) => ({
      ...(required
        ? {}
        : { id: t.id({ required: true, description: 'Global ID or elopage ID of the sales page.' }) }),
      name: t.string({ required, description: 'What the buyer pays for; shown at checkout.' }),
      successUrl: t.string({ description: 'Where buyers go after paying.' }),
      cancelUrl: t.string({ description: 'Where buyers go when they cancel.' }),
      errorUrl: t.string({ description: 'Where buyers go when payment fails.' }),
      webhookUrl: t.string({
        description: required
          ? "Where elopage posts payment updates. Defaults to the gateway's own elopage webhook URL."
          : 'Where elopage posts payment updates.',
      }),
      pageHeader: t.string({ description: 'HTML above the payment form.' }),
      pageFooter: t.string({ description: 'HTML below the payment form.' }),
      pricingPlans: t.field({
        type: [PricingPlanInput],
        required,
        description: required
          ? 'One to five ways to pay.'
          : 'Plans to add (at most 5 per page in all). Change or remove existing plans with createPricingPlan and deletePricingPlan.',
      }),
      authors: t.field({ type: [SalesPageAuthorInput], description: 'Co-authors with their commission.' }),
      successEmail: t.field({ type: SuccessEmailInput, description: 'A custom confirmation email.' }),
      forward: t.field({ type: ForwardInput, description: 'Checkout form prefills.' }),
      idempotencyKey: t.string({ description: IDEMPOTENCY_KEY_DESCRIPTION }),
    }),
  });
}

const CreateSalesPageInput = salesPageFields(true);
const UpdateSalesPageInput = salesPageFields(false);

/** Whether elopage runs on the embedded simulator (which takes webhook URLs to this machine). */
const sandboxed = (ctx: Context) => ctx.services.sandbox.elopage !== null;

function salesPageSchema(currency: string, required: boolean, sandboxed: boolean) {
  const plans = z.array(pricingPlan(currency));
  return z.object({
    name: required ? requiredText(255) : requiredText(255).nullish(),
    successUrl: optionalText(URL_MAX),
    cancelUrl: optionalText(URL_MAX),
    errorUrl: optionalText(URL_MAX),
    webhookUrl: webhookUrl(sandboxed),
    pageHeader: optionalText(100_000, { multiline: true }),
    pageFooter: optionalText(100_000, { multiline: true }),
    successEmail: z
      .object({
        subjectEn: optionalLine(255),
        subjectDe: optionalLine(255),
        bodyEn: optionalText(100_000, { multiline: true }),
        bodyDe: optionalText(100_000, { multiline: true }),
      })
      .nullish(),
    forward: z
      .object({
        firstName: optionalLine(255),
        lastName: optionalLine(255),
        email: optionalLine(255),
        coupon: optionalLine(255),
        campaignId: optionalLine(255),
      })
      .nullish(),
    pricingPlans: required
      ? plans.refine((list) => list.length > 0, {
          message: 'a sales page needs at least one pricing plan',
          params: { code: 'REQUIRED' },
        })
      : plans.nullish(),
    authors: z.array(salesPageAuthorSchema).nullish(),
  });
}

type SalesPageInputShape = Omit<SalesPageDraft, 'pricingPlans'> & {
  pricingPlans?: PricingPlanInputShape[] | null;
};

function toSalesPageDraft(input: SalesPageInputShape): SalesPageDraft {
  return { ...input, pricingPlans: input.pricingPlans?.map(toPricingPlanDraft) };
}

const SalesPagePayload = (name: string, verb: string) =>
  payloadType(name, {
    description: `The result of \`${verb}\`.`,
    unchanged: 'nothing changed',
    fields: (t) => ({
      salesPage: t.field({
        type: SalesPageRef,
        nullable: true,
        description: 'The sales page as elopage now has it.',
      }),
    }),
  });

builder.queryField('salesPage', (t) =>
  t.field({
    extensions: providerCalls({ calls: 1 }),
    type: SalesPageRef,
    nullable: true,
    description: "An elopage sales page by global ID or elopage's own ID; null if it does not exist.",
    args: { id: t.arg.id({ required: true, description: 'Global ID or elopage sales page ID.' }) },
    resolve: (_root, { id }, ctx) => loadSalesPage(ctx, id),
  }),
);

builder.mutationFields((t) => ({
  createSalesPage: t.field({
    extensions: providerCalls({ calls: 2 }), // create + read back
    type: SalesPagePayload('CreateSalesPagePayload', 'createSalesPage'),
    description: 'Creates an elopage sales page with its pricing plans.',
    args: {
      input: t.arg({ type: CreateSalesPageInput, required: true, description: "The mutation's input." }),
    },
    resolve: (_root, { input }, ctx) =>
      runMutation(ctx, 'createSalesPage', input, async () => {
        checkPlanCount(input.pricingPlans?.length ?? 0);
        validate(salesPageSchema(ctx.services.elopageCurrency, true, sandboxed(ctx)), input);
        return { salesPage: await createSalesPage(ctx, toSalesPageDraft(input)) };
      }),
  }),
  updateSalesPage: t.field({
    extensions: providerCalls({ calls: 3 }), // load + update + read back
    type: SalesPagePayload('UpdateSalesPagePayload', 'updateSalesPage'),
    description: 'Changes an elopage sales page; fields left out stay as they are.',
    args: {
      input: t.arg({ type: UpdateSalesPageInput, required: true, description: "The mutation's input." }),
    },
    resolve: (_root, { input }, ctx) =>
      runMutation(ctx, 'updateSalesPage', input, async () => {
        checkPlanCount(input.pricingPlans?.length ?? 0);
        validate(salesPageSchema(ctx.services.elopageCurrency, false, sandboxed(ctx)), input);
        const id = providerIdOf(input.id, 'SalesPage');
        return { salesPage: await updateSalesPage(ctx, id, toSalesPageDraft(input)) };
      }),
  }),
}));
