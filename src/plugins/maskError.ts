/**
 * Error masking for the gateway. A coded error (a provider failure, a known condition) keeps its
 * safe message and `extensions.code`; GraphQL's own errors (syntax, validation, variable coercion)
 * pass as they are; anything else is a bug: it is logged with its stack and the client sees only
 * `INTERNAL` and the request ID, so no upstream body, URL or secret can escape through an error
 * message, and the one log line that explains it is found by that ID.
 */
import { PothosValidationError } from '@pothos/core';
import { type ExecutionResult, GraphQLError } from 'graphql';
import { handleStreamOrSingleExecutionResult, type MaskError, type Plugin } from 'graphql-yoga';
import { CodedError, type ErrorCode, ProviderError } from '../domain/errors.js';
import { type Logger, scrubSecrets } from '../logger.js';

export const UNEXPECTED_ERROR_MESSAGE = 'Unexpected error.';

/**
 * What of a provider's error may reach a client. The provider clients keep the provider's code and
 * parameter or field names (never its message text); at this boundary even those must look like
 * what they claim to be — a code, a name — and hold no configured secret, or they are dropped: a
 * provider (or someone in between) could echo a request's credentials or markup into them.
 */
const PROVIDER_CODE = /^[A-Za-z][A-Za-z0-9_]{0,40}$/;
/**
 * Our sentences with the names in them: letters, digits, spaces and prose punctuation. No markup,
 * quotes, backslashes, braces or control characters, so no name can smuggle in more than a name.
 */
const PROVIDER_MESSAGE = /^[\p{L}\p{N} .,:;!?'’()[\]_\-–—/+=%&@#*]{1,500}$/u;

const FALLBACK_SENTENCES: Record<string, string> = {
  AUTH_FAILED: 'refused the credentials',
  UNAVAILABLE: 'is unavailable',
  TIMEOUT: 'did not answer in time',
  REJECTED: 'rejected the request',
  NOT_FOUND: 'has no such object',
};

const holdsNoSecret = (text: string) => scrubSecrets(text) === text;

/** A provider error's message and code as a client may see them. */
export function publicProviderError(error: ProviderError): { message: string; providerCode?: string } {
  const message =
    PROVIDER_MESSAGE.test(error.message) && holdsNoSecret(error.message)
      ? error.message
      : `${error.provider.toLowerCase()} ${FALLBACK_SENTENCES[error.failure] ?? 'failed'}`;
  const code = error.providerCode;
  return code && PROVIDER_CODE.test(code) && holdsNoSecret(code)
    ? { message, providerCode: code }
    : { message };
}

/**
 * The last line: every configured secret is cut out of a response wherever it appears (data, errors,
 * extensions), as it is from log lines. Nothing should carry one here; this makes sure of it.
 *
 * Checking needs the result as JSON, and so does the response: the checked text is kept as the
 * result's `stringify` (which Yoga serializes a result with when it has one), so a clean result is
 * serialized once, not twice. It answers only for that very object; a result a later plugin
 * rebuilds is serialized afresh from this clean one.
 */
export function scrubResult(result: ExecutionResult): ExecutionResult {
  const text = JSON.stringify(result);
  const scrubbed = scrubSecrets(text);
  if (scrubbed !== text) return JSON.parse(scrubbed) as ExecutionResult;
  // A shared subscription result has its own (src/events/sharedExecution.ts).
  if (!('stringify' in result) && Object.isExtensible(result)) {
    const stringify = (value: unknown) => (value === result ? text : JSON.stringify(value));
    Object.defineProperty(result, 'stringify', { value: stringify, enumerable: false });
  }
  return result;
}

function mask(error: unknown, message: string, logger: Logger, requestId: string | undefined): GraphQLError {
  const graphqlError = error instanceof GraphQLError ? error : undefined;
  const original = graphqlError ? graphqlError.originalError : error;
  if (original instanceof ProviderError) {
    const { message: safeMessage, providerCode } = publicProviderError(original);
    const { providerCode: _raw, ...extensions } = original.extensions;
    return new GraphQLError(safeMessage, {
      nodes: graphqlError?.nodes,
      path: graphqlError?.path,
      extensions: { code: original.code, ...extensions, ...(providerCode ? { providerCode } : {}) },
    });
  }
  if (original instanceof PothosValidationError) {
    // A malformed connection argument (`first: -5`, `after: "garbage"`): the caller's to fix. Only
    // the argument rules are worded here; other such messages may quote the input, so they are not.
    return new GraphQLError(
      /^Argument "\w+" /.test(original.message) ? original.message : 'a cursor or ID argument is malformed',
      {
        nodes: graphqlError?.nodes,
        path: graphqlError?.path,
        extensions: { code: 'BAD_USER_INPUT' satisfies ErrorCode },
      },
    );
  }
  if (original instanceof CodedError) {
    return new GraphQLError(original.message, {
      nodes: graphqlError?.nodes,
      path: graphqlError?.path,
      extensions: { code: original.code, ...original.extensions },
    });
  }
  if (graphqlError && (!original || original instanceof GraphQLError)) return graphqlError;
  // The logger of a request is a child carrying its requestId already; the field is repeated only
  // when the caller has none (errors outside an operation).
  logger.error({ err: original ?? error, path: graphqlError?.path }, 'unexpected error');
  return new GraphQLError(message, {
    nodes: graphqlError?.nodes,
    path: graphqlError?.path,
    extensions: { code: 'INTERNAL' satisfies ErrorCode, ...(requestId ? { requestId } : {}) },
  });
}

/**
 * Yoga's `maskedErrors.maskError`: the fallback for errors outside an operation's execution (a
 * context factory or a plugin that throws), where Yoga passes no context, hence no request ID.
 */
export function createMaskError(logger: Logger): MaskError {
  return (error, message) => {
    const masked = mask(error, message, logger, undefined);
    const safeMessage = scrubSecrets(masked.message);
    return safeMessage === masked.message
      ? masked
      : new GraphQLError(safeMessage, {
          nodes: masked.nodes,
          path: masked.path,
          extensions: masked.extensions,
        });
  };
}

/** What the masking plugin reads from the GraphQL context (src/context.ts provides both). */
interface MaskingContext {
  requestId?: string;
  logger?: Logger;
}

/**
 * Masks the errors of every execution and subscription with the operation's context at hand, so a
 * masked INTERNAL carries the request ID and is logged by the request's logger (which carries the
 * same ID). It runs before Yoga's own masking (user plugins come first in Yoga's chain); what it
 * returns is a plain GraphQLError, which the fallback passes through untouched and unlogged.
 */
export function useMaskedErrorsWithRequestId(fallbackLogger: Logger): Plugin {
  // The context's logger is read only when an error is masked: it is made on first use (context.ts).
  const maskerFor = (context: unknown) => {
    const masking = (context ?? {}) as MaskingContext;
    return (error: unknown) =>
      mask(error, UNEXPECTED_ERROR_MESSAGE, masking.logger ?? fallbackLogger, masking.requestId);
  };
  const resultHandler =
    (maskOne: (error: unknown) => GraphQLError) =>
    ({ result, setResult }: { result: ExecutionResult; setResult: (result: ExecutionResult) => void }) => {
      const masked = result.errors?.length ? { ...result, errors: result.errors.map(maskOne) } : result;
      const scrubbed = scrubResult(masked);
      if (scrubbed !== result) setResult(scrubbed);
    };
  return {
    onExecute({ args }) {
      const handleResult = resultHandler(maskerFor(args.contextValue));
      return { onExecuteDone: (payload) => handleStreamOrSingleExecutionResult(payload, handleResult) };
    },
    onSubscribe({ args }) {
      const maskOne = maskerFor(args.contextValue);
      const handleResult = resultHandler(maskOne);
      return {
        onSubscribeResult: (payload) => handleStreamOrSingleExecutionResult(payload, handleResult),
        // A client going away aborts its stream: Yoga needs that AbortError as it is, and it is no bug.
        onSubscribeError: ({ error, setError }) => {
          if (!isAbortError(error)) setError(maskOne(error));
        },
      };
    },
  };
}

function isAbortError(error: unknown): boolean {
  return error instanceof Error && (error.name === 'AbortError' || error.name === 'TimeoutError');
}
