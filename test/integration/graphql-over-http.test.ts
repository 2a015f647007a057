import { serverAudits } from 'graphql-http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestApp, startTestApp } from '../support/app.js';
import { type RecordingUpstream, startRecordingUpstream } from '../support/recording-upstream.js';
import { TRANSPORT_UNDER_TEST } from '../support/transport.js';

/**
 * Every MUST and SHOULD audit passes. The MAY audits that do not, all for one reason: a GET without the
 * `x-graphql-yoga-csrf` header is refused with 403 (CSRF prevention: a browser sends a plain GET across origins
 * without a preflight), and the audit's GETs carry no such header.
 */
const KNOWN_OPTIONAL_FAILURES = [
  '5A70 MAY accept application/x-www-form-urlencoded formatted GET requests',
  'D6D5 MAY allow URL-encoded JSON string {variables} parameter in GETs when accepting application/graphql-response+json',
  '6A70 MAY allow URL-encoded JSON string {variables} parameter in GETs when accepting application/json',
];

describe(`GraphQL over HTTP: the graphql-http server audits (${TRANSPORT_UNDER_TEST} transport)`, () => {
  let upstream: RecordingUpstream;
  let api: TestApp;
  beforeAll(async () => {
    upstream = await startRecordingUpstream();
    api = await startTestApp(upstream.url);
  });
  afterAll(async () => {
    await api.close();
    await upstream.close();
  });

  const audits = serverAudits({ url: () => `${api.url}/graphql` });

  it.each(audits.filter((audit) => audit.name.startsWith('MUST')).map((audit) => [audit.name, audit] as const))('%s', async (_name, audit) => {
    const result = await audit.fn();
    expect(result.status === 'ok' ? 'ok' : `${result.status}: ${result.reason}`).toBe('ok');
  });

  it('passes every SHOULD audit, and every MAY audit but the GETs that CSRF prevention refuses', async () => {
    const failed: string[] = [];
    for (const audit of audits.filter((one) => !one.name.startsWith('MUST'))) {
      const result = await audit.fn();
      if (result.status !== 'ok') failed.push(`${audit.id} ${audit.name}`);
    }
    expect(failed).toEqual(KNOWN_OPTIONAL_FAILURES);
  });

  it('the same GETs pass with the CSRF header', async () => {
    const response = await fetch(`${api.url}/graphql?query=${encodeURIComponent('query($a: Boolean!) { __typename @include(if: $a) }')}&variables=${encodeURIComponent('{"a":true}')}`, {
      headers: { accept: 'application/graphql-response+json', 'x-graphql-yoga-csrf': '1' },
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ data: { __typename: 'Query' } });
  });
});
