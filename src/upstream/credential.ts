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

/** A short digest of a credential: what shares in-flight requests and cache entries, never the raw token. */
export const scopeOf = (credential: Credential): string =>
  createHash('sha256')
    .update(`${credential.authorization ?? ''}\u0000${credential.apiKey ?? ''}`)
    .digest('base64url')
    .slice(0, 22);
