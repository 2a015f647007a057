import { builder } from './builder.js';
import './call.js';
import './filters.js';
import './call-history.js';
import './call-by-sid.js';
import './project.js';
import './call-events.js';

/** The federation subgraph schema (what the server serves: `_service` and `_entities` included). */
export const subgraphSchema = builder.toSubGraphSchema({ linkUrl: 'https://specs.apollo.dev/federation/v2.6' });

/** The client-facing schema, without federation plumbing: for codegen and reviews. */
export const schema = builder.toSchema();
