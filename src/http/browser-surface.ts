import { networkInterfaces } from 'node:os';
import type { CORSOptions, Plugin } from 'graphql-yoga';
import { ErrorCode } from '../domain/errors.js';

/** The headers a cross-origin page may send: the credential headers, the request id, CSRF and tracing. */
const ALLOWED_REQUEST_HEADERS = ['content-type', 'accept', 'authorization', 'x-api-key', 'x-request-id', 'x-graphql-yoga-csrf', 'traceparent', 'tracestate'];

/**
 * Yoga's `cors` option from CORS_ORIGINS: `false` (no CORS headers at all, so no other origin can read an answer)
 * when the list is empty; otherwise each listed origin, and only a listed one, gets its own origin back with
 * credentials allowed. A preflight from any other origin gets no `access-control-allow-origin`.
 */
export function corsFor(origins: readonly string[]): false | ((request: Request) => CORSOptions) {
  if (origins.length === 0) return false;
  const allowed = new Set(origins);
  return (request) => {
    const origin = request.headers.get('origin');
    if (origin === null || !allowed.has(origin)) return false;
    return {
      origin: [origin],
      credentials: true,
      methods: ['GET', 'POST'],
      allowedHeaders: ALLOWED_REQUEST_HEADERS,
      exposedHeaders: ['x-request-id'],
      maxAge: 600,
    };
  };
}

const WILDCARD_HOSTS = new Set(['0.0.0.0', '::', '[::]', '']);

/**
 * The host names a request may name in its Host header when ALLOWED_HOSTS is unset: the bound address and the
 * loopback forms; for a wildcard bind (0.0.0.0, ::), every address of this machine's interfaces.
 */
export function defaultAllowedHosts(boundHost: string): string[] {
  const hosts = new Set(['localhost', '127.0.0.1', '::1']);
  if (WILDCARD_HOSTS.has(boundHost)) {
    for (const addresses of Object.values(networkInterfaces())) {
      for (const address of addresses ?? []) hosts.add(address.address.toLowerCase());
    }
  } else {
    hosts.add(normaliseHost(boundHost));
  }
  return [...hosts];
}

/** A host name without port or IPv6 brackets, lower case: `[::1]:4000` → `::1`, `Example.COM:80` → `example.com`. */
export function hostnameOf(hostHeader: string): string {
  const value = hostHeader.trim().toLowerCase();
  if (value.startsWith('[')) {
    const end = value.indexOf(']');
    return end === -1 ? value : value.slice(1, end);
  }
  const colon = value.indexOf(':');
  // More than one colon: a bare IPv6 address (no port can follow it unbracketed).
  if (colon !== -1 && value.indexOf(':', colon + 1) === -1) return value.slice(0, colon);
  return value;
}

/** An ALLOWED_HOSTS entry as `hostnameOf` reads a header: a bare IPv6 address stays whole. */
const normaliseHost = (host: string) => (host.split(':').length > 2 && !host.startsWith('[') ? host.toLowerCase() : hostnameOf(host));

/**
 * DNS rebinding protection: a page on `evil.example` whose name an attacker points at this server's address
 * reaches it with `Host: evil.example`. Requests naming a host that is not in `allowed` are refused with 421
 * (HOST_NOT_ALLOWED) before anything runs. `*` in the list turns the check off.
 */
export function useAllowedHosts(allowed: readonly string[]): Plugin {
  const isAllowed = hostCheck(allowed);
  return {
    onRequest({ request, fetchAPI, endResponse }) {
      if (isAllowed(request.headers.get('host'))) return;
      endResponse(
        new fetchAPI.Response(
          JSON.stringify({
            errors: [
              {
                message: 'This server does not answer for the host named in the request (ALLOWED_HOSTS).',
                extensions: { code: ErrorCode.HOST_NOT_ALLOWED },
              },
            ],
          }),
          { status: 421, headers: { 'content-type': 'application/json; charset=utf-8' } },
        ),
      );
    },
  };
}

/** Whether a Host header names one of `allowed` (`*` allows any); a missing header is refused. */
export function hostCheck(allowed: readonly string[]): (hostHeader: string | null | undefined) => boolean {
  const hosts = new Set(allowed.map(normaliseHost));
  if (hosts.has('*')) return () => true;
  return (host) => host != null && hosts.has(hostnameOf(host));
}

/**
 * Whether a browser page may open a WebSocket here (browsers apply no CORS to WebSockets, but send Origin): no
 * Origin (not a browser), a listed origin (CORS_ORIGINS), or the page's own origin (the Origin names the Host).
 */
export function webSocketOriginCheck(origins: readonly string[]): (origin: string | undefined, host: string | undefined) => boolean {
  const allowed = new Set(origins);
  return (origin, host) => {
    if (origin === undefined) return true;
    if (allowed.has(origin)) return true;
    try {
      return host !== undefined && new URL(origin).host.toLowerCase() === host.trim().toLowerCase();
    } catch {
      return false;
    }
  };
}
