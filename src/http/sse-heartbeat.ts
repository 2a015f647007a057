import { type Plugin, isAsyncIterable } from 'graphql-yoga';

const PING = new TextEncoder().encode(':\n\n');

/**
 * An SSE comment (`:`) every `intervalMs` on each event stream, so that proxies do not cut a subscription that
 * has been quiet for a while. It wraps whatever processor Yoga chose for `text/event-stream` (its own pings stay).
 */
export function useSseHeartbeat(intervalMs: number): Plugin {
  return {
    onResultProcess({ request, result, resultProcessor, setResultProcessor }) {
      // Yoga answers a stream as SSE whenever the request accepts it (before multipart).
      if (!isAsyncIterable(result) || !resultProcessor || !request.headers.get('accept')?.includes('text/event-stream')) return;
      const process = resultProcessor;
      setResultProcessor(async (input, fetchAPI, mediaType) => {
        const response = await process(input, fetchAPI, mediaType);
        if (mediaType !== 'text/event-stream' || !response.body) return response;
        return new fetchAPI.Response(withPings(response.body, intervalMs, fetchAPI.ReadableStream), response);
      }, 'text/event-stream');
    },
  };
}

function withPings(body: ReadableStream<Uint8Array>, intervalMs: number, Stream: typeof ReadableStream): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  let timer: NodeJS.Timeout | undefined;
  return new Stream<Uint8Array>({
    start(controller) {
      timer = setInterval(() => {
        if (controller.desiredSize !== null && controller.desiredSize > 0) controller.enqueue(PING);
      }, intervalMs);
    },
    async pull(controller) {
      try {
        const { value, done } = await reader.read();
        if (done) {
          clearInterval(timer);
          controller.close();
        } else controller.enqueue(value);
      } catch (error) {
        clearInterval(timer);
        controller.error(error);
      }
    },
    async cancel(reason) {
      clearInterval(timer);
      await reader.cancel(reason);
    },
  });
}
