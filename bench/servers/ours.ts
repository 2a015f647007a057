/**
 * Our server with one lever changed, for the levers section of the benchmark. It starts as src/main.ts does with
 * UPSTREAM_URL set (config, logger, tracing when configured, createApp, process metrics), plus:
 *  - BENCH_JIT=1: @envelop/graphql-jit (executes compiled queries);
 *  - BENCH_SINGLE_GRAPHQL=1: only the module resolution change that JIT needs here (the control for BENCH_JIT).
 * Pool sizing needs no launcher: it is the UPSTREAM_CONNECTIONS setting.
 */
import Module, { register } from 'node:module';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Plugin } from 'graphql-yoga';

// graphql-jit, installed in bench/node_modules, would load bench's copy of graphql: send its requires, and every
// import, to the product's copy, so that one graphql-js instance serves the whole process.
if (process.env.BENCH_SINGLE_GRAPHQL === '1' || process.env.BENCH_JIT === '1') {
  register('./graphql-realm.mjs', import.meta.url);
  const productPackage = fileURLToPath(new URL('../../package.json', import.meta.url));
  const resolver = Module as unknown as {
    _resolveFilename: (request: string, parent: unknown, ...rest: unknown[]) => string;
    _nodeModulePaths: (from: string) => string[];
  };
  const asIfFromProduct = { id: productPackage, filename: productPackage, paths: resolver._nodeModulePaths(dirname(productPackage)) };
  const original = resolver._resolveFilename;
  resolver._resolveFilename = function (request, parent, ...rest) {
    const graphql = request === 'graphql' || request.startsWith('graphql/');
    return original.call(this, request, graphql ? asIfFromProduct : parent, ...rest);
  };
}

const { loadConfig } = await import('../../src/config.js');
const { createLogger } = await import('../../src/logger.js');
const { startTracing } = await import('../../src/observability/index.js');
const { createApp, listen } = await import('../../src/server.js');

const config = loadConfig(process.env);
if (!config.UPSTREAM_URL) throw new Error('UPSTREAM_URL must point at the stub');
const logger = createLogger(config.LOG_LEVEL);
const tracing = startTracing(config, undefined);

const plugins: Plugin[] = [];
if (process.env.BENCH_JIT === '1') {
  const { useGraphQlJit } = await import('@envelop/graphql-jit');
  plugins.push(useGraphQlJit() as unknown as Plugin);
}

const app = createApp({ ...config, UPSTREAM_URL: config.UPSTREAM_URL }, logger, { plugins });
app.observability.metrics.collectProcessMetrics();
const server = await listen(app, config.HOST, config.PORT);
process.stdout.write(`GraphQL API: ${server.url}/graphql\n`);
process.once('SIGTERM', () => void server.close().then(async () => {
  await tracing?.shutdown();
  process.exit(0);
}));
