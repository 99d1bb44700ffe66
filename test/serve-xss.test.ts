/**
 * serve on fixtures/xss.dump (a real VM's dump whose registered names, ETS table name, message
 * atoms and binaries and slogan are HTML and script, made by fixtures/scripts/make-xss.escript):
 * every page shows that text as text, and nothing runs (the test hook: window.__xss stays unset,
 * no dialog opens, no CSP violation is reported).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BROWSER_SKIP, launchBrowser, openPage, runBrowser, waitForPage } from './helpers/browser.js';
import { FIXTURES } from './helpers/dumps.js';
import { get, startServe, type ServeRun } from './helpers/serve.js';

const XSS = join(FIXTURES, 'xss.dump');
/** Markup planted in the dump; none may reach a page as markup. */
const PLANTED = ['<script>window.__xss', '<img src=x onerror', '<svg onload', '<iframe src=javascript', '<b onmouseover', '</script><img'];

describe.skipIf(!existsSync(XSS))('serve: dump text with HTML and script in it', () => {
  let s: ServeRun;
  let paths: string[];
  beforeAll(async () => {
    s = await startServe(XSS);
    const found = JSON.parse((await get(`${s.origin}/api/processes?q=onerror&token=${s.token}`)).body) as { rows: Array<{ pid: string; name: string }> };
    // The dump writes the name as an atom, quoted.
    expect(found.rows.map((r) => r.name)).toEqual(["'<img src=x onerror=alert(1)>'"]);
    const pid = found.rows[0].pid.slice(1, -1);
    paths = ['/', '/processes?q=%3Cb', '/processes?sort=name&dir=asc', `/process/${pid}`, `/process/${pid}/messages?offset=190`, '/ets', '/atoms', '/timers', '/funs', '/ports', '/nodes', '/allocators'];
  });
  afterAll(async () => {
    await s?.stop();
  });

  it('sends every planted string escaped, never as markup', async () => {
    for (const path of paths) {
      const r = await get(`${s.origin}${path}${path.includes('?') ? '&' : '?'}token=${s.token}`);
      expect(r.status, path).toBe(200);
      for (const p of PLANTED) expect(r.body.includes(p), `${path}: ${p}`).toBe(false);
    }
    const proc = await get(`${s.origin}${paths[3]}?token=${s.token}`);
    expect(proc.body).toContain('&lt;script&gt;window.__xss=1&lt;/script&gt;');
    expect(proc.body).toContain('<h1>Process &lt;');
  });

  describe.skipIf(!runBrowser)('in chromium', () => {
    let browser: Browser;
    beforeAll(async () => {
      browser = await launchBrowser();
    }, 60_000);
    afterAll(async () => {
      await browser?.close();
    });

    it('runs nothing from the dump on any page, and shows its text as text', async () => {
      for (const path of paths) {
        const { page, log } = await openPage(browser, `${s.origin}${path}${path.includes('?') ? '&' : '?'}token=${s.token}`);
        await waitForPage(page, 'window.__beamscopeReady === true');
        // Hover over the planted text, for the handlers that need a person (onmouseover).
        await page.evaluate(() => {
          let n = 0;
          for (const e of document.querySelectorAll('td, li, h1, h3, code')) {
            if (n < 20 && e.children.length === 0 && (e.textContent ?? '').includes('<')) {
              e.setAttribute('data-planted', '');
              n++;
            }
          }
        });
        for (const el of await page.$$('[data-planted]')) await el.hover().catch(() => undefined);
        expect(await page.evaluate(() => (window as unknown as { __xss?: unknown }).__xss), path).toBeUndefined();
        expect(log.dialogs, path).toEqual([]);
        expect(log.consoleErrors, path).toEqual([]);
        expect(log.pageErrors, path).toEqual([]);
        if (path === '/') {
          const slogan = await page.$eval('.slogan code', (e) => e.textContent);
          expect(slogan).toBe('<script>window.__xss=2</script><img src=x onerror="window.__xss=8">&lt;not an entity&gt;');
        }
        if (path.startsWith('/process/') && !path.includes('messages')) {
          expect(await page.$eval('h1', (e) => e.textContent)).toBe(`Process <${paths[3].slice(9)}> ('<img src=x onerror=alert(1)>')`);
          const text = await page.$eval('#messages', (e) => e.textContent ?? '');
          expect(text).toContain('<script>window.__xss=1</script>');
          expect(text).toContain("{'<svg onload=alert(3)>', integer, binary(");
        }
        await page.close();
      }
    });
  });
});

if (!runBrowser) describe.skip(BROWSER_SKIP, () => it('skipped', () => {}));
