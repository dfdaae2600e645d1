import type { Charge } from '../../src/domain/model.js';

/** A captured elepay charge, numbered: for driving an event log directly with many distinct events. */
export function paidCharge(n: number): Charge {
  return {
    kind: 'Charge',
    provider: 'ELEPAY',
    providerId: `ch_seam_${n}`,
    status: 'SUCCEEDED',
    providerStatus: 'captured',
    amount: { amount: '100', currency: 'JPY' },
    createdAt: new Date(),
    orderNo: `order-${n}`,
    paymentMethod: 'creditcard',
    description: null,
    metadata: {},
    refundedAmount: { amount: '0', currency: 'JPY' },
    authorizedAmount: null,
    paidAt: new Date(),
    refundedAt: null,
    liveMode: false,
  };
}
