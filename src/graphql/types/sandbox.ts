/**
 * Test helpers that drive the embedded simulators the way a buyer or a payment network would
 * (services/sandbox.ts). They exist only where a provider runs on its embedded sandbox; anywhere
 * else they answer SANDBOX_ONLY.
 */
import { z } from 'zod';
import { fail } from '../../domain/errors.js';
import { decodeGlobalId } from '../../domain/ids.js';
import { providerCalls } from '../../plugins/providerCallCost.js';
import { completeCheckout, requireElopageSandbox, settleTransaction } from '../../services/sandbox.js';
import { builder } from '../builder.js';
import { runMutation, validate } from '../mutations.js';
import { providerIdOf } from '../nodes.js';
import { payloadType } from '../payloads.js';
import { PaymentRef, TransactionRef } from '../refs.js';

const SandboxOutcomeEnum = builder.enumType('SandboxOutcome', {
  description: 'How a simulated payer or payment network ends a transaction.',
  values: {
    SUCCEED: { description: 'It goes through.' },
    FAIL: { description: 'It is declined or errors.' },
    PENDING: { description: 'It stays pending (e.g. a bank wire not yet received); settle it later.' },
    CANCEL: { description: 'The payer cancels.' },
  } as const,
});

const SandboxPayerInput = builder.inputType('SandboxPayerInput', {
  description: 'The simulated buyer.',
  fields: (t) => ({
    email: t.string({ description: 'Email.' }),
    firstName: t.string({ description: 'First name.' }),
    lastName: t.string({ description: 'Last name.' }),
    country: t.string({ description: 'Country.' }),
    city: t.string({ description: 'City.' }),
    street: t.string({ description: 'Street.' }),
    zip: t.string({ description: 'Postal code.' }),
    company: t.string({ description: 'Company.' }),
    vatId: t.string({ description: 'VAT ID.' }),
    phone: t.string({ description: 'Phone.' }),
  }),
});

const SandboxCompleteCheckoutPayload = payloadType('SandboxCompleteCheckoutPayload', {
  description: 'The result of `sandboxCompleteCheckout`.',
  unchanged: 'no payment was made',
  fields: (t) => ({
    payment: t.field({ type: PaymentRef, nullable: true, description: 'The payment the checkout created.' }),
  }),
});

const SandboxSettleTransactionPayload = payloadType('SandboxSettleTransactionPayload', {
  description: 'The result of `sandboxSettleTransaction`.',
  unchanged: 'nothing changed',
  fields: (t) => ({
    transaction: t.field({
      type: TransactionRef,
      nullable: true,
      description: 'The transaction after settling.',
    }),
  }),
});

builder.mutationFields((t) => ({
  sandboxCompleteCheckout: t.field({
    // The helper route, and the read of the payment its webhook makes the gateway do.
    extensions: providerCalls({ calls: 2 }),
    type: SandboxCompleteCheckoutPayload,
    description:
      "Sandbox only: a buyer completes the elopage checkout of a sales page. Honours elopage's test data (cards 5017670000005900/6700/7500/8300; SEPA IBAN DE89370400440532013000 stays pending until settled, DE62370400440532013001 fails).",
    args: {
      input: t.arg({
        type: builder.inputType('SandboxCompleteCheckoutInput', {
          description: 'The simulated checkout.',
          fields: (f) => ({
            salesPageId: f.id({ required: true, description: 'Global ID or elopage ID of the sales page.' }),
            pricingPlanId: f.id({ description: "The plan chosen; default the page's first." }),
            paymentMethod: f.string({
              description: 'card (default), paypal, sofort, bank_account (SEPA) or bank_wire.',
            }),
            outcome: f.field({
              type: SandboxOutcomeEnum,
              required: true,
              description: 'How the checkout ends.',
            }),
            payer: f.field({
              type: SandboxPayerInput,
              description: 'The buyer; a default one when left out.',
            }),
            cardNumber: f.string({ description: 'A test card number (card payments).' }),
            iban: f.string({ description: 'A test IBAN (bank_account payments).' }),
          }),
        }),
        required: true,
        description: "The mutation's input.",
      }),
    },
    resolve: (_root, { input }, ctx) =>
      runMutation(async () => {
        requireElopageSandbox(ctx, 'sandboxCompleteCheckout');
        validate(
          z.object({
            paymentMethod: z.enum(['card', 'paypal', 'sofort', 'bank_account', 'bank_wire']).nullish(),
            cardNumber: z.string().max(32).nullish(),
            iban: z.string().max(40).nullish(),
          }),
          input,
        );
        const salesPageId = providerIdOf(input.salesPageId, 'SalesPage');
        if (!salesPageId) fail(['input', 'salesPageId'], 'NOT_FOUND', 'no sales page with this ID');
        const pricingPlanId = input.pricingPlanId
          ? providerIdOf(input.pricingPlanId, 'PricingPlan')
          : undefined;
        if (pricingPlanId === null)
          fail(['input', 'pricingPlanId'], 'NOT_FOUND', 'no pricing plan with this ID');
        return { payment: await completeCheckout(ctx, { ...input, salesPageId, pricingPlanId }) };
      }),
  }),
  sandboxSettleTransaction: t.field({
    extensions: providerCalls({ calls: 2 }), // the helper route, and its webhook's read
    type: SandboxSettleTransactionPayload,
    description:
      "Sandbox only: settles a pending payment, charge or elepay refund, as the payer or the payment network would, firing the provider's webhook.",
    args: {
      input: t.arg({
        type: builder.inputType('SandboxSettleTransactionInput', {
          description: 'What to settle and how.',
          fields: (f) => ({
            transactionId: f.id({
              required: true,
              description: 'Global ID of a Payment, Charge or elepay Refund.',
            }),
            outcome: f.field({
              type: SandboxOutcomeEnum,
              required: true,
              description: 'SUCCEED, FAIL or CANCEL.',
            }),
          }),
        }),
        required: true,
        description: "The mutation's input.",
      }),
    },
    resolve: (_root, { input }, ctx) =>
      runMutation(async () => {
        const { outcome } = input;
        if (outcome === 'PENDING')
          fail(['input', 'outcome'], 'INVALID', 'a transaction is settled with SUCCEED, FAIL or CANCEL');
        return { transaction: await settleTransaction(ctx, decodeGlobalId(input.transactionId), outcome) };
      }),
  }),
}));
