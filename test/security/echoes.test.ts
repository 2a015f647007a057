import { request } from 'undici';
import { describe, expect, it } from 'vitest';
import { API_KEY } from '../support/app.js';
import { sharedRecordingStack } from '../support/recording-stack.js';

const SECRET = 'sk_live_0123456789abcdef';

describe('errors never echo the request body', () => {
  const stack = sharedRecordingStack({ NODE_ENV: 'production' });

  it.each([
    ['invalid JSON', `{"query": "{ __typename }", "token": "${SECRET}`],
    ['JSON with a bare word', `{"query": ${SECRET}}`],
    ['a JSON string', JSON.stringify(SECRET)],
    ['a JSON array', JSON.stringify([SECRET])],
    ['variables that are not an object', JSON.stringify({ query: '{ __typename }', variables: SECRET })],
    ['extensions that are not an object', JSON.stringify({ query: '{ __typename }', extensions: SECRET })],
    ['a query that is not a string', JSON.stringify({ query: { SECRET } })],
    ['an operationName that is not a string', JSON.stringify({ query: '{ __typename }', operationName: [SECRET] })],
  ])('%s: no originalError, no fragment of the body', async (_name, body) => {
    const { status, json } = await stack.api.post(body, API_KEY);
    expect(status).toBeGreaterThanOrEqual(400);
    expect(JSON.stringify(json)).not.toContain(SECRET.slice(0, 8));
    for (const error of json.errors) {
      expect(error.extensions).not.toHaveProperty('originalError');
      expect(error.extensions.code).toEqual(expect.any(String));
    }
  });

  it('GET with invalid JSON variables: no fragment of them', async () => {
    const url = `${stack.api.url}/graphql?query=${encodeURIComponent('{ __typename }')}&variables=${encodeURIComponent(`{"k": ${SECRET}`)}`;
    const response = await request(url, { headers: { accept: 'application/json', 'x-graphql-yoga-csrf': '1', ...API_KEY } });
    const text = await response.body.text();
    expect(text).not.toContain(SECRET.slice(0, 8));
    expect(text).not.toContain('originalError');
  });
});
