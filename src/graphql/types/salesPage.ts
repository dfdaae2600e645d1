import { z } from 'zod';
import { hostAddress, isInternalAddress, isLoopbackHost } from '../../domain/addresses.js';
import type { SalesPageDraft } from '../../domain/requests.js';
import { builder } from '../builder.js';
import {
  fail,
  IDEMPOTENCY_KEY_DESCRIPTION,
  ownWebhookToken,
  runMutation,
  validate,
  WEBHOOK_TOKEN_SHOWN_AS,
} from '../mutations.js';
import { loadSalesPage, providerIdOf } from '../nodes.js';
import { NodeRef, PricingPlanRef, SalesPageAuthorRef, SalesPageRef, UserErrorRef } from '../refs.js';
import { optionalLine, optionalText, requiredText } from '../validation.js';
import {
  MAX_PRICING_PLANS,
  PricingPlanInput,
  type PricingPlanInputShape,
  pricingPlanSchema,
  toPricingPlanDraft,
} from './pricingPlan.js';

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
    pricingPlans: t.field({
      type: [PricingPlanRef],
      description: "The ways to pay, in elopage's order.",
      resolve: (page) => page.pricingPlans,
    }),
    authors: t.field({
      type: [SalesPageAuthorRef],
      description: 'Co-authors with a commission.',
      resolve: (page) => page.authors,
    }),
  }),
});

SalesPageAuthorRef.implement({
  description: 'A co-author connected to a sales page.',
  fields: (t) => ({
    authorId: t.exposeID('authorId', { description: "elopage's ID of the author (a team member)." }),
    customCommissionEnabled: t.exposeBoolean('customCommissionEnabled', {
      description: "Whether `commission` overrides the author's general commission.",
    }),
    commission: t.field({
      type: 'Decimal',
      nullable: true,
      description: 'Commission in percent.',
      resolve: (author) => author.commission,
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

const SalesPageAuthorInput = builder.inputType('SalesPageAuthorInput', {
  description: 'A co-author to connect to the sales page.',
  fields: (t) => ({
    authorId: t.id({
      required: true,
      description: "elopage's ID of the author (Team Members in the dashboard).",
    }),
    customCommissionEnabled: t.boolean({
      description: "Override the author's general commission with `commission`.",
    }),
    commission: t.field({ type: 'Decimal', description: 'Commission in whole percent (0–100).' }),
  }),
});

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

const URL_MAX = 2048;

/**
 * Where elopage may post payment updates (a payer's name, e-mail and address): https to a public
 * host; plain http only to this machine while elopage is the embedded simulator (which refuses
 * every local target but the gateway itself). Never an internal address (SSRF), nor credentials.
 */
function webhookUrlRule(sandboxed: boolean) {
  return z
    .string()
    .max(URL_MAX, { message: `must be at most ${URL_MAX} characters` })
    .superRefine((value, ctx) => {
      const problem = webhookUrlProblem(value, sandboxed);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    })
    .nullish();
}

function webhookUrlProblem(value: string, sandboxed: boolean): string | null {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'must be an absolute https:// URL';
  }
  if (url.username || url.password) return 'must not carry a user name or password';
  const host = hostAddress(url.hostname);
  if (url.protocol === 'http:') {
    if (sandboxed && isLoopbackHost(host)) return null;
    return sandboxed
      ? 'must use https:// (http:// only to this machine while elopage is sandboxed)'
      : 'must use https://';
  }
  if (url.protocol !== 'https:') return 'must use https://';
  if (isLoopbackHost(host) || isInternalAddress(host)) {
    return 'must not point at a private, loopback or link-local address';
  }
  return null;
}

function salesPageSchema(currency: string, required: boolean, sandboxed: boolean) {
  const plans = z.array(pricingPlanSchema(currency));
  return z.object({
    name: required ? requiredText(255) : requiredText(255).nullish(),
    successUrl: optionalText(URL_MAX),
    cancelUrl: optionalText(URL_MAX),
    errorUrl: optionalText(URL_MAX),
    webhookUrl: webhookUrlRule(sandboxed),
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
    authors: z
      .array(
        z.object({
          authorId: z.string().regex(/^\d{1,18}$/, { message: 'must be an elopage author ID (digits)' }),
          commission: z
            .string()
            .regex(/^(100|\d{1,2})$/, { message: 'must be a whole percentage from 0 to 100' })
            .nullish(),
        }),
      )
      .nullish(),
  });
}

/** elopage caps plans per page; checked before any call, with the list as the field at fault. */
function checkPlanCount(count: number): void {
  if (count > MAX_PRICING_PLANS) {
    fail(
      ['input', 'pricingPlans'],
      'TOO_MANY_PRICING_PLANS',
      `a sales page can have at most ${MAX_PRICING_PLANS} pricing plans (got ${count})`,
    );
  }
}

type SalesPageInputShape = Omit<SalesPageDraft, 'pricingPlans'> & {
  pricingPlans?: PricingPlanInputShape[] | null;
};

function toSalesPageDraft(input: SalesPageInputShape): SalesPageDraft {
  return { ...input, pricingPlans: input.pricingPlans?.map(toPricingPlanDraft) };
}

const SalesPagePayload = (name: string, verb: string) =>
  builder.simpleObject(name, {
    description: `The result of \`${verb}\`.`,
    fields: (t) => ({
      salesPage: t.field({
        type: SalesPageRef,
        nullable: true,
        description: 'The sales page as elopage now has it.',
      }),
      userErrors: t.field({ type: [UserErrorRef], description: 'Why nothing changed, if so.' }),
    }),
  });

builder.queryField('salesPage', (t) =>
  t.field({
    type: SalesPageRef,
    nullable: true,
    description: "An elopage sales page by global ID or elopage's own ID; null if it does not exist.",
    args: { id: t.arg.id({ required: true, description: 'Global ID or elopage sales page ID.' }) },
    resolve: (_root, { id }, ctx) => loadSalesPage(ctx, id),
  }),
);

builder.mutationFields((t) => ({
  createSalesPage: t.field({
    type: SalesPagePayload('CreateSalesPagePayload', 'createSalesPage'),
    description: 'Creates an elopage sales page with its pricing plans.',
    args: {
      input: t.arg({ type: CreateSalesPageInput, required: true, description: "The mutation's input." }),
    },
    resolve: (_root, { input }, ctx) =>
      runMutation(ctx, 'createSalesPage', input, async () => {
        checkPlanCount(input.pricingPlans?.length ?? 0);
        validate(
          salesPageSchema(ctx.services.elopageCurrency, true, ctx.services.sandbox.elopage !== null),
          input,
        );
        const id = await ctx.services.elopage.createSalesPage(
          toSalesPageDraft({ ...input, webhookUrl: input.webhookUrl ?? ctx.services.elopageWebhookUrl }),
        );
        return { salesPage: await ctx.loaders.salesPage.load(id) };
      }),
  }),
  updateSalesPage: t.field({
    type: SalesPagePayload('UpdateSalesPagePayload', 'updateSalesPage'),
    description: 'Changes an elopage sales page; fields left out stay as they are.',
    args: {
      input: t.arg({ type: UpdateSalesPageInput, required: true, description: "The mutation's input." }),
    },
    resolve: (_root, { input }, ctx) =>
      runMutation(ctx, 'updateSalesPage', input, async () => {
        checkPlanCount(input.pricingPlans?.length ?? 0);
        validate(
          salesPageSchema(ctx.services.elopageCurrency, false, ctx.services.sandbox.elopage !== null),
          input,
        );
        const id = providerIdOf(input.id, 'SalesPage');
        const page = id ? await loadSalesPage(ctx, id) : null;
        if (!page || !id) fail(['input', 'id'], 'NOT_FOUND', 'no sales page with this ID');
        checkPlanCount(page.pricingPlans.length + (input.pricingPlans?.length ?? 0));
        await ctx.services.elopage.updateSalesPage(id, toSalesPageDraft(input));
        ctx.loaders.salesPage.clear(id);
        return { salesPage: await ctx.loaders.salesPage.load(id) };
      }),
  }),
}));
