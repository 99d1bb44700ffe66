/**
 * `beamscope collect` without a node: node names (short/long detection, the host filled in),
 * option checks, the escript's arguments, finding `escript` and the shipped script, and the
 * allocator JSON written next to a snapshot (from a committed recon_alloc snapshot).
 */
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CollectError, collect, collectorScript, escriptArgs, findEscript, parseNodeName, resolveOptions, writeAllocJson } from '../src/collect/index.js';
import { readAllocatorInput } from '../src/alloc/read.js';
import { InputError, UsageError } from '../src/errors.js';

const ROOT = join(import.meta.dirname, '..');
const tmp = mkdtempSync(join(tmpdir(), 'beamscope-collect-opts-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('parseNodeName', () => {
  it('short names: no dot in the host', () => {
    expect(parseNodeName('myapp@db1')).toEqual({ full: 'myapp@db1', name: 'myapp', host: 'db1', names: 'short' });
  });
  it('long names: a domain, an IPv4 or an IPv6 address', () => {
    expect(parseNodeName('myapp@db1.example.com').names).toBe('long');
    expect(parseNodeName('myapp@127.0.0.1').names).toBe('long');
    expect(parseNodeName('myapp@::1').names).toBe('long');
  });
  it('a bare name gets this host short name, as erl -sname does', () => {
    expect(parseNodeName('myapp', 'box.example.com')).toEqual({ full: 'myapp@box', name: 'myapp', host: 'box', names: 'short' });
  });
  it('bad names are usage errors', () => {
    expect(() => parseNodeName('my app@h')).toThrow(UsageError);
    expect(() => parseNodeName('@h')).toThrow(UsageError);
    expect(() => parseNodeName('a@')).toThrow(UsageError);
    expect(() => parseNodeName('a@b@c')).toThrow(UsageError);
  });
});

describe('resolveOptions and escriptArgs', () => {
  it('defaults: 30 s, processes, no bin_leak, one sample, 1000 listed references, an absolute out', () => {
    const r = resolveOptions({ node: 'n@h', out: 'rel/dir' });
    expect(r).toMatchObject({ timeoutMs: 30_000, processes: true, binLeak: false, count: 1, intervalMs: 0, maxBinaryList: 1000 });
    expect(r.out).toBe(join(process.cwd(), 'rel/dir'));
    expect(escriptArgs(r)).toEqual([
      'node=n@h',
      'names=short',
      'timeout=30000',
      `out=${r.out}`,
      'processes=true',
      'bin_leak=false',
      'count=1',
      'interval=0',
      'max_binary_list=1000',
    ]);
  });
  it('a series, fractional seconds, bin_leak; the cookie is never an argument', () => {
    const r = resolveOptions({ node: 'n@h.d', out: '/o', timeoutSeconds: 1.5, intervalSeconds: 0.25, count: 4, binLeak: true, processes: false, cookie: 'secret' });
    const args = escriptArgs(r);
    expect(args).toContain('names=long');
    expect(args).toContain('timeout=1500');
    expect(args).toContain('interval=250');
    expect(args).toContain('count=4');
    expect(args).toContain('bin_leak=true');
    expect(args).toContain('processes=false');
    expect(args.join(' ')).not.toContain('secret');
  });
  it('bad values are usage errors naming the option', () => {
    const bad: Array<[Parameters<typeof resolveOptions>[0], RegExp]> = [
      [{ node: '', out: '/o' }, /--node is required/],
      [{ node: 'n@h', out: '' }, /--out is required/],
      [{ node: 'n@h', out: '/o', timeoutSeconds: 0 }, /--timeout/],
      [{ node: 'n@h', out: '/o', timeoutSeconds: Number.NaN }, /--timeout/],
      [{ node: 'n@h', out: '/o', count: 3 }, /--count N needs --interval/],
      [{ node: 'n@h', out: '/o', intervalSeconds: 3 }, /--interval S needs --count/],
      [{ node: 'n@h', out: '/o', intervalSeconds: -1, count: 2 }, /--interval/],
      [{ node: 'n@h', out: '/o', count: 0, intervalSeconds: 1 }, /--count/],
      [{ node: 'n@h', out: '/o', count: 1.5, intervalSeconds: 1 }, /--count/],
      [{ node: 'n@h', out: '/o', maxBinaryList: -1 }, /--binary-list/],
    ];
    for (const [o, re] of bad) expect(() => resolveOptions(o), JSON.stringify(o)).toThrow(re);
  });
});

describe('finding the collector', () => {
  it('the shipped escript and agent module are found from src/ (and from dist/ once built)', () => {
    const s = collectorScript();
    expect(s).toBe(join(ROOT, 'collect', 'beamscope_collect.escript'));
    expect(existsSync(join(ROOT, 'collect', 'beamscope_collect_agent.erl'))).toBe(true);
    expect(collectorScript(join(ROOT, 'dist', 'src', 'collect'))).toBe(s);
    expect(() => collectorScript('/')).toThrow(CollectError);
  });
  it('package.json ships the collect folder', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { files: string[] };
    expect(pkg.files).toContain('collect');
  });
  it('escript from PATH, BEAMSCOPE_ESCRIPT, or one clear error', () => {
    const bin = join(tmp, 'bin');
    mkdirSync(bin, { recursive: true });
    const fake = join(bin, 'escript');
    writeFileSync(fake, '#!/bin/sh\nexit 0\n');
    chmodSync(fake, 0o755);
    expect(findEscript(undefined, { PATH: `/nonexistent:${bin}` })).toBe(fake);
    expect(findEscript(undefined, { PATH: '/nonexistent', BEAMSCOPE_ESCRIPT: fake })).toBe(fake);
    expect(findEscript(fake, { PATH: '' })).toBe(fake);
    try {
      findEscript(undefined, { PATH: '/nonexistent' });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(CollectError);
      expect(e).toBeInstanceOf(InputError); // exit 1 in the CLI, 3 in check
      expect((e as CollectError).kind).toBe('no-escript');
      expect((e as Error).message).toMatch(/^escript not found on PATH/);
    }
    expect(() => findEscript(undefined, { PATH: '', BEAMSCOPE_ESCRIPT: join(bin, 'missing') })).toThrow(/escript not found at/);
  });
  it('an escript that dies without a word: one line with its status', async () => {
    const bad = join(tmp, 'bin', 'escript-crash');
    // it leaves a half-written file behind, as a killed collector would
    writeFileSync(bad, '#!/bin/sh\nfor a in "$@"; do case "$a" in out=*) touch "${a#out=}/processes-20261128T000000.000Z.jsonl.partial";; esac; done\necho "something broke" >&2\nexit 7\n');
    chmodSync(bad, 0o755);
    await expect(collect({ node: 'n@h', out: join(tmp, 'crash'), escript: bad })).rejects.toThrow(/the collector \(escript\) exited with status 7: something broke/);
    expect(readdirSync(join(tmp, 'crash'))).toEqual([]);
  });
  it('an escript error event becomes a CollectError of that kind', async () => {
    const fake = join(tmp, 'bin', 'escript-cookie');
    writeFileSync(fake, '#!/bin/sh\necho \'{"event":"error","kind":"cookie","message":"node n@h refused the connection: wrong cookie?"}\'\nexit 1\n');
    chmodSync(fake, 0o755);
    const err = await collect({ node: 'n@h', out: join(tmp, 'cookie'), escript: fake }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CollectError);
    expect((err as CollectError).kind).toBe('cookie');
    expect((err as Error).message).toBe('node n@h refused the connection: wrong cookie?');
  });
});

describe('writeAllocJson', () => {
  it('the allocator JSON of a recon_alloc snapshot reads back to the same model, with takenAt and node first', async () => {
    // a recon_alloc-format snapshot of a real OTP 25 node (the trend fixture series)
    const src = join(ROOT, 'fixtures', 'trend', 'series');
    const name = readdirSync(src).find((f) => f.endsWith('.snapshot'));
    expect(name).toBeDefined();
    const snap = join(tmp, 'alloc-20261128T000000.000Z.snapshot');
    copyFileSync(join(src, name!), snap);
    const out = await writeAllocJson(snap, { takenAt: '2026-11-28T00:00:00.000Z', node: 'n@h', otpRelease: '25' });
    expect(out).toBe(join(tmp, 'alloc-20261128T000000.000Z.json'));
    const text = readFileSync(out, 'utf8');
    expect(text.indexOf('"takenAt":"2026-11-28T00:00:00.000Z"')).toBeLessThan(100);
    expect(JSON.parse(text)).toMatchObject({ schema: 'beamscope.alloc/1', takenAt: '2026-11-28T00:00:00.000Z', node: 'n@h', otpRelease: '25' });
    const a = await readAllocatorInput(snap);
    const j = await readAllocatorInput(out);
    expect(j.kind).toBe('json');
    expect(j.model.allocators).toEqual(a.model.allocators);
    expect(j.model.mseg).toEqual(a.model.mseg);
    expect(j.model.erlangMemory).toEqual(a.model.erlangMemory);
    expect(j.model.mmap).toEqual(a.model.mmap);
  });
});
