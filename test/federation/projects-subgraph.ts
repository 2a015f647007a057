import { buildSubgraphSchema } from '@apollo/subgraph';
import { parse } from 'graphql';
import { createYoga, type YogaServerInstance } from 'graphql-yoga';

/**
 * A second subgraph that owns projects (`id`, `name`), as a project service of the same company would. It
 * also pages its projects with a Relay `PageInfo`, which our subgraph defines too: composition only succeeds
 * when both mark it `@shareable`.
 */
export const PROJECTS_SUBGRAPH_SDL = /* GraphQL */ `
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.6", import: ["@key", "@shareable"])

  type Project @key(fields: "id") {
    id: ID!
    name: String!
  }

  type PageInfo @shareable {
    hasNextPage: Boolean!
    hasPreviousPage: Boolean!
    startCursor: String
    endCursor: String
  }

  type ProjectEdge {
    cursor: String!
    node: Project!
  }

  type ProjectConnection {
    edges: [ProjectEdge!]!
    pageInfo: PageInfo!
  }

  type Query {
    "Every project, in the order the service keeps them."
    projects: [Project!]!
    project(id: ID!): Project
    projectPage(first: Int = 20, after: String): ProjectConnection!
  }
`;

export interface ProjectRow {
  id: string;
  name: string;
}

/** The projects the standalone subgraph serves: the embedded emulator's demo projects. */
export const DEMO_PROJECTS: readonly ProjectRow[] = [
  { id: 'demo', name: 'Demo clinic' },
  { id: 'busy', name: 'Busy call centre' },
];

/**
 * The projects subgraph over a list the caller may change between requests (tests swap it to send repeated
 * representations).
 */
export function createProjectsSubgraph(projects: () => readonly ProjectRow[]): YogaServerInstance<object, object> {
  const byId = (id: string) => projects().find((project) => project.id === id) ?? null;
  const schema = buildSubgraphSchema({
    typeDefs: parse(PROJECTS_SUBGRAPH_SDL),
    resolvers: {
      Query: {
        projects: () => projects(),
        project: (_root: unknown, { id }: { id: string }) => byId(id),
        projectPage: (_root: unknown, { first, after }: { first: number; after?: string | null }) => {
          const all = projects();
          const start = after ? Number(after) + 1 : 0;
          const page = all.slice(start, start + first);
          return {
            edges: page.map((node, i) => ({ cursor: String(start + i), node })),
            pageInfo: {
              hasNextPage: start + first < all.length,
              hasPreviousPage: start > 0,
              startCursor: page.length ? String(start) : null,
              endCursor: page.length ? String(start + page.length - 1) : null,
            },
          };
        },
      },
      Project: {
        __resolveReference: ({ id }: { id: string }) => byId(id),
      },
    },
  });
  return createYoga({ schema, graphqlEndpoint: '/graphql', logging: false, landingPage: false });
}
