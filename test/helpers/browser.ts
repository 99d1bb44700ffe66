/**
 * Headless Debian chromium driven by puppeteer-core (no browser download): tests load a page
 * (file:// or http://) and see what a person would, plus every console error, page error and
 * dialog. Tests skip with a one-line reason without chromium, and must run under CI=true
 * (.ci/run installs it).
 */
import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';

/** The browser: $CHROMIUM_PATH, else Debian's package. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const haveChromium = existsSync(CHROMIUM);
/** Browser tests run when chromium is there, and always under CI=true (where its absence fails them). */
export const runBrowser = haveChromium || process.env.CI === 'true';
/** The one line a skipped browser test says. */
export const BROWSER_SKIP = `headless browser tests: no chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`;

export async function launchBrowser(): Promise<Browser> {
  if (!haveChromium) throw new Error(`${BROWSER_SKIP}; CI=true requires it`);
  return puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    // Root in a container has no user namespace sandbox; /dev/shm is small there.
    args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu', '--no-first-run', '--no-default-browser-check'],
  });
}

/** What a page said while it was open. */
export interface PageLog {
  /** console.error messages, CSP violations among them. */
  consoleErrors: string[];
  /** Uncaught exceptions. */
  pageErrors: string[];
  /** alert/confirm/prompt texts (each dismissed). */
  dialogs: string[];
  /** Requests the page made other than for its own URL (a self-contained page makes none). */
  requests: string[];
}

export function fileUrl(path: string): string {
  return pathToFileURL(path).href;
}

/** Opens `url` in a new tab and waits for it to load; the log keeps filling while the page is open. */
export async function openPage(browser: Browser, url: string, opts: { width?: number; height?: number } = {}): Promise<{ page: Page; log: PageLog }> {
  const page = await browser.newPage();
  await page.setViewport({ width: opts.width ?? 1280, height: opts.height ?? 900 });
  const log: PageLog = { consoleErrors: [], pageErrors: [], dialogs: [], requests: [] };
  page.on('console', (m) => {
    if (m.type() === 'error') log.consoleErrors.push(m.text());
  });
  page.on('pageerror', (e) => log.pageErrors.push(String((e as Error).message ?? e)));
  page.on('dialog', (d) => {
    log.dialogs.push(d.message());
    void d.dismiss();
  });
  page.on('request', (r) => {
    if (r.url() !== url && !r.url().startsWith('data:')) log.requests.push(r.url());
  });
  await page.goto(url, { waitUntil: 'load' });
  return { page, log };
}

/** Waits (polling, no fixed sleep) until `expr` is truthy in the page. */
export async function waitForPage(page: Page, expr: string, timeoutMs = 30_000): Promise<void> {
  await page.waitForFunction(expr, { timeout: timeoutMs, polling: 50 });
}
