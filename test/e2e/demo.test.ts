import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_API_KEY, DEMO_BEARER_TOKEN, OTHER_API_KEY } from '../../src/emulator/demo.js';
import { EXAMPLE_QUERY, EXAMPLE_VARIABLES } from '../../src/example.js';
import { CallHistoryPage } from '../support/operations.js';
import { startEmulatorStack, type EmulatorStack } from '../support/emulator-app.js';

// The GraphQL layer end to end over the emulator's demo data, as `npm start` serves it.
describe('against the emulator with demo data', () => {
  let stack: EmulatorStack;
  beforeAll(async () => {
    stack = await startEmulatorStack({ demo: true });
  });
  afterAll(() => stack.close());

  it('GraphiQL\'s example query answers completed calls with the demo key', async () => {
    const { json } = await stack.api.post({ query: EXAMPLE_QUERY, variables: EXAMPLE_VARIABLES }, { 'x-api-key': DEMO_API_KEY });
    expect(json.errors).toBeUndefined();
    const edges = json.data.callHistory.edges as Array<{ node: { sid: string; status: string; startedAt: string } }>;
    expect(edges).toHaveLength(EXAMPLE_VARIABLES.first);
    for (const { node } of edges) {
      expect(node.sid).toMatch(/^CA[0-9a-f]{32}$/);
      expect(node.status).toBe('COMPLETED');
    }
    const starts = edges.map((e) => Date.parse(e.node.startedAt));
    expect([...starts].sort((a, b) => b - a)).toEqual(starts);
    expect(json.data.callHistory.pageInfo.hasNextPage).toBe(true);
  });

  it('records normalise: statuses, end instants, recording URLs, data', async () => {
    const result = await stack.api.execute(CallHistoryPage, { projectId: 'demo', first: 500 }, { 'x-api-key': DEMO_API_KEY });
    expect(result.errors).toBeUndefined();
    const nodes = result.data!.callHistory.edges.map((e) => e.node);
    for (const node of nodes) {
      expect(node.rawStatus).not.toBe('');
      if (node.durationSeconds !== null && node.startedAt) {
        expect(Date.parse(node.endedAt!) - Date.parse(node.startedAt)).toBe(node.durationSeconds * 1000);
      }
      expect(node.raw.callSid).toBe(node.sid);
    }
    expect(nodes.some((n) => n.recordingUrls.length > 0)).toBe(true);
    expect(new Set(nodes.map((n) => n.status)).size).toBeGreaterThan(5);
  });

  it('a Bearer token works as well as an x-api-key', async () => {
    const result = await stack.api.execute(CallHistoryPage, { projectId: 'demo', first: 1 }, { authorization: `Bearer ${DEMO_BEARER_TOKEN}` });
    expect(result.errors).toBeUndefined();
    expect(result.data!.callHistory.edges).toHaveLength(1);
  });

  it('an unknown key is UNAUTHENTICATED and another tenant\'s project FORBIDDEN', async () => {
    const unknown = await stack.api.execute(CallHistoryPage, { projectId: 'demo' }, { 'x-api-key': 'nope' });
    expect(unknown.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    const forbidden = await stack.api.execute(CallHistoryPage, { projectId: 'demo' }, { 'x-api-key': OTHER_API_KEY });
    expect(forbidden.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('status filters reach the emulator as wire values and come back as enum values', async () => {
    for (const status of ['NO_ANSWER', 'IN_PROGRESS', 'BUSY'] as const) {
      const result = await stack.api.execute(CallHistoryPage, { projectId: 'demo', first: 20, filter: { status } }, { 'x-api-key': DEMO_API_KEY });
      expect(result.errors).toBeUndefined();
      expect(result.data!.callHistory.edges.every((e) => e.node.status === status)).toBe(true);
    }
  });
});
