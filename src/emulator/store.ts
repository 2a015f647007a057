import { DatabaseSync, type SQLInputValue, type StatementSync } from 'node:sqlite';
import { filterBounds, type CallFilters, type FilterBounds } from './filters.js';
import { parseRfc2822, type VendorRecord } from './record.js';

export type CredentialKind = 'api-key' | 'bearer';

export interface Credential {
  kind: CredentialKind;
  token: string;
  /** The projects this credential may read, or `'*'` for all. */
  projects: '*' | string[];
}

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS calls (
    project_id   TEXT    NOT NULL,
    call_sid     TEXT    NOT NULL,
    start_ts     INTEGER NOT NULL,
    seconds      INTEGER,
    end_ts       INTEGER,
    status       TEXT    NOT NULL,
    "to"         TEXT    NOT NULL,
    "from"       TEXT    NOT NULL,
    phone_number TEXT    NOT NULL,
    cost         REAL,
    record       TEXT    NOT NULL
  );
  CREATE UNIQUE INDEX IF NOT EXISTS calls_project_sid ON calls (project_id, call_sid);

  -- max_seconds bounds how long before an end-filter day a matching call may have started (see whereClause)
  CREATE TABLE IF NOT EXISTS projects (
    project_id  TEXT PRIMARY KEY,
    max_seconds INTEGER NOT NULL DEFAULT 0
  ) WITHOUT ROWID;

  CREATE TABLE IF NOT EXISTS credentials (
    token    TEXT NOT NULL,
    kind     TEXT NOT NULL CHECK (kind IN ('api-key', 'bearer')),
    projects TEXT NOT NULL, -- '*' or a JSON array of project ids
    PRIMARY KEY (kind, token)
  ) WITHOUT ROWID;

  -- the call-status webhook URL registered for a project (POST /project/call-status/add-webhookurl)
  CREATE TABLE IF NOT EXISTS webhooks (
    project_id TEXT PRIMARY KEY,
    url        TEXT NOT NULL
  ) WITHOUT ROWID;
`;

/** Every page is read newest first, so each filterable column leads into (start_ts DESC, call_sid DESC). */
const ORDERING_INDEXES = {
  calls_project_start: '(project_id, start_ts DESC, call_sid DESC)',
  calls_project_status_start: '(project_id, status, start_ts DESC, call_sid DESC)',
  calls_project_to_start: '(project_id, "to", start_ts DESC, call_sid DESC)',
  calls_project_from_start: '(project_id, "from", start_ts DESC, call_sid DESC)',
} as const;
const CREATE_ORDERING_INDEXES = Object.entries(ORDERING_INDEXES)
  .map(([name, columns]) => `CREATE INDEX IF NOT EXISTS ${name} ON calls ${columns};`)
  .join('\n');
const DROP_ORDERING_INDEXES = Object.keys(ORDERING_INDEXES)
  .map((name) => `DROP INDEX IF EXISTS ${name};`)
  .join('\n');

interface EqualityFilter {
  name: 'status' | 'to' | 'from';
  column: string;
  index: keyof typeof ORDERING_INDEXES;
}

const EQUALITY_FILTERS: readonly EqualityFilter[] = [
  { name: 'status', column: 'status', index: 'calls_project_status_start' },
  { name: 'to', column: '"to"', index: 'calls_project_to_start' },
  { name: 'from', column: '"from"', index: 'calls_project_from_start' },
];

/** Rows counted per candidate index when choosing between equality filters. */
const PROBE_LIMIT = 5_000;

/** Past this many rows in one insert, rebuilding the ordering indexes once beats updating them row by row. */
const BULK_LOAD_ROWS = 20_000;

type QueryShape = 'page' | 'count';
type SqlParams = Record<string, SQLInputValue>;

interface CallRow {
  project_id: string;
  call_sid: string;
  start_ts: number;
  seconds: number | null;
  end_ts: number | null;
  status: string;
  to: string;
  from: string;
  phone_number: string;
  cost: number | null;
  record: string;
}

/** The emulator's call and credential store (SQLite through Node's built-in `node:sqlite`). */
export class CallStore {
  readonly path: string;
  private readonly db: DatabaseSync;
  private readonly statements = new Map<string, StatementSync>();

  constructor(path = ':memory:') {
    this.path = path;
    this.db = new DatabaseSync(path);
    this.db.exec('PRAGMA page_size = 16384'); // only takes effect on a new database; set before WAL creates the file
    if (path !== ':memory:' && path !== '') this.db.exec('PRAGMA journal_mode = WAL');
    this.db.exec('PRAGMA synchronous = NORMAL');
    this.db.exec(SCHEMA);
    this.db.exec(CREATE_ORDERING_INDEXES);
  }

  get isOpen(): boolean {
    return this.db.isOpen;
  }

  /**
   * Inserts (or replaces, by callSid) records for a project in one transaction. Each record needs a valid
   * RFC 2822 `date`; the record is stored as given and returned as given.
   */
  insertCalls(projectId: string, records: Iterable<VendorRecord>): number {
    const insert = this.statement(
      'insert',
      `INSERT INTO calls (project_id, call_sid, start_ts, seconds, end_ts, status, "to", "from", phone_number, cost, record)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (project_id, call_sid) DO UPDATE SET
         start_ts = excluded.start_ts, seconds = excluded.seconds, end_ts = excluded.end_ts,
         status = excluded.status, "to" = excluded."to", "from" = excluded."from",
         phone_number = excluded.phone_number, cost = excluded.cost, record = excluded.record`,
    );
    const noteMaxSeconds = this.statement(
      'note-max-seconds',
      `INSERT INTO projects (project_id, max_seconds) VALUES (?, ?)
       ON CONFLICT (project_id) DO UPDATE SET max_seconds = max(max_seconds, excluded.max_seconds)`,
    );
    return this.transaction(() => {
      const existingRows = (this.value('row-estimate', 'SELECT max(rowid) FROM calls') as number | null) ?? 0;
      const bulkFrom = Math.max(BULK_LOAD_ROWS, existingRows);
      let written = 0;
      let maxSeconds = 0;
      for (const record of records) {
        if (written === bulkFrom) this.db.exec(DROP_ORDERING_INDEXES);
        const startTs = parseRfc2822(record.date);
        if (startTs === undefined) throw new RangeError(`Call ${record.callSid} has an invalid date: ${record.date}`);
        const seconds = durationSeconds(record.seconds);
        if (seconds !== null && seconds > maxSeconds) maxSeconds = seconds;
        insert.run(
          projectId,
          record.callSid,
          startTs,
          seconds,
          seconds === null ? null : startTs + seconds,
          textOrEmpty(record.status),
          textOrEmpty(record.to),
          textOrEmpty(record.from),
          textOrEmpty(record.phoneNumber),
          typeof record.cost === 'number' && Number.isFinite(record.cost) ? record.cost : null,
          JSON.stringify(record),
        );
        written++;
      }
      if (written > bulkFrom) this.db.exec(CREATE_ORDERING_INDEXES);
      noteMaxSeconds.run(projectId, Math.ceil(maxSeconds));
      return written;
    });
  }

  /** Inserts one call, or replaces the call of that project with the same callSid. */
  insertCall(projectId: string, record: VendorRecord): void {
    this.insertCalls(projectId, [record]);
  }

  /** One call of a project, or undefined when the project has no call with that SID. */
  call(projectId: string, callSid: string): VendorRecord | undefined {
    const json = this.callJson(projectId, callSid);
    return json === undefined ? undefined : (JSON.parse(json) as VendorRecord);
  }

  /**
   * Merges `changes` into a stored call (the callSid stays) and returns the call as now stored, or undefined
   * when the project has no call with that SID. Every column the filters read follows the new record.
   */
  updateCall(projectId: string, callSid: string, changes: Partial<VendorRecord>): VendorRecord | undefined {
    return this.transaction(() => {
      const current = this.call(projectId, callSid);
      if (current === undefined) return undefined;
      const updated: VendorRecord = { ...current, ...changes, callSid };
      this.insertCalls(projectId, [updated]);
      return updated;
    });
  }

  /** The projects that have a call with this SID (a SID names one call per project). */
  projectsOfCall(callSid: string): string[] {
    return firstColumn(
      this.statement('projects-of-call', 'SELECT project_id FROM calls WHERE call_sid = ? ORDER BY project_id', true).all(callSid),
    ) as string[];
  }

  /** Registers the call-status webhook URL of a project, replacing the one before. */
  setWebhook(projectId: string, url: string): void {
    this.statement(
      'set-webhook',
      'INSERT INTO webhooks (project_id, url) VALUES (?, ?) ON CONFLICT (project_id) DO UPDATE SET url = excluded.url',
    ).run(projectId, url);
  }

  /** The call-status webhook URL of a project, if one is registered. */
  webhook(projectId: string): string | undefined {
    return this.value('webhook', 'SELECT url FROM webhooks WHERE project_id = ?', projectId) as string | undefined;
  }

  /** Lets a credential read more projects (merged with what it already reads). `'*'` means every project. */
  grant(kind: CredentialKind, token: string, projects: '*' | readonly string[]): void {
    const existing = this.credential(kind, token);
    let merged: '*' | string[];
    if (projects === '*' || existing?.projects === '*') merged = '*';
    else merged = [...new Set([...(existing?.projects ?? []), ...projects])];
    this.statement(
      'grant',
      `INSERT INTO credentials (token, kind, projects) VALUES (?, ?, ?)
       ON CONFLICT (kind, token) DO UPDATE SET projects = excluded.projects`,
    ).run(token, kind, merged === '*' ? '*' : JSON.stringify(merged));
  }

  credential(kind: CredentialKind, token: string): Credential | undefined {
    const projects = this.value('credential', 'SELECT projects FROM credentials WHERE kind = ? AND token = ?', kind, token) as
      | string
      | undefined;
    if (projects === undefined) return undefined;
    return { kind, token, projects: projects === '*' ? '*' : (JSON.parse(projects) as string[]) };
  }

  credentials(): Credential[] {
    const rows = this.statement('credentials', 'SELECT token, kind, projects FROM credentials ORDER BY kind, token').all() as {
      token: string;
      kind: CredentialKind;
      projects: string;
    }[];
    return rows.map((row) => ({
      kind: row.kind,
      token: row.token,
      projects: row.projects === '*' ? '*' : (JSON.parse(row.projects) as string[]),
    }));
  }

  /** The newest `pageSize` matching records: start descending, then callSid descending. */
  page(projectId: string, filters: CallFilters, pageSize: number): VendorRecord[] {
    return this.pageJson(projectId, filters, pageSize).map((json) => JSON.parse(json) as VendorRecord);
  }

  /** Like `page`, but the records as stored JSON text (what the server writes without re-encoding). */
  pageJson(projectId: string, filters: CallFilters, pageSize: number): string[] {
    if (!Number.isInteger(pageSize) || pageSize < 1) {
      throw new RangeError(`pageSize must be a positive integer, got ${pageSize}`);
    }
    return this.select('page', projectId, filters, pageSize) as string[];
  }

  /** One call of a project as stored JSON text, or undefined when the project has no call with that SID. */
  callJson(projectId: string, callSid: string): string | undefined {
    return this.value('call', 'SELECT record FROM calls WHERE project_id = ? AND call_sid = ?', projectId, callSid) as
      | string
      | undefined;
  }

  /** Every matching record, newest first. */
  list(projectId: string, filters: CallFilters = {}): VendorRecord[] {
    return (this.select('page', projectId, filters, -1) as string[]).map((json) => JSON.parse(json) as VendorRecord);
  }

  count(projectId?: string, filters: CallFilters = {}): number {
    if (projectId === undefined) {
      return this.value('count-all', 'SELECT count(*) FROM calls') as number;
    }
    return this.select('count', projectId, filters, -1)[0] as number;
  }

  projects(): string[] {
    return firstColumn(this.statement('projects', 'SELECT DISTINCT project_id FROM calls ORDER BY project_id', true).all()) as string[];
  }

  /** Removes one project's calls and webhook, or everything (credentials too) when no project is given. */
  clear(projectId?: string): void {
    if (projectId === undefined) {
      this.db.exec('DELETE FROM calls; DELETE FROM projects; DELETE FROM credentials; DELETE FROM webhooks;');
      return;
    }
    this.transaction(() => {
      this.statement('clear-calls', 'DELETE FROM calls WHERE project_id = ?').run(projectId);
      this.statement('clear-project', 'DELETE FROM projects WHERE project_id = ?').run(projectId);
      this.statement('clear-webhook', 'DELETE FROM webhooks WHERE project_id = ?').run(projectId);
    });
  }

  close(): void {
    if (this.db.isOpen) this.db.close();
  }

  /** Raw rows, for tests and diagnostics. */
  rows(projectId: string): CallRow[] {
    return this.statement('rows', 'SELECT * FROM calls WHERE project_id = ? ORDER BY start_ts DESC, call_sid DESC').all(
      projectId,
    ) as unknown as CallRow[];
  }

  private select(shape: QueryShape, projectId: string, filters: CallFilters, limit: number): unknown[] {
    const bounds = filterBounds(filters);
    const { key, sql, params } = this.buildQuery(shape, projectId, bounds, limit);
    return firstColumn(this.statement(key, sql, true).all(params));
  }

  /** Builds SQL from the fixed set of filter columns only; values always travel as parameters. */
  private buildQuery(shape: QueryShape, projectId: string, bounds: FilterBounds, limit: number) {
    const conditions = ['project_id = @projectId'];
    const params: SqlParams = { projectId };
    const add = (name: string, condition: string, value: string | number | undefined) => {
      if (value === undefined) return;
      conditions.push(condition);
      params[name] = value;
    };
    const equalities = EQUALITY_FILTERS.filter((filter) => bounds[filter.name] !== undefined);
    for (const filter of equalities) add(filter.name, `${filter.column} = @${filter.name}`, bounds[filter.name]);

    // end = start + seconds with 0 <= seconds <= max_seconds, so an end range also bounds the start, which
    // keeps end-filtered pages on an index that leads into start_ts instead of scanning the whole project.
    let startFrom = bounds.startFrom;
    let startBefore = bounds.startBefore;
    if (bounds.endBefore !== undefined) startBefore = Math.min(startBefore ?? Infinity, bounds.endBefore);
    if (bounds.endFrom !== undefined) {
      const reach = bounds.endFrom - this.maxSeconds(projectId);
      startFrom = Math.max(startFrom ?? -Infinity, reach);
    }
    add('startFrom', 'start_ts >= @startFrom', startFrom);
    add('startBefore', 'start_ts < @startBefore', startBefore);
    add('endFrom', 'end_ts >= @endFrom', bounds.endFrom);
    add('endBefore', 'end_ts < @endBefore', bounds.endBefore);

    const where = conditions.join(' AND ');
    let index = '';
    if (equalities.length > 1) {
      const startRange = {
        ...(startFrom === undefined ? {} : { startFrom }),
        ...(startBefore === undefined ? {} : { startBefore }),
      };
      index = ` INDEXED BY ${this.mostSelectiveIndex(projectId, equalities, bounds, startRange)}`;
    }
    let sql: string;
    if (shape === 'count') {
      sql = `SELECT count(*) FROM calls${index} WHERE ${where}`;
    } else {
      sql = `SELECT record FROM calls${index} WHERE ${where} ORDER BY start_ts DESC, call_sid DESC LIMIT @limit`;
      params.limit = limit;
    }
    return { key: `${shape}:${index}:${where}`, sql, params };
  }

  /**
   * With two or more equality filters SQLite cannot tell which index narrows most (an own number has
   * thousands of calls, a rare status a handful), so count up to PROBE_LIMIT rows through each and take
   * the smallest.
   */
  private mostSelectiveIndex(
    projectId: string,
    equalities: readonly EqualityFilter[],
    bounds: FilterBounds,
    startRange: { startFrom?: number; startBefore?: number },
  ): string {
    let best = equalities[0] as EqualityFilter;
    let bestCount = Infinity;
    for (const filter of equalities) {
      const range = [
        startRange.startFrom === undefined ? '' : ' AND start_ts >= @startFrom',
        startRange.startBefore === undefined ? '' : ' AND start_ts < @startBefore',
      ].join('');
      const count = this.value(
        `probe:${filter.index}:${range}`,
        `SELECT count(*) FROM (SELECT 1 FROM calls INDEXED BY ${filter.index}
         WHERE project_id = @projectId AND ${filter.column} = @value${range} LIMIT ${PROBE_LIMIT})`,
        { projectId, value: bounds[filter.name] ?? '', ...startRange },
      ) as number;
      if (count < bestCount) {
        best = filter;
        bestCount = count;
      }
    }
    return best.index;
  }

  private maxSeconds(projectId: string): number {
    const value = this.value('max-seconds', 'SELECT max_seconds FROM projects WHERE project_id = ?', projectId) as
      | number
      | undefined;
    return value ?? 0;
  }

  /** A prepared statement, cached by key; with `arrays`, rows come back as arrays of column values. */
  private statement(key: string, sql: string, arrays = false): StatementSync {
    let statement = this.statements.get(key);
    if (!statement) {
      statement = this.db.prepare(sql);
      if (arrays) statement.setReturnArrays(true);
      this.statements.set(key, statement);
    }
    return statement;
  }

  /** The first column of the first row, or undefined when there is no row. */
  private value(key: string, sql: string, ...params: [SqlParams] | SQLInputValue[]): unknown {
    const row = this.statement(key, sql, true).get(...(params as SQLInputValue[])) as unknown as unknown[] | undefined;
    return row?.[0];
  }

  /**
   * Runs `work` in one transaction: committed when it returns, rolled back when it throws. Inside a
   * transaction already, `work` joins it.
   */
  private transaction<T>(work: () => T): T {
    if (this.db.isTransaction) return work();
    this.db.exec('BEGIN');
    try {
      const result = work();
      this.db.exec('COMMIT');
      return result;
    } catch (error) {
      if (this.db.isTransaction) this.db.exec('ROLLBACK');
      throw error;
    }
  }
}

function firstColumn(rows: unknown[]): unknown[] {
  return rows.map((row) => (row as unknown[])[0]);
}

function durationSeconds(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : null;
}

function textOrEmpty(value: unknown): string {
  return typeof value === 'string' ? value : '';
}
