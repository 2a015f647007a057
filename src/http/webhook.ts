import { createHash, timingSafeEqual } from 'node:crypto';
import type { Plugin } from 'graphql-yoga';
import { ErrorCode } from '../domain/errors.js';

export const WEBHOOK_PATH = '/webhooks/call-status';
/** The body is only a hint: anything longer is not read. */
const MAX_HINT_BYTES = 16_384;
/** Projects whose last hint is remembered for the rate limit. */
const MAX_REMEMBERED_PROJECTS = 10_000;

export interface WebhookOptions {
  secret: string;
  /** The least time between two accepted hints for one project. */
  minIntervalMs: number;
  /** Watchers of the project (null: of every project) poll now. */
  poke(projectId: string | null): void;
  now?: () => number;
}

const digest = (value: string) => createHash('sha256').update(value).digest();

/** Whether the presented secret is the configured one, in time that does not depend on where they differ. */
export function secretMatches(presented: string | null, secret: string): boolean {
  return presented !== null && timingSafeEqual(digest(presented), digest(secret));
}

/**
 * The project a hint names, if any: `?projectId=` on the URL it was registered with, or `projectId` in a JSON or
 * form body. Nothing else of the body is read: the vendor's payload is undocumented, and it is never data.
 */
export function hintedProject(url: URL, contentType: string | null, body: string): string | null {
  const fromUrl = url.searchParams.get('projectId');
  if (fromUrl) return fromUrl;
  try {
    if (contentType?.includes('application/json')) {
      const parsed: unknown = JSON.parse(body);
      const value = parsed && typeof parsed === 'object' ? (parsed as Record<string, unknown>).projectId : undefined;
      return typeof value === 'string' && value !== '' ? value : null;
    }
    if (contentType?.includes('application/x-www-form-urlencoded')) return new URLSearchParams(body).get('projectId') || null;
  } catch {
    // not JSON: no project named
  }
  return null;
}

/** The body's first `maxBytes` bytes as text; the rest is not read. */
async function boundedText(request: Request, maxBytes: number): Promise<string> {
  if (!request.body) return '';
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  while (size < maxBytes) {
    const { value, done } = await reader.read();
    if (done) break;
    chunks.push(value);
    size += value.byteLength;
  }
  if (size >= maxBytes) await reader.cancel().catch(() => undefined);
  return Buffer.concat(chunks).subarray(0, maxBytes).toString('utf8');
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json; charset=utf-8', ...headers } });

/**
 * `POST /webhooks/call-status`: the vendor's call-status webhook as a hint that makes the watchers of a project
 * poll at once. The `x-webhook-secret` header must match WEBHOOK_SECRET (401 otherwise, and nothing happens).
 * Watchers of one project are poked at most once per `minIntervalMs`: a hint inside that interval is kept as one
 * poke at its end (202), so a status change right after another is not left to the next poll; a further hint
 * while that poke waits adds nothing and gets 429.
 */
export function useCallStatusWebhook(options: WebhookOptions): Plugin {
  const now = options.now ?? Date.now;
  const lastPoke = new Map<string, number>();
  const pending = new Map<string, NodeJS.Timeout>();
  const poke = (key: string, projectId: string | null, at: number) => {
    lastPoke.delete(key);
    lastPoke.set(key, at);
    if (lastPoke.size > MAX_REMEMBERED_PROJECTS) lastPoke.delete(lastPoke.keys().next().value!);
    options.poke(projectId);
  };
  return {
    async onRequest({ request, url, endResponse }) {
      if (url.pathname !== WEBHOOK_PATH) return;
      if (request.method !== 'POST') return endResponse(json(405, { error: 'POST only' }, { allow: 'POST' }));
      if (!secretMatches(request.headers.get('x-webhook-secret'), options.secret)) {
        return endResponse(json(401, { error: 'wrong or missing x-webhook-secret', code: ErrorCode.UNAUTHENTICATED }));
      }
      const declared = Number(request.headers.get('content-length') ?? 0);
      if (declared > MAX_HINT_BYTES) return endResponse(json(413, { error: `at most ${MAX_HINT_BYTES} bytes`, code: ErrorCode.REQUEST_ENTITY_TOO_LARGE }));
      const body = await boundedText(request, MAX_HINT_BYTES);
      const projectId = hintedProject(url, request.headers.get('content-type'), body);
      const key = projectId ?? '';
      const at = now();
      const last = lastPoke.get(key);
      const wait = last === undefined ? 0 : options.minIntervalMs - (at - last);
      if (wait <= 0) {
        poke(key, projectId, at);
        return endResponse(json(202, { accepted: true }));
      }
      if (pending.has(key) || pending.size >= MAX_REMEMBERED_PROJECTS) {
        return endResponse(
          json(429, { error: 'a poke for this project is already due', code: ErrorCode.RATE_LIMITED }, { 'retry-after': String(Math.ceil(wait / 1000)) }),
        );
      }
      const timer = setTimeout(() => {
        pending.delete(key);
        poke(key, projectId, now());
      }, wait);
      timer.unref?.();
      pending.set(key, timer);
      return endResponse(json(202, { accepted: true, pokeInMs: wait }));
    },
  };
}
