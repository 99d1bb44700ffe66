/**
 * `beamscope report`: the HTML incident report of a crash dump, an allocator snapshot and a trend
 * series, loaded in headless chromium: no console error, the top finding visible, tables sort and
 * filter, message shapes shown, prints; and fixtures/xss.dump (a real VM's dump full of HTML and
 * script, made by fixtures/scripts/make-xss.escript) renders as inert text.
 */
import { copyFileSync, existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BROWSER_SKIP, fileUrl, launchBrowser, openPage, runBrowser, waitForPage, type PageLog } from './helpers/browser.js';
import { beamscope, CLI, expectOneLineError } from './helpers/cli.js';
import { FIXTURES } from './helpers/dumps.js';
import { escapeHtml } from '../src/html/index.js';
import { readDump } from '../src/dump/index.js';
import { renderDumpReportPage } from '../src/report/html/dump-page.js';
import { dumpReportData } from '../src/usecases/report.js';

const MAILBOX = join(FIXTURES, 'mailbox.dump');
const XSS = join(FIXTURES, 'xss.dump');
const ELIXIR = join(FIXTURES, 'elixir', 'elixir.dump');
const SNAPSHOT = join(FIXTURES, 'trend', 'series', 'snap-20.snapshot');
const SERIES = join(FIXTURES, 'trend', 'series', '*.snapshot');
const dir = mkdtempSync(join(tmpdir(), 'beamscope-report-'));

/** `beamscope report INPUT -o OUT`, checked; the path of the page. */
function report(input: string, name: string): string {
  const out = join(dir, name);
  const r = beamscope(['--no-cache', 'report', input, '-o', out]);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  expect(r.stdout).toMatch(new RegExp(`^${out.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(`));
  return out;
}

describe.skipIf(!existsSync(CLI))('beamscope report (CLI)', () => {
  it('writes INPUT.html beside the input by default, stdout with -o -, and is self-contained', () => {
    const copy = join(dir, 'copy.dump');
    copyFileSync(MAILBOX, copy);
    const r = beamscope(['--no-cache', 'report', copy]);
    expect(r.code).toBe(0);
    expect(existsSync(`${copy}.html`)).toBe(true);
    const page = readFileSync(`${copy}.html`, 'utf8');
    expect(page).toMatch(/^<!DOCTYPE html>/);
    // Nothing loaded from elsewhere: no src= or href= but in-page anchors.
    expect(page).not.toMatch(/\s(src|href)="(?!#)/);
    expect(statSync(`${copy}.html`).size).toBeLessThan(2 * 1024 * 1024);
    const stdout = beamscope(['--no-cache', 'report', MAILBOX, '-o', '-']);
    expect(stdout.code).toBe(0);
    expect(stdout.stdout).toMatch(/^<!DOCTYPE html>/);
    expect(stdout.stdout.length).toBeGreaterThan(100_000);
  });

  it('reads a compressed dump on stdin and writes the page to stdout', () => {
    const r = beamscope(['report', '-'], readFileSync(`${MAILBOX}.gz`));
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^<!DOCTYPE html>/);
    expect(r.stdout).toContain('big_mailbox');
  });

  it('follows --syntax: an Elixir node (fixtures/elixir, made by a real Elixir node) in Elixir syntax; an Erlang node as before', () => {
    const ex = beamscope(['--no-cache', 'report', ELIXIR, '-o', '-']);
    expect(ex.code).toBe(0);
    const page = ex.stdout;
    expect(page).toContain('Names and terms in Elixir syntax');
    // The GenServer with 1,607 messages (fixtures/elixir/make.exs), by its Elixir name; its shapes and
    // examples as triage prints them in Elixir syntax (test/elixir-syntax.test.ts), escaped.
    expect(page).toContain(escapeHtml('<0.106.0> (Beamscope.Fixture.Inbox): 1,607 messages'));
    expect(page).toContain(escapeHtml('%Beamscope.Fixture.Event{id: integer, kind: atom, meta: [source: atom], payload: binary(6..9)}'));
    expect(page).toContain(escapeHtml('%Beamscope.Fixture.Event{id: 1, kind: :click, meta: [source: :web], payload: "user-1"}'));
    expect(page).toContain(escapeHtml(':gen_server.loop/7'));
    // Elixir's advice in the findings.
    expect(page).toContain('GenServer.call/3');
    expect(page).not.toContain(escapeHtml("'Elixir.Beamscope.Fixture.Inbox'"));
    const er = beamscope(['--no-cache', '--syntax', 'erlang', 'report', ELIXIR, '-o', '-']);
    expect(er.stdout).toContain(escapeHtml("<0.106.0> ('Elixir.Beamscope.Fixture.Inbox'): 1,607 messages"));
    expect(er.stdout).not.toContain('Names and terms in Elixir syntax');
    // An Erlang node: the same bytes with auto as with --syntax erlang.
    const auto = beamscope(['--no-cache', 'report', MAILBOX, '-o', '-']);
    const erl = beamscope(['--no-cache', '--syntax', 'erlang', 'report', MAILBOX, '-o', '-']);
    expect(auto.code).toBe(0);
    expect(auto.stdout).toBe(erl.stdout);
    expect(auto.stdout).not.toContain('Names and terms in Elixir syntax');
  });

  it('the group of proc_lib processes past the identity limit says what a sample of them are, as triage does', async () => {
    const data = dumpReportData(await readDump(MAILBOX), { identityLimit: 100 });
    const g = data.groups.rows.find((x) => x.key === 'proc_lib:init_p/5')!;
    const t = data.triage.groups.find((x) => x.key === 'proc_lib:init_p/5')!;
    expect(g.sampledInitialCalls).toEqual(t.sampledInitialCalls);
    const top = g.sampledInitialCalls!.calls[0];
    expect(renderDumpReportPage(data).html).toContain(escapeHtml(`proc_lib:init_p/5 (\`$initial_call\` of ${g.sampledInitialCalls!.sampled}, one in ${g.sampledInitialCalls!.every}: ${top.count} x ${top.initialCall}`));
  });

  it('bad input: one line, exit 1; no input: usage, exit 2', () => {
    const r = beamscope(['report', join(dir, 'no-such.dump')]);
    expect(r.code).toBe(1);
    expectOneLineError(r.stderr, /no-such\.dump/);
    expect(beamscope(['report']).code).toBe(2);
  });
});

describe.skipIf(!runBrowser || !existsSync(CLI))('beamscope report in chromium', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
  });

  async function load(path: string): Promise<{ page: Page; log: PageLog }> {
    const opened = await openPage(browser, fileUrl(path));
    await waitForPage(opened.page, 'window.__beamscopeReady === true');
    return opened;
  }

  function clean(log: PageLog): void {
    expect(log.consoleErrors).toEqual([]);
    expect(log.pageErrors).toEqual([]);
    expect(log.dialogs).toEqual([]);
    expect(log.requests).toEqual([]);
  }

  it('a crash dump: top finding visible, charts drawn, tables sort and filter, message shapes shown, prints', async () => {
    const { page, log } = await load(report(MAILBOX, 'mailbox.html'));
    // The top finding, as `triage --format json` orders them.
    const triage = JSON.parse(beamscope(['--no-cache', 'triage', MAILBOX, '--format', 'json']).stdout) as { findings: Array<{ title: string }> };
    const top = await page.$('#top-finding');
    expect(top).not.toBeNull();
    expect(await top!.isIntersectingViewport()).toBe(true);
    expect(await page.$eval('#top-finding h3', (e) => e.textContent)).toContain(triage.findings[0].title);
    // The planted outlier (fixtures/README.md): big_mailbox with 20,000 messages of three shapes.
    const shapes = await page.$eval('#mailboxes', (e) => (e as HTMLElement).innerText);
    expect(shapes).toContain('{log_line, integer, binary(90)}');
    expect(shapes).toContain("{'$gen_call', {pid, ref}, {get, atom}}");
    expect(shapes).toContain('{blob, integer, binary(100)}');
    expect(shapes).toContain('big_mailbox');
    // Charts: every canvas was drawn at a size.
    const canvases = await page.$$eval('canvas', (cs) => cs.map((c) => (c as HTMLCanvasElement).width));
    expect(canvases.length).toBeGreaterThanOrEqual(4);
    for (const w of canvases) expect(w).toBeGreaterThan(0);
    // The process table sorts: by queue, big_mailbox comes first.
    const queueHeader = await page.$$eval('#process-table thead th', (ths) => ths.findIndex((th) => th.textContent === 'queue'));
    await page.click(`#process-table thead th:nth-child(${queueHeader + 1})`);
    const firstRow = () => page.$eval('#process-table tbody tr', (tr) => Array.from(tr.children).map((td) => td.textContent));
    expect((await firstRow())[1]).toBe('big_mailbox');
    expect((await firstRow())[queueHeader]).toBe('20,000');
    // The table says how many it holds of how many.
    expect(await page.$eval('[data-count-for="process-table"]', (e) => e.textContent)).toMatch(/^2,000 of [\d,]+ processes/);
    // ... and filters: only the mbox_N processes.
    await page.type('input[data-filter-for="process-table"]', 'mbox_');
    const shown = await page.$$eval('#process-table tbody tr:not(.hidden)', (rs) => rs.map((r) => r.children[1].textContent));
    expect(shown.length).toBeGreaterThan(0);
    for (const n of shown) expect(n).toMatch(/^mbox_\d+$/);
    // Print: the navigation goes, the charts stay.
    await page.emulateMediaType('print');
    expect(await page.$eval('nav.toc', (e) => getComputedStyle(e).display)).toBe('none');
    clean(log);
  });

  it('a dump full of HTML and script (made by a real VM): nothing executes, all of it shown as text', async () => {
    const path = report(XSS, 'xss.html');
    const { page, log } = await load(path);
    expect(await page.evaluate(() => (window as unknown as { __xss?: unknown }).__xss)).toBeUndefined();
    expect(await page.$$('img, iframe, svg, b')).toHaveLength(0);
    // The slogan as the VM wrote it, as text.
    expect(await page.$eval('#slogan-text', (e) => e.textContent)).toBe('<script>window.__xss=2</script><img src=x onerror="window.__xss=8">&lt;not an entity&gt;');
    const text = await page.evaluate(() => document.body.innerText);
    expect(text).toContain("'<img src=x onerror=alert(1)>'");
    expect(text).toContain('<script>window.__xss=1</script>');
    expect(text).toContain('<iframe src=javascript:alert(6)>');
    expect(text).toContain('<b onmouseover=alert(5)>worker_');
    // Hovering and clicking over everything does not run anything either.
    await page.hover('#process-table tbody tr');
    await page.click('#mailbox-table thead th');
    expect(await page.evaluate(() => (window as unknown as { __xss?: unknown }).__xss)).toBeUndefined();
    // A script blocked by the CSP would be a console error: there is none, nothing even tried.
    clean(log);
  });

  it('an allocator snapshot and a trend series', async () => {
    for (const [input, name, section] of [
      [SNAPSHOT, 'snap.html', '#allocators'],
      [SERIES, 'trend.html', '#over-time'],
    ] as const) {
      const { page, log } = await load(report(input, name));
      expect(await page.$(section)).not.toBeNull();
      const canvases = await page.$$eval(`${section} canvas`, (cs) => cs.map((c) => (c as HTMLCanvasElement).width));
      expect(canvases.length).toBeGreaterThan(0);
      clean(log);
    }
  });
});
if (!runBrowser) describe.skip(BROWSER_SKIP, () => it('skipped', () => {}));
