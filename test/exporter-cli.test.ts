/**
 * `beamscope exporter` options and failures that need no Erlang node: one line on stderr, exit 2 for
 * usage errors, 1 when it cannot listen; and the HTTP server's routes with a stub scrape.
 */
import { spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { parseListen } from '../cli/commands/exporter.js';
import { startExporter } from '../src/exporter/server.js';
import { beamscope, expectOneLineError } from './helpers/cli.js';

const haveEscript = spawnSync('sh', ['-c', 'command -v escript'], { stdio: 'ignore' }).status === 0;

describe('exporter options', () => {
  it('parses --listen', () => {
    expect(parseListen('127.0.0.1:9717')).toEqual({ host: '127.0.0.1', port: 9717 });
    expect(parseListen('[::1]:0')).toEqual({ host: '::1', port: 0 });
    expect(parseListen(':9717')).toEqual({ host: '127.0.0.1', port: 9717 });
    for (const bad of ['9717', 'host', '1.2.3.4:70000', '[::1]', 'a:b']) expect(() => parseListen(bad), bad).toThrow(/--listen/);
  });

  it('usage errors: one line, exit 2', () => {
    for (const [args, re] of [
      [['exporter'], /node/],
      [['exporter', '--node', 'a@h', '--listen', 'nope'], /--listen/],
      [['exporter', '--node', 'a@h', '--node', 'b@h.example.com'], /cannot be mixed/],
      [['exporter', '--node', 'a@h', '--node', 'a@h'], /named twice/],
      [['exporter', '--node', 'bad name@h'], /--node/],
      [['exporter', '--node', 'a@h', '--timeout', '0'], /--timeout/],
    ] as const) {
      const r = beamscope([...args]);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(2);
      expectOneLineError(r.stderr, re);
    }
  });

  // The exporter looks for escript before it listens.
  it.skipIf(!haveEscript)('a port in use: one line, exit 1', async () => {
    const s = createServer();
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
    const { port } = s.address() as { port: number };
    try {
      const r = beamscope(['exporter', '--node', 'a@h', '--listen', `127.0.0.1:${port}`], undefined);
      expect(r.code, r.stderr).toBe(1);
      expectOneLineError(r.stderr, /cannot listen on 127\.0\.0\.1:\d+: .*EADDRINUSE/);
    } finally {
      s.close();
    }
  });
});

describe('exporter HTTP server', () => {
  it('serves /metrics (OpenMetrics when asked), 404 elsewhere, 405 for POST; concurrent scrapes share one', async () => {
    let scrapes = 0;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const ex = await startExporter('127.0.0.1', 0, async () => {
      scrapes++;
      await gate;
      return 'beamscope_up{node="a"} 1\n# EOF\n';
    });
    try {
      const base = `http://127.0.0.1:${ex.address.port}`;
      // 'request' listeners run after the server's own handler, which has asked for the scrape by then
      let requests = 0;
      ex.server.on('request', () => requests++);
      const a = fetch(`${base}/metrics`, { headers: { accept: 'application/openmetrics-text; version=1.0.0' } });
      const b = fetch(`${base}/metrics`);
      // both requests are in before the scrape ends: poll until the server has both
      while (requests < 2) await new Promise((r) => setTimeout(r, 10));
      release();
      const [ra, rb] = await Promise.all([a, b]);
      expect(ra.headers.get('content-type')).toMatch(/^application\/openmetrics-text; version=1\.0\.0/);
      expect(rb.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
      expect(await ra.text()).toBe(await rb.text());
      expect(scrapes).toBe(1);
      expect((await fetch(`${base}/nope`)).status).toBe(404);
      expect((await fetch(`${base}/metrics`, { method: 'POST' })).status).toBe(405);
      expect(scrapes).toBe(1);
    } finally {
      ex.server.closeAllConnections();
      await ex.close();
    }
  });
});
