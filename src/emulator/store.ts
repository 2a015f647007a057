import Database from 'better-sqlite3';
import { filterBounds, type CallFilters, type FilterBounds } from './filters.js';
import { parseRfc2822, type CallRecord } from './record.js';

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
  CREATE INDEX IF NOT EXISTS calls_project_start ON calls (project_id, start_ts DESC, call_sid DESC);
  CREATE INDEX IF NOT EXISTS calls_project_status_start ON calls (project_id, status, start_ts DESC, call_sid DESC);
  CREATE INDEX IF NOT EXISTS calls_project_to_start ON calls (project_id, "to", start_ts DESC, call_sid DESC);
  CREATE INDEX IF NOT EXISTS calls_project_from_start ON calls (project_id, "from", start_ts DESC, call_sid DESC);

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
`;

type QueryShape = 'page' | 'count';
type SqlParams = Record<string, string | number>;

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

/** The emulator's call and credential store (SQLite through better-sqlite3). */
export class CallStore {
  readonly path: string;
  private readonly db: Database.Database;
  private readonly statements = new Map<string, Database.Statement>();

  constructor(path = ':memory:') {
    this.path = path;
    this.db = new Database(path);
    if (path !== ':memory:' && path !== '') this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.exec(SCHEMA);
  }

  get isOpen(): boolean {
    return this.db.open;
  }

  /**
   * Inserts (or replaces, by callSid) records for a project in one transaction. Each record needs a valid
   * RFC 2822 `date`; the record is stored as given and returned as given.
   */
  insertCalls(projectId: string, records: Iterable<CallRecord>): number {
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
    const run = this.db.transaction((items: Iterable<CallRecord>) => {
      let written = 0;
      let maxSeconds = 0;
      for (const record of items) {
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
      noteMaxSeconds.run(projectId, Math.ceil(maxSeconds));
      return written;
    });
    return run(records);
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
    const row = this.statement('credential', 'SELECT projects FROM credentials WHERE kind = ? AND token = ?').get(
      kind,
      token,
    ) as { projects: string } | undefined;
    if (!row) return undefined;
    return { kind, token, projects: row.projects === '*' ? '*' : (JSON.parse(row.projects) as string[]) };
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
  page(projectId: string, filters: CallFilters, pageSize: number): CallRecord[] {
    return this.pageJson(projectId, filters, pageSize).map((json) => JSON.parse(json) as CallRecord);
  }

  /** Like `page`, but the records as stored JSON text (what the server writes without re-encoding). */
  pageJson(projectId: string, filters: CallFilters, pageSize: number): string[] {
    if (!Number.isInteger(pageSize) || pageSize < 1) throw new RangeError(`pageSize must be a positive integer, got ${pageSize}`);
    return this.select('page', projectId, filters, pageSize) as string[];
  }

  /** Every matching record, newest first. */
  list(projectId: string, filters: CallFilters = {}): CallRecord[] {
    return (this.select('page', projectId, filters, -1) as string[]).map((json) => JSON.parse(json) as CallRecord);
  }

  count(projectId?: string, filters: CallFilters = {}): number {
    if (projectId === undefined) {
      return this.statement('count-all', 'SELECT count(*) FROM calls').pluck().get() as number;
    }
    return this.select('count', projectId, filters, -1)[0] as number;
  }

  projects(): string[] {
    return this.statement('projects', 'SELECT DISTINCT project_id FROM calls ORDER BY project_id').pluck().all() as string[];
  }

  /** Removes one project's calls, or everything (calls and credentials) when no project is given. */
  clear(projectId?: string): void {
    if (projectId === undefined) {
      this.db.exec('DELETE FROM calls; DELETE FROM projects; DELETE FROM credentials;');
      return;
    }
    this.db.transaction(() => {
      this.statement('clear-calls', 'DELETE FROM calls WHERE project_id = ?').run(projectId);
      this.statement('clear-project', 'DELETE FROM projects WHERE project_id = ?').run(projectId);
    })();
  }

  /** Refreshes the query planner's statistics; worth it after a large load. */
  analyze(): void {
    this.db.pragma('analysis_limit = 2000');
    this.db.exec('ANALYZE');
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  /** Raw rows, for tests and diagnostics. */
  rows(projectId: string): CallRow[] {
    return this.statement('rows', 'SELECT * FROM calls WHERE project_id = ? ORDER BY start_ts DESC, call_sid DESC').all(
      projectId,
    ) as CallRow[];
  }

  private select(shape: QueryShape, projectId: string, filters: CallFilters, limit: number): unknown[] {
    const bounds = filterBounds(filters);
    const { key, sql, params } = this.buildQuery(shape, projectId, bounds, limit);
    const statement = this.statements.get(key) ?? this.remember(key, this.db.prepare(sql).pluck());
    return statement.all(params);
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
    add('status', 'status = @status', bounds.status);
    add('to', '"to" = @to', bounds.to);
    add('from', '"from" = @from', bounds.from);

    // end = start + seconds with 0 <= seconds <= max_seconds, so an end range also bounds the start, which
    // keeps end-filtered pages on the (project_id, start_ts) index instead of scanning the whole project.
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
    let sql: string;
    if (shape === 'count') {
      sql = `SELECT count(*) FROM calls WHERE ${where}`;
    } else {
      sql = `SELECT record FROM calls WHERE ${where} ORDER BY start_ts DESC, call_sid DESC LIMIT @limit`;
      params.limit = limit;
    }
    return { key: `${shape}:${where}`, sql, params };
  }

  private maxSeconds(projectId: string): number {
    const value = this.statement('max-seconds', 'SELECT max_seconds FROM projects WHERE project_id = ?').pluck().get(
      projectId,
    ) as number | undefined;
    return value ?? 0;
  }

  private statement(key: string, sql: string): Database.Statement {
    return this.statements.get(key) ?? this.remember(key, this.db.prepare(sql));
  }

  private remember(key: string, statement: Database.Statement): Database.Statement {
    this.statements.set(key, statement);
    return statement;
  }
}

function durationSeconds(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : null;
}

function textOrEmpty(value: unknown): string {
  return typeof value === 'string' ? value : '';
}
