import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import { startTestApp, type TestApp } from './app.js';
import { success, vendorRecord } from './fixtures.js';
import { startRecordingUpstream, type RecordingUpstream } from './recording-upstream.js';

/**
 * Our server in front of a recording upstream that answers one vendor record; every stack a test starts is
 * closed after it. Call at the top of a describe block.
 */
export function recordingStacks(): (env?: Record<string, string>) => Promise<{ upstream: RecordingUpstream; api: TestApp }> {
  const open: Array<{ close(): Promise<void> }> = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((s) => s.close()));
  });
  return async (env = {}) => {
    const upstream = await startRecordingUpstream(() => success([vendorRecord()]));
    const api = await startTestApp(upstream.url, env);
    open.push(api, upstream);
    return { upstream, api };
  };
}

/**
 * One recording upstream and our server in front of it for a whole describe block, its request log cleared
 * before each test. Call at the top of a describe block; read `upstream` and `api` inside tests.
 */
export function sharedRecordingStack(env: Record<string, string> = {}): { readonly upstream: RecordingUpstream; readonly api: TestApp } {
  const stack = {} as { upstream: RecordingUpstream; api: TestApp };
  beforeAll(async () => {
    stack.upstream = await startRecordingUpstream();
    stack.api = await startTestApp(stack.upstream.url, env);
  });
  afterAll(async () => {
    await stack.api?.close();
    await stack.upstream?.close();
  });
  beforeEach(() => {
    stack.upstream.requests.length = 0;
  });
  return stack;
}

/**
 * One recording upstream for a describe block (answering one vendor record until told otherwise), and servers in
 * front of it that its tests start; its recorded requests are cleared before each test, and everything is closed
 * after the block. Call at the top of a describe block.
 */
export function sharedRecordingUpstream(): { readonly upstream: RecordingUpstream; startApp(env?: Record<string, string>): Promise<TestApp> } {
  let upstream: RecordingUpstream | undefined;
  const apps: TestApp[] = [];
  beforeAll(async () => {
    upstream = await startRecordingUpstream(() => success([vendorRecord()]));
  });
  afterAll(async () => {
    for (const app of apps.splice(0)) await app.close();
    await upstream?.close();
  });
  beforeEach(() => {
    upstream!.requests.length = 0;
    upstream!.respondWith(() => success([vendorRecord()]));
  });
  return {
    get upstream() {
      return upstream!;
    },
    async startApp(env = {}) {
      const app = await startTestApp(upstream!.url, env);
      apps.push(app);
      return app;
    },
  };
}
