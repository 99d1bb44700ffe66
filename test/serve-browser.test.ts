/**
 * A `beamscope serve` session in Debian's headless chromium: what a person sees and clicks, on a
 * fixture made by a real VM. Skipped without chromium (required under CI=true).
 */
import { join } from 'node:path';
import type { Browser, Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BROWSER_SKIP, launchBrowser, openPage, runBrowser, waitForPage, type PageLog } from './helpers/browser.js';
import { beamscope } from './helpers/cli.js';
import { FIXTURES } from './helpers/dumps.js';
import { startServe, type ServeRun } from './helpers/serve.js';

const MAILBOX = join(FIXTURES, 'mailbox.dump');

/** Clicks a link and waits for the page it leads to. */
async function follow(page: Page, selector: string): Promise<void> {
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click(selector)]);
}

function firstRowCells(page: Page): Promise<string[]> {
  return page.$$eval('#processes tbody tr:first-child td', (tds) => tds.map((td) => (td.textContent ?? '').trim()));
}

function expectQuiet(log: PageLog): void {
  expect(log.consoleErrors).toEqual([]);
  expect(log.pageErrors).toEqual([]);
  expect(log.dialogs).toEqual([]);
}

describe.skipIf(!runBrowser)('serve in chromium', () => {
  let serve: ServeRun;
  let browser: Browser;
  beforeAll(async () => {
    [serve, browser] = await Promise.all([startServe(MAILBOX), launchBrowser()]);
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await serve?.stop();
  });

  it('opens on the overview: the top finding visible, the charts drawn, no console errors', async () => {
    const top = JSON.parse(beamscope(['triage', MAILBOX, '--format', 'json']).stdout).findings[0] as { title: string };
    const { page, log } = await openPage(browser, serve.url);
    await waitForPage(page, 'window.__beamscopeReady === true');
    const first = await page.$eval('.finding h3', (h) => ({ text: (h.textContent ?? '').trim(), visible: (h as HTMLElement).offsetParent !== null, y: h.getBoundingClientRect().top }));
    expect(first.text).toContain(top.title);
    expect(first.visible).toBe(true);
    expect(first.y).toBeLessThan(900);
    // Chart.js drew into the memory chart's canvas.
    await waitForPage(page, "typeof Chart !== 'undefined' && Chart.getChart(document.getElementById('memory-kinds')) !== undefined");
    expectQuiet(log);
    await page.close();
  });

  it('sorts the process table on the server by a click on a header, both ways, and filters it', async () => {
    const { page, log } = await openPage(browser, `${serve.origin}/processes?token=${serve.token}`);
    await follow(page, 'th[data-key="messageQueueLength"] a');
    expect(await page.$eval('th[data-key="messageQueueLength"]', (th) => th.getAttribute('aria-sort'))).toBe('descending');
    // The big mailbox (fixtures/README.md): <0.79.0> big_mailbox, 20,000 messages.
    let cells = await firstRowCells(page);
    expect(cells.slice(0, 2)).toEqual(['<0.79.0>', 'big_mailbox']);
    expect(cells).toContain('20,000');
    await follow(page, 'th[data-key="messageQueueLength"] a');
    expect(await page.$eval('th[data-key="messageQueueLength"]', (th) => th.getAttribute('aria-sort'))).toBe('ascending');
    cells = await firstRowCells(page);
    expect(cells[5]).toBe('0');
    // The filter box: typed, Enter, the server answers with the matching rows only.
    await page.type('form.nav-form input[name="q"]', 'mbox_');
    await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.keyboard.press('Enter')]);
    expect(new URL(page.url()).searchParams.get('q')).toBe('mbox_');
    const names = await page.$$eval('#processes tbody tr td:nth-child(2)', (tds) => tds.map((td) => td.textContent));
    // mbox_50 ... mbox_300 (the fixture's five queues), in ascending queue order.
    expect(names).toEqual(['mbox_50', 'mbox_100', 'mbox_150', 'mbox_200', 'mbox_300']);
    expectQuiet(log);
    await page.close();
  });

  it('opens a process from the table and shows its message shapes and messages', async () => {
    const { page, log } = await openPage(browser, `${serve.origin}/processes?sort=messageQueueLength&dir=desc&token=${serve.token}`);
    await follow(page, '#processes tbody tr:first-child td:first-child a');
    expect(new URL(page.url()).pathname).toBe('/process/0.79.0');
    expect(await page.$eval('h1', (h) => h.textContent)).toBe('Process <0.79.0> (big_mailbox)');
    // As `beamscope proc` shows them (README): counts and shapes.
    const shapes = await page.$$eval('table.shapes tbody tr', (trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => (td.textContent ?? '').trim())));
    expect(shapes.slice(0, 3).map((r) => [r[0], r[2]])).toEqual([
      ['17,500', '{log_line, integer, binary(90)}'],
      ['2,000', "{'$gen_call', {pid, ref}, {get, atom}}"],
      ['500', '{blob, integer, binary(100)}'],
    ]);
    expect(await page.$eval('table.shapes', (t) => (t as HTMLElement).offsetParent !== null)).toBe(true);
    // The messages, paged: the next page starts at message 51.
    await follow(page, '#messages a[rel="next"]');
    expect(await page.$eval('table.messages tbody tr:first-child td', (td) => td.textContent)).toBe('51');
    // Its parent, one click away.
    await page.goBack({ waitUntil: 'load' });
    await follow(page, '#relations a.pid');
    expect(new URL(page.url()).pathname).toBe('/process/0.9.0');
    expectQuiet(log);
    await page.close();
  });

  it('loads every other page without an error', async () => {
    for (const path of ['/ports', '/ets', '/timers', '/funs', '/atoms', '/allocators', '/nodes']) {
      const { page, log } = await openPage(browser, `${serve.origin}${path}?token=${serve.token}`);
      await waitForPage(page, 'window.__beamscopeReady === true');
      expectQuiet(log);
      await page.close();
    }
  });
});

if (!runBrowser) describe.skip(BROWSER_SKIP, () => it('skipped', () => {}));
