/**
 * `beamscope exporter` against real components: two `erl -sname` nodes, the exporter (the built
 * CLI) on 127.0.0.1, and Debian's `prometheus` scraping it with a temporary configuration. Queries
 * go through Prometheus's HTTP API. Then one node is killed: its `beamscope_up` must be 0 in every
 * scrape that started after it died, while the other node's series go on.
 *
 * Needs erl, escript, prometheus and promtool; skipped with a reason without them, except under
 * CI=true, where they must be there. Everything started here is stopped by its pid in afterAll.
 * No fixed sleeps: every wait polls for what it waits for, with a deadline.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { lookup } from 'node:dns/promises';
import { createServer } from 'node:net';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI } from './helpers/cli.js';
import { parseSamples, promtool } from './helpers/openmetrics.js';
import { until as poll } from './helpers/poll.js';

const have = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
const haveAll = ['erl', 'escript', 'epmd', 'prometheus', 'promtool'].every(have);
const run = haveAll || process.env.CI === 'true';

const tag = `${process.pid % 100000}_${Math.floor(Math.random() * 1e4)}`;
const COOKIE = `b18_cookie_${tag}`;
const tmp = mkdtempSync(join(tmpdir(), 'beamscope-exporter-'));
const children: ChildProcess[] = [];
const nodePids = new Map<string, number>();
const host = hostname().split('.')[0];
const A = `b18a_${tag}`;
const MAILBOX = 12_345;
const B = `b18b_${tag}`;

const until = <T>(what: string, ms: number, probe: () => Promise<T | undefined> | T | undefined): Promise<T> => poll(what, ms, probe, 200);

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

async function startNode(name: string): Promise<void> {
  const ready = join(tmp, `${name}.pid`);
  const { address } = await lookup(host, { family: 4 }).catch(() => ({ address: '' }));
  const loopback = address.startsWith('127.') ? address : undefined;
  const listen = loopback ? ['-kernel', 'inet_dist_use_interface', `{${loopback.split('.').join(',')}}`] : [];
  const parent = String(process.pid);
  // Plants a process with MAILBOX messages queued; writes its OS pid when up; halts by itself
  // when the test process is gone.
  const expr = `Q = spawn(fun() -> receive stop -> ok end end), [Q ! m || _ <- lists:seq(1, ${MAILBOX})], ` +
    `ok = file:write_file("${ready}.tmp", os:getpid()), ok = file:rename("${ready}.tmp", "${ready}"), ` +
    `W = fun W() -> timer:sleep(2000), case os:cmd("kill -0 ${parent} 2>/dev/null && echo alive") of "alive" ++ _ -> W(); _ -> erlang:halt(0) end end, spawn(W).`;
  const child = spawn('erl', ['-sname', name, '-setcookie', COOKIE, '-noshell', '-noinput', '+S', '1:1', ...listen, '-eval', expr], {
    stdio: 'ignore',
    env: { ...process.env, ...(loopback ? { ERL_EPMD_ADDRESS: loopback } : {}) },
  });
  children.push(child);
  const pid = await until(`${name} to start`, 60_000, () => {
    if (child.exitCode !== null) throw new Error(`${name} exited (${child.exitCode})`);
    return existsSync(ready) ? Number(readFileSync(ready, 'utf8')) : undefined;
  });
  nodePids.set(name, pid);
}

let exporterPort = 0;
let promPort = 0;
let exporterLog = '';

async function query(q: string): Promise<Array<{ metric: Record<string, string>; value?: [number, string]; values?: Array<[number, string]> }>> {
  const r = await fetch(`http://127.0.0.1:${promPort}/api/v1/query?query=${encodeURIComponent(q)}`);
  const body = (await r.json()) as { status: string; data: { result: Array<{ metric: Record<string, string>; value?: [number, string]; values?: Array<[number, string]> }> } };
  expect(body.status).toBe('success');
  return body.data.result;
}

describe.skipIf(!run)('beamscope exporter scraped by prometheus (live nodes)', () => {
  beforeAll(async () => {
    expect(haveAll, 'erl, escript, epmd, prometheus and promtool are needed (CI=true: .ci/run installs them)').toBe(true);
    expect(existsSync(CLI), `build first: ${CLI}`).toBe(true);
    await Promise.all([startNode(A), startNode(B)]);

    const exporter = spawn(process.execPath, [CLI, 'exporter', '--node', A, '--node', B, '--cookie', COOKIE, '--listen', '127.0.0.1:0', '--timeout', '8'], { stdio: ['ignore', 'ignore', 'pipe'] });
    children.push(exporter);
    exporter.stderr!.on('data', (c: Buffer) => (exporterLog += c.toString()));
    exporterPort = await until('the exporter to listen', 30_000, () => {
      if (exporter.exitCode !== null) throw new Error(`the exporter exited: ${exporterLog}`);
      const m = /listening on http:\/\/127\.0\.0\.1:(\d+)\/metrics/.exec(exporterLog);
      return m ? Number(m[1]) : undefined;
    });

    promPort = await freePort();
    const config = join(tmp, 'prometheus.yml');
    // A scrape takes 0.3-3 s on a busy 2-core machine: 10 s scrapes, the exporter's 8 s per node.
    writeFileSync(config, `global:\n  scrape_interval: 10s\n  scrape_timeout: 10s\nscrape_configs:\n  - job_name: beamscope\n    static_configs:\n      - targets: ['127.0.0.1:${exporterPort}']\n`);
    const check = promtool(['check', 'config', config]);
    expect(check.code, check.out).toBe(0);
    const prom = spawn('prometheus', [`--config.file=${config}`, `--storage.tsdb.path=${join(tmp, 'data')}`, `--web.listen-address=127.0.0.1:${promPort}`, '--log.level=warn'], { stdio: 'ignore' });
    children.push(prom);
    await until('prometheus to be ready', 60_000, async () => {
      if (prom.exitCode !== null) throw new Error(`prometheus exited (${prom.exitCode})`);
      return fetch(`http://127.0.0.1:${promPort}/-/ready`).then((r) => (r.ok ? true : undefined), () => undefined);
    });
  }, 180_000);

  afterAll(async () => {
    for (const pid of nodePids.values()) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone already
      }
    }
    for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
    await until('children to stop', 20_000, () => (children.every((c) => c.exitCode !== null || c.signalCode !== null) ? true : undefined)).catch(() => {
      for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    });
    rmSync(tmp, { recursive: true, force: true });
  }, 30_000);

  it('serves /metrics that promtool check metrics accepts', async () => {
    // A scrape on a busy machine may find a node too slow for --timeout: poll for one with both up.
    const text = await until('a scrape with both nodes up', 60_000, async () => {
      const r = await fetch(`http://127.0.0.1:${exporterPort}/metrics`, { headers: { accept: 'application/openmetrics-text; version=1.0.0' } });
      expect(r.status).toBe(200);
      expect(r.headers.get('content-type')).toMatch(/^application\/openmetrics-text; version=1\.0\.0/);
      const t = await r.text();
      return parseSamples(t).filter((s) => s.name === 'beamscope_up' && s.value === 1).length === 2 ? t : undefined;
    });
    expect(text.endsWith('# EOF\n')).toBe(true);
    const up = parseSamples(text).filter((s) => s.name === 'beamscope_up');
    expect(up.map((s) => [s.labels.node, s.value]).sort(), exporterLog).toEqual([[`${A}@${host}`, 1], [`${B}@${host}`, 1]]);
    const lint = promtool(['check', 'metrics'], text);
    expect(lint.code, lint.out).toBe(0);
  }, 90_000);

  it('collect --format openmetrics: the same series for one node, accepted by promtool', async () => {
    const r = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      const c = spawn(process.execPath, [CLI, 'collect', '--node', A, '--cookie', COOKIE, '--out', join(tmp, 'collected'), '--format', 'openmetrics'], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      c.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
      c.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
      c.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    });
    expect(r.code, r.stderr).toBe(0);
    const samples = parseSamples(r.stdout);
    expect(new Set(samples.map((s) => s.labels.node))).toEqual(new Set([`${A}@${host}`]));
    expect(samples.find((s) => s.name === 'beamscope_alloc_usage_ratio')!.value).toBeGreaterThan(0);
    expect(samples.find((s) => s.name === 'beamscope_processes')!.value).toBeGreaterThan(10);
    const lint = promtool(['check', 'metrics'], r.stdout);
    expect(lint.code, lint.out).toBe(0);
  }, 60_000);

  it('prometheus scrapes it: beamscope_up == 1 for both nodes, and allocator usage series', async () => {
    const up = await until('beamscope_up == 1 for both nodes', 90_000, async () => {
      const r = await query('beamscope_up == 1');
      return r.length === 2 ? r : undefined;
    });
    expect(up.map((s) => s.metric.node).sort()).toEqual([`${A}@${host}`, `${B}@${host}`]);
    const usage = await query('beamscope_alloc_usage_ratio');
    expect(usage.map((s) => s.metric.node).sort()).toEqual([`${A}@${host}`, `${B}@${host}`]);
    for (const s of usage) expect(Number(s.value![1])).toBeGreaterThan(0);
    const mbcs = await query(`beamscope_allocator_carriers_bytes{carrier="mbcs",allocator="eheap_alloc",node="${A}@${host}"}`);
    expect(mbcs).toHaveLength(1);
    expect(Number(mbcs[0].value![1])).toBeGreaterThan(0);
    const mailbox = await query('beamscope_largest_mailbox_messages');
    expect(mailbox.map((s) => [s.metric.node, s.value![1]]).sort()).toEqual([[`${A}@${host}`, String(MAILBOX)], [`${B}@${host}`, String(MAILBOX)]]);
    const procs = await query(`beamscope_processes{node="${A}@${host}"} / beamscope_processes_limit{node="${A}@${host}"}`);
    expect(Number(procs[0].value![1])).toBeGreaterThan(0);
    // the counters came through the OpenMetrics parser too
    expect((await query('beamscope_mseg_alloc_calls_total')).length).toBeGreaterThan(0);
    const targets = (await (await fetch(`http://127.0.0.1:${promPort}/api/v1/targets`)).json()) as { data: { activeTargets: Array<{ health: string; lastError: string }> } };
    expect(targets.data.activeTargets.map((t) => [t.health, t.lastError])).toEqual([['up', '']]);
  }, 120_000);

  it("a stopped node is beamscope_up 0 from the first scrape after it died; the other node's series go on", async () => {
    const killedAt = Date.now() / 1000;
    process.kill(nodePids.get(B)!, 'SIGKILL');
    nodePids.delete(B);
    const bNode = `${B}@${host}`;
    const aNode = `${A}@${host}`;
    // Wait for two scrapes that started after the kill.
    const samples = await until('two scrapes after the kill', 60_000, async () => {
      const r = await query(`beamscope_up{node="${bNode}"}[2m]`);
      const after = (r[0]?.values ?? []).filter(([t]) => t > killedAt + 0.05);
      return after.length >= 2 ? after : undefined;
    });
    // every scrape that started after the kill says 0: the first one already
    expect(samples.map(([, v]) => v)).toEqual(samples.map(() => '0'));
    const aUp = (await query(`beamscope_up{node="${aNode}"}[2m]`))[0].values!.filter(([t]) => t > killedAt + 0.05);
    expect(aUp.length).toBeGreaterThanOrEqual(2);
    expect(aUp.map(([, v]) => v)).toEqual(aUp.map(() => '1'));
    const aUsage = (await query(`beamscope_alloc_usage_ratio{node="${aNode}"}[2m]`))[0].values!.filter(([t]) => t > killedAt + 0.05);
    expect(aUsage.length).toBe(aUp.length);
    // B's allocator series stop with it (Prometheus marks them stale at the first scrape without them)
    expect(await query(`beamscope_alloc_usage_ratio{node="${bNode}"}`)).toEqual([]);
    expect(exporterLog).toContain(`${bNode}: `);
  }, 120_000);
});
if (!run) describe.skip('beamscope exporter: erl, escript, epmd, prometheus or promtool is not installed (apt-get install erlang-base prometheus)', () => it('skipped', () => {}));
