import { describe, expect, it } from 'vitest';
import { InFlightRequests } from '../../src/upstream/loader.js';
import type { UpstreamRequest } from '../../src/domain/request.js';
import { call } from '../support/reference-upstream.js';

const request = (pageSize: number): UpstreamRequest => ({ projectId: 'p', pageSize, filters: [['to', '+1']] });

describe('upstream/loader InFlightRequests', () => {
  it('plans a shared fetch with the latest deadline of those waiting on it', async () => {
    const inFlight = new InFlightRequests();
    let release!: () => void;
    let seenDeadline: (() => number) | undefined;
    let fetches = 0;
    const fetch = (_r: UpstreamRequest, _s: AbortSignal, deadlineAt: () => number) => {
      fetches++;
      seenDeadline = deadlineAt;
      return new Promise<ReturnType<typeof call>[]>((resolve) => {
        release = () => resolve([call(1), call(0)]);
      });
    };
    const first = inFlight.run('scope', request(2), new AbortController().signal, 1_000, fetch);
    const joiner = inFlight.run('scope', request(1), new AbortController().signal, 5_000, fetch);
    expect(fetches).toBe(1);
    expect(seenDeadline!()).toBe(5_000);
    release();
    expect(await first).toHaveLength(2);
    expect(await joiner).toHaveLength(1); // sliced to what it asked
    expect(inFlight.size).toBe(0);
  });

  it('never shares between scopes (credentials)', async () => {
    const inFlight = new InFlightRequests();
    let fetches = 0;
    const fetch = async () => {
      fetches++;
      return [call(0)];
    };
    await Promise.all([
      inFlight.run('a', request(1), new AbortController().signal, 1_000, fetch),
      inFlight.run('b', request(1), new AbortController().signal, 1_000, fetch),
    ]);
    expect(fetches).toBe(2);
  });
});
