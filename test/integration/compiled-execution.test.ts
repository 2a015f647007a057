import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestApp, startTestApp } from '../support/app.js';
import { success, vendorRecord } from '../support/fixtures.js';
import { type RecordingUpstream, startRecordingUpstream } from '../support/recording-upstream.js';

/**
 * The same operations to two servers that differ only in COMPILED_EXECUTION: graphql-jit's answers must be
 * graphql-js's, byte for byte, for data, nulls, lists, scalars, enums, fragments, directives and every error.
 */
describe('compiled execution answers as graphql-js does', () => {
  let upstream: RecordingUpstream;
  let compiled: TestApp;
  let regular: TestApp;
  const env = { CURSOR_SECRET: 'a-cursor-secret-of-at-least-32-characters' };

  beforeAll(async () => {
    upstream = await startRecordingUpstream((recorded) => {
      const key = recorded.headers['x-api-key'];
      if (key === 'denied') return { status: 401, body: { message: 'no' } };
      if (key === 'broken') return { status: 500, body: { message: 'boom' } };
      return success([
        vendorRecord(),
        vendorRecord({ callSid: 'CA2', status: 'no-answer', seconds: null, cost: null, data: null, recordingUrls: [] }),
        vendorRecord({ callSid: 'CA3', status: 'some-new-status', from: null }),
      ]);
    });
    compiled = await startTestApp(upstream.url, { ...env, COMPILED_EXECUTION: 'true' });
    regular = await startTestApp(upstream.url, { ...env, COMPILED_EXECUTION: 'false' });
  });
  afterAll(async () => {
    await compiled.close();
    await regular.close();
    await upstream.close();
  });

  const FIELDS = 'sid projectId status rawStatus from to startedAt endedAt durationSeconds cost recordingUrls data raw phoneNumber __typename';
  const cases: Array<[name: string, body: Record<string, unknown>, key?: string]> = [
    ['every Call field', { query: `query($p: ID!) { callHistory(projectId: $p, first: 3) { nodes { ${FIELDS} } edges { cursor } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }`, variables: { p: 'p1' } }],
    ['fragments, aliases and directives', {
      query: `query Q($p: ID!, $yes: Boolean!) { a: callHistory(projectId: $p, first: 2) { ...page } b: callHistory(projectId: $p, first: 1) @include(if: $yes) { nodes { sid @skip(if: $yes) status } } }
        fragment page on CallConnection { edges { node { ... on Call { sid } ...more } } }
        fragment more on Call { durationSeconds }`,
      variables: { p: 'p1', yes: true },
      operationName: 'Q',
    }],
    ['a filter of enums and instants', { query: 'query($p: ID!, $f: CallFilter) { callHistory(projectId: $p, first: 2, filter: $f) { nodes { sid } } }', variables: { p: 'p1', f: { status: 'COMPLETED', startedAt: { from: '2024-01-01T00:00:00Z' } } } }],
    ['variables that do not coerce', { query: 'query($p: ID!, $n: Int) { callHistory(projectId: $p, first: $n) { nodes { sid } } }', variables: { p: 'p1', n: 'lots' } }],
    ['an enum variable that does not exist', { query: 'query($p: ID!, $f: CallFilter) { callHistory(projectId: $p, filter: $f) { nodes { sid } } }', variables: { p: 'p1', f: { status: 'UNKNOWN' } } }],
    ['a missing required variable', { query: 'query($p: ID!) { callHistory(projectId: $p) { nodes { sid } } }' }],
    ['an argument the service refuses', { query: '{ callHistory(projectId: "p1", first: -1) { nodes { sid } } }' }],
    ['an upstream refusal', { query: '{ callHistory(projectId: "p1", first: 2) { nodes { sid } } }' }, 'denied'],
    ['an upstream failure', { query: '{ callHistory(projectId: "p1", first: 2) { nodes { sid } } }' }, 'broken'],
    ['a call by sid', { query: '{ call(projectId: "p1", sid: "CA2") { sid status } none: call(projectId: "p1", sid: "CA404") { sid } }' }],
    ['_entities (uncompiled)', { query: 'query($r: [_Any!]!) { _entities(representations: $r) { ... on Call { sid } } }', variables: { r: [{ __typename: 'Call', projectId: 'p1', sid: 'CA2' }] } }],
    ['introspection', { query: '{ __schema { queryType { name } } __type(name: "CallStatus") { enumValues { name } } }' }],
    ['a mutation', { query: 'mutation { x }' }],
  ];

  const answer = async (app: TestApp, body: Record<string, unknown>, key: string) => {
    const response = await request(`${app.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': key, 'x-request-id': 'fixed' },
      body: JSON.stringify(body),
    });
    return { status: response.statusCode, text: await response.body.text() };
  };

  it.each(cases)('%s', async (_name, body, key = 'k') => {
    const viaCompiled = await answer(compiled, body, key);
    expect(viaCompiled).toEqual(await answer(regular, body, key));
    expect(viaCompiled.text.length).toBeGreaterThan(20);
  });

  it('compiled every query but _entities (the mutation is refused by the executor, uncompiled)', () => {
    const uncompiled = compiled.logs.filter((line) => line.includes('operation runs uncompiled')).map((line) => JSON.parse(line).reason);
    expect(uncompiled).toEqual(['_entities runs on the regular executor', 'a mutation runs on the regular executor']);
  });
});
