import { Pool, errors as undiciErrors } from 'undici';
import type { CallLookup, UpstreamRequest } from '../domain/request.js';
import type { Credential } from './credential.js';
import { UpstreamFailure, abortFailure } from './errors.js';
import { nestsDeeperThan } from './json-depth.js';

/**
 * One HTTP attempt: the parsed JSON body of a 200, null for a 404, or an UpstreamFailure. What the source
 * runs under its policy, and what tracing decorates.
 */
export type Attempt<R> = (
  request: R,
  credential: Credential,
  signal: AbortSignal,
  extraHeaders?: Record<string, string>,
) => Promise<unknown>;
/** A history page (404: an empty list). */
export type PostAttempt = Attempt<UpstreamRequest>;
/** One call by its SID (404: no such call). */
export type CallAttempt = Attempt<CallLookup>;

/** One HTTP request to an endpoint of the upstream. */
interface Exchange {
  /** `HISTORY_PATH` or `CALL_PATH`, under the base URL's path. */
  endpoint: string;
  query: string;
  body: string;
}

export interface UpstreamClientOptions {
  baseUrl: string;
  connections: number;
  /** The largest body read (UPSTREAM_MAX_RESPONSE_BYTES); reading stops as soon as it is passed. */
  maxResponseBytes: number;
  /** The deepest nesting of arrays and objects accepted in a body (UPSTREAM_MAX_JSON_DEPTH). */
  maxJsonDepth: number;
}

export const HISTORY_PATH = '/call/get-call-history';
export const CALL_PATH = '/call';

/**
 * One HTTP attempt at `POST /call/get-call-history` or `POST /call`, on a keep-alive undici pool pinned to the
 * configured origin. A pool never follows redirects, so a credential cannot travel to another origin.
 */
export class UpstreamClient {
  readonly origin: string;
  private readonly pool: Pool;
  private readonly basePath: string;
  private readonly maxResponseBytes: number;
  private readonly maxJsonDepth: number;

  constructor(options: UpstreamClientOptions) {
    const url = new URL(options.baseUrl);
    this.origin = url.origin;
    this.basePath = url.pathname.replace(/\/+$/, '');
    // Both bounds keep a broken or hostile upstream from filling memory or the stack.
    this.maxResponseBytes = options.maxResponseBytes;
    this.maxJsonDepth = options.maxJsonDepth;
    this.pool = new Pool(url.origin, {
      connections: options.connections,
      pipelining: 1,
      // undici stops reading as soon as a body passes this, and drops the connection.
      maxResponseSize: options.maxResponseBytes,
      // Below Node's default 5 s server keep-alive, so a socket the server is about to close is not reused.
      keepAliveTimeout: 4_000,
      keepAliveMaxTimeout: 60_000,
    });
  }

  /** One history attempt (see PostAttempt); bound, so it can be passed on as a function. */
  readonly post: PostAttempt = (request, credential, signal, extraHeaders = {}) =>
    this.exchange(
      {
        endpoint: HISTORY_PATH,
        query: new URLSearchParams(request.filters as Array<[string, string]>).toString(),
        body: JSON.stringify({ projectId: request.projectId, pageSize: request.pageSize }),
      },
      credential,
      signal,
      extraHeaders,
    );

  /** One call attempt (see CallAttempt); bound, so it can be passed on as a function. */
  readonly postCall: CallAttempt = (lookup, credential, signal, extraHeaders = {}) =>
    this.exchange(
      { endpoint: CALL_PATH, query: '', body: JSON.stringify({ sid: lookup.sid, projectId: lookup.projectId }) },
      credential,
      signal,
      extraHeaders,
    );

  /** Sends one request with the caller's credential headers and no other header of theirs. */
  private async exchange(
    exchange: Exchange,
    credential: Credential,
    signal: AbortSignal,
    extraHeaders: Record<string, string>,
  ): Promise<unknown> {
    const headers: Record<string, string> = {
      ...extraHeaders,
      'content-type': 'application/json',
      accept: 'application/json',
    };
    if (credential.authorization !== undefined) headers.authorization = credential.authorization;
    if (credential.apiKey !== undefined) headers['x-api-key'] = credential.apiKey;
    const path = `${this.basePath}${exchange.endpoint}`;

    let response: Awaited<ReturnType<Pool['request']>>;
    try {
      response = await this.pool.request({
        method: 'POST',
        path: exchange.query ? `${path}?${exchange.query}` : path,
        headers,
        body: exchange.body,
        signal,
      });
    } catch (error) {
      throw failureFrom(error, signal);
    }

    const { statusCode, body } = response;
    if (statusCode !== 200) {
      await body.dump().catch(() => undefined);
      if (statusCode === 404) return null;
      const retryAfterMs = parseRetryAfter(response.headers['retry-after']);
      throw new UpstreamFailure(
        retryAfterMs === undefined ? { kind: 'status', status: statusCode } : { kind: 'status', status: statusCode, retryAfterMs },
      );
    }

    let bytes: Uint8Array;
    try {
      // Read whole by undici (no stream of chunks to iterate), which stops at maxResponseSize; the signal also ends it.
      bytes = await body.bytes();
    } catch (error) {
      body.destroy();
      if (error instanceof undiciErrors.ResponseExceededMaxSizeError) {
        throw new UpstreamFailure({
          kind: 'bad-response',
          reason: `the body is larger than ${this.maxResponseBytes} bytes (UPSTREAM_MAX_RESPONSE_BYTES)`,
        });
      }
      throw failureFrom(error, signal);
    }
    // The body may have ended just as the deadline passed: nobody waits for it any more, so it is not parsed.
    if (signal.aborted) throw abortFailure(signal.reason);
    let parsed: unknown;
    try {
      parsed = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'));
    } catch {
      throw new UpstreamFailure({ kind: 'bad-response', reason: 'the body is not JSON' });
    }
    if (nestsDeeperThan(parsed, this.maxJsonDepth)) {
      throw new UpstreamFailure({
        kind: 'bad-response',
        reason: `the body nests arrays and objects deeper than ${this.maxJsonDepth} levels (UPSTREAM_MAX_JSON_DEPTH)`,
      });
    }
    return parsed;
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}

function failureFrom(error: unknown, signal: AbortSignal): UpstreamFailure {
  if (signal.aborted) return abortFailure(signal.reason);
  if (error instanceof undiciErrors.HeadersTimeoutError || error instanceof undiciErrors.BodyTimeoutError) {
    return new UpstreamFailure({ kind: 'timeout', attempt: true });
  }
  const code = (error as { code?: unknown } | null)?.code;
  return new UpstreamFailure({ kind: 'network', cause: typeof code === 'string' ? code : 'connection failed' });
}

/**
 * The longest wait a `Retry-After` is taken to ask for: a day. Longer (a 400-digit number, a date years ahead)
 * is read as a day, so that `retryAfterSeconds` is always a finite number.
 */
export const MAX_RETRY_AFTER_MS = 86_400_000;

/**
 * `Retry-After` (RFC 9110 §10.2.3) as delay-seconds or an HTTP-date, in milliseconds from now, at most
 * MAX_RETRY_AFTER_MS; undefined when absent or malformed. An HTTP-date starts with a day name, which keeps
 * `Date.parse`'s leniency ("-1", "1.5") from turning garbage into "retry now".
 */
export function parseRetryAfter(value: string | string[] | undefined, now = Date.now()): number | undefined {
  const header = (Array.isArray(value) ? value[0] : value)?.trim();
  if (header === undefined || header === '') return undefined;
  if (/^\d+$/.test(header)) return Math.min(MAX_RETRY_AFTER_MS, Number(header) * 1000);
  if (!/^[A-Za-z]{3}/.test(header)) return undefined;
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.min(MAX_RETRY_AFTER_MS, Math.max(0, at - now));
}
