import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-node';
import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DEMO_API_KEY } from '../../src/emulator/index.js';
import { otlpTracesUrl, tracingExporter } from '../../src/observability/tracing.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { success, vendorRecord } from '../support/fixtures.js';
import { CallBySid, CallSids } from '../support/operations.js';
import { startRecordingUpstream, type RecordingUpstream } from '../support/recording-upstream.js';
import { startMain } from './main-process.js';
import { recordSpans } from '../support/spans.js';

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-0[01]$/;

describe('tracing with OpenTelemetry', () => {
  const exporter = recordSpans();
  let upstream: RecordingUpstream;
  let api: TestApp;

  beforeAll(async () => {
    upstream = await startRecordingUpstream();
    api = await startTestApp(upstream.url);
  });
  afterAll(async () => {
    await api.close();
    await upstream.close();
  });
  beforeEach(() => {
    exporter.reset();
    upstream.requests.length = 0;
    upstream.respondWith(() => success([vendorRecord()]));
  });

  const spans = () => exporter.getFinishedSpans();
  const serverSpans = () => spans().filter((s) => s.kind === SpanKind.SERVER);
  const clientSpans = () => spans().filter((s) => s.kind === SpanKind.CLIENT);
  const parentOf = (span: ReadableSpan) => span.parentSpanContext?.spanId;

  it('makes a span for the operation and one per upstream request, and sends its trace context upstream', async () => {
    const result = await api.execute(CallSids, { projectId: 'p1' });
    expect(result.errors).toBeUndefined();

    const [operation, ...otherServers] = serverSpans();
    expect(otherServers).toEqual([]);
    expect(operation!.name).toBe('query CallSids');
    expect(operation!.attributes).toMatchObject({ 'graphql.operation.name': 'CallSids', 'graphql.operation.type': 'query' });
    expect(operation!.status.code).not.toBe(SpanStatusCode.ERROR);

    const [call, ...otherClients] = clientSpans();
    expect(otherClients).toEqual([]);
    expect(call!.name).toBe('POST /call/get-call-history');
    expect(call!.attributes).toMatchObject({ 'http.request.method': 'POST', 'http.response.status_code': 200 });
    expect(call!.spanContext().traceId).toBe(operation!.spanContext().traceId);
    expect(parentOf(call!)).toBe(operation!.spanContext().spanId);

    const [, traceId, parentId] = TRACEPARENT.exec(String(upstream.requests[0]!.headers.traceparent)) ?? [];
    expect(traceId).toBe(operation!.spanContext().traceId);
    expect(parentId).toBe(call!.spanContext().spanId);
  });

  it('names a call lookup\'s span after its endpoint, POST /call', async () => {
    upstream.respondWith(() => ({ body: vendorRecord() }));
    const result = await api.execute(CallBySid, { projectId: 'p1', sid: String(vendorRecord().callSid) });
    expect(result.errors).toBeUndefined();
    const [operation] = serverSpans();
    const [lookup, ...others] = clientSpans();
    expect(others).toEqual([]);
    expect(lookup!.name).toBe('POST /call');
    expect(lookup!.attributes).toMatchObject({ 'url.path': '/call', 'http.response.status_code': 200 });
    expect(parentOf(lookup!)).toBe(operation!.spanContext().spanId);
    expect(String(upstream.requests[0]!.headers.traceparent)).toMatch(TRACEPARENT);
  });

  it('gives each attempt of a retried request its own span and traceparent, in one trace', async () => {
    let calls = 0;
    upstream.respondWith(() => (++calls === 1 ? { status: 503, body: { message: 'busy', status: 'error' } } : success([vendorRecord()])));
    await api.execute(CallSids, { projectId: 'p1' });

    const [operation] = serverSpans();
    const attempts = clientSpans();
    expect(attempts.map((s) => s.attributes['http.response.status_code'])).toEqual([503, 200]);
    expect(attempts[0]!.status.code).toBe(SpanStatusCode.ERROR);
    expect(attempts.every((s) => parentOf(s) === operation!.spanContext().spanId)).toBe(true);
    const sent = upstream.requests.map((r) => TRACEPARENT.exec(String(r.headers.traceparent)));
    expect(sent.map((m) => m?.[1])).toEqual([operation!.spanContext().traceId, operation!.spanContext().traceId]);
    expect(sent.map((m) => m?.[2])).toEqual(attempts.map((s) => s.spanContext().spanId));
  });

  it("continues the caller's trace", async () => {
    const callerTrace = '4bf92f3577b34da6a3ce929d0e0e4736';
    const callerSpan = '00f067aa0ba902b7';
    await api.execute(CallSids, { projectId: 'p1' }, { 'x-api-key': 'k', traceparent: `00-${callerTrace}-${callerSpan}-01` });

    const [operation] = serverSpans();
    expect(operation!.spanContext().traceId).toBe(callerTrace);
    expect(parentOf(operation!)).toBe(callerSpan);
    expect(TRACEPARENT.exec(String(upstream.requests[0]!.headers.traceparent))?.[1]).toBe(callerTrace);
  });

  it('marks the operation span as failed with the error codes', async () => {
    upstream.respondWith(() => ({ status: 403, body: { message: 'Forbidden', status: 'error' } }));
    await api.execute(CallSids, { projectId: 'p1' });

    const [operation] = serverSpans();
    expect(operation!.status.code).toBe(SpanStatusCode.ERROR);
    expect(operation!.attributes['graphql.error.codes']).toEqual(['FORBIDDEN']);
    expect(clientSpans()[0]!.attributes).toMatchObject({ 'http.response.status_code': 403, 'error.type': '403' });
  });
});

describe('tracing settings', () => {
  it('is off unless an OTLP endpoint or an exporter is set', () => {
    const service = { OTEL_SERVICE_NAME: 'svc' };
    expect(tracingExporter(service)).toBeUndefined();
    expect(tracingExporter({ ...service, OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' })).toBe('otlp');
    expect(tracingExporter({ ...service, OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://127.0.0.1:4318/v1/traces' })).toBe('otlp');
    expect(tracingExporter({ ...service, OTEL_TRACES_EXPORTER: 'console' })).toBe('console');
    expect(tracingExporter({ ...service, OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' })).toBeUndefined();
  });

  it('sends traces to <endpoint>/v1/traces, or to the traces endpoint as given', () => {
    const service = { OTEL_SERVICE_NAME: 'svc' };
    expect(otlpTracesUrl({ ...service, OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' })).toBe('http://collector:4318/v1/traces');
    expect(
      otlpTracesUrl({ ...service, OTEL_EXPORTER_OTLP_ENDPOINT: 'http://a:4318', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://b:9999/traces' }),
    ).toBe('http://b:9999/traces');
  });

  it('npm start prints spans with OTEL_TRACES_EXPORTER=console, and none without it', async () => {
    const query = { query: 'query TracedCalls { callHistory(projectId: "demo", first: 1) { nodes { sid } } }' };
    for (const tracing of [true, false]) {
      const server = await startMain({ LOG_LEVEL: 'warn', ...(tracing ? { OTEL_TRACES_EXPORTER: 'console' } : {}) });
      try {
        const response = await request(`${server.url}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-api-key': DEMO_API_KEY },
          body: JSON.stringify(query),
        });
        expect(((await response.body.json()) as { data?: unknown }).data).toBeTruthy();
        if (tracing) {
          await expect.poll(() => server.stdout(), { timeout: 10_000 }).toContain("name: 'query TracedCalls'");
          expect(server.stdout()).toContain("name: 'POST /call/get-call-history'");
        } else {
          await sleep(500);
          expect(server.stdout()).not.toContain('traceId');
        }
      } finally {
        await server.stop();
      }
    }
  }, 120_000); // two processes of the real entry point: slow to start on a loaded machine
});
