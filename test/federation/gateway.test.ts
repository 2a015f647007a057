import { request } from 'undici';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { generateCalls, startEmulator, type RunningEmulator } from '../../src/emulator/index.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { fetchSubgraphSdl, serveSubgraph, startGatewayOver, type RunningGateway } from './gateway.js';
import { createProjectsSubgraph, type ProjectRow } from './projects-subgraph.js';

const API_KEY = 'gateway-key';
const BEARER = 'gateway-token';
const PROJECTS: ProjectRow[] = Array.from({ length: 20 }, (_, i) => {
  const id = `p${String(i + 1).padStart(2, '0')}`;
  return { id, name: `Project ${id}` };
});
/** 20 rows naming only 5 distinct projects. */
const REPEATED: ProjectRow[] = Array.from({ length: 20 }, (_, i) => PROJECTS[i % 5]!);

const SPANNING_QUERY = `{ projects { id name callHistory(first: 3) { nodes { sid } } } }`;

const ENTITIES_QUERY = `query Entities($representations: [_Any!]!) {
  _entities(representations: $representations) { ... on Project { id callHistory(first: 3) { nodes { sid } } } }
}`;

describe('federation end to end: Hive Gateway → both subgraphs → emulator (real HTTP on 127.0.0.1)', () => {
  let emulator: RunningEmulator;
  let api: TestApp;
  let projectsServer: Awaited<ReturnType<typeof serveSubgraph>>;
  let gateway: RunningGateway;
  let rows: ProjectRow[] = [];
  /** The URLs the gateway sent subgraph requests to. */
  const subgraphCalls: string[] = [];

  /** The three newest sids of a project, straight from the emulator's store. */
  const newestSids = (projectId: string) => emulator.store.page(projectId, {}, 3).map((record) => record.callSid);
  const upstreamRequests = () => emulator.requests();

  beforeAll(async () => {
    emulator = await startEmulator({ demo: false });
    PROJECTS.forEach(({ id }, i) => emulator.store.insertCalls(id, generateCalls({ projectId: id, count: 5, seed: i + 1, days: 30 })));
    emulator.store.grant('api-key', API_KEY, '*');
    emulator.store.grant('bearer', BEARER, ['p01', 'p02']);

    api = await startTestApp(emulator.url);
    projectsServer = await serveSubgraph(createProjectsSubgraph(() => rows));
    gateway = await startGatewayOver({ callHistoryUrl: `${api.url}/graphql`, projectsUrl: projectsServer.url }, subgraphCalls);
  });
  afterAll(async () => {
    await gateway?.close();
    await projectsServer?.close();
    await api?.close();
    await emulator?.close();
  });
  beforeEach(() => {
    emulator.clearRequests();
    subgraphCalls.length = 0;
    rows = PROJECTS.slice(0, 3);
  });

  it('our subgraph serves _service { sdl } with the Project entity and a shareable PageInfo', async () => {
    const sdl = await fetchSubgraphSdl(`${api.url}/graphql`);
    expect(sdl).toMatch(/type Project\s+@key\(fields: "id"\)\s*\{[^}]*callHistory\(/);
    expect(sdl).toMatch(/type PageInfo\s+@shareable/);
    expect(sdl).toContain('@link(url: "https://specs.apollo.dev/federation/v2.6"');
  });

  it('answers one query that spans both subgraphs', async () => {
    const result = await gateway.query(SPANNING_QUERY, { 'x-api-key': API_KEY });
    expect(result.errors).toBeUndefined();
    expect(result.data.projects).toEqual(
      rows.map(({ id, name }) => ({ id, name, callHistory: { nodes: newestSids(id).map((sid) => ({ sid })) } })),
    );
    expect(new Set(subgraphCalls)).toEqual(new Set([`${api.url}/graphql`, expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/graphql$/)]));
  });

  it('propagates the caller\'s x-api-key from the gateway through our subgraph to the upstream', async () => {
    await gateway.query(SPANNING_QUERY, { 'x-api-key': API_KEY });
    const seen = upstreamRequests();
    expect(seen).toHaveLength(3);
    for (const entry of seen) {
      expect(entry.headers['x-api-key']).toBe(API_KEY);
      expect(entry.headers.authorization).toBeUndefined();
    }
  });

  it('propagates a Bearer token the same way', async () => {
    rows = PROJECTS.slice(0, 2);
    const result = await gateway.query(SPANNING_QUERY, { authorization: `Bearer ${BEARER}` });
    expect(result.errors).toBeUndefined();
    expect(result.data.projects.map((p: { callHistory: { nodes: unknown[] } }) => p.callHistory.nodes.length)).toEqual([3, 3]);
    expect(upstreamRequests().map((entry) => entry.headers.authorization)).toEqual([`Bearer ${BEARER}`, `Bearer ${BEARER}`]);
  });

  it('gives UNAUTHENTICATED through the gateway for a credential the upstream does not know, and no data', async () => {
    const result = await gateway.query(SPANNING_QUERY, { 'x-api-key': 'not-a-key' });
    expect(result.errors?.length).toBeGreaterThan(0);
    expect(result.errors?.map((error) => error.extensions?.code)).toContain('UNAUTHENTICATED');
    expect(JSON.stringify(result.data ?? null)).not.toMatch(/CA[0-9a-f]{32}/);
    // The wrong key did travel to the upstream, which refused it.
    expect(upstreamRequests().length).toBeGreaterThan(0);
    for (const entry of upstreamRequests()) {
      expect(entry.headers['x-api-key']).toBe('not-a-key');
      expect(entry.status).toBe(401);
    }
  });

  it('gives UNAUTHENTICATED without a credential, and never calls the upstream', async () => {
    const result = await gateway.query(SPANNING_QUERY);
    expect(result.errors?.map((error) => error.extensions?.code)).toContain('UNAUTHENTICATED');
    expect(upstreamRequests()).toHaveLength(0);
  });

  it('resolves 20 projects in one _entities operation with at most 20 upstream requests', async () => {
    rows = PROJECTS;
    const result = await gateway.query(SPANNING_QUERY, { 'x-api-key': API_KEY });
    expect(result.errors).toBeUndefined();
    expect(result.data.projects).toHaveLength(20);
    for (const project of result.data.projects) {
      expect(project.callHistory.nodes.map((node: { sid: string }) => node.sid)).toEqual(newestSids(project.id));
    }
    expect(subgraphCalls.filter((url) => url === `${api.url}/graphql`)).toHaveLength(1);
    // One per distinct project, and never more.
    expect(upstreamRequests().length).toBeLessThanOrEqual(20);
    expect(new Set(upstreamRequests().map((entry) => (entry.body as { projectId: string }).projectId)).size).toBe(20);
  });

  it('sends fewer upstream requests when representations repeat: 20 rows of 5 projects → 5', async () => {
    rows = REPEATED;
    const result = await gateway.query(SPANNING_QUERY, { 'x-api-key': API_KEY });
    expect(result.errors).toBeUndefined();
    expect(result.data.projects.map((project: { id: string }) => project.id)).toEqual(REPEATED.map(({ id }) => id));
    for (const project of result.data.projects) {
      expect(project.callHistory.nodes.map((node: { sid: string }) => node.sid)).toEqual(newestSids(project.id));
    }
    expect(upstreamRequests()).toHaveLength(5);
  });

  describe('_entities sent straight to our subgraph (no gateway in between)', () => {
    const entities = async (ids: readonly string[]) => {
      const response = await request(`${api.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json', 'x-api-key': API_KEY },
        body: JSON.stringify({
          query: ENTITIES_QUERY,
          variables: { representations: ids.map((id) => ({ __typename: 'Project', id })) },
        }),
      });
      return (await response.body.json()) as { data?: { _entities: Array<{ id: string; callHistory: { nodes: Array<{ sid: string }> } }> }; errors?: unknown };
    };

    it('20 distinct representations: 20 entities in order, 20 upstream requests', async () => {
      const ids = PROJECTS.map(({ id }) => id);
      const result = await entities(ids);
      expect(result.errors).toBeUndefined();
      expect(result.data?._entities.map((entity) => entity.id)).toEqual(ids);
      expect(result.data?._entities.map((entity) => entity.callHistory.nodes.map((node) => node.sid))).toEqual(ids.map(newestSids));
      expect(upstreamRequests()).toHaveLength(20);
    });

    it('20 representations of 5 distinct ids: 20 entities, 5 upstream requests', async () => {
      const ids = REPEATED.map(({ id }) => id);
      const result = await entities(ids);
      expect(result.errors).toBeUndefined();
      expect(result.data?._entities.map((entity) => entity.id)).toEqual(ids);
      expect(result.data?._entities.map((entity) => entity.callHistory.nodes.map((node) => node.sid))).toEqual(ids.map(newestSids));
      expect(upstreamRequests()).toHaveLength(5);
    });
  });
});
