/**
 * `beamscope serve` over HTTP: the token, the address, the headers, escaping, and the process
 * table's paging, sorting and filtering, against the built command on fixtures made by a real VM.
 */
import { createHash } from 'node:crypto';
import { request } from 'node:http';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES } from './helpers/dumps.js';
import { get, startServe, type ServeRun } from './helpers/serve.js';
import { beamscope, expectOneLineError } from './helpers/cli.js';
import { isLoopback, listen } from '../src/serve/server.js';

describe('serve: access', () => {
  let s: ServeRun;
  beforeAll(async () => {
    s = await startServe(join(FIXTURES, 'mailbox.dump'));
  });
  afterAll(async () => {
    // SIGTERM is the way to stop it: exit 0.
    expect(await s.stop()).toBe(0);
  });

  it('prints its URL first, on loopback, with a long random token', () => {
    const u = new URL(s.url);
    expect(u.hostname).toBe('127.0.0.1');
    expect(s.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('answers 403 without the token, or with a wrong one, on every path', async () => {
    for (const path of ['/', '/processes', '/api/processes', '/process/0.79.0', '/api/overview', '/nope']) {
      expect((await get(`${s.origin}${path}`)).status).toBe(403);
      expect((await get(`${s.origin}${path}?token=${s.token.slice(1)}x`)).status).toBe(403);
      expect((await get(`${s.origin}${path}`, { cookie: `beamscope_token_${new URL(s.url).port}=wrong` })).status).toBe(403);
    }
  });

  it('answers with the token in the URL, sets it as a cookie, then answers to the cookie', async () => {
    const first = await get(s.url);
    expect(first.status).toBe(200);
    const cookie = String(first.headers['set-cookie']);
    expect(cookie).toMatch(new RegExp(`^beamscope_token_${new URL(s.url).port}=${s.token}; .*HttpOnly`));
    expect(cookie).toMatch(/SameSite=Strict/);
    const again = await get(`${s.origin}/processes`, { cookie: cookie.split(';')[0] });
    expect(again.status).toBe(200);
  });

  it('refuses a Host header that is not loopback (DNS rebinding)', async () => {
    expect((await get(s.url, { host: `evil.example:${new URL(s.url).port}` })).status).toBe(403);
  });

  it('sends a CSP that runs only the pages\' own scripts (by hash), nosniff, no referrer', async () => {
    const r = await get(s.url);
    const csp = String(r.headers['content-security-policy']);
    expect(csp).toMatch(/default-src 'none'/);
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|script-src[^;]*'self'/);
    expect(csp).toMatch(/frame-ancestors 'none'/);
    expect(r.headers['x-content-type-options']).toBe('nosniff');
    expect(r.headers['referrer-policy']).toBe('no-referrer');
    // Every script that can run is allowed by its hash; data blocks are JSON, never run.
    const allowed = new Set(/script-src ([^;]*)/.exec(csp)![1].trim().split(/\s+/));
    const scripts = [...r.body.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
    expect(scripts.length).toBeGreaterThan(1);
    for (const [, attrs, body] of scripts) {
      if (/type="application\/json"/.test(attrs)) continue;
      expect(attrs.trim()).toBe('');
      expect(allowed.has(`'sha256-${createHash('sha256').update(body, 'utf8').digest('base64')}'`)).toBe(true);
    }
    // The JSON API allows nothing at all.
    const j = await get(`${s.origin}/api/overview?token=${s.token}`);
    expect(String(j.headers['content-security-policy'])).not.toMatch(/script-src/);
  });

  it('answers the API in JSON with nosniff', async () => {
    const r = await get(`${s.origin}/api/processes?token=${s.token}&limit=3`);
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toMatch(/^application\/json/);
    expect(r.headers['x-content-type-options']).toBe('nosniff');
    expect(JSON.parse(r.body).rows).toHaveLength(3);
  });

  it('accepts only GET and HEAD', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(s.url, { method: 'POST' }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(405);
  });
});

describe('serve: bad input', () => {
  it('says in one line what is wrong, with the exit codes of every command', () => {
    const missing = beamscope(['serve', join(FIXTURES, 'no-such.dump')]);
    expect(missing.code).toBe(1);
    expect(missing.stdout).toBe('');
    expectOneLineError(missing.stderr, /no-such\.dump/);
    const port = beamscope(['serve', join(FIXTURES, 'mailbox.dump'), '--port', '70000']);
    expect(port.code).toBe(1);
    expectOneLineError(port.stderr, /--port/);
    expect(beamscope(['serve']).code).toBe(2);
  });
});

describe('serve: the address', () => {
  it('knows loopback addresses', () => {
    for (const h of ['127.0.0.1', '127.1.2.3', '::1', '[::1]', 'localhost', '::ffff:127.0.0.1']) expect(isLoopback(h)).toBe(true);
    for (const h of ['0.0.0.0', '::', '192.168.1.10', '10.0.0.1', 'example.com']) expect(isLoopback(h)).toBe(false);
  });

  it('refuses a non-loopback address unless it was named explicitly', async () => {
    const router = () => ({ status: 200, kind: 'text' as const, body: 'ok' });
    await expect(listen(router, { host: '0.0.0.0', port: 0 })).rejects.toThrow(/not a loopback address.*--host/);
    const s = await listen(router, { port: 0 });
    expect(s.address.address).toBe('127.0.0.1');
    await s.close();
  });
});

describe('serve: the process table', () => {
  let s: ServeRun;
  const api = async (path: string) => {
    const r = await get(`${s.origin}${path}${path.includes('?') ? '&' : '?'}token=${s.token}`);
    expect(r.status).toBe(200);
    return JSON.parse(r.body) as { total: number; count: number; offset: number; rows: Array<Record<string, unknown>> };
  };
  beforeAll(async () => {
    s = await startServe(join(FIXTURES, 'mailbox.dump'));
  });
  afterAll(async () => {
    await s.stop();
  });

  it('pages through every process, never more than a page at once', async () => {
    // mailbox.dump has 3,044 processes (fixtures/README.md).
    const first = await api('/api/processes?sort=pid&dir=asc&limit=100');
    expect(first.total).toBe(3044);
    expect(first.rows).toHaveLength(100);
    const last = await api('/api/processes?sort=pid&dir=asc&offset=3000&limit=100');
    expect(last.rows).toHaveLength(44);
    const capped = await api('/api/processes?limit=100000');
    expect(capped.rows.length).toBeLessThanOrEqual(1000);
    const seen = new Set<string>();
    for (let o = 0; o < 3044; o += 1000) for (const r of (await api(`/api/processes?sort=pid&dir=asc&offset=${o}&limit=1000`)).rows) seen.add(String(r.pid));
    expect(seen.size).toBe(3044);
  });

  it('sorts by a column on the server, both ways', async () => {
    // The big mailbox: <0.79.0> (big_mailbox) with 20,000 messages (fixtures/README.md).
    const down = await api('/api/processes?sort=messageQueueLength&dir=desc&limit=50');
    expect(down.rows[0]).toMatchObject({ pid: '<0.79.0>', name: 'big_mailbox', messageQueueLength: 20000 });
    const q = down.rows.map((r) => Number(r.messageQueueLength));
    expect(q).toEqual([...q].sort((a, b) => b - a));
    const up = await api('/api/processes?sort=memoryBytes&dir=asc&limit=50');
    const m = up.rows.map((r) => Number(r.memoryBytes));
    expect(m).toEqual([...m].sort((a, b) => a - b));
    const names = (await api('/api/processes?sort=name&dir=asc&limit=1000')).rows.map((r) => r.name).filter((n) => n !== undefined) as string[];
    expect(names).toEqual([...names].sort());
  });

  it('filters on the server', async () => {
    const one = await api('/api/processes?q=big_mail');
    expect(one.total).toBe(1);
    expect(one.rows[0].pid).toBe('<0.79.0>');
    const byPid = await api('/api/processes?q=0.79.0');
    expect(byPid.rows.map((r) => r.pid)).toContain('<0.79.0>');
    expect((await api('/api/processes?q=no-such-process-anywhere')).total).toBe(0);
  });

  it('renders the sorted table page with sort links and a pager', async () => {
    const r = await get(`${s.origin}/processes?sort=messageQueueLength&dir=desc&limit=20&token=${s.token}`);
    expect(r.status).toBe(200);
    expect(r.body).toMatch(/aria-sort="descending"/);
    expect(r.body).toMatch(/1–20 of 3,044 processes/);
    const firstRow = /<tbody>\s*<tr>(.*?)<\/tr>/s.exec(r.body)![1];
    expect(firstRow).toMatch(/&lt;0\.79\.0&gt;/);
  });

  it('shows one process with its message shapes, and pages its messages', async () => {
    const r = await get(`${s.origin}/process/0.79.0?token=${s.token}`);
    expect(r.status).toBe(200);
    // The shapes `beamscope proc` shows for it (README): 17,500 x {log_line, integer, binary(90)}.
    expect(/17,500<\/td>(?:(?!<\/tr>).)*\{log_line, integer, binary\(90\)\}/s.test(r.body)).toBe(true);
    const page = await api('/api/process/0.79.0/messages?offset=19990&limit=50');
    expect(page.offset).toBe(19990);
    const msgs = (page as unknown as { messages: Array<{ index: number }>; more: boolean }).messages;
    expect(msgs.map((m) => m.index)).toEqual(Array.from({ length: 10 }, (_v, i) => 19990 + i));
    expect((page as unknown as { more: boolean }).more).toBe(false);
  });

  it('answers 404 for a process that is not in the dump', async () => {
    expect((await get(`${s.origin}/process/0.99999.0?token=${s.token}`)).status).toBe(404);
    expect((await get(`${s.origin}/api/process/junk?token=${s.token}`)).status).toBe(404);
  });

  it('pages the sections as the dump has them (counted and read here from the file itself)', async () => {
    const text = readFileSync(join(FIXTURES, 'mailbox.dump'), 'latin1');
    const tags = (tag: string) => text.split('\n').filter((l) => l === `=${tag}` || l.startsWith(`=${tag}:`)).length;
    const atomsAt = text.indexOf('\n=atoms\n') + 8;
    const atoms = text.slice(atomsAt, text.indexOf('\n=', atomsAt)).split('\n');
    const atomPage = await api('/api/atoms?offset=100&limit=50');
    expect(atomPage.total).toBe(atoms.length);
    expect(atomPage.rows).toEqual(atoms.slice(100, 150));
    for (const [path, tag] of [['/api/funs', 'fun'], ['/api/timers', 'timer'], ['/api/ports', 'port'], ['/api/ets', 'ets']]) {
      const page = await api(`${path}?limit=1000`);
      expect(page.total, path).toBe(tags(tag));
      expect(page.rows.length, path).toBe(Math.min(1000, tags(tag)));
    }
  });

  it('serves every other page', async () => {
    for (const path of ['/', '/ports', '/ets', '/timers', '/funs', '/atoms', '/allocators', '/nodes', '/process/0.79.0/messages']) {
      const r = await get(`${s.origin}${path}?token=${s.token}`);
      expect(r.status, path).toBe(200);
      expect(r.headers['content-type']).toMatch(/^text\/html/);
    }
  });
});
