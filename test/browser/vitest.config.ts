import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// The browser test drives a real Chromium: run it with `npm run test:browser` (it needs /usr/bin/chromium).
export default defineConfig({
  root: fileURLToPath(new URL('../..', import.meta.url)),
  test: {
    include: ['test/browser/**/*.test.ts'],
    environment: 'node',
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
