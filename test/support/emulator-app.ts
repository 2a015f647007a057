import { startEmulator, type EmulatorOptions, type RunningEmulator } from '../../src/emulator/index.js';
import type { AppOptions } from '../../src/server.js';
import { startTestApp, type TestApp } from './app.js';

export interface EmulatorStack {
  emulator: RunningEmulator;
  api: TestApp;
  /** The app under test. */
  app(): TestApp['app'];
  close(): Promise<void>;
}

/** The emulator on 127.0.0.1 and our server in front of it, both over real HTTP. */
export async function startEmulatorStack(
  emulatorOptions: EmulatorOptions = {},
  env: Record<string, string> = {},
  appOptions: AppOptions = {},
): Promise<EmulatorStack> {
  const emulator = await startEmulator({ port: 0, ...emulatorOptions });
  const api = await startTestApp(emulator.url, env, appOptions);
  return {
    emulator,
    api,
    app: () => api.app,
    close: async () => {
      await api.close();
      await emulator.close();
    },
  };
}
