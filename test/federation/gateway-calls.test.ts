import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CALL_PATH, generateCalls, startEmulator, type RunningEmulator } from '../../src/emulator/index.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { fetchSubgraphSdl, serveSubgraph, startGatewayOver, type RunningGateway } from './gateway.js';
import { createProjectsSubgraph } from './projects-subgraph.js';
import { createTicketsSubgraph, type TicketRow } from './tickets-subgraph.js';

const API_KEY = 'tickets-key';
const BEARER = 'tickets-token';
const TICKETS_QUERY = `{ tickets { id subject call { projectId sid status startedAt durationSeconds } } }`;

describe('federation end to end: a tickets subgraph references calls; Hive Gateway resolves them through ours', () => {
  let emulator: RunningEmulator;
  let api: TestApp;
  let ticketsServer: Awaited<ReturnType<typeof serveSubgraph>>;
  let projectsServer: Awaited<ReturnType<typeof serveSubgraph>>;
  let gateway: RunningGateway;
  let tickets: TicketRow[] = [];
  const subgraphCalls: string[] = [];

  /** The five newest calls of project t1, straight from the emulator's store. */
  const calls = () => emulator.store.page('t1', {}, 5);
  const callRequests = () => emulator.requests().filter((entry) => entry.path === CALL_PATH);
  /** 20 tickets pointing at 5 distinct calls of t1. */
  const twentyTickets = (): TicketRow[] =>
    Array.from({ length: 20 }, (_, i) => ({
      id: `T${i + 1}`,
      subject: `Ticket ${i + 1}`,
      call: { projectId: 't1', sid: calls()[i % 5]!.callSid },
    }));

  beforeAll(async () => {
    emulator = await startEmulator({ demo: false });
    emulator.store.insertCalls('t1', generateCalls({ projectId: 't1', count: 30, seed: 5, days: 10 }));
    emulator.store.insertCalls('t2', generateCalls({ projectId: 't2', count: 5, seed: 6, days: 10 }));
    emulator.store.grant('api-key', API_KEY, '*');
    emulator.store.grant('bearer', BEARER, ['t1']);

    api = await startTestApp(emulator.url);
    ticketsServer = await serveSubgraph(createTicketsSubgraph(() => tickets));
    projectsServer = await serveSubgraph(createProjectsSubgraph(() => []));
    gateway = await startGatewayOver(
      { callHistoryUrl: `${api.url}/graphql`, projectsUrl: projectsServer.url, ticketsUrl: ticketsServer.url },
      subgraphCalls,
    );
  });
  afterAll(async () => {
    await gateway?.close();
    await ticketsServer?.close();
    await projectsServer?.close();
    await api?.close();
    await emulator?.close();
  });
  beforeEach(() => {
    emulator.clearRequests();
    subgraphCalls.length = 0;
    tickets = twentyTickets();
  });

  it('our subgraph serves Call as an entity keyed by projectId and sid', async () => {
    const sdl = await fetchSubgraphSdl(`${api.url}/graphql`);
    expect(sdl).toMatch(/type Call\s+@key\(fields: "projectId sid"\)\s*\{\s*"""[^"]*"""\s*projectId: ID!/);
  });

  it('20 tickets pointing at 5 distinct calls: every ticket gets its call, with 5 upstream POST /call', async () => {
    const result = await gateway.query(TICKETS_QUERY, { 'x-api-key': API_KEY });
    expect(result.errors).toBeUndefined();
    expect(result.data.tickets).toHaveLength(20);
    result.data.tickets.forEach((ticket: { id: string; call: Record<string, unknown> }, i: number) => {
      const record = calls()[i % 5]!;
      expect(ticket.call).toEqual({
        projectId: 't1',
        sid: record.callSid,
        status: expect.any(String),
        startedAt: new Date(Date.parse(record.date)).toISOString(),
        durationSeconds: record.seconds,
      });
    });
    expect(callRequests()).toHaveLength(5);
    expect(new Set(callRequests().map((entry) => (entry.body as { sid: string }).sid))).toEqual(new Set(calls().map((c) => c.callSid)));
    for (const entry of callRequests()) expect(entry.headers['x-api-key']).toBe(API_KEY);
    // One request to the tickets subgraph, one `_entities` request to ours.
    expect(subgraphCalls.filter((url) => url === `${api.url}/graphql`)).toHaveLength(1);
  });

  it('a ticket about an unknown call gets null; a ticket about no call needs no request', async () => {
    tickets = [
      { id: 'T1', subject: 'known', call: { projectId: 't1', sid: calls()[0]!.callSid } },
      { id: 'T2', subject: 'unknown', call: { projectId: 't1', sid: `CA${'0'.repeat(32)}` } },
      { id: 'T3', subject: 'none', call: null },
    ];
    const result = await gateway.query(TICKETS_QUERY, { 'x-api-key': API_KEY });
    // Our subgraph answers the unknown call's representation with null and no error; the gateway keeps the
    // ticket's key-only stub, finds its non-null `status` missing, and nulls the call with an error of its own.
    expect(result.errors?.map((error) => error.path)).toEqual([['tickets', 1, 'call', 'status']]);
    expect(result.errors?.[0]?.extensions?.code).not.toMatch(/^UPSTREAM|BAD_USER_INPUT|FORBIDDEN/);
    expect(result.data.tickets.map((ticket: { call: { sid: string } | null }) => ticket.call?.sid ?? null)).toEqual([
      calls()[0]!.callSid,
      null,
      null,
    ]);
    expect(callRequests()).toHaveLength(2);
  });

  it('a Bearer token travels the same way; calls of a project it may not read are FORBIDDEN, the others resolve', async () => {
    const other = emulator.store.page('t2', {}, 1)[0]!.callSid;
    tickets = [
      { id: 'T1', subject: 'readable', call: { projectId: 't1', sid: calls()[1]!.callSid } },
      { id: 'T2', subject: 'not readable', call: { projectId: 't2', sid: other } },
    ];
    const result = await gateway.query(TICKETS_QUERY, { authorization: `Bearer ${BEARER}` });
    expect(result.data.tickets[0].call.sid).toBe(calls()[1]!.callSid);
    expect(result.data.tickets[1].call).toBeNull();
    expect(result.errors?.map((error) => error.extensions?.code)).toEqual(['FORBIDDEN']);
    expect(callRequests().map((entry) => entry.headers.authorization)).toEqual([`Bearer ${BEARER}`, `Bearer ${BEARER}`]);
  });

  it('without a credential: UNAUTHENTICATED and no upstream request', async () => {
    const result = await gateway.query(TICKETS_QUERY);
    expect(result.errors?.map((error) => error.extensions?.code)).toContain('UNAUTHENTICATED');
    expect(result.data?.tickets?.every((ticket: { call: unknown }) => ticket.call === null)).toBe(true);
    expect(emulator.requests()).toHaveLength(0);
  });
});
