import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';
import { loadTrustedDocuments } from '../../src/plugins/trusted-documents.js';
import { subgraphSchema } from '../../src/schema/index.js';
import { CONSUMER_MANIFEST } from '../support/consumer.js';

const dir = mkdtempSync(join(tmpdir(), 'trusted-documents-'));
let files = 0;
/** Writes `content` (a string as is, anything else as JSON) to a fresh file and returns its path. */
function manifestFile(content: unknown): string {
  const path = join(dir, `manifest-${files++}.json`);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}
const sha256Id = (text: string) => `sha256:${createHash('sha256').update(text).digest('hex')}`;

const PAGE = 'query Page($projectId: ID!) { callHistory(projectId: $projectId, first: 2) { edges { node { sid } } } }';
const SIDS = '{ callHistory(projectId: "demo") { nodes { sid startedAt } } }';

describe('loadTrustedDocuments', () => {
  it('keeps every document of a sound manifest under its id: sha256 ids and custom ids', () => {
    const documents = loadTrustedDocuments(manifestFile({ [sha256Id(PAGE)]: PAGE, 'sids-v1': SIDS }), subgraphSchema);
    expect([...documents]).toEqual([
      [sha256Id(PAGE), PAGE],
      ['sids-v1', SIDS],
    ]);
  });

  it('reads the manifest codegen wrote for the example consumer', () => {
    const documents = loadTrustedDocuments(CONSUMER_MANIFEST, subgraphSchema);
    expect(documents.size).toBeGreaterThan(0);
    for (const id of documents.keys()) expect(id).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it.each([
    ['a missing file', () => join(dir, 'absent.json'), /cannot read the manifest \(ENOENT\)/],
    ['text that is not JSON', () => manifestFile('{"sha256:'), /is not JSON/],
    ['a JSON array', () => manifestFile([PAGE]), /must be a JSON object of documentId to document text/],
    ['a document that is not a string', () => manifestFile({ a: { query: PAGE } }), /must be a JSON object/],
    ['an empty document', () => manifestFile({ a: '' }), /must be a JSON object/],
    ['no documents', () => manifestFile({}), /holds no documents/],
    ['a document that does not parse', () => manifestFile({ broken: '{ callHistory(' }), /document broken does not parse: Syntax Error/],
    [
      'a document the schema rejects',
      () => manifestFile({ old: '{ calls { sid } }' }),
      /document old is not valid against the schema: Cannot query field "calls" on type "Query"/,
    ],
    [
      'a sha256 id that is not the hash of its document',
      () => manifestFile({ [sha256Id(SIDS)]: PAGE }),
      /document sha256:[0-9a-f]{64} is not the SHA-256 of its text/,
    ],
    ['a malformed sha256 id', () => manifestFile({ 'sha256:XYZ': PAGE }), /is not the SHA-256 of its text/],
  ])('refuses %s with a ConfigError naming TRUSTED_DOCUMENTS and the file', (_name, path, reason) => {
    const file = path();
    let error: unknown;
    try {
      loadTrustedDocuments(file, subgraphSchema);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message).toMatch(/^TRUSTED_DOCUMENTS: /);
    expect(message).toMatch(reason);
    expect(message).toContain(JSON.stringify(file));
  });
});

describe('the TRUSTED_DOCUMENTS setting', () => {
  it('is unset by default, and GraphiQL is on', () => {
    const config = loadConfig({});
    expect(config.TRUSTED_DOCUMENTS).toBeUndefined();
    expect(config.GRAPHIQL).toBe(true);
  });

  it('with a manifest path, GraphiQL is off whatever GRAPHIQL says', () => {
    const config = loadConfig({ TRUSTED_DOCUMENTS: 'manifest.json', GRAPHIQL: 'true' });
    expect(config.TRUSTED_DOCUMENTS).toBe('manifest.json');
    expect(config.GRAPHIQL).toBe(false);
  });
});
