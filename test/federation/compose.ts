import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { assertCompositionSuccess, composeServices, type CompositionSuccess } from '@theguild/federation-composition';
import { parse } from 'graphql';
import { PROJECTS_SUBGRAPH_SDL } from './projects-subgraph.js';
import { TICKETS_SUBGRAPH_SDL } from './tickets-subgraph.js';

export interface SupergraphOptions {
  /** Our subgraph's SDL (`schema/subgraph.graphql` or `_service { sdl }`). */
  callHistorySdl: string;
  callHistoryUrl: string;
  projectsSdl?: string;
  projectsUrl: string;
  /** With it, the tickets subgraph (which references `Call` by key) joins the supergraph too. */
  ticketsUrl?: string;
  ticketsSdl?: string;
}

/** Composes our subgraph with the projects subgraph (and the tickets one); throws with every composition error. */
export function composeSupergraph(options: SupergraphOptions): CompositionSuccess {
  const result = composeServices([
    { name: 'call-history', url: options.callHistoryUrl, typeDefs: parse(options.callHistorySdl) },
    { name: 'projects', url: options.projectsUrl, typeDefs: parse(options.projectsSdl ?? PROJECTS_SUBGRAPH_SDL) },
    ...(options.ticketsUrl
      ? [{ name: 'tickets', url: options.ticketsUrl, typeDefs: parse(options.ticketsSdl ?? TICKETS_SUBGRAPH_SDL) }]
      : []),
  ]);
  assertCompositionSuccess(result);
  return result;
}

// `npx tsx test/federation/compose.ts [--call-history-url URL] [--projects-url URL] [--out FILE]`
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({
    options: {
      'call-history-url': { type: 'string', default: 'http://127.0.0.1:4000/graphql' },
      'projects-url': { type: 'string', default: 'http://127.0.0.1:4001/graphql' },
      out: { type: 'string', default: 'supergraph.graphql' },
    },
  });
  const sdlFile = fileURLToPath(new URL('../../schema/subgraph.graphql', import.meta.url));
  const { supergraphSdl } = composeSupergraph({
    callHistorySdl: readFileSync(sdlFile, 'utf8'),
    callHistoryUrl: values['call-history-url'],
    projectsUrl: values['projects-url'],
  });
  writeFileSync(values.out, supergraphSdl);
  console.log(`wrote ${values.out}`);
}
