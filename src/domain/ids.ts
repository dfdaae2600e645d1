/**
 * The one global-ID codec. A global ID is base64url of "Kind:provider:part[:part]" with each part
 * URI-encoded, so provider IDs of any shape survive; clients must treat it as opaque (Relay).
 * An elepay refund carries its charge ID because elepay only serves refunds under their charge.
 */
import type { Provider } from './model.js';

export type NodeRef =
  | { kind: 'SalesPage'; id: string }
  | { kind: 'PricingPlan'; id: string }
  | { kind: 'Payment'; id: string }
  | { kind: 'Charge'; id: string }
  | { kind: 'Refund'; provider: 'ELOPAGE'; id: string }
  | { kind: 'Refund'; provider: 'ELEPAY'; chargeId: string; id: string };

export type NodeKind = NodeRef['kind'];

const KIND_PROVIDER: Record<Exclude<NodeKind, 'Refund'>, Provider> = {
  SalesPage: 'ELOPAGE',
  PricingPlan: 'ELOPAGE',
  Payment: 'ELOPAGE',
  Charge: 'ELEPAY',
};

export function providerOf(ref: NodeRef): Provider {
  return ref.kind === 'Refund' ? ref.provider : KIND_PROVIDER[ref.kind];
}

export function encodeGlobalId(ref: NodeRef): string {
  const parts = ref.kind === 'Refund' && ref.provider === 'ELEPAY' ? [ref.chargeId, ref.id] : [ref.id];
  const text = [ref.kind, providerOf(ref).toLowerCase(), ...parts.map(encodeURIComponent)].join(':');
  return Buffer.from(text, 'utf8').toString('base64url');
}

const BASE64URL = /^[A-Za-z0-9_-]+$/;

/** Decodes a global ID; anything that is not one of ours gives null (never throws). */
export function decodeGlobalId(globalId: string): NodeRef | null {
  if (globalId.length > 512 || !BASE64URL.test(globalId)) return null;
  const [kind, provider, ...encoded] = Buffer.from(globalId, 'base64url').toString('utf8').split(':');
  let parts: string[];
  try {
    parts = encoded.map(decodeURIComponent);
  } catch {
    return null;
  }
  if (parts.some((part) => part.length === 0)) return null;
  const [first, second] = parts;
  if (first === undefined) return null;
  if (kind === 'Refund') {
    if (provider === 'elopage' && parts.length === 1) return { kind, provider: 'ELOPAGE', id: first };
    if (provider === 'elepay' && second !== undefined && parts.length === 2)
      return { kind, provider: 'ELEPAY', chargeId: first, id: second };
    return null;
  }
  if (kind === 'SalesPage' || kind === 'PricingPlan' || kind === 'Payment' || kind === 'Charge') {
    if (provider !== KIND_PROVIDER[kind].toLowerCase() || parts.length !== 1) return null;
    return { kind, id: first };
  }
  return null;
}

/** The global ID of a domain object. */
export function globalIdOf(
  node:
    | { kind: 'SalesPage' | 'PricingPlan' | 'Payment' | 'Charge'; providerId: string }
    | { kind: 'Refund'; provider: 'ELOPAGE'; providerId: string }
    | { kind: 'Refund'; provider: 'ELEPAY'; chargeId: string; providerId: string },
): string {
  if (node.kind === 'Refund') {
    return node.provider === 'ELEPAY'
      ? encodeGlobalId({ kind: 'Refund', provider: 'ELEPAY', chargeId: node.chargeId, id: node.providerId })
      : encodeGlobalId({ kind: 'Refund', provider: 'ELOPAGE', id: node.providerId });
  }
  return encodeGlobalId({ kind: node.kind, id: node.providerId });
}
