import { createHash, timingSafeEqual } from 'node:crypto';
import type { SandboxReply, SandboxRequest } from '../server.js';
import { noAccessRight, userNotFound } from './errors.js';
import { asRecord } from './validation.js';

/**
 * elopage authenticates with `key` and `secret`: query parameters on GET, JSON body fields on
 * POST/PUT/DELETE (providers/elopage.md, Conventions: Auth). An unknown key is `UserNotFound`
 * (401); the right key with a wrong secret is `NoAccessRight` (403).
 */
export function createAuthenticator(apiKey: string, apiSecret: string) {
  const keyHash = sha256(apiKey);
  const secretHash = sha256(apiSecret);
  return (request: SandboxRequest): SandboxReply | null => {
    const { key, secret } = credentialsOf(request);
    // Hashing first gives equal-length buffers, so timingSafeEqual never leaks the length either.
    if (key === null || !timingSafeEqual(sha256(key), keyHash)) return userNotFound();
    if (secret === null || !timingSafeEqual(sha256(secret), secretHash)) return noAccessRight();
    return null;
  };
}

function credentialsOf(request: SandboxRequest): { key: string | null; secret: string | null } {
  if (request.method === 'GET') return { key: request.query.get('key'), secret: request.query.get('secret') };
  const body = asRecord(request.body);
  return { key: stringOrNull(body?.key), secret: stringOrNull(body?.secret) };
}

function stringOrNull(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}
