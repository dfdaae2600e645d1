/**
 * elepay webhooks (providers/elepay.md §8): the signature, and what an event names.
 *
 * Signatures: header `elepay-signature: t=<unix seconds>, sign=<hex HMAC-SHA256(secret, t + "." +
 * raw body)>`. The document sets no tolerance for `t`; we accept five minutes either way, which
 * bounds replays. Several secrets may be valid at once so a secret can be rotated without dropping
 * deliveries.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { parseWebhookBody } from '../webhookBody.js';
import { elepayEventSchema } from './schemas.js';

export const SIGNATURE_TOLERANCE_SECONDS = 300;

export type SignatureVerdict = 'valid' | 'missing' | 'malformed' | 'stale' | 'mismatch';

export function verifyElepaySignature(
  header: string | undefined,
  rawBody: Buffer,
  secrets: readonly string[],
  nowMs = Date.now(),
): SignatureVerdict {
  if (!header) return 'missing';
  const parts = new Map<string, string[]>();
  for (const piece of header.split(',')) {
    const [key, ...rest] = piece.trim().split('=');
    if (!key || rest.length === 0) continue;
    parts.set(key, [...(parts.get(key) ?? []), rest.join('=')]);
  }
  const timestamp = parts.get('t')?.[0];
  const signatures = parts.get('sign') ?? [];
  if (!timestamp || !/^\d{1,12}$/.test(timestamp) || signatures.length === 0) return 'malformed';
  if (Math.abs(nowMs / 1000 - Number(timestamp)) > SIGNATURE_TOLERANCE_SECONDS) return 'stale';
  for (const secret of secrets) {
    const expected = Buffer.from(
      createHmac('sha256', secret).update(`${timestamp}.`).update(rawBody).digest('hex'),
    );
    for (const signature of signatures) {
      const given = Buffer.from(signature.toLowerCase());
      if (given.length === expected.length && timingSafeEqual(given, expected)) return 'valid';
    }
  }
  return 'mismatch';
}

/**
 * What a verified event is about. The body is only a hint: the gateway reads the object from
 * elepay's API before recording anything. A refund event names its charge (elepay serves refunds
 * only under their charge).
 */
export type ElepayEvent = { type: string; occurredAtMs?: number; eventId?: string } & (
  | { subject: 'charge'; chargeId: string }
  | { subject: 'refund'; chargeId: string | undefined; refundId: string }
  | { subject: 'other' }
);

/** The event a verified body holds; null when it is not an elepay event. */
export function readElepayEvent(raw: Buffer): ElepayEvent | null {
  const parsed = elepayEventSchema.safeParse(parseWebhookBody(raw));
  if (!parsed.success) return null;
  const { id, type, createTime, data } = parsed.data;
  const base = {
    type,
    ...(createTime !== undefined ? { occurredAtMs: createTime } : {}),
    ...(id !== undefined ? { eventId: id } : {}),
  };
  if (type.startsWith('charge.')) return { ...base, subject: 'charge', chargeId: data.object.id };
  if (type.startsWith('refund.')) {
    return { ...base, subject: 'refund', chargeId: data.object.chargeId, refundId: data.object.id };
  }
  return { ...base, subject: 'other' };
}
