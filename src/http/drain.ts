import type { Server, ServerResponse } from 'node:http';
import { type Plugin, isAsyncIterable } from 'graphql-yoga';

/** How often idle keep-alive sockets are closed while in-flight requests finish. */
const IDLE_SWEEP_MS = 50;

/**
 * A graceful stop of an HTTP server: no new connections (`server.close()`); requests in flight run to their end;
 * requests that still arrive on open connections are answered (readiness then says 503) with `Connection: close`;
 * keep-alive sockets are closed as soon as they are idle; whatever is still open after `graceMs` is cut. Resolves
 * true when every connection ended within the grace time, false when some had to be cut.
 */
export function drainServer(server: Server, graceMs: number): Promise<boolean> {
  const closeAfter = (_req: unknown, res: ServerResponse) => res.setHeader('connection', 'close');
  server.on('request', closeAfter);
  return new Promise<boolean>((resolve) => {
    let settled = false;
    const finish = (inTime: boolean) => {
      if (settled) return;
      settled = true;
      clearInterval(sweep);
      clearTimeout(deadline);
      server.off('request', closeAfter);
      resolve(inTime);
    };
    // close() closes the connections idle at this moment; those that finish a request later are swept.
    server.close(() => finish(true));
    const sweep = setInterval(() => server.closeIdleConnections(), IDLE_SWEEP_MS);
    const deadline = setTimeout(() => {
      server.closeAllConnections();
      finish(false);
    }, graceMs);
  });
}

/**
 * Open streams (subscriptions, incremental delivery) end with a clean `complete` when `signal` aborts, instead of
 * being cut with their connection: the stream's source is returned (stopping its work) and the transport
 * (SSE's `event: complete`, graphql-ws's complete) closes it normally.
 */
export function useStreamsEndOnDrain(signal: AbortSignal): Plugin {
  const end = (result: unknown, setResult: (result: never) => void) => {
    if (isAsyncIterable(result)) setResult(endOnAbort(result, signal) as never);
  };
  return {
    onSubscribe: () => ({ onSubscribeResult: ({ result, setResult }) => end(result, setResult) }),
    onExecute: () => ({ onExecuteDone: ({ result, setResult }) => end(result, setResult) }),
  };
}

const ENDED = Symbol('ended');

/**
 * The iterable's values until it ends or `signal` aborts; then the source is returned (its work stops). A plain
 * iterator rather than a generator: a generator's `return` waits for a pending `next`, so a consumer that leaves
 * a quiet stream (a subscription between events) could not stop it.
 */
export function endOnAbort<T>(iterable: AsyncIterable<T>, signal: AbortSignal): AsyncIterableIterator<T> {
  const iterator = iterable[Symbol.asyncIterator]();
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<typeof ENDED>((resolve) => {
    onAbort = () => resolve(ENDED);
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
  let finished = false;
  const finish = async () => {
    if (finished) return;
    finished = true;
    signal.removeEventListener('abort', onAbort!);
    await iterator.return?.();
  };
  const done = { value: undefined, done: true } as const;
  return {
    async next(): Promise<IteratorResult<T>> {
      if (finished) return done;
      const next = await Promise.race([iterator.next(), aborted]);
      if (next === ENDED || next.done) {
        await finish();
        return done;
      }
      return next;
    },
    async return(): Promise<IteratorResult<T>> {
      await finish();
      return done;
    },
    async throw(error: unknown): Promise<IteratorResult<T>> {
      await finish();
      throw error;
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}
