import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { createInterface } from 'node:readline';
import { formatRfc2822, isCallSid, parseRfc2822, type VendorRecord } from './record.js';
import type { CallStore } from './store.js';

export interface ImportProblem {
  /** 1-based: the array position for `.json`, the line number for `.ndjson`. */
  position: number;
  reason: string;
}

export interface ImportResult {
  imported: number;
  skipped: number;
  /** The first problems found (at most 20). */
  problems: ImportProblem[];
}

export type ValidatedRecord = { ok: true; record: VendorRecord } | { ok: false; reason: string };

const ISO_8601_PATTERN = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})$/;
const BATCH_SIZE = 5_000;
const MAX_PROBLEMS = 20;

/**
 * Checks that a value is a call record with a `CA…` callSid and a readable date (RFC 2822, or ISO 8601).
 * The record is kept as given, except that `date` is rewritten in the vendor's UTC RFC 2822 form.
 */
export function validateCallRecord(value: unknown): ValidatedRecord {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { ok: false, reason: 'not an object' };
  const candidate = value as Record<string, unknown>;
  if (!isCallSid(candidate.callSid)) return { ok: false, reason: 'callSid must be CA followed by 32 lowercase hex digits' };
  if (typeof candidate.date !== 'string') return { ok: false, reason: 'date is missing' };
  let start = parseRfc2822(candidate.date);
  if (start === undefined && ISO_8601_PATTERN.test(candidate.date)) {
    const millis = Date.parse(candidate.date);
    if (!Number.isNaN(millis)) start = Math.floor(millis / 1000);
  }
  if (start === undefined) return { ok: false, reason: `date is not an RFC 2822 date: ${JSON.stringify(candidate.date)}` };
  return { ok: true, record: { ...candidate, date: formatRfc2822(start) } as VendorRecord };
}

/** Imports a `.json` file (an array, or `{data: [...]}`) or a `.ndjson`/`.jsonl` file into a project. */
export async function importCallsFromFile(store: CallStore, projectId: string, filePath: string): Promise<ImportResult> {
  const extension = extname(filePath).toLowerCase();
  if (extension === '.ndjson' || extension === '.jsonl') return importNdjson(store, projectId, filePath);
  if (extension === '.json') return importCallsFromJson(store, projectId, await readFile(filePath, 'utf8'));
  throw new Error(`Cannot import ${filePath}: use a .json, .ndjson or .jsonl file.`);
}

export function importCallsFromJson(store: CallStore, projectId: string, text: string): ImportResult {
  const parsed = JSON.parse(text) as unknown;
  const items = Array.isArray(parsed) ? parsed : listInEnvelope(parsed);
  if (!items) throw new Error('The JSON must be an array of call records, or an object with a "data" array.');
  const importer = new BatchImporter(store, projectId);
  items.forEach((item, index) => importer.add(item, index + 1));
  return importer.finish();
}

async function importNdjson(store: CallStore, projectId: string, filePath: string): Promise<ImportResult> {
  const importer = new BatchImporter(store, projectId);
  const lines = createInterface({ input: createReadStream(filePath, 'utf8'), crlfDelay: Infinity });
  let lineNumber = 0;
  for await (const line of lines) {
    lineNumber++;
    if (line.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      importer.skip(lineNumber, 'not JSON');
      continue;
    }
    importer.add(value, lineNumber);
  }
  return importer.finish();
}

function listInEnvelope(value: unknown): unknown[] | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { data, calls } = value as { data?: unknown; calls?: unknown };
  if (Array.isArray(data)) return data;
  if (Array.isArray(calls)) return calls;
  return undefined;
}

class BatchImporter {
  private batch: VendorRecord[] = [];
  private readonly result: ImportResult = { imported: 0, skipped: 0, problems: [] };

  constructor(
    private readonly store: CallStore,
    private readonly projectId: string,
  ) {}

  add(value: unknown, position: number): void {
    const validated = validateCallRecord(value);
    if (!validated.ok) {
      this.skip(position, validated.reason);
      return;
    }
    this.batch.push(validated.record);
    if (this.batch.length >= BATCH_SIZE) this.flush();
  }

  skip(position: number, reason: string): void {
    this.result.skipped++;
    if (this.result.problems.length < MAX_PROBLEMS) this.result.problems.push({ position, reason });
  }

  finish(): ImportResult {
    this.flush();
    return this.result;
  }

  private flush(): void {
    if (this.batch.length === 0) return;
    this.result.imported += this.store.insertCalls(this.projectId, this.batch);
    this.batch = [];
  }
}
