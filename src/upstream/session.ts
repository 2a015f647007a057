import type { LoadCall, UpstreamRecords } from '../domain/request.js';
import { AppError, ErrorCode } from '../domain/errors.js';
import { armAbort } from './abort.js';
import { type Credential, localScopeOf } from './credential.js';
import { UpstreamFailure, abortFailure, toAppError } from './errors.js';
import { SeenCalls, createCallLoader } from './call-loader.js';
import { type InFlightRequests, createRecordsLoader } from './loader.js';
import type { RecordSource } from './source.js';

/** What every session shares: the server's source and in-flight table, and the per-request limits. */
export interface SessionSettings {
  source: RecordSource;
  inFlight: InFlightRequests;
  /** One deadline for all upstream work of a GraphQL request (UPSTREAM_TIMEOUT_MS). */
  timeoutMs: number;
  /** Upstream requests one GraphQL request may have in flight at once (UPSTREAM_MAX_IN_FLIGHT). */
  maxInFlight: number;
  /** Upstream requests one GraphQL request may make in all (UPSTREAM_MAX_REQUESTS_PER_OPERATION). */
  maxRequests: number;
  /** The most rows one upstream request may ask for (UPSTREAM_MAX_PAGE_SIZE). */
  maxPageSize: number;
}

/** Who asks: one GraphQL request. */
export interface SessionCaller {
  credential: Credential;
  requestId: string;
  /** The incoming request's signal: aborts when the caller disconnects. */
  signal: AbortSignal;
  /** When the request's deadline passes (epoch ms): it started when the request arrived. */
  deadlineAt: number;
  /** Told of each HTTP attempt: its status or failure kind, and its latency. */
  onAttempt?: (outcome: string, durationMs: number) => void;
}

/**
 * One GraphQL request's access to the upstream, built on its first upstream need. Each upstream request goes,
 * in this order, through:
 *
 * 1. the per-operation loader: identical requests of the operation become one, smaller ones are sliced from
 *    a larger one (`createRecordsLoader`);
 * 2. the request's budget: at most `maxRequests` upstream requests in all (UPSTREAM_REQUEST_LIMIT beyond);
 * 3. the request's deadline, counted from the request's arrival, so in-process work between pages counts too;
 *    it also ends when the caller leaves;
 * 4. the request's bulkhead: at most `maxInFlight` upstream requests at once, the others wait;
 * 5. in-flight sharing: an identical request of another operation with the same credential is joined
 *    (`InFlightRequests`);
 * 6. the source (`RecordSource`): retries, attempt timeout, circuit breaker and connection bulkhead, then
 *    the HTTP attempt itself and normalisation;
 * 7. failure mapping: whatever failed becomes the AppError the caller sees (`toAppError`).
 *
 * A call by SID takes the same path with its own per-operation loader (`createCallLoader`), which first looks
 * in the history pages this operation has read of the same project (`SeenCalls`). Steps 2, 3, 4 and 7 are one
 * function, `upstreamCall`, that every upstream request of the operation passes through.
 */
export function openSession(settings: SessionSettings, caller: SessionCaller): UpstreamRecords {
  const { source, inFlight } = settings;
  const credentialScope = localScopeOf(caller.credential);
  const headers = { 'x-request-id': caller.requestId };
  // The request's bulkhead: calls past `maxInFlight` wait here, first come first served, and each finished call hands
  // its slot to the next. A counter, not a policy object per request: most requests make one call.
  let running = 0;
  let waiting: Array<() => void> | undefined;

  const at = caller.deadlineAt;
  let deadline: RequestDeadline | undefined;
  let requests = 0;

  const upstreamCall = async <T>(send: (signal: AbortSignal, deadlineAt: number) => Promise<T>): Promise<T> => {
    if (++requests > settings.maxRequests) {
      throw new AppError(
        ErrorCode.UPSTREAM_REQUEST_LIMIT,
        `This operation needs more than ${settings.maxRequests} upstream requests (UPSTREAM_MAX_REQUESTS_PER_OPERATION); ` +
          'ask for fewer pages, aliases or entities per operation.',
        { limit: settings.maxRequests },
      );
    }
    // Checked before each request, not only by the timer: a busy process may run its timers late.
    if (Date.now() >= at) throw toAppError(new UpstreamFailure({ kind: 'timeout', attempt: false }));
    const held = (deadline ??= new RequestDeadline(caller.signal, at));
    const signal = held.hold();
    try {
      if (running < settings.maxInFlight) running++;
      else await new Promise<void>((resolve) => (waiting ??= []).push(resolve));
      try {
        // A call whose deadline passed or whose caller left (perhaps while it waited) never reaches the upstream.
        if (signal.aborted) throw abortFailure(signal.reason);
        return await send(signal, at);
      } finally {
        const next = waiting?.shift();
        if (next) next();
        else running--;
      }
    } catch (error) {
      if (error instanceof UpstreamFailure) throw toAppError(error);
      // The deadline's own reason tells its timer from the caller leaving.
      if (signal.aborted) throw toAppError(abortFailure(signal.reason));
      if (Date.now() >= at) throw toAppError(new UpstreamFailure({ kind: 'timeout', attempt: false }));
      throw error;
    } finally {
      held.release();
    }
  };
  const options = (signal: AbortSignal, deadlineAt: () => number) => ({
    credential: caller.credential,
    signal,
    deadlineAt,
    headers,
    ...(caller.onAttempt ? { onAttempt: caller.onAttempt } : {}),
  });

  // The calls this operation's history pages hold: a lookup of one of them needs no request.
  const seen = new SeenCalls();
  const fetch = createRecordsLoader((request) => {
    const rows = upstreamCall((signal, at) =>
      inFlight.run(credentialScope, request, signal, at, (shared, sharedSignal, latestDeadlineAt) =>
        source.fetch(shared, options(sharedSignal, latestDeadlineAt)),
      ),
    );
    seen.track(request.projectId, rows);
    return rows;
  });
  // Made on the first lookup: most operations read history only.
  let loadCall: LoadCall | undefined;
  const call: LoadCall = (lookup) =>
    (loadCall ??= createCallLoader(
      (lookup) =>
        upstreamCall((signal, at) =>
          inFlight.runCall(credentialScope, lookup.projectId, lookup.sid, signal, at, (sharedSignal, latestDeadlineAt) =>
            source.fetchCall(lookup, options(sharedSignal, latestDeadlineAt)),
          ),
        ),
      seen,
    ))(lookup);
  return { fetch, call, maxPageSize: settings.maxPageSize };
}

/**
 * One GraphQL request's upstream signal: it aborts with a TimeoutError when the request's deadline passes, or with
 * the caller's reason when the caller leaves. Its timer and its listener on the caller's signal are armed only while
 * an upstream call is pending, so a finished request leaves nothing behind.
 */
export class RequestDeadline {
  private readonly controller = new AbortController();
  private readonly caller: AbortSignal;
  private pending = 0;
  private disarm: (() => void) | undefined;

  constructor(
    caller: AbortSignal,
    private readonly deadlineAt: number,
  ) {
    this.caller = nativeSignalOf(caller);
  }

  /** The signal for one more pending upstream call (arming the timer and the caller's listener for the first). */
  hold(): AbortSignal {
    const signal = this.controller.signal;
    if (this.pending++ === 0 && !signal.aborted) {
      this.disarm = armAbort(this.controller, this.caller, Math.max(1, this.deadlineAt - Date.now()), deadlinePassed);
    }
    return signal;
  }

  /** One pending call has ended; after the last, nothing is armed. */
  release(): void {
    if (--this.pending > 0) return;
    this.disarm?.();
    this.disarm = undefined;
  }
}

const deadlinePassed = () => new DOMException('The request passed its deadline.', 'TimeoutError');

/**
 * The Fetch request's signal is a ponyfill that passes `instanceof` but not Node 24's brand check in
 * `AbortSignal.any`: mirror it onto a native signal.
 */
export function nativeSignalOf(signal: AbortSignal): AbortSignal {
  // Already native (the lean transport's): used as it is.
  if (isNativeSignal(signal)) return signal;
  const controller = new AbortController();
  if (signal.aborted) controller.abort(signal.reason);
  else signal.addEventListener('abort', () => controller.abort(signal.reason), { once: true });
  return controller.signal;
}

const nativeAborted = Object.getOwnPropertyDescriptor(AbortSignal.prototype, 'aborted')!.get!;

/** Node's own brand check (the ponyfill's prototype is AbortSignal's, so `instanceof` and prototypes cannot tell). */
function isNativeSignal(signal: AbortSignal): boolean {
  try {
    nativeAborted.call(signal);
    return true;
  } catch {
    return false;
  }
}
