// Regenerates the README's screenshots of `beamscope report` (docs/report-*.png) and of a
// `beamscope serve` session (docs/serve-*.png) in headless
// Debian chromium (puppeteer-core, no browser download). Run after `npm run build`:
//   node scripts/screenshots.mjs
// CHROMIUM_PATH overrides /usr/bin/chromium. The reports are made from the committed fixtures.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { URL, fileURLToPath, pathToFileURL } from 'node:url';
import puppeteer from 'puppeteer-core';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..');
const cli = join(repo, 'dist/bin/beamscope.js');
const tmp = mkdtempSync(join(tmpdir(), 'beamscope-shots-'));

/** Each shot: the input, the page section to show (null: the top), and the file it becomes. */
const SHOTS = [
  { input: 'fixtures/mailbox.dump', section: null, file: 'docs/report-findings.png' },
  { input: 'fixtures/mailbox.dump', section: '#memory', file: 'docs/report-memory.png' },
  { input: 'fixtures/mailbox.dump', section: '#mailboxes', file: 'docs/report-mailboxes.png' },
  { input: 'fixtures/fragmented.dump', section: '#allocators', file: 'docs/report-allocators.png' },
  { input: 'fixtures/trend/series/*.snapshot', section: '#over-time', file: 'docs/report-trend.png' },
];

/** serve's shots: a page of a session on mailbox.dump (its URL from serve's first line), and where to look. */
const SERVE_SHOTS = [
  { path: '/', section: null, file: 'docs/serve-overview.png' },
  { path: '/processes?sort=messageQueueLength&dir=desc', section: null, file: 'docs/serve-processes.png' },
  { path: '/process/0.79.0', section: '#messages', file: 'docs/serve-process.png' },
];

/** Starts `beamscope serve` on a fixture; resolves with the child and its URL. */
function startServe(dump) {
  const child = spawn(process.execPath, [cli, '--no-cache', 'serve', join(repo, dump)], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (b) => {
      out += b.toString();
      if (out.includes('\n')) resolve({ child, url: new URL(out.slice(0, out.indexOf('\n'))) });
    });
    child.once('exit', (code) => reject(new Error(`serve exited (${code})`)));
  });
}

const browser = await puppeteer.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu'],
});
try {
  for (const [n, shot] of SHOTS.entries()) {
    const out = join(tmp, `r${n}.html`);
    execFileSync(process.execPath, [cli, '--no-cache', 'report', join(repo, shot.input), '-o', out], { stdio: ['ignore', 'ignore', 'inherit'] });
    const page = await browser.newPage();
    await page.setViewport({ width: 1280, height: 860, deviceScaleFactor: 1 });
    await page.goto(pathToFileURL(out).href, { waitUntil: 'load' });
    await page.waitForFunction('window.__beamscopeReady === true');
    if (shot.section) await page.$eval(shot.section, (e) => e.scrollIntoView());
    await page.screenshot({ path: join(repo, shot.file) });
    await page.close();
    console.log(shot.file);
  }
  const serve = await startServe('fixtures/mailbox.dump');
  try {
    for (const shot of SERVE_SHOTS) {
      const url = new URL(shot.path, serve.url);
      url.searchParams.set('token', serve.url.searchParams.get('token'));
      const page = await browser.newPage();
      await page.setViewport({ width: 1280, height: 860, deviceScaleFactor: 1 });
      await page.goto(url.href, { waitUntil: 'load' });
      await page.waitForFunction('window.__beamscopeReady === true');
      if (shot.section) await page.$eval(shot.section, (e) => e.scrollIntoView());
      await page.screenshot({ path: join(repo, shot.file) });
      await page.close();
      console.log(shot.file);
    }
  } finally {
    serve.child.kill('SIGTERM');
  }
} finally {
  await browser.close();
  rmSync(tmp, { recursive: true, force: true });
}
