/**
 * `elepay-signature: t=<unix seconds>,sign=<hex>` where sign = lowercase hex
 * HMAC-SHA256(secret, t + "." + rawBody) (providers/elepay.md §8). t is seconds even though every
 * other elepay timestamp is milliseconds (§1).
 */

import { createHmac } from 'node:crypto';

export const SIGNATURE_HEADER = 'elepay-signature';

export function signWebhook(secret: string, rawBody: string, unixSeconds: number): string {
  const sign = createHmac('sha256', secret).update(`${unixSeconds}.${rawBody}`, 'utf8').digest('hex');
  return `t=${unixSeconds},sign=${sign}`;
}
