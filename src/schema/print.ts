import { printSubgraphSchema } from '@apollo/subgraph';
import { lexicographicSortSchema, printSchema } from 'graphql';
import { schema, subgraphSchema } from './index.js';

const HEADER = '# Printed by `npm run schema:print` from the Pothos schema. Do not edit by hand.\n\n';

export const printPublicSdl = (): string => `${HEADER}${printSchema(lexicographicSortSchema(schema))}\n`;

export const printSubgraphSdl = (): string => `${HEADER}${printSubgraphSchema(subgraphSchema)}\n`;
