/**
 * The vendor's call-status webhook: a URL registered per project receives a POST on every status change of a
 * call in that project. The vendor does not document the payload; this one is a plausible stand-in.
 */

export const WEBHOOK_SECRET_HEADER = 'x-webhook-secret';
export const DEFAULT_WEBHOOK_TIMEOUT_MS = 5_000;
export const DEFAULT_WEBHOOK_MAX_IN_FLIGHT = 16;

export interface CallStatusPayload {
  event: 'call.status';
  projectId: string;
  sid: string;
  status: string;
  /** null for a call that has just been created. */
  previousStatus: string | null;
  /** ISO 8601, when the status changed. */
  timestamp: string;
}

export interface WebhookOptions {
  /** Sent in `x-webhook-secret` with every delivery. */
  secret?: string;
  /** A delivery that takes longer is cut (default 5 s). */
  timeoutMs?: number;
  /** Deliveries in flight at once; past this one is dropped, not queued (default 16). */
  maxInFlight?: number;
  /** Deliver to any host; by default only to this machine (127.0.0.0/8, ::1, localhost). */
  anyHost?: boolean;
}

export interface WebhookStats {
  delivered: number;
  failed: number;
  dropped: number;
  inFlight: number;
}

const LOOPBACK_HOSTS = /^(?:localhost|127(?:\.\d{1,3}){3}|\[::1\])$/i;

/** Why a webhook URL is refused, or undefined when it may be registered. */
export function webhookUrlProblem(value: string, anyHost: boolean): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'webhookURL must be an absolute http(s) URL.';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'webhookURL must be an absolute http(s) URL.';
  if (url.username !== '' || url.password !== '') return 'webhookURL must not carry a user name or password.';
  if (!anyHost && !LOOPBACK_HOSTS.test(url.hostname)) {
    return 'webhookURL must point to this machine (localhost, 127.0.0.1 or [::1]); the emulator was not started to deliver elsewhere.';
  }
  return undefined;
}

/** Posts call-status payloads: best effort, each with a deadline, a bounded number at once, never awaited by the caller. */
export class WebhookSender {
  private readonly secret: string | undefined;
  private readonly timeoutMs: number;
  private readonly maxInFlight: number;
  private readonly anyHost: boolean;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly closing = new AbortController();
  private readonly counts = { delivered: 0, failed: 0, dropped: 0 };

  constructor(options: WebhookOptions = {}) {
    this.secret = options.secret;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_WEBHOOK_TIMEOUT_MS;
    this.maxInFlight = options.maxInFlight ?? DEFAULT_WEBHOOK_MAX_IN_FLIGHT;
    this.anyHost = options.anyHost ?? false;
    if (!Number.isInteger(this.timeoutMs) || this.timeoutMs < 1) throw new RangeError('webhook timeoutMs must be a positive integer');
    if (!Number.isInteger(this.maxInFlight) || this.maxInFlight < 1) throw new RangeError('webhook maxInFlight must be a positive integer');
  }

  get allowsAnyHost(): boolean {
    return this.anyHost;
  }

  /** Starts a delivery and returns at once. */
  send(url: string, payload: CallStatusPayload): void {
    if (this.closing.signal.aborted || webhookUrlProblem(url, this.anyHost) !== undefined) return;
    if (this.inFlight.size >= this.maxInFlight) {
      this.counts.dropped++;
      return;
    }
    const delivery = this.deliver(url, payload).finally(() => this.inFlight.delete(delivery));
    this.inFlight.add(delivery);
  }

  stats(): WebhookStats {
    return { ...this.counts, inFlight: this.inFlight.size };
  }

  /** Resolves when no delivery is in flight. */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all(this.inFlight);
  }

  /** Cuts the deliveries in flight and sends no more. */
  async close(): Promise<void> {
    this.closing.abort();
    await this.idle();
  }

  private async deliver(url: string, payload: CallStatusPayload): Promise<void> {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (this.secret !== undefined) headers[WEBHOOK_SECRET_HEADER] = this.secret;
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers,
        body: JSON.stringify(payload),
        redirect: 'manual',
        signal: AbortSignal.any([this.closing.signal, AbortSignal.timeout(this.timeoutMs)]),
      });
      await response.body?.cancel();
      if (response.ok) this.counts.delivered++;
      else this.counts.failed++;
    } catch {
      this.counts.failed++;
    }
  }
}
