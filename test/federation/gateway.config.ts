/**
 * Configuration for the Hive Gateway CLI (`hive-gateway supergraph --config-path test/federation/gateway.config.ts`,
 * see docs/federation.md), also used by the federation tests: the caller's credential headers, and no
 * others, go on to the subgraphs.
 */
export const CREDENTIAL_HEADERS = ['authorization', 'x-api-key'] as const;

export const gatewayConfig = {
  propagateHeaders: {
    fromClientToSubgraphs: ({ request }: { request: Request }) =>
      Object.fromEntries(CREDENTIAL_HEADERS.map((name) => [name, request.headers.get(name)])),
  },
};
