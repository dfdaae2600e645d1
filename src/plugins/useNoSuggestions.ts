/**
 * graphql-js suggests names in its errors ("Cannot query field "chargez" on type "Query". Did you
 * mean "charges"?"), in validation and in variable coercion alike. With introspection off that would
 * hand the schema out name by name, so every such hint is cut out (graphql-armor's plugin covers
 * validation only, and not the enum-value wording).
 */

import { type ExecutionResult, GraphQLError } from 'graphql';
import { handleStreamOrSingleExecutionResult, type Plugin } from 'graphql-yoga';

const SUGGESTION = /\s*Did you mean [^?]*\?/g;

function withoutSuggestion(error: Error): GraphQLError {
  const graphqlError =
    error instanceof GraphQLError ? error : new GraphQLError(error.message, { originalError: error });
  const message = graphqlError.message.replace(SUGGESTION, '');
  if (message === graphqlError.message) return graphqlError;
  return new GraphQLError(message, {
    nodes: graphqlError.nodes,
    source: graphqlError.source,
    positions: graphqlError.positions,
    path: graphqlError.path,
    originalError: graphqlError.originalError,
    extensions: graphqlError.extensions,
  });
}

function stripResult({
  result,
  setResult,
}: {
  result: ExecutionResult;
  setResult: (result: ExecutionResult) => void;
}): void {
  if (result.errors?.length) setResult({ ...result, errors: result.errors.map(withoutSuggestion) });
}

export function useNoSuggestions(): Plugin {
  return {
    onValidate() {
      return ({ valid, result, setResult }) => {
        if (!valid) setResult(result.map(withoutSuggestion));
      };
    },
    onExecute() {
      return { onExecuteDone: (payload) => handleStreamOrSingleExecutionResult(payload, stripResult) };
    },
    onSubscribe() {
      return { onSubscribeResult: (payload) => handleStreamOrSingleExecutionResult(payload, stripResult) };
    },
  };
}
