/**
 * The floor of any Yoga server on this request: P0-json's work (one upstream request, parse, map) done inside a
 * resolver of a minimal graphql-yoga schema with no plugin, context or policy (`floor-schema.ts`), served by bare
 * Yoga (its Fetch-API adapter). Between (b) and this is the cost
 * of Yoga and graphql-js execution; between this and (c), the cost of everything our server adds.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createFloorYoga } from './floor-schema.js';

const yoga = createFloorYoga();
const server = createServer(yoga);
server.keepAliveTimeout = 65_000;
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  process.stdout.write(`LISTENING ${(server.address() as AddressInfo).port}\n`);
});
process.on('SIGTERM', () => process.exit(0));
