import { randomBytes } from 'node:crypto';
import { request } from 'undici';
import { expect } from 'vitest';
import { signWebhook } from '../../src/sandbox/elepay/signature.js';
import { CreateChargeDocument } from '../generated/graphql.js';
import type { TestGateway } from './harness.js';

/**
 * elepay webhooks built by a test: a charge created through a gateway, paid at the simulator through
 * its helper route, and wrapped in the event envelope elepay sends (providers/elepay.md §8).
 */
export async function paidChargeEvent(
  gw: TestGateway,
  simulatorUrl: string,
  amount: string,
): Promise<{ id: string; body: string }> {
  const created = await gw.gql(CreateChargeDocument, {
    input: { amount, currency: 'JPY', paymentMethod: 'creditcard' },
  });
  expect(created.data?.createCharge.userErrors).toEqual([]);
  const charge = created.data?.createCharge.charge;
  const settled = await request(`${simulatorUrl}/_sandbox/charges/${charge?.providerId}/settle`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ outcome: 'succeed' }),
  });
  expect(settled.statusCode).toBe(200);
  const object = (await settled.body.json()) as { id: string; status: string };
  expect(object).toMatchObject({ id: charge?.providerId, status: 'captured' });
  const body = JSON.stringify({
    id: `evt_${randomBytes(12).toString('hex')}`,
    object: 'event',
    createTime: Date.now(),
    liveMode: false,
    type: 'charge.succeeded',
    data: { object },
  });
  return { id: charge?.id ?? '', body };
}

/** Delivers `body` to a gateway as elepay would, freshly signed (`t` is checked against the clock). */
export async function deliverElepayWebhook(
  gatewayUrl: string,
  secret: string,
  body: string,
): Promise<{ status: number; answer: Record<string, unknown> }> {
  const response = await request(`${gatewayUrl}/webhooks/elepay`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'elepay-signature': signWebhook(secret, body, Math.floor(Date.now() / 1000)),
    },
    body,
  });
  return { status: response.statusCode, answer: (await response.body.json()) as Record<string, unknown> };
}
