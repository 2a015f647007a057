import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { Metrics } from '../../src/observability/metrics.js';
import { createApp, listen } from '../../src/server.js';
import { startRecordingUpstream } from '../support/recording-upstream.js';
import { success, vendorRecord } from '../support/fixtures.js';
import { CallSids } from '../support/operations.js';
import { recordingStacks } from '../support/recording-stack.js';
import { scrape } from './prometheus.js';
import { transportEnv } from '../support/transport.js';

describe('GET /metrics', () => {
  const stack = recordingStacks();

  it('after a query shows its operation, its duration and the upstream requests by status and latency', async () => {
    const { upstream, api } = await stack();
    const result = await api.execute(CallSids, { projectId: 'p1', first: 5 });
    expect(result.errors).toBeUndefined();
    expect(upstream.requests).toHaveLength(1);

    const metrics = await scrape(api.url);
    expect(metrics.contentType).toMatch(/^text\/plain/);
    expect(metrics.value('graphql_requests_total', { operation: 'CallSids', type: 'query' })).toBe(1);
    expect(metrics.value('graphql_request_duration_seconds_count', { operation: 'CallSids', type: 'query' })).toBe(1);
    expect(metrics.value('graphql_request_duration_seconds_sum', { operation: 'CallSids' })).toBeGreaterThan(0);
    expect(metrics.all('graphql_errors_total')).toEqual([]);
    expect(metrics.value('upstream_requests_total', { status: '200' })).toBe(1);
    expect(metrics.value('upstream_request_duration_seconds_count', { status: '200' })).toBe(1);
    expect(metrics.value('upstream_request_duration_seconds_sum', { status: '200' })).toBeGreaterThan(0);
    expect(metrics.value('upstream_retries_total')).toBe(0);
    expect(metrics.value('upstream_circuit_breaker_state', { state: 'closed' })).toBe(1);
    expect(metrics.value('upstream_circuit_breaker_state', { state: 'open' })).toBe(0);
    expect(metrics.value('graphql_response_cache_total', { result: 'hit' })).toBe(0);
    expect(metrics.value('graphql_response_cache_total', { result: 'miss' })).toBe(0);
  });

  it('counts errors by code, with the upstream status that caused them', async () => {
    const { upstream, api } = await stack();
    upstream.respondWith(() => ({ status: 403, body: { message: 'Forbidden', status: 'error' } }));
    await api.execute(CallSids, { projectId: 'p1' });
    await api.execute(CallSids, { projectId: 'p1' });
    await api.execute(CallSids, { projectId: 'p1' }, {}); // no credential: the upstream is not asked
    await api.post({ query: '{ callHistory(' });

    const metrics = await scrape(api.url);
    expect(metrics.value('graphql_errors_total', { operation: 'CallSids', code: 'FORBIDDEN' })).toBe(2);
    expect(metrics.value('graphql_errors_total', { operation: 'CallSids', code: 'UNAUTHENTICATED' })).toBe(1);
    expect(metrics.value('graphql_errors_total', { operation: 'anonymous', code: 'GRAPHQL_PARSE_FAILED' })).toBe(1);
    expect(metrics.value('graphql_requests_total', { operation: 'CallSids' })).toBe(3);
    expect(metrics.value('graphql_requests_total', { operation: 'anonymous', type: 'unknown' })).toBe(1);
    expect(metrics.value('upstream_requests_total', { status: '403' })).toBe(2);
    expect(upstream.requests).toHaveLength(2);
  });

  it('callers without a working credential cannot fill the operation labels: a real operation still gets its name', async () => {
    const { upstream, api } = await stack();
    // 200 distinct names from requests with no credential: refused before the upstream, yet each takes a label.
    for (let i = 0; i < 200; i++) {
      await api.post({ query: `query Flood${i} { callHistory(projectId: "p1", first: 1) { nodes { sid } } }` }, {});
    }
    await api.post({ query: 'query FloodLate { callHistory(projectId: "p1", first: 1) { nodes { sid } } }' }, {});
    expect(upstream.requests).toHaveLength(0);

    const result = await api.execute(CallSids, { projectId: 'p1', first: 5 });
    expect(result.errors).toBeUndefined();
    const metrics = await scrape(api.url);
    expect(metrics.value('graphql_requests_total', { operation: 'other' })).toBe(1);
    expect(metrics.value('graphql_requests_total', { operation: 'FloodLate' })).toBeUndefined();
    expect(metrics.value('graphql_requests_total', { operation: 'CallSids', type: 'query' })).toBe(1);
  });

  it('counts a retry and each attempt by its own status', async () => {
    const { upstream, api } = await stack();
    let calls = 0;
    upstream.respondWith(() => (++calls === 1 ? { status: 503, body: { message: 'busy', status: 'error' } } : success([vendorRecord()])));
    const result = await api.execute(CallSids, { projectId: 'p1' });
    expect(result.errors).toBeUndefined();

    const metrics = await scrape(api.url);
    expect(metrics.value('upstream_retries_total')).toBe(1);
    expect(metrics.value('upstream_requests_total', { status: '503' })).toBe(1);
    expect(metrics.value('upstream_requests_total', { status: '200' })).toBe(1);
  });

  it('shows the circuit breaker open after the upstream keeps failing', async () => {
    const { upstream, api } = await stack({
      UPSTREAM_MAX_RETRIES: '0',
      UPSTREAM_BREAKER_THRESHOLD: '0.5',
      UPSTREAM_BREAKER_WINDOW_MS: '5000',
      UPSTREAM_BREAKER_MIN_RPS: '0.5',
      UPSTREAM_BREAKER_HALF_OPEN_MS: '600000',
    });
    upstream.respondWith(() => ({ status: 500, body: { message: 'down', status: 'error' } }));
    for (let i = 0; i < 20 && api.app.source.policy.breakerState === 'closed'; i++) {
      await api.execute(CallSids, { projectId: 'p1' });
    }

    const metrics = await scrape(api.url);
    expect(metrics.value('upstream_circuit_breaker_state', { state: 'open' })).toBe(1);
    expect(metrics.value('upstream_circuit_breaker_state', { state: 'closed' })).toBe(0);
    expect(metrics.value('upstream_circuit_breaker_transitions_total', { state: 'open' })).toBe(1);
    expect(metrics.value('upstream_requests_total', { status: '500' })).toBe(upstream.requests.length);
    expect(metrics.value('graphql_errors_total', { operation: 'CallSids', code: 'UPSTREAM_ERROR' })).toBe(upstream.requests.length);
  });

  it('counts response cache hits and misses', async () => {
    const { upstream, api } = await stack({ RESPONSE_CACHE_TTL_MS: '60000' });
    await api.execute(CallSids, { projectId: 'p1' });
    await api.execute(CallSids, { projectId: 'p1' });
    await api.execute(CallSids, { projectId: 'p2' });

    const metrics = await scrape(api.url);
    expect(upstream.requests).toHaveLength(2);
    expect(metrics.value('graphql_response_cache_total', { result: 'miss' })).toBe(2);
    expect(metrics.value('graphql_response_cache_total', { result: 'hit' })).toBe(1);
    // A cached answer is still a GraphQL request of its operation.
    expect(metrics.value('graphql_requests_total', { operation: 'CallSids' })).toBe(3);
  });

  it('keeps the counts of each app apart', async () => {
    const first = await stack();
    const second = await stack();
    await first.api.execute(CallSids, { projectId: 'p1' });
    await first.api.execute(CallSids, { projectId: 'p2' });

    expect((await scrape(first.api.url)).value('upstream_requests_total', { status: '200' })).toBe(2);
    const other = await scrape(second.api.url);
    expect(other.all('graphql_requests_total')).toEqual([]);
    expect(other.all('upstream_requests_total')).toEqual([]);
  });
});

describe('operation labels', () => {
  const metrics = () => new Metrics({ breakerState: () => 'closed' });

  it('uses the operation name, or anonymous and invalid', () => {
    const m = metrics();
    expect(m.operationLabel('CallSids')).toBe('CallSids');
    expect(m.operationLabel(undefined)).toBe('anonymous');
    expect(m.operationLabel('not a name"} 1\nfake_metric{')).toBe('invalid');
  });

  it('stops adding new names past a bound, so clients cannot grow the series without end', () => {
    const m = metrics();
    const labels = Array.from({ length: 250 }, (_, i) => m.operationLabel(`Operation${i}`));
    expect(new Set(labels).size).toBe(201);
    expect(labels.filter((label) => label === 'other')).toHaveLength(50);
    expect(m.operationLabel('Operation0')).toBe('Operation0');
  });

  it('keeps a pool of its own for operations the upstream answered, so unproven names cannot starve them', () => {
    const m = metrics();
    for (let i = 0; i < 200; i++) m.operationLabel(`Junk${i}`);
    expect(m.operationLabel('LateJunk')).toBe('other');
    expect(m.operationLabel('RealOperation', true)).toBe('RealOperation');
    expect(m.operationLabel('RealOperation')).toBe('RealOperation');
    const proven = Array.from({ length: 210 }, (_, i) => m.operationLabel(`Proven${i}`, true));
    expect(proven.filter((label) => label === 'other')).toHaveLength(11);
  });
});

describe('METRICS_PORT', () => {
  const open: Array<{ close(): Promise<void> }> = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((s) => s.close()));
  });

  it('serves /metrics on its own port; the API port no longer answers it', async () => {
    const upstream = await startRecordingUpstream(() => success([vendorRecord()]));
    open.push(upstream);
    const config = loadConfig({ LOG_LEVEL: 'silent', METRICS_PORT: '0', ...transportEnv() });
    const app = createApp({ ...config, UPSTREAM_URL: upstream.url }, createLogger('silent'));
    const server = await listen(app, '127.0.0.1', 0, { metricsPort: config.METRICS_PORT });
    open.push(server);
    expect(server.metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    expect(server.metricsUrl).not.toContain(new URL(server.url).port);

    const answer = await request(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': 'k' },
      body: JSON.stringify({ query: 'query CallSids { callHistory(projectId: "p") { nodes { sid } } }' }),
    });
    await answer.body.dump();
    const metrics = await scrape(server.metricsUrl!.replace(/\/metrics$/, ''));
    expect(metrics.value('graphql_requests_total', { operation: 'CallSids', type: 'query' })).toBe(1);

    const onApiPort = await request(`${server.url}/metrics`);
    await onApiPort.body.dump();
    expect(onApiPort.statusCode).not.toBe(200);
    const otherPath = await request(server.metricsUrl!.replace(/\/metrics$/, '/graphql'));
    await otherPath.body.dump();
    expect(otherPath.statusCode).toBe(404);
  });
});
