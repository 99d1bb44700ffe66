/**
 * The web kit (src/html): escaping, the JSON data block and the page shell, in headless chromium:
 * hostile text stays text, the CSP lets only the kit's scripts run, a table sorts and filters.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chartFigure, dataTable, escapeHtml, html, jsonForScript, renderPage } from '../src/html/index.js';
import { BROWSER_SKIP, fileUrl, launchBrowser, openPage, runBrowser, waitForPage } from './helpers/browser.js';

const HOSTILE = [`<img src=x onerror="window.__xss=1">`, `</script><script>window.__xss=2</script>`, `<!--`, `' " & \u2028 \u2029`];

describe('escaping', () => {
  it('escapes text and attribute holes', () => {
    expect(escapeHtml(`<a href='x'>&"`)).toBe('&lt;a href=&#39;x&#39;&gt;&amp;&quot;');
    expect(html`<td title="${HOSTILE[0]}">${HOSTILE[1]}</td>`.text).not.toMatch(/<img|<script|<\/script/);
  });
  it('JSON for a script block cannot close it and reads back unchanged', () => {
    const text = jsonForScript({ s: HOSTILE });
    expect(text).not.toMatch(/[<>&\u2028\u2029]/);
    expect(JSON.parse(text)).toEqual({ s: HOSTILE });
  });
});

describe.skipIf(!runBrowser)('the page shell in chromium', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('renders hostile text inert, draws a chart, sorts and filters a table, under its CSP', async () => {
    const rows = HOSTILE.map((name, i) => ({ name, bytes: (i + 1) * 1000 }));
    const chart = { id: 'c1', title: HOSTILE[0], kind: 'hbar' as const, labels: HOSTILE, series: [{ label: 'bytes', values: rows.map((r) => r.bytes) }], unit: 'bytes' as const };
    const body = html`<p id="t">${HOSTILE.join(' ')}</p>${chartFigure(chart)}${dataTable({
      id: 'tbl',
      rows,
      filter: true,
      columns: [
        { label: 'name', value: (r) => r.name },
        { label: 'bytes', kind: 'bytes', value: (r) => r.bytes },
      ],
    })}`;
    const page = renderPage({ title: HOSTILE[1], subtitle: HOSTILE[0], body, charts: [chart], data: { hostile: HOSTILE } });
    expect(page.csp).not.toMatch(/unsafe/);
    const dir = mkdtempSync(join(tmpdir(), 'beamscope-kit-'));
    const file = join(dir, 'page.html');
    writeFileSync(file, page.html);
    const { page: tab, log } = await openPage(browser, fileUrl(file));
    await waitForPage(tab, 'window.__beamscopeReady === true');
    expect(await tab.evaluate(() => (window as unknown as { __xss?: number }).__xss)).toBeUndefined();
    expect(await tab.$eval('#t', (e) => e.textContent)).toBe(HOSTILE.join(' '));
    expect(await tab.title()).toBe(HOSTILE[1]);
    expect(await tab.$$('img')).toHaveLength(0);
    // The chart was drawn (Chart.js sized the canvas).
    expect(await tab.$eval('#c1', (c) => (c as HTMLCanvasElement).width)).toBeGreaterThan(0);
    // Sorting by bytes: descending first, then ascending.
    const firstBytes = () => tab.$eval('#tbl tbody tr td:nth-child(2)', (td) => td.getAttribute('data-sort'));
    await tab.click('#tbl thead th:nth-child(2)');
    expect(await firstBytes()).toBe('4000');
    await tab.click('#tbl thead th:nth-child(2)');
    expect(await firstBytes()).toBe('1000');
    await tab.type('input[data-filter-for="tbl"]', 'onerror');
    expect(await tab.$$eval('#tbl tbody tr:not(.hidden)', (r) => r.length)).toBe(1);
    expect(log.dialogs).toEqual([]);
    expect(log.pageErrors).toEqual([]);
    expect(log.consoleErrors).toEqual([]);
    expect(log.requests).toEqual([]);

    // The second line of defence: markup that slipped through unescaped still cannot run script.
    const broken = join(dir, 'broken.html');
    writeFileSync(broken, page.html.replace('<main>', '<main><script>window.__xss=3</script><img src=x onerror="window.__xss=4">'));
    const second = await openPage(browser, fileUrl(broken));
    await waitForPage(second.page, 'window.__beamscopeReady === true');
    expect(await second.page.evaluate(() => (window as unknown as { __xss?: number }).__xss)).toBeUndefined();
    expect(second.log.consoleErrors.join('\n')).toMatch(/Content Security Policy/);
  });
});
if (!runBrowser) describe.skip(BROWSER_SKIP, () => it('skipped', () => {}));
