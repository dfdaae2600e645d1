/**
 * The scope rules, enforced per field by @pothos/plugin-scope-auth before any resolver runs (so a
 * forbidden mutation never reaches a provider):
 * - Query and Subscription fields need `read` (type-level default, src/graphql/schema.ts and
 *   types/subscription.ts);
 * - Mutation fields need `write` (type-level default): sales pages, pricing plans, charges, and
 *   the sandbox helpers (which also answer SANDBOX_ONLY outside sandbox mode);
 * - refundCharge, refundPayment and refundTransaction need `refund` and NOT `write`
 *   (`...REFUND_SCOPE_ONLY`): refunding is a separate permission, so a support tool can be
 *   allowed to refund without being allowed to create charges or edit sales pages, and a shop
 *   backend with `write` cannot give money back unless the operator says so.
 * - webhookDeliveries, replayWebhookDelivery and reconcileTransaction need `operator` alone
 *   (`...OPERATOR_SCOPE_ONLY`): the operator view sees every webhook and can make the gateway call
 *   the providers, which no shop backend or support tool needs.
 * Fields of the objects these return carry no scopes: whoever may call the root field may read
 * its result.
 */

import { type AuthFailure, AuthScopeFailureType } from '@pothos/plugin-scope-auth';
import type { GraphQLResolveInfo } from 'graphql';
import { SCOPES, type Scope } from '../config.js';
import type { Context } from '../context.js';
import { CodedError } from '../domain/errors.js';

export const REFUND_SCOPE_ONLY = { skipTypeScopes: true, authScopes: { refund: true } } as const;
export const OPERATOR_SCOPE_ONLY = { skipTypeScopes: true, authScopes: { operator: true } } as const;

/** One scope map per viewer: viewers are made once per API client (src/auth/viewer.ts), not per request. */
const scopeMaps = new WeakMap<Context['viewer'], Readonly<Record<Scope, boolean>>>();

/** The scope map the plugin evaluates for a request, from the viewer resolved at the edge. */
export function scopesOf(ctx: Context): Readonly<Record<Scope, boolean>> {
  let scopes = scopeMaps.get(ctx.viewer);
  if (!scopes) {
    const granted = (scope: Scope) => [scope, ctx.viewer.scopes.has(scope)] as const;
    scopes = Object.freeze(Object.fromEntries(SCOPES.map(granted)) as Record<Scope, boolean>);
    scopeMaps.set(ctx.viewer, scopes);
  }
  return scopes;
}

function missingScopes(failure: AuthFailure): string[] {
  switch (failure.kind) {
    case AuthScopeFailureType.AuthScope:
      return [failure.scope];
    case AuthScopeFailureType.AnyAuthScopes:
    case AuthScopeFailureType.AllAuthScopes:
      return failure.failures.flatMap(missingScopes);
    default:
      return [];
  }
}

/** FORBIDDEN, naming the field and the scope it needs (never the caller's token). */
export function forbiddenError(info: GraphQLResolveInfo, failure: AuthFailure): CodedError {
  const scopes = [...new Set(missingScopes(failure))];
  const field = `${info.parentType.name}.${info.fieldName}`;
  const needs =
    scopes.length === 0
      ? 'is not allowed for this API client'
      : scopes.length === 1
        ? `needs the "${scopes[0]}" scope, which this API client does not have`
        : `needs one of the scopes ${scopes.map((s) => `"${s}"`).join(', ')}, which this API client does not have`;
  return new CodedError('FORBIDDEN', `${field} ${needs}`, { requiredScopes: scopes });
}
