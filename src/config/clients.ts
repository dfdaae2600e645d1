/**
 * API clients, from PAYGRAPH_CLIENTS (JSON) or PAYGRAPH_CLIENTS_FILE (a path to the same JSON), and
 * the scopes a client may hold. SCOPES is the one list of scopes: validation here, the viewer
 * (src/auth/viewer.ts), the GraphQL scope auth (src/auth/scopes.ts, src/graphql/builder.ts) follow
 * it, and test/config.test.ts holds the README and the API docs to it.
 */

import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { EnvSchema } from './schema.js';

export const SCOPES = ['read', 'write', 'refund', 'operator'] as const;

/** `"read", "write", "refund" or "operator"`. */
const scopeNames = `${SCOPES.slice(0, -1)
  .map((scope) => `"${scope}"`)
  .join(', ')} or "${SCOPES.at(-1)}"`;

const ScopeSchema = z.enum(SCOPES, { message: `must be ${scopeNames}` });
export type Scope = z.output<typeof ScopeSchema>;

/** Client and tenant names: fit a log line, a label and a database column as they are. */
const NameSchema = z
  .string()
  .regex(/^[A-Za-z0-9_.-]{1,64}$/, 'must be 1–64 characters of A–Z, a–z, 0–9, "_", "." or "-"');

const ApiClientSchema = z
  .object({
    name: NameSchema,
    tokenSha256: z
      .string()
      .regex(/^[0-9a-fA-F]{64}$/, 'must be 64 hex characters: the SHA-256 of the token, never the token')
      .transform((hash) => hash.toLowerCase()),
    scopes: z.array(ScopeSchema).min(1, 'must name at least one scope'),
    /**
     * The tenant the client acts for: the transactions it creates are the tenant's, and it sees no
     * other transactions (docs/ledger.md, Tenants). Without one it sees every transaction.
     */
    tenant: NameSchema.optional(),
  })
  .refine((client) => !(client.tenant && client.scopes.includes('operator')), {
    // The operator view (webhook deliveries, replays, reconciling by ID) spans every tenant.
    message: 'must not include "operator" for a client with a tenant: the operator view spans every tenant',
    path: ['scopes'],
  });

/** An API client the operator configured: the token itself is never stored, only its SHA-256. */
export type ApiClient = z.output<typeof ApiClientSchema>;

const ClientVariablesSchema = EnvSchema.pick({ PAYGRAPH_CLIENTS: true, PAYGRAPH_CLIENTS_FILE: true });

/**
 * The configured clients, or the problems that stop them loading; reads only its two variables, so
 * it runs whatever else is malformed. Never echoes the value.
 */
export function loadApiClients(env: Record<string, string>): { clients: ApiClient[]; problems: string[] } {
  const e = ClientVariablesSchema.parse(env);
  if (e.PAYGRAPH_CLIENTS && e.PAYGRAPH_CLIENTS_FILE) {
    return { clients: [], problems: ['PAYGRAPH_CLIENTS: set it or PAYGRAPH_CLIENTS_FILE, not both'] };
  }
  const variable = e.PAYGRAPH_CLIENTS_FILE ? 'PAYGRAPH_CLIENTS_FILE' : 'PAYGRAPH_CLIENTS';
  let text = e.PAYGRAPH_CLIENTS;
  if (e.PAYGRAPH_CLIENTS_FILE) {
    try {
      text = readFileSync(e.PAYGRAPH_CLIENTS_FILE, 'utf8');
    } catch (error) {
      return {
        clients: [],
        problems: [`${variable}: cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`],
      };
    }
  }
  if (!text) return { clients: [], problems: [] };
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return {
      clients: [],
      problems: [`${variable}: is not JSON (expected [{"name","tokenSha256","scopes","tenant"?}, …])`],
    };
  }
  const parsed = z.array(ApiClientSchema).safeParse(json);
  if (!parsed.success) {
    return {
      clients: [],
      problems: parsed.error.issues.map(
        (issue) =>
          `${variable}${issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('')}: ${issue.message}`,
      ),
    };
  }
  const names = parsed.data.map((client) => client.name);
  const duplicate = names.find((name, index) => names.indexOf(name) !== index);
  return {
    clients: parsed.data,
    problems: duplicate ? [`${variable}: the client name "${duplicate}" appears twice`] : [],
  };
}
