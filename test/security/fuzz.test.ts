import fc from 'fast-check';
import { print } from 'graphql';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_API_KEY, DEMO_PROJECT_ID, startEmulator, type RunningEmulator } from '../../src/emulator/index.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { CallHistoryPage } from '../support/operations.js';

// Modest run counts keep the file well under 30 s on a loaded machine; a fixed seed per run would hide new
// cases, so fast-check picks one and prints it on failure for replay.
const RUNS = 120;

/** What every answer must be, whatever was sent: no 5xx, JSON, and a code on every error. */
async function expectWellFormed(app: TestApp, body: string, headers: Record<string, string> = { 'x-api-key': DEMO_API_KEY }) {
  const response = await request(`${app.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json', ...headers },
    body,
  });
  const text = await response.body.text();
  expect(response.statusCode, text.slice(0, 500)).toBeLessThan(500);
  const json = JSON.parse(text) as { errors?: Array<{ extensions?: { code?: unknown } }> };
  for (const error of json.errors ?? []) {
    expect(typeof error.extensions?.code, JSON.stringify(error).slice(0, 500)).toBe('string');
  }
  return { status: response.statusCode, json };
}

// ---- hostile values ----

const controlCharacters = fc.constantFrom('\u0000', '\u0007', '\b', '\t', '\n', '\r', '\u001b', '\u007f', '\u0085', '\u2028', '\u2029', '\ufeff', '\ud800', '\udfff');
const HUGE = ['x'.repeat(300_000), '\u{1F4A9}'.repeat(50_000), '0'.repeat(100_000)];
const hostileString = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 60 }),
  fc.string({ unit: 'grapheme', maxLength: 60 }),
  fc.array(fc.oneof(controlCharacters, fc.string({ maxLength: 4 })), { maxLength: 12 }).map((parts) => parts.join('')),
  fc.constantFrom('', ' ', '\u0000', 'null', 'undefined', '__proto__', 'constructor', '../../etc/passwd', '%00', "' OR 1=1 --", '${7*7}', '<script>', 'CA' + 'f'.repeat(32)),
  fc.constantFrom(...HUGE),
);
const oddNumber = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.constantFrom(0, -0, 1, 1000, 1001, -1, 2 ** 31, 2 ** 31 - 1, 2 ** 53 + 2, 1e308, -1e308, 5e-324, 1.5),
  fc.bigInt({ min: -(2n ** 80n), max: 2n ** 80n }).map((n) => Number(n)),
);
const oddDate = fc.oneof(
  fc.constantFrom(
    '2024-02-29', '2023-02-29', '2024-02-30', '2024-13-01', '2024-00-10', '0000-01-01', '9999-12-31', '+275760-09-13',
    '-000001-01-01', '2024-1-1', '2024-01-01T00:00:00Z', '20240101', '1970-01-01', '1969-12-31',
  ),
  fc.date({ noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10)),
  hostileString,
);
const oddInstant = fc.oneof(
  fc.constantFrom(
    '2024-01-01T24:00:00Z', '2024-01-01T23:59:60Z', '2024-06-30T23:59:60Z', '1970-01-01T00:00:00.000000001Z', '2024-01-01T00:00:00+14:00',
    '2024-01-01T00:00:00-23:59', '2024-01-01T00:00:00', '2024-01-01', '+275760-09-13T00:00:00.000Z', '-271821-04-20T00:00:00.000Z',
  ),
  fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
  hostileString,
);
const anyValue = fc.oneof(hostileString, oddNumber, fc.boolean(), fc.constant(null), fc.jsonValue({ maxDepth: 3 }));
/** Often the right type with a hostile value, sometimes any value at all. */
const mostly = <T>(arbitrary: fc.Arbitrary<T>) => fc.oneof({ weight: 9, arbitrary }, { weight: 1, arbitrary: anyValue });

/** Values of the declared GraphQL types (so that they pass coercion and reach the domain), with hostile content. */
const typedString = fc.oneof(
  { weight: 1, arbitrary: hostileString.filter((s) => s.length < 1_000) },
  { weight: 1, arbitrary: fc.oneof(fc.constantFrom('+14155550100', 'client:alice', 'sip:bob@example.com'), fc.string({ unit: 'grapheme', minLength: 1, maxLength: 30 })) },
);
/** Absent half of the time, so that many requests pass validation and reach the upstream. */
const sometimes = <T>(arbitrary: fc.Arbitrary<T>) => fc.option(arbitrary, { nil: undefined, freq: 1 });
const typedDate = fc.oneof(
  fc.tuple(fc.integer({ min: 0, max: 9999 }), fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 31 })).map(
    ([y, m, d]) => `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`,
  ),
  fc.date({ min: new Date('2026-04-01'), max: new Date('2026-11-30'), noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10)),
);
const typedInstant = fc.oneof(
  fc.date({ min: new Date('0001-01-01'), max: new Date('9999-12-31'), noInvalidDate: true }).map((d) => d.toISOString()),
  fc.date({ min: new Date('2026-04-01'), max: new Date('2026-11-30'), noInvalidDate: true }).map((d) => d.toISOString().replace('Z', '+05:30')),
);
const typedDayRange = fc.record({ on: sometimes(typedDate), onOrAfter: sometimes(typedDate), before: sometimes(typedDate) });
const typedFilter = fc.record(
  {
    to: sometimes(typedString),
    from: sometimes(typedString),
    status: sometimes(fc.constantFrom('QUEUED', 'INITIATED', 'RINGING', 'IN_PROGRESS', 'COMPLETED', 'BUSY', 'FAILED', 'NO_ANSWER', 'CANCELED', 'VOICEMAIL', 'SILENCE', 'UNKNOWN')),
    started: sometimes(typedDayRange),
    ended: sometimes(typedDayRange),
    startedAt: sometimes(fc.record({ onOrAfter: sometimes(typedInstant), before: sometimes(typedInstant) })),
  },
);
const typedVariables = fc.record(
  {
    projectId: fc.oneof({ weight: 3, arbitrary: fc.constant(DEMO_PROJECT_ID) }, { weight: 1, arbitrary: typedString }),
    filter: sometimes(typedFilter),
    first: sometimes(fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 1, max: 1_000 }) }, { weight: 1, arbitrary: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }) })),
    after: fc.option(fc.oneof(typedString, fc.base64String({ maxLength: 120 })), { nil: undefined, freq: 4 }),
  },
);

const dayRange = fc.record({ on: mostly(oddDate), onOrAfter: mostly(oddDate), before: mostly(oddDate) }, { requiredKeys: [] });
const filter = fc.record(
  {
    to: mostly(hostileString),
    from: mostly(hostileString),
    status: mostly(fc.oneof(fc.constantFrom('COMPLETED', 'NO_ANSWER', 'IN_PROGRESS', 'UNKNOWN', 'completed', 'no-answer'), hostileString)),
    started: mostly(dayRange),
    ended: mostly(dayRange),
    startedAt: mostly(fc.record({ onOrAfter: mostly(oddInstant), before: mostly(oddInstant) }, { requiredKeys: [] })),
    unknownField: anyValue,
  },
  { requiredKeys: [] },
);
const untypedVariables = fc.record(
  {
    projectId: fc.oneof({ weight: 3, arbitrary: fc.constant(DEMO_PROJECT_ID) }, { weight: 3, arbitrary: hostileString }, { weight: 1, arbitrary: anyValue }),
    filter: mostly(filter),
    first: mostly(oddNumber),
    after: mostly(fc.oneof(hostileString, fc.base64String({ maxLength: 120 }))),
  },
  { requiredKeys: [] },
);
const hostileVariables = fc.oneof({ weight: 2, arbitrary: typedVariables }, { weight: 1, arbitrary: untypedVariables });

// ---- generated documents ----

const name = fc.stringMatching(/^[_a-zA-Z][_a-zA-Z0-9]{0,6}$/);
const callFields = ['sid', 'status', 'rawStatus', 'from', 'to', 'phoneNumber', 'startedAt', 'durationSeconds', 'endedAt', 'cost', 'recordingUrls', 'data', 'raw', '__typename'];
const directive = fc.oneof(
  { weight: 4, arbitrary: fc.constant('') },
  { weight: 1, arbitrary: fc.constantFrom(' @include(if: true)', ' @skip(if: true)', ' @include(if: $v)', ' @skip(if: "x")', ' @deprecated', ' @unknown') },
);
const field = (names: string[]) =>
  fc
    .tuple(fc.option(name, { nil: undefined, freq: 3 }), fc.oneof({ weight: 12, arbitrary: fc.constantFrom(...names) }, { weight: 1, arbitrary: fc.constant('nope') }), directive)
    .map(([alias, f, d]) => `${alias ? `${alias}: ` : ''}${f}${d}`);
const selection = (names: string[], extra: fc.Arbitrary<string>[] = []) =>
  fc.array(fc.oneof(field(names), ...extra), { minLength: 1, maxLength: 6 }).map((items) => `{ ${items.join(' ')} }`);
const callSelection = selection(callFields, [fc.constant('...CallParts'), fc.constant('... on Call { sid }')]);

const literal: fc.Arbitrary<string> = fc.oneof(
  fc.integer().map(String),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((n) => String(n)),
  hostileString.filter((s) => s.length < 200).map((s) => JSON.stringify(s)),
  fc.constantFrom('null', 'true', 'COMPLETED', 'UNKNOWN', 'BOGUS', '$v', '$undefinedVariable', '[1, 2]', '{}', '""', '"""block"""'),
  fc.record({ k: fc.constantFrom('to', 'status', 'started', 'startedAt', 'on', 'nope'), v: fc.constantFrom('"x"', 'COMPLETED', '{ on: "2024-01-01" }', '{ before: "2024-01-01T00:00:00Z" }', '1') }).map(({ k, v }) => `{ ${k}: ${v} }`),
);
/** Mostly well-typed arguments with hostile values; now and then a wrong type or an unknown argument. */
const args = fc
  .tuple(
    fc.oneof({ weight: 4, arbitrary: typedString.map((v) => JSON.stringify(v)) }, { weight: 1, arbitrary: literal }),
    fc.option(fc.oneof({ weight: 4, arbitrary: fc.integer({ min: -2, max: 1_002 }).map(String) }, { weight: 1, arbitrary: literal })),
    fc.option(fc.oneof(typedString.map((v) => JSON.stringify(v)), literal), { freq: 4 }),
    fc.option(
      fc.oneof(
        fc.record({ k: fc.constantFrom('to', 'from'), v: typedString }).map(({ k, v }) => `{ ${k}: ${JSON.stringify(v)} }`),
        fc.record({ k: fc.constantFrom('started', 'ended'), v: typedDate }).map(({ k, v }) => `{ ${k}: { onOrAfter: "${v}" } }`),
        typedInstant.map((v) => `{ startedAt: { before: "${v}" } }`),
        literal,
      ),
    ),
    fc.option(fc.constantFrom('bogus: 1', 'first: 1'), { freq: 8 }),
  )
  .map(([projectId, first, after, filter, extra]) => {
    const pairs = [`projectId: ${projectId}`];
    if (first !== null) pairs.push(`first: ${first}`);
    if (after !== null) pairs.push(`after: ${after}`);
    if (filter !== null) pairs.push(`filter: ${filter}`);
    if (extra !== null) pairs.push(extra);
    return `(${pairs.join(', ')})`;
  });
const connection = fc
  .array(
    fc.oneof(
      callSelection.map((s) => `edges { cursor node ${s} }`),
      callSelection.map((s) => `nodes ${s}`),
      fc.constant('pageInfo { hasNextPage hasPreviousPage startCursor endCursor }'),
      fc.constant('totalCount'),
    ),
    { minLength: 1, maxLength: 3 },
  )
  .map((parts) => `{ ${parts.join(' ')} }`);
const rootField = fc.oneof(
  { weight: 6, arbitrary: fc.tuple(fc.option(name, { nil: undefined }), args, connection).map(([alias, a, c]) => `${alias ? `${alias}: ` : ''}callHistory${a} ${c}`) },
  { weight: 1, arbitrary: fc.constantFrom('__typename', '__schema { types { name } }', '__type(name: "Call") { fields { name } }', '_service { sdl }', '_entities(representations: [{ __typename: "Project", id: "demo" }]) { __typename }') },
);
const document = fc
  .tuple(
    fc.constantFrom('', 'query ', 'query Q ', 'query Q($v: Boolean) ', 'mutation ', 'subscription ', 'query ($v: Boolean = true, $w: CallFilter) '),
    fc.array(rootField, { minLength: 1, maxLength: 3 }),
    fc.boolean(),
  )
  .map(([head, roots, withFragment]) => `${head}{ ${roots.join(' ')} }${withFragment ? ' fragment CallParts on Call { sid status }' : ''}`);
/** A generated document damaged at a few places: mostly parse errors. */
const damaged = fc
  .tuple(document, fc.array(fc.tuple(fc.nat(), fc.nat({ max: 3 }), fc.string({ unit: 'binary-ascii', maxLength: 3 })), { minLength: 1, maxLength: 4 }))
  .map(([doc, edits]) => edits.reduce((text, [at, cut, insert]) => {
    const i = at % (text.length + 1);
    return text.slice(0, i) + insert + text.slice(i + cut);
  }, doc));

const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);

describe('fuzzing: hostile input never produces a 5xx or a crash, and every error carries a code', () => {
  let emulator: RunningEmulator;
  let api: TestApp;

  beforeAll(async () => {
    process.on('unhandledRejection', onUnhandled);
    emulator = await startEmulator({ port: 0, calls: 300 });
    api = await startTestApp(emulator.url, { LOG_LEVEL: 'warn' });
  });
  afterAll(async () => {
    await api?.close();
    await emulator?.close();
    process.off('unhandledRejection', onUnhandled);
  });

  const QUERY = print(CallHistoryPage);

  it('hostile variables', async () => {
    await fc.assert(
      fc.asyncProperty(hostileVariables, async (variables) => {
        await expectWellFormed(api, JSON.stringify({ query: QUERY, variables }));
      }),
      { numRuns: RUNS * 2 },
    );
  });

  it('generated documents', async () => {
    await fc.assert(
      fc.asyncProperty(document, fc.option(hostileVariables, { nil: undefined }), async (query, variables) => {
        await expectWellFormed(api, JSON.stringify({ query, variables: variables ?? { v: true } }));
      }),
      { numRuns: RUNS },
    );
  });

  it('damaged documents', async () => {
    await fc.assert(
      fc.asyncProperty(damaged, async (query) => {
        await expectWellFormed(api, JSON.stringify({ query }));
      }),
      { numRuns: RUNS },
    );
  });

  it('odd request bodies and headers', async () => {
    const body = fc.oneof(
      fc.jsonValue({ maxDepth: 3 }).map((value) => JSON.stringify(value)),
      fc.record({ query: anyValue, variables: anyValue, operationName: anyValue, extensions: anyValue }, { requiredKeys: [] }).map((value) => JSON.stringify(value)),
      fc.string({ unit: 'binary', maxLength: 200 }),
      fc.constantFrom(
        '{"query":"query ($f: CallFilter) { callHistory(projectId: \\"demo\\", filter: $f) { nodes { sid } } }","variables":{"f":{"__proto__":{"status":"COMPLETED"}}}}',
        '{"query":"{ __typename }","__proto__":{"query":"{ _service { sdl } }"}}',
        '{"query":"{ __typename }","variables":' + '['.repeat(5_000) + ']'.repeat(5_000) + '}',
        '',
        'null',
      ),
    );
    const headers = fc.record(
      { 'x-api-key': fc.string({ unit: 'binary-ascii', maxLength: 40 }), 'x-request-id': fc.string({ unit: 'binary-ascii', maxLength: 200 }) },
      { requiredKeys: [] },
    ).map((h) => Object.fromEntries(Object.entries(h).filter(([, v]) => /^[\t\x20-\x7e]*$/.test(v) && v.trim() === v)));
    await fc.assert(
      fc.asyncProperty(body, headers, async (text, extra) => {
        await expectWellFormed(api, text, extra);
      }),
      { numRuns: RUNS },
    );
  });

  it('afterwards the server still answers, and no promise was left rejected unhandled', async () => {
    const health = await request(`${api.url}/health`);
    expect(health.statusCode).toBe(200);
    await health.body.dump();
    const { json } = await expectWellFormed(api, JSON.stringify({ query: QUERY, variables: { projectId: DEMO_PROJECT_ID, first: 2 } }));
    expect(json).toMatchObject({ data: { callHistory: { edges: [{}, {}] } } });
    expect(unhandled).toEqual([]);
  });
});
