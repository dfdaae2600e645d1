import { type DocumentNode, type GraphQLError, getOperationAST } from 'graphql';
import { isAsyncIterable, type Plugin } from 'graphql-yoga';
import { codeLabel, type Metrics } from '../metrics.js';

/**
 * GraphQL operations as metrics: every operation that reaches parsing is counted once, by type,
 * name (src/metrics.ts: known example operations, else `anonymous`), outcome and first error code;
 * queries and mutations are timed from execution start to result.
 *
 * Not @graphql-yoga/plugin-prometheus: it labels by the client's raw operation name (unbounded:
 * anyone can send any name) and has no error-code label; the bounded labels are the point here.
 */
export function useMetrics(metrics: Metrics): Plugin {
  const count = (type: string, name: string, errors: readonly GraphQLError[] | undefined) => {
    const failed = errors !== undefined && errors.length > 0;
    const outcome = failed ? 'error' : 'ok';
    const code = failed ? codeLabel(errors[0]?.extensions?.code ?? 'INTERNAL_SERVER_ERROR') : 'none';
    metrics.graphqlOperations.inc({ type, name, outcome, code });
    return outcome;
  };
  const labelsOf = (document: DocumentNode, operationName: string | null | undefined) => {
    const operation = getOperationAST(document, operationName);
    return {
      type: operation?.operation ?? 'unknown',
      name: metrics.operationLabel(operation?.name?.value ?? null),
    };
  };

  return {
    onParse() {
      return ({ result }) => {
        if (!(result instanceof Error)) return;
        const code = (result as GraphQLError).extensions?.code ?? 'GRAPHQL_PARSE_FAILED';
        metrics.graphqlOperations.inc({
          type: 'unknown',
          name: 'anonymous',
          outcome: 'error',
          code: codeLabel(code),
        });
      };
    },
    onValidate({ params }) {
      return ({ valid, result }) => {
        if (valid) return;
        const { type, name } = labelsOf(params.documentAST, null);
        const code = result[0]?.extensions?.code ?? 'GRAPHQL_VALIDATION_FAILED';
        metrics.graphqlOperations.inc({ type, name, outcome: 'error', code: codeLabel(code) });
      };
    },
    onExecute({ args }) {
      const started = performance.now();
      return {
        onExecuteDone({ result }) {
          const { type, name } = labelsOf(args.document, args.operationName);
          // Incremental delivery (@defer/@stream) is not enabled: a stream here has no single outcome.
          const outcome = count(type, name, isAsyncIterable(result) ? undefined : result.errors);
          metrics.graphqlDuration.observe({ type, name, outcome }, (performance.now() - started) / 1000);
        },
      };
    },
    onSubscribe({ args }) {
      return {
        onSubscribeResult({ result }) {
          const { type, name } = labelsOf(args.document, args.operationName);
          count(type, name, isAsyncIterable(result) ? undefined : result.errors);
        },
        onSubscribeError() {
          const { type, name } = labelsOf(args.document, args.operationName);
          metrics.graphqlOperations.inc({ type, name, outcome: 'error', code: 'INTERNAL_SERVER_ERROR' });
        },
      };
    },
  };
}
