import { randomUUID } from 'node:crypto';
import type { Credential } from '../upstream/credential.js';
import { type SessionSettings, openSession } from '../upstream/session.js';
import type { OpenPoll } from './watcher.js';

/**
 * A watcher's polls go the way a GraphQL request's reads go (deadline, bulkhead, in-flight sharing, retries,
 * breaker, failure mapping): each poll is a session of its own, with UPSTREAM_TIMEOUT_MS from its start.
 */
export function sessionPolls(settings: SessionSettings): (credential: Credential) => OpenPoll {
  return (credential) => (signal) => {
    const session = openSession(settings, {
      credential,
      requestId: `call-events-${randomUUID()}`,
      signal,
      deadlineAt: Date.now() + settings.timeoutMs,
    });
    return { history: session.fetch, call: session.call };
  };
}
