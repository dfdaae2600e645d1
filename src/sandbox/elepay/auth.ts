import { createHash, timingSafeEqual } from 'node:crypto';
import type { SandboxRequest } from '../server.js';
import { ElepayApiError } from './errors.js';

/**
 * Secret-key authentication (providers/elepay.md §2): `Basic base64("<sk>:")` (key as username,
 * empty password) or `Bearer <sk>`. No header or no credential → M004002; anything else that is
 * not the key → M004001. Messages never echo what was sent.
 */
export function createAuthenticator(secretKey: string): (request: SandboxRequest) => void {
  const expected = digest(secretKey);
  return (request) => {
    const header = request.headers.authorization;
    const credential = header === undefined ? null : extractKey(header);
    if (credential === null) throw new ElepayApiError('M004002', 'Authentication parameters are missing');
    // Hash first so both buffers have equal length and the comparison time does not leak it.
    if (credential === false || !timingSafeEqual(digest(credential), expected)) {
      throw new ElepayApiError('M004001', 'The API key is invalid');
    }
  };
}

/** The key from the header; null when nothing was sent, false when the header is malformed. */
function extractKey(header: string): string | null | false {
  const match = /^(\S+)(?:\s+(.*))?$/.exec(header.trim());
  if (!match) return null;
  const scheme = match[1]!.toLowerCase();
  const value = (match[2] ?? '').trim();
  if (scheme === 'bearer') return value === '' ? null : value;
  if (scheme !== 'basic') return false;
  if (value === '') return null;
  const decoded = Buffer.from(value, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  const username = colon === -1 ? decoded : decoded.slice(0, colon);
  const password = colon === -1 ? '' : decoded.slice(colon + 1);
  if (username === '') return null;
  // The password is documented as empty; a non-empty one is a wrong credential.
  return password === '' ? username : false;
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}
