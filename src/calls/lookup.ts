import { badInput } from '../domain/errors.js';
import { type CallLookup, type UpstreamRecords, upstreamOf } from '../domain/request.js';
import type { CallRecord } from '../domain/record.js';
import { checkedString } from '../history/translate.js';

/** A call SID is 34 characters (`CA` + 32 hex); the bound leaves room for other formats, not for abuse. */
export const MAX_SID_LENGTH = 64;
const WHITESPACE = /\s/;

/**
 * The arguments of `call`, or the key fields of a `Call` representation (client JSON, not checked against the
 * key's type), as a lookup; every rejection is BAD_USER_INPUT and happens before any upstream request. The SID
 * is checked leniently but safely: bounded, no whitespace or control characters; the upstream judges the rest.
 */
export function parseCallLookup(args: { projectId: unknown; sid: unknown }): CallLookup {
  const projectId = checkedString(idString(args.projectId, 'projectId'), 'projectId');
  const sid = checkedString(idString(args.sid, 'sid'), 'sid', MAX_SID_LENGTH);
  if (WHITESPACE.test(sid)) throw badInput('sid must not contain whitespace.', { argument: 'sid' });
  return { projectId, sid };
}

/** An ID as GraphQL accepts one: a string, or an integer. */
function idString(value: unknown, argument: string): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isSafeInteger(value)) return String(value);
  throw badInput(`${argument} must be a string.`, { argument });
}

/** What the service needs of a request's context: its upstream records, null when the caller has no credential. */
export interface CallContext {
  readonly records: UpstreamRecords | null;
}

/** `call` and `Call` references: one call by its SID, null when the project has none; all I/O goes through `ctx.records`. */
export async function callBySid(ctx: CallContext, args: { projectId: unknown; sid: unknown }): Promise<CallRecord | null> {
  const records = upstreamOf(ctx.records);
  return records.call(parseCallLookup(args));
}
