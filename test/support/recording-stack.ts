import { afterEach } from 'vitest';
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
