import { describe, expect, it } from 'vitest';
import { DEMO_UNTIL } from '../../src/emulator/demo.js';
import { startMain } from '../observability/main-process.js';

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
