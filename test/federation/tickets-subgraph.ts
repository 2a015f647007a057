import { buildSubgraphSchema } from '@apollo/subgraph';
import { parse } from 'graphql';
import { createYoga, type YogaServerInstance } from 'graphql-yoga';

/**
 * A support-desk subgraph whose tickets point at calls, as a CRM or help desk of the same company would: it
 * stores only a call's key (`projectId`, `sid`) and references `Call` as an entity that it cannot resolve
 * itself (`resolvable: false`); the gateway asks our subgraph for the call.
 */
export const TICKETS_SUBGRAPH_SDL = /* GraphQL */ `
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.6", import: ["@key"])

  type Call @key(fields: "projectId sid", resolvable: false) {
    projectId: ID!
    sid: ID!
  }

  type Ticket @key(fields: "id") {
    id: ID!
    subject: String!
    "The call this ticket is about, if any."
    call: Call
  }

  type Query {
    tickets: [Ticket!]!
  }
`;

export interface TicketRow {
  id: string;
  subject: string;
  /** The call's key, or null for a ticket about no call. */
  call: { projectId: string; sid: string } | null;
}

/** The tickets subgraph over a list the caller may change between requests. */
export function createTicketsSubgraph(tickets: () => readonly TicketRow[]): YogaServerInstance<object, object> {
  const schema = buildSubgraphSchema({
    typeDefs: parse(TICKETS_SUBGRAPH_SDL),
    resolvers: {
      Query: { tickets: () => tickets() },
      Ticket: {
        __resolveReference: ({ id }: { id: string }) => tickets().find((ticket) => ticket.id === id) ?? null,
      },
    },
  });
  return createYoga({ schema, graphqlEndpoint: '/graphql', logging: false, landingPage: false });
}
