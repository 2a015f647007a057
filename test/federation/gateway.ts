import { createServer, type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createGatewayRuntime, useCustomFetch } from '@graphql-hive/gateway-runtime';
import { request } from 'undici';
import { composeSupergraph } from './compose.js';
import { gatewayConfig } from './gateway.config.js';

export interface RunningGateway {
  url: string;
  /** POSTs a GraphQL request to the gateway over HTTP. */
  query(query: string, headers?: Record<string, string>, variables?: Record<string, unknown>): Promise<GatewayResult>;
  close(): Promise<void>;
}

export interface GatewayResult {
  status: number;
  data?: any;
  errors?: Array<{ message: string; path?: Array<string | number>; extensions?: Record<string, unknown> }>;
}

export interface GatewayOptions {
  supergraph: string;
  /** Where a subgraph request really goes, e.g. one of several replicas; by default the URL in the supergraph. */
  route?: (url: string) => string;
}

/** Hive Gateway (the runtime behind `hive-gateway supergraph`) on 127.0.0.1, in front of real subgraphs. */
export async function startGateway(options: GatewayOptions): Promise<RunningGateway> {
  const route = options.route;
  const gateway = createGatewayRuntime({
    supergraph: options.supergraph,
    logging: false,
    // The same header propagation as the CLI configuration the docs use.
    propagateHeaders: gatewayConfig.propagateHeaders,
    ...(route ? { plugins: () => [useCustomFetch((url, init) => fetch(route(url), init as RequestInit))] } : {}),
  });
  const server = createServer(gateway);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
  return {
    url,
    async query(query, headers = {}, variables) {
      const response = await request(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json', ...headers },
        body: JSON.stringify({ query, variables }),
      });
      return { status: response.statusCode, ...((await response.body.json()) as object) };
    },
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await gateway.dispose();
    },
  };
}

/** Fetches a running subgraph's own SDL through `_service { sdl }`, as a gateway's composition would. */
export async function fetchSubgraphSdl(url: string): Promise<string> {
  const response = await request(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({ query: '{ _service { sdl } }' }),
  });
  const body = (await response.body.json()) as { data?: { _service?: { sdl?: string } }; errors?: unknown };
  const sdl = body.data?._service?.sdl;
  if (!sdl) throw new Error(`${url} did not serve _service { sdl }: ${JSON.stringify(body.errors)}`);
  return sdl;
}

/** A subgraph's HTTP handler on 127.0.0.1. */
export async function serveSubgraph(handler: RequestListener): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/**
 * Composes the supergraph from the running subgraphs' own SDL (`_service { sdl }`), as a gateway's
 * composition would, and starts Hive Gateway in front of them; each subgraph URL it calls is pushed to `calls`.
 */
export async function startGatewayOver(
  subgraphs: { callHistoryUrl: string; projectsUrl: string; ticketsUrl?: string },
  calls: string[],
): Promise<RunningGateway> {
  const { supergraphSdl } = composeSupergraph({
    callHistorySdl: await fetchSubgraphSdl(subgraphs.callHistoryUrl),
    callHistoryUrl: subgraphs.callHistoryUrl,
    projectsSdl: await fetchSubgraphSdl(subgraphs.projectsUrl),
    projectsUrl: subgraphs.projectsUrl,
    ...(subgraphs.ticketsUrl
      ? { ticketsSdl: await fetchSubgraphSdl(subgraphs.ticketsUrl), ticketsUrl: subgraphs.ticketsUrl }
      : {}),
  });
  return startGateway({
    supergraph: supergraphSdl,
    route: (url) => {
      calls.push(url);
      return url;
    },
  });
}
