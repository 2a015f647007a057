/**
 * What each contender is asked. Our server and the peer get one GraphQL document each selecting the same seven
 * fields of each call; the proxies get our server's request (they read `variables` and ignore the query).
 */
export const PROJECT_ID = 'bench';

const OUR_FIELDS = 'sid status from to startedAt durationSeconds cost';
const PEER_FIELDS = 'callSid status from to date seconds cost';

export const OUR_QUERY = `query CallHistoryBench($projectId: ID!, $first: Int!) {
  callHistory(projectId: $projectId, first: $first) { nodes { ${OUR_FIELDS} } }
}`;

export const PEER_QUERY = `query CallHistoryBench($projectId: NonEmptyString!, $pageSize: PositiveInt!) {
  getCallHistory(input: { projectId: $projectId, pageSize: $pageSize }) {
    ... on CallHistoryResponse { data { ${PEER_FIELDS} } }
    ... on ErrorResponse { message }
  }
}`;

export const ALIASES = 10;
const aliasNames = Array.from({ length: ALIASES }, (_, index) => `h${index}`);

export const OUR_ALIASED_QUERY = `query CallHistoryAliases($projectId: ID!, $first: Int!) {
${aliasNames.map((name) => `  ${name}: callHistory(projectId: $projectId, first: $first) { nodes { ${OUR_FIELDS} } }`).join('\n')}
}`;

export const PEER_ALIASED_QUERY = `query CallHistoryAliases($projectId: NonEmptyString!, $pageSize: PositiveInt!) {
${aliasNames
  .map(
    (name) =>
      `  ${name}: getCallHistory(input: { projectId: $projectId, pageSize: $pageSize }) { ... on CallHistoryResponse { data { ${PEER_FIELDS} } } ... on ErrorResponse { message } }`,
  )
  .join('\n')}
}`;

export type Dialect = 'ours' | 'peer';

export function requestBody(dialect: Dialect, pageSize: number, aliased = false): string {
  return dialect === 'ours'
    ? JSON.stringify({ query: aliased ? OUR_ALIASED_QUERY : OUR_QUERY, variables: { projectId: PROJECT_ID, first: pageSize } })
    : JSON.stringify({ query: aliased ? PEER_ALIASED_QUERY : PEER_QUERY, variables: { projectId: PROJECT_ID, pageSize } });
}

/** A call reduced to what every contender reports the same way: the "same calls" check compares these. */
export interface NormalCall {
  sid: string;
  status: string;
  from: string | null;
  to: string | null;
  startedAtMs: number | null;
  durationSeconds: number | null;
}

const KNOWN_STATUSES = new Set([
  'queued', 'initiated', 'ringing', 'in-progress', 'completed', 'busy', 'failed', 'no-answer', 'canceled', 'voicemail', 'silence',
]);

/** Wire status, GraphQL enum value or unknown value, as one spelling ("unknown" for statuses nobody models). */
function normalStatus(value: unknown): string {
  const wire = String(value).toLowerCase().replaceAll('_', '-');
  return KNOWN_STATUSES.has(wire) ? wire : 'unknown';
}

const instant = (value: unknown): number | null => {
  if (typeof value !== 'string') return null;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? null : ms;
};
const seconds = (value: unknown): number | null => (typeof value === 'number' ? Math.round(value) : null);
const text = (value: unknown): string | null => (typeof value === 'string' ? value : null);

type Json = Record<string, unknown>;

/** Our server's (and P0-json's) nodes. */
export function normaliseOurs(nodes: Json[]): NormalCall[] {
  return nodes.map((node) => ({
    sid: String(node.sid),
    status: normalStatus(node.status),
    from: text(node.from),
    to: text(node.to),
    startedAtMs: instant(node.startedAt),
    durationSeconds: seconds(node.durationSeconds),
  }));
}

/** Upstream records, as the stub, P0-pipe and the peer return them. */
export function normaliseUpstream(records: Json[]): NormalCall[] {
  return records.map((record) => ({
    sid: String(record.callSid),
    status: normalStatus(record.status),
    from: text(record.from),
    to: text(record.to),
    startedAtMs: instant(record.date),
    durationSeconds: seconds(record.seconds),
  }));
}

/** The calls in one response of a contender, or a description of what is wrong with it. */
export function callsOf(dialect: Dialect | 'upstream', body: string, alias?: string): NormalCall[] | string {
  let json: Json;
  try {
    json = JSON.parse(body) as Json;
  } catch {
    return `not JSON: ${body.slice(0, 200)}`;
  }
  if (Array.isArray(json.errors) && json.errors.length > 0) return `GraphQL errors: ${JSON.stringify(json.errors).slice(0, 300)}`;
  const data = json.data as Json | undefined;
  if (dialect === 'upstream') return Array.isArray(json.data) ? normaliseUpstream(json.data as Json[]) : 'no data list';
  if (dialect === 'ours') {
    const connection = data?.[alias ?? 'callHistory'] as Json | undefined;
    const nodes = connection?.nodes;
    return Array.isArray(nodes) ? normaliseOurs(nodes as Json[]) : `no nodes: ${body.slice(0, 200)}`;
  }
  const answer = data?.[alias ?? 'getCallHistory'] as Json | undefined;
  if (answer && typeof answer.message === 'string') return `peer answered an error: ${answer.message}`;
  return Array.isArray(answer?.data) ? normaliseUpstream(answer.data as Json[]) : `no data: ${body.slice(0, 200)}`;
}
