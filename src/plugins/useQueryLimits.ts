import { EnvelopArmorPlugin } from '@escape.tech/graphql-armor';
import { type DocumentNode, type ExecutionArgs, GraphQLError, type ValidationContext } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { SecurityConfig } from '../config.js';
import type { ErrorCode } from '../domain/errors.js';
import { estimateProviderCalls } from './providerCallCost.js';

export type QueryLimits = Pick<
  SecurityConfig,
  'maxDepth' | 'maxAliases' | 'maxTokens' | 'maxDirectives' | 'maxProviderCalls'
>;

/**
 * A refused operation. `http.spec` mirrors Yoga's validation errors: 400 for
 * application/graphql-response+json, 200 for legacy application/json (GraphQL over HTTP).
 */
function tooComplex(message: string, details: Record<string, number> = {}): GraphQLError {
  return new GraphQLError(message, {
    extensions: {
      code: 'QUERY_TOO_COMPLEX' satisfies ErrorCode,
      ...details,
      http: { spec: true, status: 400 },
    },
  });
}

/**
 * graphql-armor's messages ("Syntax Error: Query depth limit of 12 exceeded, found 50.") call a
 * valid query a syntax error; ours name the measure, the count and the limit. Should armor change
 * its wording, its message is kept without the misleading prefix.
 */
function refusal(measure: string, armorMessage: string): GraphQLError {
  const plain = armorMessage.replace(/^Syntax Error:\s*/, '');
  const numbers = /limit of (\d+) exceeded, found (\d+)/.exec(plain);
  if (!numbers) return tooComplex(`${measure}: ${plain}`);
  const [, limit = '0', found = '0'] = numbers;
  return tooComplex(`${measure} ${found} exceeds the limit of ${limit}`, {
    found: Number(found),
    limit: Number(limit),
  });
}

/** Validation rules report instead of throwing, so every other validation error is listed too. */
const report =
  (measure: string) =>
  (context: ValidationContext | null, error: GraphQLError): void =>
    context?.reportError(refusal(measure, error.message));

/**
 * Yoga's parse cache hands every request with the same query text the same document, and the
 * estimate depends only on it, the operation and the variables: a client repeating an operation
 * costs one estimate, not one walk of its document per request. Kept per document (gone when the
 * parse cache drops it), a bounded number of variable sets each.
 */
const estimates = new WeakMap<DocumentNode, Map<string, number | null>>();
const MAX_VARIANTS_PER_DOCUMENT = 100;
const MAX_CACHED_KEY_LENGTH = 4096;

function cachedProviderCalls(args: ExecutionArgs): number | null {
  const variables = args.variableValues as Record<string, unknown> | null | undefined;
  const estimate = () => estimateProviderCalls(args.schema, args.document, args.operationName, variables);
  const key = `${args.operationName ?? ''}\u0000${JSON.stringify(variables ?? null)}`;
  if (key.length > MAX_CACHED_KEY_LENGTH) return estimate();
  let variants = estimates.get(args.document);
  if (!variants) {
    variants = new Map();
    estimates.set(args.document, variants);
  }
  let calls = variants.get(key);
  if (calls === undefined) {
    calls = estimate();
    if (variants.size >= MAX_VARIANTS_PER_DOCUMENT) variants.clear();
    variants.set(key, calls);
  }
  return calls;
}

/**
 * Query limits, all before any resolver runs (so before any provider call):
 * - graphql-armor at parse (tokens) and validation (depth, aliases, directives), with the
 *   configured limits; every refusal is a QUERY_TOO_COMPLEX error with a message naming the limit;
 * - the provider-call estimate (providerCallCost.ts) when the operation is about to execute or
 *   subscribe. It needs the request's variables (`nodes(ids: $ids)`), which validation never sees,
 *   and Yoga caches validation per document: as a validation rule, a document validated once with
 *   5 IDs would pass again with 500.
 * Messages carry counts only, never field names, so nothing hints at the schema.
 */
export function useQueryLimits(limits: QueryLimits): Plugin {
  const armor = EnvelopArmorPlugin({
    maxTokens: {
      n: limits.maxTokens,
      // Parsing stops at the first token over the limit, so the total is unknown. Throwing here
      // makes this the parse result, which Yoga's parse cache then keeps as it is.
      onReject: [
        () => {
          throw tooComplex(`the query exceeds the limit of ${limits.maxTokens} tokens`, {
            limit: limits.maxTokens,
          });
        },
      ],
    },
    // Depth counts fields, not fragments: wrapping a selection in `... on Payment` or a named
    // fragment does not make it deeper.
    maxDepth: {
      n: limits.maxDepth,
      flattenFragments: true,
      propagateOnRejection: false,
      onReject: [report('query depth')],
    },
    maxAliases: { n: limits.maxAliases, propagateOnRejection: false, onReject: [report('alias count')] },
    maxDirectives: {
      n: limits.maxDirectives,
      propagateOnRejection: false,
      onReject: [report('directive count')],
    },
    // Cost is counted in provider calls below, which is what an operation really costs us.
    costLimit: { enabled: false },
    // Suggestions in validation messages are handled with the rest of error masking (maskError).
    blockFieldSuggestion: { enabled: false },
  });

  const checkCost = (args: ExecutionArgs): GraphQLError | null => {
    const calls = cachedProviderCalls(args);
    if (calls === null || calls <= limits.maxProviderCalls) return null;
    return tooComplex(
      `this operation could make ${calls} provider calls; the limit is ${limits.maxProviderCalls}`,
      { providerCalls: calls, limit: limits.maxProviderCalls },
    );
  };

  return {
    onPluginInit({ addPlugin }) {
      addPlugin(armor as Plugin);
    },
    onExecute({ args, setResultAndStopExecution }) {
      const error = checkCost(args);
      if (error) setResultAndStopExecution({ errors: [error] });
    },
    onSubscribe({ args, setResultAndStopExecution }) {
      const error = checkCost(args);
      if (error) setResultAndStopExecution({ errors: [error] });
    },
  };
}
