import { writeFileSync } from 'node:fs';
import { printPublicSdl, printSubgraphSdl } from '../src/schema/print.js';

const out = new URL('../schema/', import.meta.url);
writeFileSync(new URL('schema.graphql', out), printPublicSdl());
writeFileSync(new URL('subgraph.graphql', out), printSubgraphSdl());
process.stdout.write('Wrote schema/schema.graphql and schema/subgraph.graphql\n');
