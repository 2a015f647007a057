/**
 * The peer: GraphQL Mesh composes a supergraph from the OpenAPI description of the same endpoint
 * (schema/upstream.openapi.yaml), which Hive Gateway then serves. The harness sets BENCH_STUB_URL.
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from '@graphql-mesh/compose-cli';
import { loadOpenAPISubgraph } from '@omnigraph/openapi';

const endpoint = process.env.BENCH_STUB_URL ?? 'http://127.0.0.1:4010';

export const composeConfig = defineConfig({
  subgraphs: [
    {
      sourceHandler: loadOpenAPISubgraph('CallHistory', {
        source: fileURLToPath(new URL('../../schema/upstream.openapi.yaml', import.meta.url)),
        endpoint,
        // Forward whichever credential the caller sent; empty interpolations are dropped.
        operationHeaders: {
          Authorization: '{context.headers.authorization}',
          'x-api-key': "{context.headers['x-api-key']}",
        },
        // The endpoint is a read behind a POST: expose it as a Query, as our server does.
        selectQueryOrMutationField: [{ type: 'Query', fieldName: 'getCallHistory' }],
        timeout: 10_000,
      }),
    },
  ],
});
