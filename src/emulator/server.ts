import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import { z } from 'zod';
import { CallChangeError, EmulatorCalls } from './calls.js';
import { ChaosController, FAULT_KINDS, isFaultKind, type ChaosRuleInput, type Fault, type FaultKind } from './chaos.js';
import { parseFilterQuery } from './filters.js';
import { CALL_SID_PATTERN } from './record.js';
import type { CallStore, Credential, CredentialKind } from './store.js';
import { webhookUrlProblem } from './webhooks.js';

export const CALL_HISTORY_PATH = '/call/get-call-history';
export const CALL_PATH = '/call';
export const CHAOS_PATH = '/__emulator/chaos';
export const REQUESTS_PATH = '/__emulator/requests';
export const ADMIN_CALLS_PATH = '/__emulator/calls';
export const ADD_WEBHOOK_PATH = '/project/call-status/add-webhookurl';
export const FAULT_HEADER = 'x-emulator-fault';
export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 1000;

export const MESSAGES = {
  success: 'Call history fetched successfully.',
  empty: 'No call history found for this project.',
  missingCredential: 'Unauthorized: send an x-api-key header or an Authorization: Bearer token.',
  unknownCredential: 'Unauthorized: the credential is not valid.',
  forbidden: 'Forbidden: this credential may not read this project.',
  bodyNotJson: 'The request body must be a JSON object.',
  projectIdRequired: 'projectId is required and must be a non-empty string.',
  pageSizeRange: `pageSize must be an integer between 1 and ${MAX_PAGE_SIZE}.`,
  storeFailed: 'Error fetching call history.',
  callSuccess: 'Call data fetched successfully.',
  callNotFound: 'No call with this sid in this project.',
  sidRequired: 'sid is required and must be a call SID (CA followed by 32 hex digits).',
  callStoreFailed: 'Error fetching call data.',
  webhookAdded: 'added webhook url.',
  webhookUrlRequired: 'webhookURL is required and must be a string.',
  webhookStoreFailed: 'Error adding webhook url.',
} as const;

export type Envelope = 'object' | 'array';

export interface EmulatorServerOptions {
  store: CallStore;
  /**
   * `object` (default): `{message, status, data}`; `array`: the bare data (an array of records from the
   * history endpoint, the record itself from `POST /call`). Errors keep their object shape either way.
   */
  envelope?: Envelope;
  /** Enables faults (rules and the `x-emulator-fault` header) and the `/__emulator/*` control endpoints. */
  chaos?: boolean;
  /** The request log keeps this many newest entries (default 10,000). */
  requestLogLimit?: number;
  /** How long a `slow-body` answer takes to arrive in full (default 30 s). */
  slowBodyMs?: number;
  /** Where call changes made through the admin routes go (default: the store, with no webhooks). */
  calls?: EmulatorCalls;
  /** Accept webhook URLs on any host; by default only URLs on this machine. */
  webhookAnyHost?: boolean;
}

export interface RequestLogEntry {
  method: string;
  path: string;
  query: Record<string, string | string[]>;
  /** The parsed JSON body, or null when it was empty or not JSON. */
  body: unknown;
  headers: Record<string, string | string[]>;
  fault?: FaultKind;
  /** The HTTP status sent; 0 when no answer was sent (`hang`, `reset`). */
  status: number;
}

export interface RequestFilter {
  projectId?: string;
}

export interface EmulatorServer {
  server: http.Server;
  /** Present when the server runs with `chaos: true`. */
  chaos: ChaosController | undefined;
  requests(filter?: RequestFilter): RequestLogEntry[];
  clearRequests(filter?: RequestFilter): void;
  /** Stops listening and ends every open connection, hanging and slow ones included. */
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 1024 * 1024;
const SLOW_BODY_TICK_MS = 250;
const JSON_TYPE = 'application/json; charset=utf-8';

const historyBodySchema = z.object({
  projectId: z.string({ error: MESSAGES.projectIdRequired }).min(1, { error: MESSAGES.projectIdRequired }),
  pageSize: z
    .number({ error: MESSAGES.pageSizeRange })
    .int({ error: MESSAGES.pageSizeRange })
    .min(1, { error: MESSAGES.pageSizeRange })
    .max(MAX_PAGE_SIZE, { error: MESSAGES.pageSizeRange })
    .optional(),
});

const addWebhookBodySchema = z.object({
  projectId: z.string({ error: MESSAGES.projectIdRequired }).min(1, { error: MESSAGES.projectIdRequired }),
  webhookURL: z.string({ error: MESSAGES.webhookUrlRequired }),
});

const callBodySchema = z.object({
  sid: z.string({ error: MESSAGES.sidRequired }).regex(CALL_SID_PATTERN, { error: MESSAGES.sidRequired }),
  projectId: z.string({ error: MESSAGES.projectIdRequired }).min(1, { error: MESSAGES.projectIdRequired }),
});

interface Answer {
  status: number;
  body: string | Buffer;
  contentType: string;
  headers?: Record<string, string>;
}

class BodyTooLargeError extends Error {}

export function createEmulatorServer(options: EmulatorServerOptions): EmulatorServer {
  const { store } = options;
  const envelope = options.envelope ?? 'object';
  const chaos = options.chaos ? new ChaosController() : undefined;
  const logLimit = options.requestLogLimit ?? 10_000;
  const slowBodyMs = options.slowBodyMs ?? 30_000;
  const log: RequestLogEntry[] = [];
  const slowBodyTimers = new Set<NodeJS.Timeout>();
  const calls = options.calls ?? new EmulatorCalls({ store });

  const record = (entry: RequestLogEntry) => {
    log.push(entry);
    if (log.length > logLimit) log.splice(0, log.length - logLimit);
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://emulator.local');
    const method = req.method ?? 'GET';
    const rawBody = await readBody(req);
    const body = parseJson(rawBody);

    if (url.pathname === ADMIN_CALLS_PATH || url.pathname.startsWith(`${ADMIN_CALLS_PATH}/`)) {
      send(res, adminCalls(method, url, body));
      return;
    }
    if (chaos && url.pathname.startsWith('/__emulator/')) {
      send(res, control(chaos, method, url, body));
      return;
    }

    const entry: RequestLogEntry = {
      method,
      path: url.pathname,
      query: queryRecord(url.searchParams),
      body: body.ok ? body.value : null,
      headers: headerRecord(req),
      status: 0,
    };
    const finish = (answer: Answer) => {
      entry.status = answer.status;
      record(entry);
      send(res, answer);
    };

    const route = ROUTES[url.pathname];
    if (!route) {
      finish(errorAnswer(404, `Cannot ${method} ${url.pathname}`));
      return;
    }
    const answer = () => route(req, url, body);
    if (method !== 'POST') {
      finish({ ...errorAnswer(405, `Method ${method} is not allowed; use POST.`), headers: { allow: 'POST' } });
      return;
    }

    let fault: Fault | undefined;
    if (chaos) {
      const requested = req.headers[FAULT_HEADER];
      if (typeof requested === 'string') {
        if (!isFaultKind(requested)) {
          finish(errorAnswer(400, `${FAULT_HEADER} must be one of: ${FAULT_KINDS.join(', ')}.`));
          return;
        }
        fault = { kind: requested };
      } else {
        fault = chaos.next(projectIdOf(body));
      }
    }
    if (!fault) {
      finish(answer());
      return;
    }
    entry.fault = fault.kind;

    switch (fault.kind) {
      case 'hang':
        record(entry); // never answered; the socket ends when the client or close() ends it
        return;
      case 'reset':
        record(entry);
        req.socket.resetAndDestroy();
        return;
      case 'slow-body': {
        const slow = answer();
        entry.status = slow.status;
        record(entry);
        dribble(res, slow);
        return;
      }
      case 'renamed-fields':
        finish(renameFields(answer()));
        return;
      case 'truncated-json':
        finish(truncate(answer()));
        return;
      default:
        finish(faultAnswer(fault));
    }
  }

  /**
   * The checks both endpoints make, in the vendor's order: a known credential (401), a JSON object body
   * that fits the schema (400). The project check (403) comes after any other validation.
   */
  function admit<T>(req: IncomingMessage, body: ParsedJson, schema: z.ZodType<T>): Answer | { granted: Credential; request: T } {
    const credential = readCredential(req);
    if (!credential) return errorAnswer(401, MESSAGES.missingCredential);
    const granted = store.credential(credential.kind, credential.token);
    if (!granted) return errorAnswer(401, MESSAGES.unknownCredential);
    if (!body.ok || typeof body.value !== 'object' || body.value === null || Array.isArray(body.value)) {
      return errorAnswer(400, MESSAGES.bodyNotJson);
    }
    const request = schema.safeParse(body.value);
    if (!request.success) return errorAnswer(400, request.error.issues[0]?.message ?? MESSAGES.bodyNotJson);
    return { granted, request: request.data };
  }

  const success = (message: string, data: string): Answer => ({
    status: 200,
    body: envelope === 'array' ? data : `{"message":${JSON.stringify(message)},"status":"success","data":${data}}`,
    contentType: JSON_TYPE,
  });

  function answerCallHistory(req: IncomingMessage, url: URL, body: ParsedJson): Answer {
    try {
      const admitted = admit(req, body, historyBodySchema);
      if (!('granted' in admitted)) return admitted;
      const filters = parseFilterQuery(url.searchParams);
      if (!filters.ok) return errorAnswer(400, filters.message);

      const { projectId, pageSize = DEFAULT_PAGE_SIZE } = admitted.request;
      if (!mayRead(admitted.granted, projectId)) return errorAnswer(403, MESSAGES.forbidden);

      const records = store.pageJson(projectId, filters.filters, pageSize);
      if (records.length === 0) return errorAnswer(404, MESSAGES.empty);
      return success(MESSAGES.success, `[${records.join(',')}]`);
    } catch {
      return errorAnswer(500, MESSAGES.storeFailed);
    }
  }

  /** `POST /call {sid, projectId}`: one call of a project; 404 when the project has no call with that SID. */
  function answerCall(req: IncomingMessage, _url: URL, body: ParsedJson): Answer {
    try {
      const admitted = admit(req, body, callBodySchema);
      if (!('granted' in admitted)) return admitted;
      const { projectId, sid } = admitted.request;
      if (!mayRead(admitted.granted, projectId)) return errorAnswer(403, MESSAGES.forbidden);
      const record = store.callJson(projectId, sid);
      if (record === undefined) return errorAnswer(404, MESSAGES.callNotFound);
      return success(MESSAGES.callSuccess, record);
    } catch {
      return errorAnswer(500, MESSAGES.callStoreFailed);
    }
  }

  /** `POST /project/call-status/add-webhookurl {projectId, webhookURL}`: the project's status changes go there. */
  function answerAddWebhook(req: IncomingMessage, _url: URL, body: ParsedJson): Answer {
    try {
      const admitted = admit(req, body, addWebhookBodySchema);
      if (!('granted' in admitted)) return admitted;
      const { projectId, webhookURL } = admitted.request;
      if (!mayRead(admitted.granted, projectId)) return errorAnswer(403, MESSAGES.forbidden);
      const problem = webhookUrlProblem(webhookURL, options.webhookAnyHost ?? false);
      if (problem !== undefined) return errorAnswer(400, problem);
      store.setWebhook(projectId, webhookURL);
      return jsonAnswer(200, { message: MESSAGES.webhookAdded, status: 'success' });
    } catch {
      return errorAnswer(500, MESSAGES.webhookStoreFailed);
    }
  }

  const ROUTES: Record<string, (req: IncomingMessage, url: URL, body: ParsedJson) => Answer> = {
    [CALL_HISTORY_PATH]: answerCallHistory,
    [CALL_PATH]: answerCall,
    [ADD_WEBHOOK_PATH]: answerAddWebhook,
  };

  /**
   * `POST /__emulator/calls {projectId, ...fields}` creates a call; `PATCH /__emulator/calls/<sid>
   * {projectId?, ...fields}` changes one. Both answer the call as now stored.
   */
  function adminCalls(method: string, url: URL, body: ParsedJson): Answer {
    const sid = url.pathname.slice(ADMIN_CALLS_PATH.length + 1);
    const allow = sid === '' ? 'POST' : 'PATCH';
    if (method !== allow) return { ...errorAnswer(405, `Method ${method} is not allowed; use ${allow}.`), headers: { allow } };
    if (!body.ok || typeof body.value !== 'object' || body.value === null || Array.isArray(body.value)) {
      return errorAnswer(400, MESSAGES.bodyNotJson);
    }
    const { projectId, ...fields } = body.value as Record<string, unknown>;
    if (projectId !== undefined && (typeof projectId !== 'string' || projectId === '')) {
      return errorAnswer(400, MESSAGES.projectIdRequired);
    }
    try {
      if (sid === '') return jsonAnswer(201, { status: 'success', data: calls.start(projectId ?? '', fields) });
      const record = calls.update(safeDecode(sid), fields, projectId === undefined ? {} : { projectId });
      return jsonAnswer(200, { status: 'success', data: record });
    } catch (error) {
      if (error instanceof CallChangeError) return errorAnswer(error.status, error.message);
      throw error;
    }
  }

  function dribble(res: ServerResponse, answer: Answer): void {
    const bytes = Buffer.from(answer.body);
    const head = Math.min(bytes.length, Math.max(1, Math.floor(bytes.length / 8)));
    res.writeHead(answer.status, { 'content-type': answer.contentType, 'content-length': bytes.length });
    res.write(bytes.subarray(0, head));
    const ticks = Math.max(1, Math.floor(slowBodyMs / SLOW_BODY_TICK_MS));
    const chunk = Math.max(1, Math.ceil((bytes.length - head) / ticks));
    let offset = head;
    const timer = setInterval(() => {
      const next = Math.min(bytes.length, offset + chunk);
      res.write(bytes.subarray(offset, next));
      offset = next;
      if (offset >= bytes.length) {
        stop();
        res.end();
      }
    }, SLOW_BODY_TICK_MS);
    const stop = () => {
      clearInterval(timer);
      slowBodyTimers.delete(timer);
    };
    slowBodyTimers.add(timer);
    res.once('close', stop);
  }

  function control(controller: ChaosController, method: string, url: URL, body: ParsedJson): Answer {
    const projectId = url.searchParams.get('projectId') ?? undefined;
    if (url.pathname === CHAOS_PATH) {
      if (method === 'GET') return jsonAnswer(200, { status: 'success', rules: controller.rules() });
      if (method === 'DELETE') {
        controller.clear(projectId);
        return jsonAnswer(200, { status: 'success', rules: controller.rules() });
      }
      if (method === 'POST') {
        if (!body.ok) return errorAnswer(400, MESSAGES.bodyNotJson);
        try {
          return jsonAnswer(200, { status: 'success', rule: controller.set(body.value as ChaosRuleInput) });
        } catch (error) {
          const message = error instanceof z.ZodError ? z.prettifyError(error) : 'Invalid chaos rule.';
          return errorAnswer(400, message);
        }
      }
      return { ...errorAnswer(405, `Method ${method} is not allowed.`), headers: { allow: 'GET, POST, DELETE' } };
    }
    if (url.pathname === REQUESTS_PATH) {
      const filter = projectId === undefined ? {} : { projectId };
      if (method === 'GET') return jsonAnswer(200, { status: 'success', requests: requests(filter) });
      if (method === 'DELETE') {
        clearRequests(filter);
        return jsonAnswer(200, { status: 'success' });
      }
      return { ...errorAnswer(405, `Method ${method} is not allowed.`), headers: { allow: 'GET, DELETE' } };
    }
    return errorAnswer(404, `Cannot ${method} ${url.pathname}`);
  }

  function requests(filter: RequestFilter = {}): RequestLogEntry[] {
    const matching =
      filter.projectId === undefined ? log : log.filter((entry) => projectIdOfBody(entry.body) === filter.projectId);
    return matching.map((entry) => structuredClone(entry));
  }

  function clearRequests(filter: RequestFilter = {}): void {
    if (filter.projectId === undefined) {
      log.length = 0;
      return;
    }
    const kept = log.filter((entry) => projectIdOfBody(entry.body) !== filter.projectId);
    log.length = 0;
    log.push(...kept);
  }

  const server = http.createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (error instanceof BodyTooLargeError) {
        send(res, { ...errorAnswer(413, 'The request body is too large.'), headers: { connection: 'close' } });
      } else if (!res.headersSent && !res.destroyed) {
        send(res, errorAnswer(500, MESSAGES.storeFailed));
      } else {
        res.destroy();
      }
    });
  });
  server.keepAliveTimeout = 5_000;

  function close(): Promise<void> {
    for (const timer of slowBodyTimers) clearInterval(timer);
    slowBodyTimers.clear();
    return new Promise((resolve, reject) => {
      if (!server.listening) {
        server.closeAllConnections();
        resolve();
        return;
      }
      server.close((error) => (error ? reject(error) : resolve()));
      server.closeAllConnections();
    });
  }

  return { server, chaos, requests, clearRequests, close };
}

type ParsedJson = { ok: true; value: unknown } | { ok: false };

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

function parseJson(text: string): ParsedJson {
  if (text.trim() === '') return { ok: false };
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    return { ok: false };
  }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        req.removeAllListeners('data');
        req.resume();
        reject(new BodyTooLargeError());
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

const mayRead = (granted: Credential, projectId: string): boolean =>
  granted.projects === '*' || granted.projects.includes(projectId);

function readCredential(req: IncomingMessage): { kind: CredentialKind; token: string } | undefined {
  const apiKey = req.headers['x-api-key'];
  if (typeof apiKey === 'string' && apiKey.trim() !== '') return { kind: 'api-key', token: apiKey.trim() };
  const match = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
  if (match?.[1]) return { kind: 'bearer', token: match[1] };
  return undefined;
}

function projectIdOf(body: ParsedJson): string | undefined {
  return body.ok ? projectIdOfBody(body.value) : undefined;
}

function projectIdOfBody(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const projectId = (body as { projectId?: unknown }).projectId;
  return typeof projectId === 'string' ? projectId : undefined;
}

function queryRecord(params: URLSearchParams): Record<string, string | string[]> {
  const query: Record<string, string | string[]> = {};
  for (const name of new Set(params.keys())) {
    const values = params.getAll(name);
    query[name] = values.length === 1 ? (values[0] ?? '') : values;
  }
  return query;
}

function headerRecord(req: IncomingMessage): Record<string, string | string[]> {
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers[name] = value;
  }
  return headers;
}

function send(res: ServerResponse, answer: Answer): void {
  if (res.destroyed) return;
  const body = Buffer.from(answer.body);
  res.writeHead(answer.status, {
    'content-type': answer.contentType,
    'content-length': body.length,
    ...answer.headers,
  });
  res.end(body);
}

function jsonAnswer(status: number, value: unknown): Answer {
  return { status, body: JSON.stringify(value), contentType: JSON_TYPE };
}

function errorAnswer(status: number, message: string): Answer {
  return jsonAnswer(status, { message, status: 'error' });
}

const FAULT_MESSAGES: Partial<Record<FaultKind, [number, string]>> = {
  '500': [500, 'Internal server error.'],
  '502': [502, 'Bad gateway.'],
  '503': [503, 'Service unavailable.'],
  '503-retry-after': [503, 'Service unavailable.'],
  '429': [429, 'Too many requests.'],
  '429-no-retry-after': [429, 'Too many requests.'],
};

function faultAnswer(fault: Fault): Answer {
  if (fault.kind === 'not-json') {
    return {
      status: 200,
      body: 'Call history is temporarily unavailable, please try again later.',
      contentType: 'text/plain; charset=utf-8',
    };
  }
  if (fault.kind === 'html') {
    return {
      status: 200,
      contentType: 'text/html; charset=utf-8',
      body:
        '<!DOCTYPE html><html><head><title>Service Unavailable</title></head><body><h1>Service Unavailable</h1>' +
        '<p>The service is temporarily unable to handle the request.</p></body></html>',
    };
  }
  const [status, message] = FAULT_MESSAGES[fault.kind] ?? [500, 'Internal server error.'];
  const answer = errorAnswer(status, message);
  if (fault.kind === '429' || fault.kind === '503-retry-after') {
    answer.headers = { 'retry-after': String(fault.retryAfter ?? 1) };
  }
  return answer;
}

const RENAMED_FIELDS: Record<string, string> = {
  callSid: 'call_sid',
  status: 'state',
  date: 'started',
  phoneNumber: 'phone_number',
  recordingUrls: 'recording_urls',
  seconds: 'duration',
};

type Row = Record<string, unknown>;

/**
 * A successful answer whose records use other key names (a list or one record, bare or in the envelope); any
 * other answer is left as it is.
 */
function renameFields(answer: Answer): Answer {
  if (answer.status !== 200) return answer;
  const renameOne = (record: Row) =>
    Object.fromEntries(Object.entries(record).map(([key, value]) => [RENAMED_FIELDS[key] ?? key, value]));
  const rename = (data: Row | Row[]) => (Array.isArray(data) ? data.map(renameOne) : renameOne(data));
  const parsed = JSON.parse(answer.body.toString()) as Row | Row[];
  const enveloped = !Array.isArray(parsed) && parsed.status === 'success' && typeof parsed.data === 'object';
  const renamed = enveloped ? { ...parsed, data: rename(parsed.data as Row | Row[]) } : rename(parsed);
  return { ...answer, body: JSON.stringify(renamed) };
}

/** The answer's body cut in the middle, with a matching Content-Length: complete HTTP, broken JSON. */
function truncate(answer: Answer): Answer {
  const bytes = Buffer.from(answer.body);
  return { ...answer, status: 200, body: bytes.subarray(0, Math.max(1, Math.floor(bytes.length / 2))) };
}
