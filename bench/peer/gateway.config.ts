/** Hive Gateway as the peer runs it: defaults (no response cache, no retries), quiet logs. */
import { defineConfig } from '@graphql-hive/gateway';

export const gatewayConfig = defineConfig({
  logging: 'warn',
  graphiql: false,
  landingPage: false,
});
