import { BrokenCircuitError } from 'cockatiel';
import type { BreakerState } from './metrics.js';

export interface ReadinessOptions {
  breakerState: () => BreakerState;
  /**
   * Asks the upstream for any answer. Resolves with the HTTP status when it answered below 500; rejects when it
   * failed (5xx), could not be reached, or did not answer before the signal aborted.
   */
  probe: (signal: AbortSignal) => Promise<number>;
  /**
   * Runs a probe through the circuit breaker: it rejects at once while the breaker is open, and makes the probe
   * the breaker's trial request once the half-open delay has passed.
   */
  throughBreaker: <T>(run: () => Promise<T>) => Promise<T>;
  /** An answer at most this old makes a probe unnecessary. */
  recentMs: number;
  probeTimeoutMs: number;
  now?: () => number;
}

export interface ReadinessReport {
  ready: boolean;
  breaker: BreakerState;
  /** How the upstream was judged: a recent answer to real traffic, a probe now, or not at all. */
  upstream: 'answered recently' | 'answered probe' | 'probe failed' | 'not checked';
  /** Milliseconds since the upstream last answered, when it ever has. */
  lastAnswerAgoMs?: number;
  reason?: string;
}

type ProbeResult = 'answered probe' | 'probe failed' | 'not checked';

/** An HTTP answer below 500 shows the upstream is up, even when it refuses the request (401, 404, 429). */
const isAnswer = (status: number): boolean => status >= 100 && status < 500;

/**
 * Ready means: the circuit breaker is closed, and the upstream answered real traffic within `recentMs` or
 * answers a probe now. While the breaker is open, a check makes the breaker's trial request itself once the
 * half-open delay has passed, so an instance that a load balancer stopped sending traffic to still recovers.
 * Concurrent checks share one probe.
 */
export class Readiness {
  private lastAnswerAt: number | undefined;
  private probing: Promise<ProbeResult> | undefined;
  private stopping = false;
  private readonly now: () => number;

  constructor(private readonly options: ReadinessOptions) {
    this.now = options.now ?? Date.now;
  }

  /** Called with the outcome of every upstream attempt: an HTTP status, or a failure kind. */
  recordOutcome(outcome: string): void {
    if (/^\d{3}$/.test(outcome) && isAnswer(Number(outcome))) this.lastAnswerAt = this.now();
  }

  /** The server is shutting down: from now on every check answers not ready, so load balancers stop sending. */
  stop(): void {
    this.stopping = true;
  }

  async check(): Promise<ReadinessReport> {
    const before = this.options.breakerState();
    if (this.stopping) return this.report(false, before, 'not checked', 'the server is shutting down');
    if (before === 'closed' && this.answeredRecently()) return this.report(true, before, 'answered recently');
    if (before === 'half-open') {
      return this.report(false, before, 'not checked', 'the upstream circuit breaker is half-open: a trial request is under way');
    }

    this.probing ??= this.probe(before === 'open').finally(() => {
      this.probing = undefined;
    });
    const upstream = await this.probing;
    const breaker = this.options.breakerState();
    if (breaker !== 'closed') return this.report(false, breaker, upstream, `the upstream circuit breaker is ${breaker}`);
    if (upstream === 'answered probe') return this.report(true, breaker, upstream);
    return this.report(false, breaker, upstream, 'the upstream did not answer a probe');
  }

  private answeredRecently(): boolean {
    return this.lastAnswerAt !== undefined && this.now() - this.lastAnswerAt <= this.options.recentMs;
  }

  private async probe(asBreakerTrial: boolean): Promise<ProbeResult> {
    const ask = () => this.options.probe(AbortSignal.timeout(this.options.probeTimeoutMs));
    let status: number;
    try {
      status = asBreakerTrial ? await this.options.throughBreaker(ask) : await ask();
    } catch (error) {
      // The breaker refused: it is open and its half-open delay has not passed, so nothing was sent.
      return error instanceof BrokenCircuitError ? 'not checked' : 'probe failed';
    }
    if (!isAnswer(status)) return 'probe failed';
    this.lastAnswerAt = this.now();
    return 'answered probe';
  }

  private report(ready: boolean, breaker: BreakerState, upstream: ReadinessReport['upstream'], reason?: string): ReadinessReport {
    const report: ReadinessReport = { ready, breaker, upstream };
    if (this.lastAnswerAt !== undefined) report.lastAnswerAgoMs = Math.max(0, this.now() - this.lastAnswerAt);
    if (reason !== undefined) report.reason = reason;
    return report;
  }
}
