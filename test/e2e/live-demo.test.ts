import { describe, expect, it } from 'vitest';
import { DEMO_UNTIL } from '../../src/emulator/demo.js';
import { ADMIN_CALLS_PATH } from '../../src/emulator/server.js';
import { startMain } from '../observability/main-process.js';
import { subscribeSse } from '../support/live-events.js';

interface Node {
  sid: string;
  status: string;
  startedAt: string;
}

// `npm start` without UPSTREAM_URL: the embedded emulator's demo data moves (DEMO_CALLS_PER_MINUTE).
describe('the embedded demo runs live', { timeout: 120_000 }, () => {
  it('new calls arrive in project demo after the demo data ends, and the banner says so', async () => {
    const server = await startMain({ DEMO_CALLS_PER_MINUTE: '600', LOG_LEVEL: 'warn' });
    try {
      expect(server.stderr()).toContain('Live demo: 600 new calls per minute in each project');
      expect(server.stderr()).toContain('Live events: the CallEvents tab in GraphiQL, or over SSE:');
      expect(server.stderr()).toContain('Projects are read every 5000 ms; with WEBHOOK_SECRET set');
      const newest = async (): Promise<Node | undefined> => {
        const response = await fetch(`${server.url}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-api-key': 'demo-key' },
          body: JSON.stringify({ query: '{ callHistory(projectId: "demo", first: 1) { nodes { sid status startedAt } } }' }),
        });
        const json = (await response.json()) as { data?: { callHistory: { nodes: Node[] } } };
        return json.data?.callHistory.nodes[0];
      };
      const deadline = Date.now() + 30_000;
      let node = await newest();
      while (!(node && Date.parse(node.startedAt) > Date.parse(DEMO_UNTIL)) && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 250));
        node = await newest();
      }
      expect(Date.parse(node!.startedAt)).toBeGreaterThan(Date.parse(DEMO_UNTIL));
      expect(Math.abs(Date.parse(node!.startedAt) - Date.now())).toBeLessThan(60_000);
    } finally {
      await server.stop();
    }
  });

  it('stays still with DEMO_CALLS_PER_MINUTE=0', async () => {
    const server = await startMain({ DEMO_CALLS_PER_MINUTE: '0', LOG_LEVEL: 'warn' });
    try {
      expect(server.stderr()).toContain('Live demo: off');
    } finally {
      await server.stop();
    }
  });
});

// With WEBHOOK_SECRET the embedded demo is wired as the vendor's would be: the emulator posts every status change
// to this server's webhook route, so a change reaches subscribers long before the next poll.
describe('the embedded demo with WEBHOOK_SECRET', { timeout: 120_000 }, () => {
  const POLL_INTERVAL_MS = 60_000;
  const CUSTOMER = '+14155550199';

  it('registers the webhook route for every project, and a status change becomes an event well within the poll interval', async () => {
    const server = await startMain({
      WEBHOOK_SECRET: 'a-webhook-secret-of-the-demo',
      WEBHOOK_MIN_INTERVAL_MS: '0',
      EVENTS_POLL_INTERVAL_MS: String(POLL_INTERVAL_MS),
      DEMO_CALLS_PER_MINUTE: '30',
      LOG_LEVEL: 'info',
    });
    const subscription = await subscribeSse(
      server.url,
      { projectId: 'demo', filter: { to: CUSTOMER } },
      { 'x-api-key': 'demo-key' },
    );
    try {
      expect(server.stderr()).toContain(`The emulator posts each status change to ${server.url}/webhooks/call-status?projectId=<project>`);
      const wired = server
        .stdout()
        .split('\n')
        .filter((line) => line.includes('posts call-status webhooks'))
        .map((line) => JSON.parse(line) as { projects: string[] });
      expect(wired[0]?.projects).toEqual(['busy', 'demo', 'other']);
      expect(server.stdout()).not.toContain('a-webhook-secret-of-the-demo');
      expect(subscription.status).toBe(200);

      const emulatorUrl = /embedded emulator at (http:\/\/[\d.]+:\d+)/.exec(server.stderr())![1]!;
      const change = async (method: 'POST' | 'PATCH', path: string, body: object) => {
        const response = await fetch(`${emulatorUrl}${ADMIN_CALLS_PATH}${path}`, {
          method,
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
        });
        expect(response.ok).toBe(true);
        return ((await response.json()) as { data: { callSid: string } }).data;
      };
      // Each change is made after the previous event arrived, so after the watcher's first poll: the next
      // scheduled poll is a minute away, and only the webhook's hint can bring the event sooner.
      const latencies: number[] = [];
      const waitForEvents = async (count: number) => {
        const startedAt = Date.now();
        const payloads = await subscription.waitFor(count, 30_000);
        latencies.push(Date.now() - startedAt);
        return payloads;
      };
      const { callSid } = await change('POST', '', { projectId: 'demo', to: CUSTOMER });
      await waitForEvents(1);
      await change('PATCH', `/${callSid}`, { projectId: 'demo', status: 'ringing' });
      await waitForEvents(2);
      await change('PATCH', `/${callSid}`, { projectId: 'demo', status: 'completed', seconds: 42 });
      const payloads = await waitForEvents(3);

      expect(payloads.map((payload) => [payload.data?.callEvents.kind, payload.data?.callEvents.previousStatus, payload.data?.callEvents.call.status])).toEqual([
        ['STARTED', null, 'QUEUED'],
        ['UPDATED', 'QUEUED', 'RINGING'],
        ['UPDATED', 'RINGING', 'COMPLETED'],
      ]);
      expect(payloads.every((payload) => payload.data?.callEvents.call.sid === callSid)).toBe(true);
      // Far below the minute a poll would take; generous for a loaded machine.
      for (const latency of latencies) expect(latency).toBeLessThan(10_000);
      console.info(`status change to event through the webhook: ${latencies.join(', ')} ms`);
    } finally {
      subscription.close();
      await server.stop();
    }
  });
});
