/**
 * How every mutation runs (API.md, Mutations): its input validated before any provider call,
 * expected failures — validation problems, the workflows' pre-checks, provider refusals — as the
 * payload's `userErrors`, outages, auth failures and bugs as GraphQL errors, and a keyed mutation
 * run once per idempotency key.
 */
import type { z } from 'zod';
import type { Context, Services } from '../context.js';
import { ProviderError, type UserError, type UserErrorCode, UserErrors } from '../domain/errors.js';
import { observePayload } from '../events/log.js';
import { derivedIdOf, fingerprintOf, InputTooDeepError, scopeOf } from '../idempotency/fingerprint.js';
import { parsePayload, primeLoaders, serializePayload } from '../idempotency/payload.js';
import { runIdempotently } from '../idempotency/run.js';
import { publicProviderError } from '../plugins/maskError.js';
import { noteIdempotency } from '../plugins/useIdempotencyReplay.js';
import { noteMutationAnswer } from '../services/ownership.js';

export type Payload<T> = Partial<T> & { userErrors: UserError[] };

/** The mutations whose input carries an `idempotencyKey` (API.md, Mutation). */
export type KeyedMutation =
  | 'createSalesPage'
  | 'updateSalesPage'
  | 'createPricingPlan'
  | 'deletePricingPlan'
  | 'refundPayment'
  | 'createCharge'
  | 'captureCharge'
  | 'cancelCharge'
  | 'refundCharge'
  | 'refundTransaction';

/**
 * What a keyed mutation's body gets: the key's derived ID, stable per API client and key (40 hex
 * characters), from which the workflows derive provider-side duplicate guards (createCharge's
 * orderNo, elepay refund tags); null without a key.
 */
export type RetryKey = string | null;

/** The description of every input's `idempotencyKey` field (what runMutation below does with it). */
export const IDEMPOTENCY_KEY_DESCRIPTION =
  'Makes retries safe: the first request with this key executes; repeats, concurrent or within IDEMPOTENCY_TTL_HOURS (default 24 h), get the first payload again instead of a second execution, flagged by `extensions.idempotency.replayed`. Scoped per API client across all mutations: the same key on another mutation or with a different input gets IDEMPOTENCY_KEY_REUSED and does nothing. 1–255 printable ASCII characters; takes precedence over the `Idempotency-Key` header.';

/** 1–255 printable ASCII characters: fits a header, a Redis key and a log line as it is. */
const IDEMPOTENCY_KEY = /^[\x20-\x7e]{1,255}$/;

/**
 * Runs a mutation body and turns expected failures into its payload's `userErrors`.
 *
 * The keyed form adds idempotency: with `input.idempotencyKey` (or else the `Idempotency-Key` header)
 * the body runs at most once per API client and key — concurrent repeats wait for it and every
 * repeat within IDEMPOTENCY_TTL_HOURS gets the same payload (flagged in `extensions.idempotency`), on
 * every instance sharing the store. Only definite answers are stored (isDefinite below): a GraphQL
 * error (provider down, timing out, outcome unknown) never is, so a retry executes again. The same
 * key on another mutation or with another input gets IDEMPOTENCY_KEY_REUSED and runs nothing.
 * Without a key the body simply runs.
 */
export function runMutation<T extends object>(run: () => Promise<T>): Promise<Payload<T>>;
export function runMutation<T extends object>(
  ctx: Context,
  mutation: KeyedMutation,
  input: { idempotencyKey?: string | null },
  run: (retryKey: RetryKey) => Promise<T>,
): Promise<Payload<T>>;
export async function runMutation<T extends object>(
  ctxOrRun: Context | (() => Promise<T>),
  mutation?: KeyedMutation,
  input?: { idempotencyKey?: string | null },
  run?: (retryKey: RetryKey) => Promise<T>,
): Promise<Payload<T>> {
  if (typeof ctxOrRun === 'function') return settle(ctxOrRun);
  if (!mutation || !input || !run) throw new Error('runMutation: mutation, input and body are required');
  const ctx = ctxOrRun;
  if (!REFUND_MUTATIONS.has(mutation)) return runKeyed(ctx, mutation, input, run);
  return ctx.services.metrics.observeRefund(mutation, () => runKeyed(ctx, mutation, input, run));
}

const REFUND_MUTATIONS: ReadonlySet<KeyedMutation> = new Set([
  'refundPayment',
  'refundCharge',
  'refundTransaction',
]);

async function runKeyed<T extends object>(
  ctx: Context,
  mutation: KeyedMutation,
  input: { idempotencyKey?: string | null },
  run: (retryKey: RetryKey) => Promise<T>,
): Promise<Payload<T>> {
  const fromInput = input.idempotencyKey !== null && input.idempotencyKey !== undefined;
  const key = fromInput ? input.idempotencyKey : ctx.idempotencyKeyHeader;
  if (key === null || key === undefined) return observed(ctx, await settle(() => run(null)));
  const field = fromInput ? ['input', 'idempotencyKey'] : null;
  if (!IDEMPOTENCY_KEY.test(key)) {
    return userErrorPayload<T>(
      field,
      'INVALID',
      `${fromInput ? 'idempotencyKey' : 'the Idempotency-Key header'} must be 1–255 printable ASCII characters`,
    );
  }
  let fingerprint: string;
  try {
    fingerprint = fingerprintOf(mutation, input);
  } catch (error) {
    // No valid input nests this deep; refusing here keeps a hostile JSONObject from costing more.
    if (error instanceof InputTooDeepError) return userErrorPayload<T>(['input'], 'INVALID', error.message);
    throw error;
  }
  const scope = scopeOf(ctx.viewer.client, key);
  const masks = [{ secret: ownWebhookToken(ctx.services), shownAs: WEBHOOK_TOKEN_SHOWN_AS }];
  const outcome = await runIdempotently<Payload<T>>({
    store: ctx.services.idempotency,
    scope,
    fingerprint,
    execute: () => settle(() => run(derivedIdOf(scope))),
    isFinal: isDefinite,
    serialize: (payload) => serializePayload(payload, masks),
    parse: (text) => parsePayload<Payload<T>>(text),
    logger: ctx.logger,
  });
  ctx.services.metrics.idempotency.inc({ outcome: outcome.kind });
  if (outcome.kind === 'reused') {
    return userErrorPayload<T>(
      field,
      'IDEMPOTENCY_KEY_REUSED',
      'this idempotency key was already used for another mutation or a different input; use a new key for a new request',
    );
  }
  if (outcome.kind === 'replayed') primeLoaders(ctx.loaders, outcome.payload);
  noteIdempotency(ctx, { mutation, key, replayed: outcome.kind === 'replayed' });
  return observed(ctx, outcome.payload);
}

/**
 * The statuses a mutation saw become the `previousStatus` of the first live event (events/log.ts),
 * and its transactions enter the ledger (src/ledger) before the answer, so a list shows them at
 * once, as the tenant's when a tenant's client made them (services/ownership.ts).
 */
async function observed<T extends object>(ctx: Context, payload: Payload<T>): Promise<Payload<T>> {
  await Promise.all([observePayload(ctx.services.events, payload), noteMutationAnswer(ctx, payload)]);
  return payload;
}

/**
 * Codes that describe the provider's state at the moment, with nothing done: not the key's answer.
 * A keyed retry after a lost answer must not find INVALID_STATE ("already captured") stored for
 * 24 h, nor NOT_FOUND from a read that lagged behind a write; the next retry evaluates again.
 */
const STATE_ONLY_CODES: ReadonlySet<UserErrorCode> = new Set(['INVALID_STATE', 'NOT_FOUND']);

/** Whether a payload is a definite outcome to store for the key (see STATE_ONLY_CODES). */
function isDefinite(payload: { userErrors: UserError[] }): boolean {
  return !payload.userErrors.some((error) => STATE_ONLY_CODES.has(error.code));
}

/** The elopage webhook path token (the last segment of the gateway's own elopage webhook URL). */
export function ownWebhookToken(services: Pick<Services, 'elopageWebhookUrl'>): string {
  const url = services.elopageWebhookUrl;
  return url.slice(url.lastIndexOf('/') + 1);
}

/** How SalesPage.webhookUrl shows the token, and how a stored payload keeps it. */
export const WEBHOOK_TOKEN_SHOWN_AS = '***';

function userErrorPayload<T extends object>(
  field: string[] | null,
  code: UserErrorCode,
  message: string,
): Payload<T> {
  return { userErrors: [{ field, code, message }] } as Payload<T>;
}

/** The body's result as a payload; expected failures become userErrors, the rest is thrown. */
async function settle<T extends object>(run: () => Promise<T>): Promise<Payload<T>> {
  try {
    return { ...(await run()), userErrors: [] };
  } catch (error) {
    if (error instanceof UserErrors) return { userErrors: error.errors } as Payload<T>;
    const refusal = error instanceof ProviderError ? refusalOf(error) : null;
    if (refusal) return { userErrors: [refusal] } as Payload<T>;
    throw error;
  }
}

/**
 * A provider's refusal as a user error; null for failures that are not the caller's to fix. The
 * message is what publicProviderError lets through: no provider text beyond codes and names.
 */
function refusalOf(error: ProviderError): UserError | null {
  const { message } = publicProviderError(error);
  if (error.failure === 'NOT_FOUND') return { field: null, code: 'NOT_FOUND', message };
  if (error.failure !== 'REJECTED') return null;
  if (error.refusal === 'INVALID_STATE') return { field: null, code: 'INVALID_STATE', message };
  if (error.refusal === 'AMOUNT_TOO_LARGE') return { field: null, code: 'AMOUNT_EXCEEDS_REMAINING', message };
  return { field: null, code: 'PROVIDER_REJECTED', message };
}

/**
 * Validates a mutation's input with a zod schema before any provider call. Each issue becomes a
 * user error whose path starts at the argument name; a refinement may name its code through
 * `params: { code }` (default INVALID).
 */
export function validate<S extends z.ZodType>(schema: S, input: unknown, argument = 'input'): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw new UserErrors(
    result.error.issues.map((issue) => {
      const named =
        issue.code === 'custom' ? (issue.params as { code?: UserErrorCode } | undefined)?.code : undefined;
      return {
        field: [argument, ...issue.path.map(String)],
        code: named ?? 'INVALID',
        message: issue.message,
      };
    }),
  );
}
