import { GraphQLError } from 'graphql';
import type { MaskError } from 'graphql-yoga';
import { CodedError } from '../domain/errors.js';
import type { Logger } from '../logger.js';

/**
 * Yoga's error masking for the gateway. A coded error (a provider failure, a known condition) keeps
 * its safe message and `extensions.code`; GraphQL's own errors (syntax, validation, variable
 * coercion) pass as they are; anything else is a bug: it is logged with its stack and the client
 * sees only `INTERNAL`, so no upstream body, URL or secret can escape through an error message.
 */
export function createMaskError(logger: Logger): MaskError {
  return (error, message) => {
    const graphqlError = error instanceof GraphQLError ? error : undefined;
    const original = graphqlError ? graphqlError.originalError : error;
    if (original instanceof CodedError) {
      return new GraphQLError(original.message, {
        nodes: graphqlError?.nodes,
        path: graphqlError?.path,
        extensions: { code: original.code, ...original.extensions },
      });
    }
    if (graphqlError && (!original || original instanceof GraphQLError)) return graphqlError;
    logger.error({ err: original ?? error, path: graphqlError?.path }, 'unexpected error');
    return new GraphQLError(message, {
      nodes: graphqlError?.nodes,
      path: graphqlError?.path,
      extensions: { code: 'INTERNAL' },
    });
  };
}
