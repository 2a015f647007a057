import { SpanKind } from '@opentelemetry/api';
import { beforeEach, describe, expect, it } from 'vitest';
import { shownOperationName } from '../../src/observability/operations.js';
import { API_KEY } from '../support/app.js';
import { sharedRecordingStack } from '../support/recording-stack.js';
import { recordSpans } from '../support/spans.js';

describe('operation names are cut to 100 characters in logs, spans and metric labels', () => {
  it('shownOperationName: short names whole, long ones cut with their length', () => {
    expect(shownOperationName('LatestCalls')).toBe('LatestCalls');
    expect(shownOperationName('a'.repeat(100))).toBe('a'.repeat(100));
    expect(shownOperationName('a'.repeat(900_000))).toBe(`${'a'.repeat(100)}…[900000 chars]`);
    // A surrogate pair is never split.
    expect(shownOperationName(`${'a'.repeat(99)}😀${'b'.repeat(10)}`)).toBe(`${'a'.repeat(99)}…[111 chars]`);
  });

  const exporter = recordSpans();
  const stack = sharedRecordingStack();

  beforeEach(() => {
    exporter.reset();
    stack.api.logs.length = 0;
  });

  const longestLogLine = () => Math.max(...stack.api.logs.map((line) => line.length));
  const metrics = async () => (await fetch(`${stack.api.url}/metrics`)).text();

  it('a 900 KB operationName: every log line stays short, the metric label is bounded', async () => {
    const name = `Op${'x'.repeat(900_000)}`;
    // The document has no operation of that name: refused, and still logged and counted.
    const { json } = await stack.api.post({ query: '{ __typename }', operationName: name }, API_KEY);
    expect(json.errors).toHaveLength(1);
    expect(stack.api.logs.length).toBeGreaterThan(0);
    expect(longestLogLine()).toBeLessThan(2_000);
    const request = stack.api.logs.map((line) => JSON.parse(line)).find((line) => line.msg?.startsWith('graphql request'));
    expect(request.operation).toBe(`Op${'x'.repeat(98)}…[900002 chars]`);
    expect((await metrics()).includes('x'.repeat(101))).toBe(false);
  });

  it('a 450 KB operation name in the document: the span name and attribute are cut too', async () => {
    const name = `Op${'y'.repeat(450_000)}`;
    const { status, json } = await stack.api.post({ query: `query ${name} { __typename }`, operationName: name }, API_KEY);
    expect(status).toBe(200);
    expect(json.data).toEqual({ __typename: 'Query' });
    const [span] = exporter.getFinishedSpans().filter((s) => s.kind === SpanKind.SERVER);
    const shown = `Op${'y'.repeat(98)}…[450002 chars]`;
    expect(span!.name).toBe(`query ${shown}`);
    expect(span!.attributes['graphql.operation.name']).toBe(shown);
    expect(longestLogLine()).toBeLessThan(2_000);
  });
});
