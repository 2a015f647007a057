import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * The part of a Yoga server this transport drives: its Fetch-level handler (every plugin hook: onRequest,
 * onRequestParse, onParams, the envelop pipeline, onResultProcess, onResponse), its Fetch API, and its node:http
 * handler for everything else.
 */
export interface YogaEntryPoints {
  handleRequest(request: Request, serverContext?: Record<string, unknown>): Response | Promise<Response>;
  handle(req: IncomingMessage, res: ServerResponse): unknown;
  fetchAPI: { Headers: new (init: HeadersInit) => Headers };
}

export interface GraphQLPostTransportOptions {
  /** The GraphQL endpoint's path (Yoga's `graphqlEndpoint`). */
  endpoint: string;
  /** Yoga's `maxRequestBodySize`: a larger declared body goes to Yoga, which refuses it without reading it. */
  maxRequestBodyBytes: number;
}

/** A UTF-8 byte order mark: Yoga's body reader drops it, JSON.parse would not. */
const BOM = 0xef;

/**
 * The common request, `POST <endpoint>` with a JSON body, served without the Fetch-API round trip: the body is read
 * in one piece, and the request Yoga's plugins see is a light object over the node request (its headers wrapped
 * lazily by Yoga's own Headers, its abort signal made only when asked for). Yoga's whole request handling still
 * runs: every hook of every plugin, the same parsing, validation, execution, result processing and response
 * hooks, so answers are the same, byte for byte. The response is written straight to node:http.
 *
 * Everything else is handed to Yoga's node:http handler untouched: other methods, paths and content types, an
 * `accept` asking for a stream (SSE, multipart), a body of undeclared or excessive length, an encoded body, and a
 * body that names a subscription (its answer may be a stream). A body already read is handed over with it.
 */
export function createGraphQLPostTransport(yoga: YogaEntryPoints, options: GraphQLPostTransportOptions) {
  const { endpoint, maxRequestBodyBytes } = options;
  const endpointWithQuery = `${endpoint}?`;

  const handOver = (req: IncomingMessage, res: ServerResponse, body?: Buffer): void => {
    // Yoga's node adapter reads a body already taken from the stream from `req.body`.
    if (body) (req as IncomingMessage & { body?: Buffer }).body = body;
    void yoga.handle(req, res);
  };

  const serve = (req: IncomingMessage, res: ServerResponse, body: Buffer): void => {
    if (body.length > 0 && body[0] === BOM) return handOver(req, res, body);
    const text = body.toString('utf8');
    if (SUBSCRIPTION.test(text)) return handOver(req, res, body);
    const request = new PostedRequest(req, res, text, yoga.fetchAPI.Headers);
    let answer: Response | Promise<Response>;
    try {
      // No server context: the adapter would otherwise make each request's context an object whose prototype is
      // that request's own `{ req, res }`, a hidden class per request that keeps the request's data past minor GCs.
      // Nothing reads `req` or `res` from the GraphQL context.
      answer = yoga.handleRequest(request as unknown as Request, undefined);
    } catch (error) {
      return fail(res, error);
    }
    if (isThenable(answer)) answer.then((response) => send(res, response), (error: unknown) => fail(res, error));
    else send(res, answer);
  };

  return function handleNodeRequest(req: IncomingMessage, res: ServerResponse): void {
    if (!isCommonPost(req, endpoint, endpointWithQuery, maxRequestBodyBytes)) return handOver(req, res);
    const declared = Number(req.headers['content-length']);
    if (declared === 0) return serve(req, res, Buffer.alloc(0));
    const chunks: Buffer[] = [];
    let received = 0;
    req.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      received += chunk.length;
    });
    req.once('end', () => serve(req, res, chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, received)));
  };
}

const isThenable = (value: Response | Promise<Response>): value is Promise<Response> =>
  typeof (value as { then?: unknown }).then === 'function';

/** Names a subscription operation (cheaply, with false positives that merely take the other path). */
const SUBSCRIPTION = /\bsubscription\b/;

/**
 * POST to the endpoint with a JSON body of a declared length within the limit, not encoded, answered as JSON (not
 * as a stream). Yoga's own JSON request parser takes exactly the content types this admits.
 */
export function isCommonPost(req: IncomingMessage, endpoint: string, endpointWithQuery: string, maxBodyBytes: number): boolean {
  if (req.method !== 'POST') return false;
  const url = req.url;
  if (url !== endpoint && !url?.startsWith(endpointWithQuery)) return false;
  const headers = req.headers;
  const contentType = headers['content-type']?.split(',')[0];
  if (contentType !== 'application/json' && !contentType?.startsWith('application/json;')) return false;
  const length = headers['content-length'];
  if (length === undefined || !/^\d{1,12}$/.test(length) || Number(length) > maxBodyBytes) return false;
  if (headers['transfer-encoding'] !== undefined || headers['content-encoding'] !== undefined || headers.expect !== undefined) return false;
  const accept = headers.accept;
  if (accept !== undefined && (accept.includes('text/event-stream') || accept.includes('multipart/'))) return false;
  return true;
}

/**
 * What Yoga and its plugins read of a Fetch Request, over a node request whose body is already read: method, URL,
 * headers, the abort signal (made on first use: a request that never reaches the upstream never pays for it), and
 * the body as text or JSON. `body` is null: the body is not a stream any more, and its size was checked from its
 * declared length.
 */
export class PostedRequest {
  readonly method = 'POST';
  readonly body = null;
  readonly bodyUsed = false;
  private aborts: AbortController | undefined;
  private fullUrl: string | undefined;
  private wrappedHeaders: Headers | undefined;

  constructor(
    private readonly req: IncomingMessage,
    private readonly res: ServerResponse,
    private readonly bodyText: string,
    private readonly HeadersClass: new (init: HeadersInit) => Headers,
  ) {}

  get headers(): Headers {
    // Yoga's Headers read a node header object as it is, lazily (as its node adapter passes it).
    return (this.wrappedHeaders ??= new this.HeadersClass(this.req.headers as HeadersInit));
  }

  get url(): string {
    return (this.fullUrl ??= `${this.req.socket && 'encrypted' in this.req.socket ? 'https' : 'http'}://${this.req.headers.host ?? 'localhost'}${this.req.url}`);
  }

  /** Aborts when the client goes away before its response is complete (as Yoga's node adapter does). */
  get signal(): AbortSignal {
    if (this.aborts) return this.aborts.signal;
    const aborts = (this.aborts = new AbortController());
    const res = this.res;
    if (res.writableFinished) return aborts.signal;
    if (res.destroyed) {
      aborts.abort(res.errored ?? undefined);
      return aborts.signal;
    }
    const onClose = () => {
      if (!aborts.signal.aborted) aborts.abort(res.errored ?? undefined);
    };
    res.once('close', onClose);
    res.once('error', onClose);
    res.once('finish', () => {
      res.off('close', onClose);
      res.off('error', onClose);
    });
    return aborts.signal;
  }

  text(): Promise<string> {
    return Promise.resolve(this.bodyText);
  }

  json(): Promise<unknown> {
    try {
      return Promise.resolve(JSON.parse(this.bodyText));
    } catch (error) {
      return Promise.reject(error as Error);
    }
  }
}

/** Writes a Fetch Response to node:http: status, headers (each Set-Cookie apart), body. */
export function send(res: ServerResponse, response: Response): void {
  if (res.destroyed || res.writableEnded) return;
  response.headers.forEach((value, name) => {
    if (name !== 'set-cookie') res.setHeader(name, value);
  });
  const cookies = response.headers.getSetCookie?.();
  if (cookies?.length) res.setHeader('set-cookie', cookies);
  res.statusCode = response.status;
  if (response.statusText) res.statusMessage = response.statusText;
  if (response.body === null) {
    res.end();
    return;
  }
  // GraphQL answers are text: node:http then sends the head and the body in one write.
  const type = response.headers.get('content-type');
  const read = type?.startsWith('application/') && type.includes('json') ? response.text() : response.arrayBuffer().then((bytes) => Buffer.from(bytes));
  read.then(
    (body: string | Buffer) => res.end(body),
    () => res.destroy(),
  );
}

/** Yoga's handler failed outside its own error handling: answer 500 without details. */
function fail(res: ServerResponse, _error: unknown): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.statusCode = 500;
  res.end();
}
