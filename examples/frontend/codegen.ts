import type { CodegenConfig } from '@graphql-codegen/cli';

/**
 * A frontend's typed operations against paygraph: the client preset reads the printed schema and
 * every `graphql(...)` call in src/, and writes src/gql/ (a typed `graphql()` function whose
 * results and variables are typed). In your own project, point `schema` at your copy of
 * schema/schema.graphql or at a running gateway's URL (introspection).
 *
 *   npx graphql-codegen --config examples/frontend/codegen.ts
 */
const config: CodegenConfig = {
  schema: 'schema/schema.graphql',
  documents: ['examples/frontend/src/**/*.ts', '!examples/frontend/src/gql/**'],
  ignoreNoDocuments: false,
  generates: {
    'examples/frontend/src/gql/': {
      preset: 'client',
      config: {
        useTypeImports: true,
        enumsAsTypes: true,
        // paygraph's custom scalars as they travel in JSON.
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
