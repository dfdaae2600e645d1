/**
 * The rules that read several variables: a provider with credentials talks to its base URL
 * (remote), one without runs on its embedded sandbox; credentials travel only over HTTPS, except to
 * this machine or elopage's staging host; real credentials require API clients. These rules read
 * only their own variables (CredentialsSchema), so they run even when another variable is
 * malformed: the operator sees every problem at once.
 */

import type { z } from 'zod';
import { EnvSchema } from './schema.js';

const DEFAULT_ELEPAY_BASE_URL = 'https://api.elepay.io';
const DEFAULT_ELOPAGE_BASE_URL = 'https://elopage.com/api';

export const CredentialsSchema = EnvSchema.pick({
  ELEPAY_BASE_URL: true,
  ELEPAY_SECRET_KEY: true,
  ELOPAGE_BASE_URL: true,
  ELOPAGE_API_KEY: true,
  ELOPAGE_API_SECRET: true,
  ELOPAGE_WEBHOOK_TOKEN: true,
});

type Credentials = z.output<typeof CredentialsSchema>;

/** `remote`: credentials given, talk to baseUrl. `sandbox`: start the embedded simulator. */
const modeOf = (remote: boolean) => (remote ? ('remote' as const) : ('sandbox' as const));

/** Where each provider is reached. */
export function providersOf(e: Credentials) {
  return {
    elepay: {
      mode: modeOf(Boolean(e.ELEPAY_SECRET_KEY)),
      baseUrl: e.ELEPAY_BASE_URL ?? DEFAULT_ELEPAY_BASE_URL,
    },
    elopage: {
      mode: modeOf(Boolean(e.ELOPAGE_API_KEY || e.ELOPAGE_API_SECRET)),
      baseUrl: e.ELOPAGE_BASE_URL ?? DEFAULT_ELOPAGE_BASE_URL,
    },
  };
}

/** Plain HTTP is acceptable only towards this machine (a simulator) or `allowedHosts`. */
function isPlainHttpAllowed(url: string, allowedHosts: string[]): boolean {
  const { protocol, hostname } = new URL(url);
  if (protocol === 'https:') return true;
  return ['localhost', '127.0.0.1', '[::1]', ...allowedHosts].includes(hostname);
}

export function credentialProblems(e: Credentials, clientCount: number): string[] {
  const problems: string[] = [];
  const { elepay, elopage } = providersOf(e);
  // Real credentials move real money: such a gateway is never open to whoever reaches it.
  if ((elepay.mode === 'remote' || elopage.mode === 'remote') && clientCount === 0) {
    problems.push(
      'PAYGRAPH_CLIENTS: API clients are required when a provider uses real credentials (see README, Security)',
    );
  }

  // elepay: a key means remote mode. Test and live keys share one HTTPS host (providers/elepay.md §1),
  // so a live key over plain HTTP is refused outright, and any key only goes to loopback over HTTP.
  if (e.ELEPAY_SECRET_KEY) {
    if (
      !isPlainHttpAllowed(elepay.baseUrl, []) ||
      (e.ELEPAY_SECRET_KEY.startsWith('sk_live_') && new URL(elepay.baseUrl).protocol === 'http:')
    ) {
      problems.push(
        'ELEPAY_BASE_URL: must use https with this secret key (a live key never travels over plain HTTP)',
      );
    }
  } else if (e.ELEPAY_BASE_URL) {
    problems.push(
      'ELEPAY_BASE_URL: is set but ELEPAY_SECRET_KEY is not (unset both to use the embedded sandbox)',
    );
  }

  // elopage: key and secret come together; HTTP only to its staging sandbox or this machine.
  if (elopage.mode === 'remote') {
    if (!e.ELOPAGE_API_KEY) problems.push('ELOPAGE_API_KEY: is required when ELOPAGE_API_SECRET is set');
    if (!e.ELOPAGE_API_SECRET) problems.push('ELOPAGE_API_SECRET: is required when ELOPAGE_API_KEY is set');
    if (!e.ELOPAGE_WEBHOOK_TOKEN) {
      problems.push(
        'ELOPAGE_WEBHOOK_TOKEN: is required with elopage credentials (sales pages register the webhook URL it guards)',
      );
    }
    if (!isPlainHttpAllowed(elopage.baseUrl, ['staging.elopage.com'])) {
      problems.push(
        'ELOPAGE_BASE_URL: must use https with live credentials (plain HTTP only for staging.elopage.com)',
      );
    }
  } else if (e.ELOPAGE_BASE_URL) {
    problems.push(
      'ELOPAGE_BASE_URL: is set but ELOPAGE_API_KEY is not (unset both to use the embedded sandbox)',
    );
  }
  return problems;
}
