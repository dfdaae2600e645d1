import type { Charge } from '../../src/domain/model.js';

/**
 * An elepay charge as providers/elepay/map.ts makes it: 1,000 JPY by card, nothing refunded, no
 * dates; `fields` sets the rest (its `providerStatus` follows `status` unless given).
 */
export function chargeWith(fields: Partial<Charge> & Pick<Charge, 'status'>): Charge {
  const providerId = fields.providerId ?? 'ch_1';
  const currency = fields.amount?.currency ?? 'JPY';
  return {
    kind: 'Charge',
    provider: 'ELEPAY',
    providerId,
    providerStatus: fields.status.toLowerCase(),
    amount: { amount: '1000', currency },
    createdAt: null,
    orderNo: `order-${providerId}`,
    paymentMethod: 'creditcard',
    description: null,
    metadata: null,
    refundedAmount: { amount: '0', currency },
    authorizedAmount: null,
    paidAt: null,
    refundedAt: null,
    liveMode: false,
    ...fields,
  };
}

/** A captured elepay charge, numbered: for driving an event log directly with many distinct events. */
export function paidCharge(n: number): Charge {
  return chargeWith({
    providerId: `ch_seam_${n}`,
    status: 'SUCCEEDED',
    providerStatus: 'captured',
    amount: { amount: '100', currency: 'JPY' },
    createdAt: new Date(),
    orderNo: `order-${n}`,
    metadata: {},
    paidAt: new Date(),
  });
}
