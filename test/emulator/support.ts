import { request } from 'undici';
import {
  CALL_HISTORY_PATH,
  CALL_PATH,
  DEMO_API_KEY,
  DEMO_BEARER_TOKEN,
  formatRfc2822,
  type VendorRecord,
} from '../../src/emulator/index.js';

export interface CallHistoryRequest {
  query?: string | Record<string, string>;
  body?: unknown;
  /** Sent as is (not JSON-encoded) when a string. */
  rawBody?: string;
  headers?: Record<string, string>;
  apiKey?: string;
  bearer?: string;
  method?: 'POST' | 'GET' | 'PUT' | 'DELETE';
  path?: string;
  headersTimeout?: number;
  signal?: AbortSignal;
}

export interface CallHistoryResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json: unknown;
}

export async function callHistory(baseUrl: string, options: CallHistoryRequest = {}): Promise<CallHistoryResponse> {
  const query =
    options.query === undefined
      ? ''
      : typeof options.query === 'string'
        ? options.query
        : new URLSearchParams(options.query).toString();
  const headers: Record<string, string> = { 'content-type': 'application/json', ...options.headers };
  if (options.apiKey !== undefined) headers['x-api-key'] = options.apiKey;
  if (options.bearer !== undefined) headers.authorization = `Bearer ${options.bearer}`;
  const body = options.rawBody ?? (options.body === undefined ? undefined : JSON.stringify(options.body));
  const response = await request(`${baseUrl}${options.path ?? CALL_HISTORY_PATH}${query ? `?${query}` : ''}`, {
    method: options.method ?? 'POST',
    headers,
    ...(body === undefined ? {} : { body }),
    ...(options.headersTimeout === undefined ? {} : { headersTimeout: options.headersTimeout }),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  });
  const text = await response.body.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.statusCode, headers: response.headers, text, json };
}

/** Requests the emulator answers 401, whatever the body. */
export const UNAUTHORIZED_CREDENTIALS: ReadonlyArray<[name: string, credential: Pick<CallHistoryRequest, 'apiKey' | 'bearer' | 'headers'>]> = [
  ['no credential', {}],
  ['an unknown api key', { apiKey: 'nope' }],
  ['an unknown bearer token', { bearer: 'nope' }],
  ['a non-bearer Authorization header', { headers: { authorization: `Basic ${DEMO_API_KEY}` } }],
  ['a bearer token sent as an api key', { apiKey: DEMO_BEARER_TOKEN }],
];

/** `POST /call`: the same request options, on the one-call endpoint. */
export const callBySid = (baseUrl: string, options: CallHistoryRequest = {}): Promise<CallHistoryResponse> =>
  callHistory(baseUrl, { path: CALL_PATH, ...options });

/** The records of a 200 answer in the default `{message, status, data}` envelope. */
export function records(response: CallHistoryResponse): VendorRecord[] {
  if (response.status !== 200) throw new Error(`expected 200, got ${response.status}: ${response.text}`);
  return (response.json as { data: VendorRecord[] }).data;
}

export function sids(list: readonly VendorRecord[]): string[] {
  return list.map((record) => record.callSid);
}

/** A call SID made from a short readable tag, e.g. sid('a1') = CA000…0a1. */
export function sid(tag: string): string {
  return `CA${tag.padStart(32, '0')}`;
}

export function at(isoInstant: string): number {
  return Date.parse(isoInstant) / 1000;
}

export function makeCall(fields: {
  sid: string;
  start: number;
  seconds?: number | null;
  status?: string;
  to?: string;
  from?: string;
}): VendorRecord {
  const to = fields.to ?? '+14155550100';
  return {
    callSid: fields.sid,
    status: fields.status ?? 'completed',
    from: fields.from ?? '+12065550111',
    to,
    phoneNumber: to,
    date: formatRfc2822(fields.start),
    seconds: fields.seconds === undefined ? 60 : fields.seconds,
    cost: fields.seconds === null ? null : 0.013,
    recordingUrls: [],
    data: {},
  };
}
