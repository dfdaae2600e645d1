/** Value objects every type shares: `Money`, `Payer`, `AuthorCommission` and `UserError`. */
import { AuthorCommissionRef, MoneyRef, PayerRef, UserErrorCodeEnum, UserErrorRef } from '../refs.js';

MoneyRef.implement({
  description: 'An exact amount of money in one currency.',
  fields: (t) => ({
    amount: t.expose('amount', {
      type: 'Decimal',
      description:
        'The amount as exact decimal text with at least the currency\'s minor-unit digits ("199.90", "1000").',
    }),
    currency: t.exposeString('currency', { description: 'ISO-4217 currency code, e.g. "EUR" or "JPY".' }),
  }),
});

PayerRef.implement({
  description:
    'The buyer of an elopage payment, as elopage reports it (values are passed through untouched).',
  fields: (t) => ({
    email: t.exposeString('email', { nullable: true, description: "The buyer's email address." }),
    firstName: t.exposeString('firstName', { nullable: true, description: 'First name.' }),
    lastName: t.exposeString('lastName', { nullable: true, description: 'Last name.' }),
    country: t.exposeString('country', { nullable: true, description: 'Country.' }),
    city: t.exposeString('city', { nullable: true, description: 'City.' }),
    street: t.exposeString('street', { nullable: true, description: 'Street and number.' }),
    zip: t.exposeString('zip', { nullable: true, description: 'Postal code.' }),
    company: t.exposeString('company', { nullable: true, description: 'Company name.' }),
    vatId: t.exposeString('vatId', { nullable: true, description: 'VAT identification number.' }),
    phone: t.exposeString('phone', { nullable: true, description: 'Phone number.' }),
  }),
});

AuthorCommissionRef.implement({
  description: 'The share of an elopage payment (or refund) that goes to a co-author.',
  fields: (t) => ({
    providerId: t.exposeID('providerId', { description: "elopage's ID of this commission." }),
    rate: t.expose('rate', {
      type: 'Decimal',
      nullable: true,
      description: 'Commission rate in percent ("10.0").',
    }),
    amount: t.expose('amount', {
      type: MoneyRef,
      description: 'The commission, exact and unrounded (e.g. "19.385"); positive also on refunds.',
    }),
    paymentId: t.exposeID('paymentId', {
      nullable: true,
      description: "elopage's ID of the payment it belongs to.",
    }),
  }),
});

UserErrorRef.implement({
  description: 'An expected failure of a mutation that the caller can act on.',
  fields: (t) => ({
    field: t.exposeStringList('field', {
      nullable: true,
      description:
        'Path to the input field at fault, starting at the argument: ["input", "pricingPlans", "5"].',
    }),
    code: t.expose('code', { type: UserErrorCodeEnum, description: 'A stable code.' }),
    message: t.exposeString('message', { description: 'A short explanation for humans.' }),
  }),
});
