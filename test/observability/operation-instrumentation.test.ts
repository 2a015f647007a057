import { context, propagation, trace } from '@opentelemetry/api';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.js';
import { Metrics, OperationObserver } from '../../src/observability/index.js';

const observer = () => new OperationObserver({ metrics: new Metrics({ breakerState: () => 'closed' }), logger: createLogger('silent') });

describe('the operation observer and Yoga\'s operation instrumentation', () => {
  let provider: NodeTracerProvider | undefined;
  afterEach(async () => {
    await provider?.shutdown();
    provider = undefined;
    trace.disable();
    context.disable();
    propagation.disable();
  });

  it('with tracing off, gives Yoga nothing to wrap each operation in', () => {
    expect(observer().plugin.instrumentation).toBeUndefined();
  });

  it('with a tracer provider registered before it is built, runs each operation inside its span\'s context', async () => {
    provider = new NodeTracerProvider();
    provider.register();
    const operation = observer().plugin.instrumentation?.operation;
    expect(operation).toBeTypeOf('function');
    const request = new Request('http://localhost/graphql', { method: 'POST' });
    let activeSpan: unknown;
    await operation!({ request, context: { request, params: {} } as never }, () => {
      activeSpan = trace.getActiveSpan();
    });
    expect(activeSpan).toBeDefined();
    expect(trace.getSpan(context.active())).toBeUndefined();
  });
});
