import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: {
    // graphql@16 ships CJS (main) and ESM (module) builds. Node loads Pothos and Yoga against the CJS
    // one; without this alias Vite would hand our own code the ESM one, and graphql refuses to mix
    // instances ("Cannot use GraphQLObjectType from another module or realm").
    alias: [{ find: /^graphql$/, replacement: 'graphql/index.js' }],
  },
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Suites start real servers on ephemeral loopback ports; files run in parallel processes.
    pool: 'forks',
  },
});
