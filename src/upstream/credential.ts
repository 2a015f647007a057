import { createHash } from 'node:crypto';

/** The caller's credential, exactly as it arrived; forwarded to the upstream origin and nowhere else. */
export interface Credential {
  authorization?: string;
  apiKey?: string;
}

/** The caller's `Authorization` and `x-api-key` headers, or else the server-side key; null without either. */
export function credentialOf(headers: Headers, serverApiKey: string | undefined): Credential | null {
  const authorization = headers.get('authorization') ?? undefined;
  const apiKey = headers.get('x-api-key') ?? undefined;
  if (authorization || apiKey) {
    const credential: Credential = {};
    if (authorization) credential.authorization = authorization;
    if (apiKey) credential.apiKey = apiKey;
    return credential;
  }
  return serverApiKey ? { apiKey: serverApiKey } : null;
}

/**
 * A credential as one string: what tells callers apart in this process's own tables (requests in flight), which live
 * only as long as the request and are never logged or sent. A header value holds no NUL, so the join is unambiguous.
 * Cheaper than its digest, which every request would otherwise hash.
 */
export const localScopeOf = (credential: Credential): string => `${credential.authorization ?? ''}\u0000${credential.apiKey ?? ''}`;

/** A short digest of a credential: what keys anything shared or kept (cache entries, replicas' leases), never the raw token. */
export const scopeOf = (credential: Credential): string => createHash('sha256').update(localScopeOf(credential)).digest('base64url').slice(0, 22);
