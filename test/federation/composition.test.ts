import { readFileSync } from 'node:fs';
import { composeServices } from '@theguild/federation-composition';
import { parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { printSubgraphSdl } from '../../src/schema/print.js';
import { composeSupergraph } from './compose.js';
import { PROJECTS_SUBGRAPH_SDL } from './projects-subgraph.js';

const CALL_HISTORY_URL = 'http://call-history.test/graphql';
const PROJECTS_URL = 'http://projects.test/graphql';

/** The lines of the type definition `name` in an SDL document (its directives included). */
function typeDefinition(sdl: string, name: string): string {
  const match = new RegExp(`^type ${name}\\b[^{]*\\{[^}]*\\}`, 'm').exec(sdl);
  if (!match) throw new Error(`no type ${name} in the supergraph`);
  return match[0];
}

describe('federation composition with a second subgraph (test/federation/projects-subgraph.ts)', () => {
  const composed = () =>
    composeSupergraph({
      callHistorySdl: printSubgraphSdl(),
      callHistoryUrl: CALL_HISTORY_URL,
      projectsUrl: PROJECTS_URL,
    });

  it('composes without errors', () => {
    expect(() => composed()).not.toThrow();
  });

  it('declares both graphs with their URLs', () => {
    const { supergraphSdl } = composed();
    expect(supergraphSdl).toContain(`CALL_HISTORY @join__graph(name: "call-history", url: "${CALL_HISTORY_URL}")`);
    expect(supergraphSdl).toContain(`PROJECTS @join__graph(name: "projects", url: "${PROJECTS_URL}")`);
  });

  it('joins Project from both graphs on the key id, callHistory from ours and name from theirs', () => {
    const project = typeDefinition(composed().supergraphSdl, 'Project');
    expect(project).toContain('@join__type(graph: CALL_HISTORY, key: "id")');
    expect(project).toContain('@join__type(graph: PROJECTS, key: "id")');
    expect(project).toMatch(/callHistory\([^)]*filter: CallFilter[^)]*first: Int = 20[^)]*after: String[^)]*\): CallConnection! @join__field\(graph: CALL_HISTORY\)/s);
    expect(project).toMatch(/name: String! @join__field\(graph: PROJECTS\)/);
  });

  it('shares PageInfo between the graphs', () => {
    const pageInfo = typeDefinition(composed().supergraphSdl, 'PageInfo');
    expect(pageInfo).toContain('@join__type(graph: CALL_HISTORY)');
    expect(pageInfo).toContain('@join__type(graph: PROJECTS)');
  });

  it('exposes both subgraphs\' root fields in the public schema, and no federation plumbing', () => {
    const { publicSdl } = composed();
    const query = typeDefinition(publicSdl, 'Query');
    expect(query).toMatch(/\bcallHistory\(/);
    expect(query).toMatch(/\bprojects: \[Project!\]!/);
    expect(query).not.toMatch(/_entities|_service/);
  });

  it('fails when our PageInfo is not shareable (the reason builder.ts marks it)', () => {
    const unshared = printSubgraphSdl().replace(/type PageInfo\s+@shareable\s*\{/, 'type PageInfo {');
    expect(unshared).not.toBe(printSubgraphSdl());
    const result = composeServices([
      { name: 'call-history', url: CALL_HISTORY_URL, typeDefs: parse(unshared) },
      { name: 'projects', url: PROJECTS_URL, typeDefs: parse(PROJECTS_SUBGRAPH_SDL) },
    ]);
    expect(result.errors?.map((error) => error.message).join('\n')).toMatch(/Non-shareable field "PageInfo\.hasNextPage"/);
  });

  it('the checked-in schema/subgraph.graphql composes too (the file the supergraph docs use)', () => {
    const checkedIn = readFileSync(new URL('../../schema/subgraph.graphql', import.meta.url), 'utf8');
    const { supergraphSdl } = composeSupergraph({
      callHistorySdl: checkedIn,
      callHistoryUrl: CALL_HISTORY_URL,
      projectsUrl: PROJECTS_URL,
    });
    expect(typeDefinition(supergraphSdl, 'Project')).toContain('@join__type(graph: CALL_HISTORY, key: "id")');
  });
});

describe('federation composition with a subgraph that references Call (test/federation/tickets-subgraph.ts)', () => {
  const TICKETS_URL = 'http://tickets.test/graphql';
  const composed = () =>
    composeSupergraph({
      callHistorySdl: printSubgraphSdl(),
      callHistoryUrl: CALL_HISTORY_URL,
      projectsUrl: PROJECTS_URL,
      ticketsUrl: TICKETS_URL,
    });

  it('composes the three graphs without errors', () => {
    expect(composed().supergraphSdl).toContain(`TICKETS @join__graph(name: "tickets", url: "${TICKETS_URL}")`);
  });

  it('joins Call on the key "projectId sid": resolvable in ours, a reference only in theirs', () => {
    const call = typeDefinition(composed().supergraphSdl, 'Call');
    expect(call).toContain('@join__type(graph: CALL_HISTORY, key: "projectId sid")');
    expect(call).toContain('@join__type(graph: TICKETS, key: "projectId sid", resolvable: false)');
    // Every field but the key comes from our subgraph only.
    expect(call).toMatch(/status: CallStatus! @join__field\(graph: CALL_HISTORY\)/);
  });

  it('Ticket.call comes from the tickets graph; Query.call from ours', () => {
    const { supergraphSdl, publicSdl } = composed();
    const ticket = typeDefinition(supergraphSdl, 'Ticket');
    expect(ticket).toContain('@join__type(graph: TICKETS, key: "id")');
    expect(ticket).toMatch(/\bcall: Call\n/);
    expect(typeDefinition(supergraphSdl, 'Query')).toMatch(/\bcall\(\s*projectId: ID![\s\S]*?sid: ID!\s*\): Call @join__field\(graph: CALL_HISTORY\)/);
    expect(typeDefinition(publicSdl, 'Call')).toMatch(/projectId: ID!/);
  });

  it('fails when our Call is not an entity: nothing could resolve a ticket\'s call', () => {
    const keyless = printSubgraphSdl().replace(/type Call\s+@key\(fields: "projectId sid"\)\s*\{/, 'type Call {');
    expect(keyless).not.toBe(printSubgraphSdl());
    expect(() =>
      composeSupergraph({ callHistorySdl: keyless, callHistoryUrl: CALL_HISTORY_URL, projectsUrl: PROJECTS_URL, ticketsUrl: TICKETS_URL }),
    ).toThrow();
  });
});
