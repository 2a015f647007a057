import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  ADD_WEBHOOK_PATH,
  CALL_HISTORY_PATH,
  CALL_PATH,
  CALL_SID_PATTERN,
  DEMO_API_KEY,
  DEMO_PROJECT_ID,
  MAX_PAGE_SIZE,
  MESSAGES,
  startEmulator,
  type RunningEmulator,
} from '../../src/emulator/index.js';
import { callHistory } from './support.js';

interface Schema {
  type?: string;
  required?: string[];
  properties?: Record<string, Schema & { pattern?: string; maximum?: number; example?: unknown; $ref?: string }>;
}
interface Operation {
  operationId: string;
  requestBody: { content: { 'application/json': { schema: { $ref: string } } } };
  responses: Record<string, { content: { 'application/json': { schema: { $ref: string } } } }>;
}

const spec = parse(readFileSync(new URL('../../schema/upstream.openapi.yaml', import.meta.url), 'utf8')) as {
  paths: Record<string, { post: Operation }>;
  components: { schemas: Record<string, Schema> };
};
const schemaOf = (ref: string): Schema => spec.components.schemas[ref.replace('#/components/schemas/', '')]!;

// schema/upstream.openapi.yaml is written by hand (the benchmark's peer is composed from it): these checks keep
// it in step with the emulator, which implements the contract.
describe('schema/upstream.openapi.yaml describes what the emulator does', () => {
  let emulator: RunningEmulator;
  beforeAll(async () => {
    emulator = await startEmulator({ calls: 20 });
  });
  afterAll(async () => {
    await emulator.close();
  });

  it('has exactly the emulator\'s three vendor endpoints, POST only', () => {
    expect(Object.keys(spec.paths).sort()).toEqual([CALL_PATH, CALL_HISTORY_PATH, ADD_WEBHOOK_PATH].sort());
    for (const path of Object.values(spec.paths)) expect(Object.keys(path)).toEqual(['post']);
  });

  it.each([
    [CALL_HISTORY_PATH, ['projectId'], ['pageSize', 'projectId']],
    [CALL_PATH, ['sid', 'projectId'], ['projectId', 'sid']],
    [ADD_WEBHOOK_PATH, ['projectId', 'webhookURL'], ['projectId', 'webhookURL']],
  ])('%s: the request body names the fields the emulator reads', (path, required, properties) => {
    const body = schemaOf(spec.paths[path]!.post.requestBody.content['application/json'].schema.$ref);
    expect(body.required).toEqual(required);
    expect(Object.keys(body.properties ?? {}).sort()).toEqual(properties);
  });

  it('the SID pattern and page size bound are the emulator\'s', () => {
    expect(schemaOf('#/components/schemas/CallRequest').properties?.sid?.pattern).toBe(CALL_SID_PATTERN.source);
    expect(schemaOf('#/components/schemas/CallRecord').properties?.callSid?.pattern).toBe(CALL_SID_PATTERN.source);
    expect(schemaOf('#/components/schemas/CallHistoryRequest').properties?.pageSize?.maximum).toBe(MAX_PAGE_SIZE);
  });

  it.each([CALL_HISTORY_PATH, CALL_PATH])('%s documents every status the emulator answers without chaos', (path) => {
    expect(Object.keys(spec.paths[path]!.post.responses).sort()).toEqual(['200', '400', '401', '403', '404', '429', '500']);
  });

  it(`${ADD_WEBHOOK_PATH} documents what the emulator answers, and its real 200 answer`, async () => {
    const operation = spec.paths[ADD_WEBHOOK_PATH]!.post;
    expect(Object.keys(operation.responses).sort()).toEqual(['200', '400', '401', '403', '500']);
    const response = await callHistory(emulator.url, {
      path: ADD_WEBHOOK_PATH,
      body: { projectId: DEMO_PROJECT_ID, webhookURL: 'http://127.0.0.1:1/webhooks/call-status' },
      apiKey: DEMO_API_KEY,
    });
    expect(response.status).toBe(200);
    const documented = schemaOf(operation.responses['200']!.content['application/json'].schema.$ref);
    expect(Object.keys(response.json as object).sort()).toEqual(Object.keys(documented.properties ?? {}).sort());
    expect(documented.properties?.message?.example).toBe(MESSAGES.webhookAdded);
    expect((response.json as { message: string }).message).toBe(MESSAGES.webhookAdded);
  });

  it.each([
    [CALL_HISTORY_PATH, { projectId: DEMO_PROJECT_ID, pageSize: 2 }, MESSAGES.success, 'array'],
    [CALL_PATH, undefined, MESSAGES.callSuccess, 'object'],
  ] as const)('%s: a real 200 answer has the documented envelope and message', async (path, givenBody, message, dataType) => {
    const body = givenBody ?? { sid: emulator.store.page(DEMO_PROJECT_ID, {}, 1)[0]!.callSid, projectId: DEMO_PROJECT_ID };
    const response = await callHistory(emulator.url, { path, body, apiKey: DEMO_API_KEY });
    expect(response.status).toBe(200);
    const documented = schemaOf(spec.paths[path]!.post.responses['200']!.content['application/json'].schema.$ref);
    const json = response.json as Record<string, unknown>;
    for (const field of documented.required ?? []) expect(json).toHaveProperty(field);
    expect(documented.properties?.message?.example).toBe(message);
    expect(json.message).toBe(message);
    expect(Array.isArray(json.data) ? 'array' : typeof json.data).toBe(dataType);
  });
});
