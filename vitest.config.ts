import { defineConfig } from 'vitest/config';

/**
 * The suites that reach the server over HTTP: they run through each transport (LEAN_TRANSPORT on, then off).
 * test/events is not among them: its subscriptions (SSE, WebSocket) and webhooks never take the lean path, so a
 * second run would repeat the same code path.
 */
const HTTP_SUITES = ['test/{e2e,integration,security,resilience,observability}/**/*.test.ts'];

export default defineConfig({
  resolve: {
    // graphql@16 ships CJS (index.js) and ESM (index.mjs); dependencies load the CJS build, so pin ours to it
    // to keep a single graphql realm ("Cannot use GraphQLScalarType from another module or realm").
    alias: [{ find: /^graphql$/, replacement: 'graphql/index.js' }],
  },
  test: {
    environment: 'node',
    testTimeout: 30_000,
    hookTimeout: 60_000,
    projects: [
      {
        extends: true,
        test: { name: 'lean-transport', include: ['test/**/*.test.ts'], exclude: ['test/browser/**'] },
      },
      {
        extends: true,
        test: {
          name: 'yoga-transport',
          include: HTTP_SUITES,
          // The transport's own tests choose their paths themselves.
          exclude: ['test/integration/graphql-post-transport.test.ts'],
          env: { TEST_TRANSPORT: 'yoga' },
        },
      },
    ],
  },
});
