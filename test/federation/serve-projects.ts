import { createServer } from 'node:http';
import { DEMO_PROJECTS, createProjectsSubgraph } from './projects-subgraph.js';

// Serves the example projects subgraph: `npx tsx test/federation/serve-projects.ts` (PORT, default 4001).
const port = Number(process.env.PORT ?? 4001);
const host = process.env.HOST ?? '127.0.0.1';
const yoga = createProjectsSubgraph(() => DEMO_PROJECTS);
createServer(yoga).listen(port, host, () => {
  console.log(`projects subgraph on http://${host}:${port}/graphql`);
});
