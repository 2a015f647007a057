import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-node';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { DEMO_API_KEY } from '../../src/emulator/index.js';
import { otlpTracesUrl, tracingChoice } from '../../src/observability/tracing.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { success, vendorRecord } from '../support/fixtures.js';
import { CallBySid, CallSids } from '../support/operations.js';
import { startRecordingUpstream, type RecordingUpstream } from '../support/recording-upstream.js';
import { type RunningMain, startMain } from './main-process.js';
import { duplicateKeys } from '../support/json-lines.js';
import { recordSpans } from '../support/spans.js';

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-0[01]$/;

describe('tracing with OpenTelemetry', () => {
  const exporter = recordSpans();
  let upstream: RecordingUpstream;
  let api: TestApp;
  let stopInstrumenting: () => void;

  beforeAll(async () => {
    // As the server registers it (on the provider recordSpans made global), leaving out this test's own requests.
    const instrumentation = new UndiciInstrumentation({ ignoreRequestHook: (req) => req.origin !== new URL(upstream.url).origin });
    stopInstrumenting = registerInstrumentations({ instrumentations: [instrumentation] });
    upstream = await startRecordingUpstream();
    api = await startTestApp(upstream.url);
  });
  afterAll(async () => {
    stopInstrumenting();
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
    expect(call!.name).toBe('POST');
    expect(call!.instrumentationScope.name).toBe('@opentelemetry/instrumentation-undici');
    expect(call!.attributes).toMatchObject({ 'http.request.method': 'POST', 'url.path': '/call/get-call-history', 'http.response.status_code': 200 });
    expect(call!.spanContext().traceId).toBe(operation!.spanContext().traceId);
    expect(parentOf(call!)).toBe(operation!.spanContext().spanId);

    const [, traceId, parentId] = TRACEPARENT.exec(String(upstream.requests[0]!.headers.traceparent)) ?? [];
    expect(traceId).toBe(operation!.spanContext().traceId);
    expect(parentId).toBe(call!.spanContext().spanId);
  });

  it('gives a call lookup its client span, on POST /call', async () => {
    upstream.respondWith(() => ({ body: vendorRecord() }));
    const result = await api.execute(CallBySid, { projectId: 'p1', sid: String(vendorRecord().callSid) });
    expect(result.errors).toBeUndefined();
    const [operation] = serverSpans();
    const [lookup, ...others] = clientSpans();
    expect(others).toEqual([]);
    expect(lookup!.name).toBe('POST');
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
  it('is off unless an OTLP endpoint or an exporter is set, and OTEL_SDK_DISABLED=true wins', () => {
    const service = { OTEL_SERVICE_NAME: 'svc' };
    const endpoint = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' };
    expect(tracingChoice(service)).toBeUndefined();
    expect(tracingChoice({ ...service, ...endpoint })).toEqual({ exporter: 'otlp', protocol: 'http/protobuf', url: 'http://127.0.0.1:4318/v1/traces' });
    expect(tracingChoice({ ...service, OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://127.0.0.1:4318/v1/traces' })).toMatchObject({ exporter: 'otlp' });
    expect(tracingChoice({ ...service, OTEL_TRACES_EXPORTER: 'otlp' })).toEqual({ exporter: 'otlp', protocol: 'http/protobuf', url: undefined });
    expect(tracingChoice({ ...service, OTEL_TRACES_EXPORTER: 'console' })).toEqual({ exporter: 'console' });
    expect(tracingChoice({ ...service, ...endpoint, OTEL_TRACES_EXPORTER: 'none' })).toBeUndefined();
    expect(tracingChoice({ ...service, ...endpoint, OTEL_SDK_DISABLED: true })).toBeUndefined();
    expect(tracingChoice({ ...service, OTEL_TRACES_EXPORTER: 'console', OTEL_SDK_DISABLED: true })).toBeUndefined();
  });

  it('sends OTLP as OTEL_EXPORTER_OTLP_PROTOCOL says, the traces-specific setting first', () => {
    const base = { OTEL_SERVICE_NAME: 'svc', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' };
    expect(tracingChoice({ ...base, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' })).toMatchObject({ protocol: 'http/json' });
    expect(
      tracingChoice({ ...base, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/protobuf' }),
    ).toMatchObject({ protocol: 'http/protobuf' });
  });

  it('reads OTEL_SDK_DISABLED as the specification does, and refuses a protocol it cannot send', () => {
    expect(loadConfig({ OTEL_SDK_DISABLED: 'TRUE' }, []).OTEL_SDK_DISABLED).toBe(true);
    expect(loadConfig({}, []).OTEL_SDK_DISABLED).toBe(false);
    expect(() => loadConfig({ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }, [])).toThrow(/^OTEL_EXPORTER_OTLP_PROTOCOL: /);
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
          expect(server.stdout()).toContain("name: '@opentelemetry/instrumentation-undici'");
        } else {
          await sleep(500);
          expect(server.stdout()).not.toContain('traceId');
        }
      } finally {
        await server.stop();
      }
    }
  }, 120_000); // two starts of the real entry point through tsx: slow on a loaded machine
});

interface OtlpExport {
  path: string;
  contentType: string;
  body: Buffer;
}

/** An OTLP/HTTP collector on 127.0.0.1 that keeps what it is sent and answers with an empty success. */
async function startOtlpReceiver(): Promise<{ url: string; received: OtlpExport[]; close(): Promise<void> }> {
  const received: OtlpExport[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const contentType = req.headers['content-type'] ?? '';
      received.push({ path: req.url ?? '', contentType, body: Buffer.concat(chunks) });
      res.writeHead(200, { 'content-type': contentType }).end(contentType.includes('json') ? '{}' : '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

type LogLine = Record<string, unknown>;
const logLines = (stdout: string): LogLine[] =>
  stdout
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => {
      expect(duplicateKeys(line), line).toEqual([]);
      return JSON.parse(line) as LogLine;
    });

describe('traces and logs of npm start, joined', () => {
  const query = { query: 'query JoinedCalls { callHistory(projectId: "demo", first: 1) { nodes { sid } } }' };
  // Spans leave the batch processor within 100 ms instead of 5 s.
  const quick = { OTEL_BSP_SCHEDULE_DELAY: '100' };

  async function ask(server: RunningMain): Promise<void> {
    const response = await request(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': DEMO_API_KEY },
      body: JSON.stringify(query),
    });
    expect(((await response.body.json()) as { data?: unknown }).data).toBeTruthy();
  }

  const requestLine = (server: RunningMain) => logLines(server.stdout()).find((line) => line.operation === 'JoinedCalls');

  it('sends OTLP/HTTP JSON when asked, and the request\'s log line carries the ids of its span', { timeout: 180_000 }, async () => {
    const receiver = await startOtlpReceiver();
    const server = await startMain({ ...quick, OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' });
    try {
      await ask(server);
      await expect.poll(() => requestLine(server), { timeout: 10_000 }).toBeDefined();
      const line = requestLine(server)!;
      expect(line).toMatchObject({ trace_id: expect.stringMatching(/^[0-9a-f]{32}$/), span_id: expect.stringMatching(/^[0-9a-f]{16}$/), trace_flags: '01' });

      interface Span { traceId: string; spanId: string; parentSpanId?: string; name: string; kind: number }
      const spans = () =>
        receiver.received.flatMap((sent) => {
          const body = JSON.parse(sent.body.toString()) as { resourceSpans: { scopeSpans: { spans: Span[] }[] }[] };
          return body.resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans));
        });
      await expect.poll(() => spans().find((s) => s.name === 'query JoinedCalls'), { timeout: 10_000 }).toBeDefined();
      expect(receiver.received.every((sent) => sent.path === '/v1/traces' && sent.contentType.startsWith('application/json'))).toBe(true);
      const operation = spans().find((s) => s.name === 'query JoinedCalls')!;
      expect({ trace_id: line.trace_id, span_id: line.span_id }).toEqual({ trace_id: operation.traceId, span_id: operation.spanId });
      // The upstream call's span, from the undici instrumentation, is the operation's child (kind 3: client).
      const upstreamCall = spans().find((s) => s.parentSpanId === operation.spanId);
      expect(upstreamCall).toMatchObject({ name: 'POST', kind: 3, traceId: operation.traceId });
      // The start-up lines carry no ids (no span is active), and no line has a key twice (checked by logLines).
      expect(logLines(server.stdout()).find((l) => l.msg === 'tracing on')).not.toHaveProperty('trace_id');
    } finally {
      await server.stop();
      await receiver.close();
    }
  });

  it('sends OTLP/HTTP protobuf by default', { timeout: 180_000 }, async () => {
    const receiver = await startOtlpReceiver();
    const server = await startMain({ ...quick, OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url });
    try {
      await ask(server);
      await expect.poll(() => requestLine(server), { timeout: 10_000 }).toBeDefined();
      const line = requestLine(server)!;
      const sentWith = (bytes: Buffer) => receiver.received.find((sent) => sent.body.includes(bytes));
      // Protobuf carries the ids as raw bytes: the span the log line names was sent, in that encoding.
      await expect.poll(() => sentWith(Buffer.from(String(line.span_id), 'hex')), { timeout: 10_000 }).toBeDefined();
      const sent = sentWith(Buffer.from(String(line.span_id), 'hex'))!;
      expect(sent).toMatchObject({ path: '/v1/traces', contentType: 'application/x-protobuf' });
      expect(sent.body.includes(Buffer.from(String(line.trace_id), 'hex'))).toBe(true);
      expect(sent.body.includes(Buffer.from('query JoinedCalls'))).toBe(true);
    } finally {
      await server.stop();
      await receiver.close();
    }
  });

  it('is off with OTEL_SDK_DISABLED=true, even with an endpoint: nothing sent, no ids logged', { timeout: 180_000 }, async () => {
    const receiver = await startOtlpReceiver();
    const server = await startMain({ ...quick, OTEL_SDK_DISABLED: 'true', OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url });
    try {
      await ask(server);
      await expect.poll(() => requestLine(server), { timeout: 10_000 }).toBeDefined();
      await sleep(1_000);
      expect(receiver.received).toEqual([]);
      expect(requestLine(server)).not.toHaveProperty('trace_id');
      expect(logLines(server.stdout()).map((l) => l.msg)).not.toContain('tracing on');
    } finally {
      await server.stop();
      await receiver.close();
    }
  });
});
