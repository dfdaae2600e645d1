import type { CodegenConfig } from '@graphql-codegen/cli';

/**
 * Typed documents for every example operation in schema/operations, generated from the printed
 * schema. Tests import them, so an operation that no longer fits the schema fails typecheck.
 */
const config: CodegenConfig = {
  schema: 'schema/schema.graphql',
  documents: 'schema/operations/*.graphql',
  generates: {
    'test/generated/graphql.ts': {
      plugins: ['typescript-operations', 'typed-document-node'],
      config: {
        useTypeImports: true,
        enumsAsTypes: true,
        avoidOptionals: { field: true, inputValue: false, object: true },
        scalars: {
          Decimal: 'string',
          DateTime: 'string',
          Date: 'string',
          JSONObject: 'Record<string, unknown>',
        },
      },
    },
  },
};

export default config;
