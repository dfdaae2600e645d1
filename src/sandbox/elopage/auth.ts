import { createHash, timingSafeEqual } from 'node:crypto';
import type { SandboxRequest } from '../server.js';
import { noAccessRight, userNotFound } from './errors.js';
import { bodyCredentials } from './validation.js';

/**
 * elopage authenticates with `key` and `secret`: query parameters on GET, JSON body fields on
 * POST/PUT/DELETE (providers/elopage.md, Conventions: Auth). An unknown key is `UserNotFound`
 * (401); the right key with a wrong secret is `NoAccessRight` (403).
 */
export function createAuthenticator(apiKey: string, apiSecret: string): (request: SandboxRequest) => void {
  const keyHash = sha256(apiKey);
  const secretHash = sha256(apiSecret);
  return (request) => {
    const { key, secret } = credentialsOf(request);
    // Hashing first gives equal-length buffers, so timingSafeEqual never leaks the length either.
    if (key === undefined || !timingSafeEqual(sha256(key), keyHash)) throw userNotFound();
    if (secret === undefined || !timingSafeEqual(sha256(secret), secretHash)) throw noAccessRight();
  };
}

function credentialsOf(request: SandboxRequest): { key?: string | undefined; secret?: string | undefined } {
  if (request.method !== 'GET') return bodyCredentials.parse(request.body);
  return { key: request.query.get('key') ?? undefined, secret: request.query.get('secret') ?? undefined };
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}
