import { describe, expect, it } from 'vitest';
import { chargeActions, paymentActions, refundActions } from '../../src/domain/actions.js';
import type { Charge, ElepayRefund, Payment } from '../../src/domain/model.js';
import type { PaymentStatus } from '../../src/domain/status.js';
import { chargeWith } from '../support/charges.js';

/** The rules of availableActions/refundableAmount, exactly (the gateway suite runs them end to end). */

function charge(status: PaymentStatus, amount = '1000', currency = 'JPY'): Charge {
  return chargeWith({ status, amount: { amount, currency }, orderNo: 'o1' });
}

function refund(amount: string, status: PaymentStatus, currency = 'JPY'): ElepayRefund {
  return {
    kind: 'Refund',
    provider: 'ELEPAY',
    providerId: `re_${amount}`,
    chargeId: 'ch_1',
    status,
    providerStatus: status.toLowerCase(),
    amount: { amount, currency },
    createdAt: null,
    reason: null,
    refundedAt: null,
    metadata: null,
  };
}

function payment(status: PaymentStatus): Payment {
  const eur = (amount: string) => ({ amount, currency: 'EUR' });
  return {
    kind: 'Payment',
    provider: 'ELOPAGE',
    providerId: '7',
    status,
    providerStatus: 'successful',
    amount: eur('199.90'),
    createdAt: null,
    payer: null,
    revenue: eur('199.90'),
    netAmount: eur('180.515'),
    fee: eur('19.385'),
    recurring: false,
    recurringForm: 'ONE_TIME',
    paymentMethod: 'card',
    paymentSessionId: null,
    salesPageId: '1',
    succeededAt: null,
    succeededOn: null,
    invoiceUrl: null,
    successUrl: null,
    authorCommissions: [],
  };
}

describe('chargeActions', () => {
  it('an authorized charge can be captured or canceled, a pending one canceled; neither refunded', () => {
    expect(chargeActions(charge('AUTHORIZED'), [])).toEqual({
      actions: ['CAPTURE', 'CANCEL'],
      refundable: { amount: '0', currency: 'JPY' },
    });
    expect(chargeActions(charge('PENDING', '12.50', 'EUR'), [])).toEqual({
      actions: ['CANCEL'],
      refundable: { amount: '0.00', currency: 'EUR' },
    });
  });

  it('a captured charge can be refunded in full', () => {
    expect(chargeActions(charge('SUCCEEDED', '1000'), [])).toEqual({
      actions: ['REFUND'],
      refundable: { amount: '1000', currency: 'JPY' },
    });
  });

  it('after refunds, what is left: pending refunds count, failed ones do not', () => {
    const partial = chargeActions(charge('PARTIALLY_REFUNDED', '1000.10', 'EUR'), [
      refund('300.05', 'REFUNDED', 'EUR'),
      refund('0.03', 'PENDING', 'EUR'),
      refund('500', 'FAILED', 'EUR'),
    ]);
    expect(partial).toEqual({ actions: ['REFUND'], refundable: { amount: '700.02', currency: 'EUR' } });
  });

  it('nothing once refunds cover the amount, even while they are pending', () => {
    const covered = chargeActions(charge('SUCCEEDED', '1000'), [
      refund('400', 'REFUNDED'),
      refund('600', 'PENDING'),
    ]);
    expect(covered).toEqual({ actions: [], refundable: { amount: '0', currency: 'JPY' } });
  });

  it.each<PaymentStatus>(['REFUNDED', 'CANCELED', 'FAILED', 'REQUIRES_ACTION'])(
    'nothing for a %s charge',
    (status) => {
      expect(chargeActions(charge(status), [])).toEqual({
        actions: [],
        refundable: { amount: '0', currency: 'JPY' },
      });
    },
  );
});

describe('paymentActions', () => {
  it('a successful payment the gateway knows no refund of: a refund of its full amount', () => {
    expect(paymentActions(payment('SUCCEEDED'), false)).toEqual({
      actions: ['REFUND'],
      refundable: { amount: '199.90', currency: 'EUR' },
    });
  });

  it('nothing once refunded, or before it succeeded', () => {
    const none = { actions: [], refundable: { amount: '0.00', currency: 'EUR' } };
    expect(paymentActions(payment('SUCCEEDED'), true)).toEqual(none);
    expect(paymentActions(payment('PENDING'), false)).toEqual(none);
    expect(paymentActions(payment('FAILED'), false)).toEqual(none);
  });
});

describe('refundActions', () => {
  it('nothing can be done to a refund', () => {
    expect(refundActions(refund('5', 'REFUNDED'))).toEqual({
      actions: [],
      refundable: { amount: '0', currency: 'JPY' },
    });
  });
});
