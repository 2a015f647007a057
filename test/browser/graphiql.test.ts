import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, type Locator, type Page, type Request, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, type RunningMain, startMain } from '../observability/main-process.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SCREENSHOT = join(REPO_ROOT, 'test-artifacts', 'graphiql.png');
const EVENTS_SCREENSHOT = join(REPO_ROOT, 'test-artifacts', 'graphiql-events.png');
const EVENT_KIND = /"kind": "(STARTED|UPDATED)"/;
const CALL_SID = /"sid": "CA[0-9a-f]{32}"/g;

/** An editor's visible text, with Monaco's non-breaking spaces and line breaks made plain spaces. */
const textOf = async (locator: Locator): Promise<string> => (await locator.innerText()).replace(/\s+/g, ' ');

interface Session {
  server: RunningMain;
  browser: BrowserContext;
  /** Addresses off this server that the page tried to reach (refused). */
  offSite: string[];
}

/**
 * `npm start` with `env`, and a headless Chromium with a fresh profile that may reach nothing but that server,
 * for the tests of the calling `describe`.
 */
function serverAndBrowser(env: Record<string, string>): Session {
  const session = { offSite: [] as string[] } as Session;
  let profile: string | undefined;
  beforeAll(async () => {
    session.server = await startMain(env);
    profile = await mkdtemp(join(tmpdir(), 'graphiql-profile-'));
    session.browser = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1600, height: 1000 },
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    // Anything not served by our server (a CDN, a font host) is refused and remembered: GraphiQL must work offline.
    await session.browser.route('**/*', (route) => {
      const url = route.request().url();
      if (url.startsWith(session.server.url) || url.startsWith('data:') || url.startsWith('blob:')) return route.continue();
      session.offSite.push(url);
      return route.abort();
    });
  });
  afterAll(async () => {
    await session.browser?.close();
    await session.server?.stop();
    if (profile) await rm(profile, { recursive: true, force: true });
  });
  return session;
}

/** GraphiQL's page, once its run button is there; the page's console errors are kept for failure messages. */
async function openGraphiQL({ browser, server }: Session): Promise<{ page: Page; run: Locator; consoleErrors: string[] }> {
  const page = browser.pages()[0] ?? (await browser.newPage());
  const consoleErrors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') consoleErrors.push(message.text());
  });
  page.on('pageerror', (error) => consoleErrors.push(error.message));
  await page.goto(`${server.url}/graphql`);
  const run = page.locator('.graphiql-execute-button');
  await run.waitFor({ timeout: 60_000 });
  return { page, run, consoleErrors };
}

/**
 * Clicks run once GraphiQL can run, and returns the request it sent that `matches`. GraphiQL's run() returns
 * without a word while its result editor is not yet made, so this waits for that editor and an idle "Execute"
 * button first. If no such request comes, the failure names the button, the result pane and the console.
 */
async function runTab(
  page: Page,
  run: Locator,
  consoleErrors: string[],
  matches: (request: Request) => boolean,
): Promise<Request> {
  await page.locator('.result-window .monaco-editor').waitFor({ state: 'attached', timeout: 30_000 });
  await expect.poll(() => run.getAttribute('aria-label'), { timeout: 30_000 }).toMatch(/^Execute/);
  const sent = page.waitForRequest(matches, { timeout: 30_000 }).catch(() => undefined);
  await run.click();
  const request = await sent;
  if (request) return request;
  const pane = await textOf(page.locator('.result-window'));
  throw new Error(
    `run sent no matching request: button "${await run.getAttribute('aria-label')}", result pane "${pane}", console ${JSON.stringify(consoleErrors)}`,
  );
}

// GraphiQL as a person meets it: `npm start` with no settings (the embedded demo emulator), a real Chromium
// with no network beyond this server, the example tab, the run button, calls in the result pane.
describe('GraphiQL in a real browser', () => {
  const session = serverAndBrowser({ LOG_LEVEL: 'warn' });

  it('runs the example query with the printed demo key and shows calls', async () => {
    const demoKey = /Demo credential: x-api-key: (\S+)/.exec(session.server.stderr())?.[1];
    expect(demoKey, 'npm start prints a demo key when it serves demo data').toBeTruthy();

    const { page, run, consoleErrors } = await openGraphiQL(session);
    // The example tab is open: the query editor holds the example operation, the variables its project.
    await expect.poll(() => textOf(page.locator('.graphiql-query-editor')), { timeout: 30_000 }).toContain('query RecentCalls(');
    await expect.poll(() => textOf(page.locator('.graphiql-editor-tool'))).toContain('"projectId": "demo"');

    const request = await runTab(
      page,
      run,
      consoleErrors,
      (sent) => sent.url().endsWith('/graphql') && (sent.postData() ?? '').includes('RecentCalls'),
    );
    const response = await request.response();
    if (!response) throw new Error('the RecentCalls request got no response');
    expect(response.status()).toBe(200);
    // The browser sent the demo key from the Headers tab.
    expect(response.request().headers()['x-api-key']).toBe(demoKey);
    const body = (await response.json()) as { data?: { callHistory: { edges: Array<{ node: { sid: string } }> } }; errors?: unknown };
    expect(body.errors).toBeUndefined();
    expect(body.data!.callHistory.edges.length).toBeGreaterThan(0);

    const result = page.locator('.result-window');
    await expect.poll(async () => (await textOf(result)).match(CALL_SID)?.length ?? 0, { timeout: 30_000 }).toBeGreaterThan(0);
    const firstSid = body.data!.callHistory.edges[0]!.node.sid;
    expect(await textOf(result)).toContain(`"sid": "${firstSid}"`);

    await mkdir(join(REPO_ROOT, 'test-artifacts'), { recursive: true });
    await page.screenshot({ path: SCREENSHOT });

    // The Headers tab shows where the credential goes, filled with the demo key.
    await page.getByRole('button', { name: 'Headers', exact: true }).click();
    await expect.poll(() => textOf(page.locator('.graphiql-editor-tool'))).toContain(`"x-api-key": "${demoKey}"`);

    expect(session.offSite).toEqual([]);
  });
});

// The live demo as a person meets it: the second tab's subscription, run over SSE, fills the result pane with
// events as the demo's calls move. The server polls every second and the demo runs faster, so events come soon.
describe('live call events in GraphiQL', () => {
  const session = serverAndBrowser({ LOG_LEVEL: 'warn', DEMO_CALLS_PER_MINUTE: '30', EVENTS_POLL_INTERVAL_MS: '1000' });

  it('runs the CallEvents tab over SSE and shows events as calls start and change', async () => {
    const { page, run, consoleErrors } = await openGraphiQL(session);
    await page.getByRole('tab', { name: 'CallEvents' }).click();
    await expect.poll(() => textOf(page.locator('.graphiql-query-editor')), { timeout: 30_000 }).toContain('subscription CallEvents(');
    // GraphiQL takes a new tab's operation name 100 ms after the switch (debounced), in the same step that writes
    // the tab into the page's address; a run before that sends the old tab's name and fails in the page with
    // "Cannot infer operation RecentCalls". A person does not click that fast; the test waits for that step.
    await expect
      .poll(() => new URL(page.url()).searchParams.get('query') ?? '', { timeout: 30_000 })
      .toContain('subscription CallEvents(');

    const request = await runTab(
      page,
      run,
      consoleErrors,
      (sent) => sent.url().includes('/graphql') && `${sent.url()} ${sent.postData() ?? ''}`.includes('CallEvents'),
    );
    // GraphiQL subscribes over SSE, with the demo key from the tab's headers.
    expect(request.headers()['accept']).toContain('text/event-stream');
    expect(request.headers()['x-api-key']).toBe('demo-key');

    const result = page.locator('.result-window');
    await expect.poll(async () => EVENT_KIND.test(await textOf(result)), { timeout: 30_000 }).toBe(true);
    const first = await textOf(result);
    expect(first).toMatch(/"sid": "CA[0-9a-f]{32}"/);
    expect(first).not.toContain('"errors"');
    // The stream stays open: the pane shows the next event when it comes.
    await expect.poll(async () => (await textOf(result)) !== first && EVENT_KIND.test(await textOf(result)), { timeout: 30_000 }).toBe(true);

    await mkdir(join(REPO_ROOT, 'test-artifacts'), { recursive: true });
    await page.screenshot({ path: EVENTS_SCREENSHOT });
    expect(session.offSite).toEqual([]);
  });
});
