/**
 * GraphiQL in a real browser (Debian's Chromium, driven by playwright-core; never a downloaded
 * browser): the gateway in demo mode serves it whole, it opens on the example query with the demo
 * token in its headers tab, the query runs and shows executions with logs, a run started in the
 * second tab is watched live in the third (its status changes on screen, over Server-Sent
 * Events), the third tab opens on a run going on and shows it changing at its first Run, and the
 * docs explorer shows Workflow.executions with its description. Each test opens GraphiQL on a
 * fresh page of its own, so none depends on what another left on screen. Screenshots go to
 * test-output/graphiql/.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createGateway, type Gateway } from '../../src/server.js';
import { startSimulator, type Simulator } from '../../src/demo/simulator.js';
import { bearer, DEMO_TOKENS, listen } from '../support/stack.js';

const CHROMIUM = '/usr/bin/chromium';
const OUTPUT = 'test-output/graphiql';
// .ci/run installs Chromium, so in CI a missing browser is a failure; on a developer's machine
// without it, the test says so and is skipped.
const missing = !existsSync(CHROMIUM) && !process.env.CI;
if (missing) console.warn(`Skipping the GraphiQL browser test: ${CHROMIUM} is missing (apt-get install chromium).`);

let simulator: Simulator;
let gateway: Gateway;
let server: Server;
let browser: Browser;
let page: Page;
let url: string;
let endlessRunId: string;
let offSite: string[];
let consoleErrors: string[];

beforeAll(async () => {
  if (missing) return;
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install Debian's Chromium (apt-get install chromium)`);
  mkdirSync(OUTPUT, { recursive: true });
  // Runs step every 400 ms, so a run shows several statuses while the browser watches it.
  simulator = await startSimulator({ stepMs: 400 });
  // As `npm start` does: the tabs start a run of a workflow and watch a run of it that never ends.
  const workflowId = simulator.workflowsOf(DEMO_TOKENS.acme).find((w) => w.is_active)!.id;
  endlessRunId = simulator.startEndlessRun(workflowId).id;
  gateway = createGateway({
    config: loadConfig({ LOG_LEVEL: 'silent', LIVE_POLL_INTERVAL_MS: '200' }),
    upstreamUrl: simulator.url,
    graphiqlHeaders: { Authorization: bearer(DEMO_TOKENS.acme) },
    graphiqlWorkflowId: workflowId,
    graphiqlExecutionId: endlessRunId,
  });
  server = createServer((req, res) => gateway.handle(req, res));
  url = await listen(server);
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
  });
}, 60_000);

// A new page in a new browser context: no storage, editor tabs or open panes carry over.
beforeEach(async () => {
  if (missing) return;
  offSite = [];
  consoleErrors = [];
  page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  page.on('request', (request) => {
    if (!/^(http:\/\/127\.0\.0\.1[:/]|blob:|data:)/.test(request.url())) offSite.push(request.url());
  });
  page.on('console', (message) => {
    if (message.type() === 'error') consoleErrors.push(message.text());
  });
  await page.goto(url);
  await page.getByRole('button', { name: /Execute query/ }).waitFor({ timeout: 30_000 });
}, 60_000);

afterEach(async () => {
  await page?.close();
});

afterAll(async () => {
  await browser?.close();
  server?.closeAllConnections();
  server?.close();
  await gateway?.close();
  await simulator?.close();
});

/** An editor's text (Monaco lays text out with non-breaking spaces). */
const editorText = async (selector: string) => (await page.locator(selector).innerText()).replace(/\u00a0/g, ' ');

/**
 * Switches GraphiQL's editor tab. The tabs can be dragged to reorder them, and the drag handler
 * takes Playwright's synthetic pointer sequence for the start of a drag: a plain click event is
 * what a person's click amounts to.
 */
async function openTab(title: string): Promise<void> {
  await page.locator(`button.graphiql-tab-button[title="${title}"]`).dispatchEvent('click');
  await expect.poll(() => editorText('.graphiql-query-editor')).toContain(`${title}(`);
  // A click in the editor, as a person's cursor would land there, makes GraphiQL pick the
  // operation under it; otherwise it can keep the previous tab's operation name.
  await page.locator('.graphiql-query-editor .view-line', { hasText: title }).first().click();
}

describe.skipIf(missing)('GraphiQL in a browser', () => {
  it('opens on the example query with the demo token, runs it, and shows executions with logs', async () => {
    await expect.poll(() => editorText('.graphiql-query-editor')).toContain('# Workflows with their latest executions');
    await expect.poll(() => editorText('.graphiql-editor-tool')).toContain('"Authorization": "Bearer eyJ');

    await page.getByRole('button', { name: /Execute query/ }).click();
    const response = page.locator('.graphiql-response');
    await response.getByText('fl_run_').first().waitFor({ timeout: 15_000 });
    const text = await response.innerText();
    expect(text).toContain('"executions"');
    expect(text).toContain('"logs"');
    expect(text).not.toContain('"errors"');
    await page.screenshot({ path: `${OUTPUT}/result.png` });

    expect(offSite, 'GraphiQL must be served whole, with no CDN').toEqual([]);
    expect(consoleErrors, 'browser console errors').toEqual([]);
  });

  it('starts a run in its second tab and watches it live in its third, seeing its status change', async () => {
    await openTab('StartRun');
    await page.getByRole('button', { name: /Execute query/ }).click();
    const response = page.locator('.graphiql-response');
    await response.getByText('fl_run_').first().waitFor({ timeout: 15_000 });
    const runId = /"(fl_run_[A-Za-z0-9]+)"/.exec(await editorText('.graphiql-response'))![1]!;

    await openTab('WatchRun');
    await page.getByRole('button', { name: 'Variables' }).click();
    await page.locator('.graphiql-editor-tool .monaco-editor').first().click();
    await page.keyboard.press('ControlOrMeta+A');
    await page.keyboard.press('Backspace');
    // Typed as a person would: the editor closes the brace itself, the id goes between.
    await page.keyboard.type('{');
    await page.keyboard.insertText(` "id": "${runId}" `);
    await page.getByRole('button', { name: /Execute query/ }).click();

    // The response pane shows each event as it arrives: collect the statuses it goes through.
    const seen = new Set<string>();
    await expect
      .poll(
        async () => {
          const status = /"status": "([A-Z_]+)"/.exec(await editorText('.graphiql-response'))?.[1];
          if (status) seen.add(status);
          return seen.size >= 2 && (seen.has('COMPLETED') || seen.has('FAILED'));
        },
        { timeout: 30_000, interval: 100 },
      )
      .toBe(true);
    expect([...seen].every((status) => ['PENDING', 'RUNNING', 'COMPLETED', 'FAILED'].includes(status))).toBe(true);
    await page.screenshot({ path: `${OUTPUT}/live.png` });
    expect(offSite, 'GraphiQL must be served whole, with no CDN').toEqual([]);
  });

  it('opens its third tab on a run going on, whose statuses and logs arrive at the first Run, variables untouched', async () => {
    await openTab('WatchRun');
    await page.getByRole('button', { name: 'Variables' }).click();
    await expect.poll(() => editorText('.graphiql-editor-tool')).toContain(`"id": "${endlessRunId}"`);
    await page.getByRole('button', { name: /Execute query/ }).click();

    // Each event replaces the last in the response pane: collect what the run looked like.
    const seen = new Set<string>();
    await expect
      .poll(
        async () => {
          const text = await editorText('.graphiql-response');
          if (text.includes(endlessRunId) && /"status": "(PENDING|RUNNING)"/.test(text)) seen.add(text);
          return seen.size;
        },
        { timeout: 30_000, interval: 100 },
      )
      .toBeGreaterThanOrEqual(2);
    expect([...seen].some((text) => text.includes('"errors"'))).toBe(false);
    await page.screenshot({ path: `${OUTPUT}/watch.png` });
  });

  it('documents Workflow.executions in the docs explorer', async () => {
    await page.getByRole('button', { name: 'Show Documentation Explorer' }).click();
    const docs = page.locator('.graphiql-doc-explorer');
    for (const step of ['Query', 'workflow', 'Workflow', 'executions']) await docs.getByText(step, { exact: true }).first().click();
    await docs.getByText(/walking forward with/).first().waitFor({ timeout: 10_000 });
    await page.screenshot({ path: `${OUTPUT}/docs.png` });
    expect(offSite, 'GraphiQL must be served whole, with no CDN').toEqual([]);
  });
}, 60_000);
