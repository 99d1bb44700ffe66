/**
 * `beamscope leak` end to end: the built command (`npx tsc -p tsconfig.json` first; `npm test`
 * does it), text and JSON output on the fixtures of fixtures/leak/, and exit codes (0 done,
 * 1 unreadable input with one stderr line, 2 usage).
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { CLI, beamscope, expectOneLineError } from './helpers/cli.js';

const ROOT = join(import.meta.dirname, '..');
const LEAK = join(ROOT, 'fixtures', 'leak');
const tmp = mkdtempSync(join(tmpdir(), 'beamscope-leak-cli-'));

describe.skipIf(!existsSync(CLI))('beamscope leak (built CLI)', () => {
  const dump = join(LEAK, 'leak-a.dump');
  const planted = JSON.parse(readFileSync(`${dump}.planted.json`, 'utf8')) as {
    stale: Array<{ name: string; bytes: number }>;
    live: Array<{ name: string; bytes: number }>;
  };
  const snap = JSON.parse(readFileSync(join(LEAK, 'snapshots.planted.json'), 'utf8')) as {
    gcLeakers: Array<{ name: string; freedRefs: number; freedBytes: number; keptRefs: number; keptBytes: number }>;
  };

  it('leak <dump> --format json: holders[] and staleEstimates[] largest first, planted ones leading', () => {
    const r = beamscope(['leak', dump, '--format', 'json', '--top', '5']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    const out = JSON.parse(r.stdout);
    expect(out.kind).toBe('dump');
    expect(out.holders.length).toBeLessThanOrEqual(5);
    expect(out.staleEstimates).toHaveLength(5);
    for (const h of out.holders) expect(Object.keys(h)).toEqual(expect.arrayContaining(['pid', 'name', 'reachableBytes']));
    for (const s of out.staleEstimates) expect(Object.keys(s)).toEqual(expect.arrayContaining(['pid', 'name', 'staleBytes']));
    // name is null, not missing, for unregistered processes
    const more = JSON.parse(beamscope(['leak', dump, '--format', 'json', '--top', '10']).stdout);
    expect(more.staleEstimates.some((s: { name: string | null }) => s.name === null)).toBe(true);
    const stale = [...planted.stale].sort((x, y) => y.bytes - x.bytes);
    expect(out.staleEstimates.slice(0, stale.length).map((s: { name: string }) => s.name)).toEqual(stale.map((s) => s.name));
    const live = [...planted.live].sort((x, y) => y.bytes - x.bytes);
    expect(out.holders.slice(0, live.length).map((h: { name: string; reachableBytes: number }) => [h.name, h.reachableBytes])).toEqual(live.map((l) => [l.name, l.bytes]));
    expect(out.findings.map((f: { id: string }) => f.id)).toContain('leak.stale-binaries');
  });

  it('leak <dump> as text: findings first, then the tables', () => {
    const r = beamscope(['leak', dump, '--top', '3']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^beamscope leak: /);
    const iFindings = r.stdout.indexOf('Findings (');
    const iStale = r.stdout.indexOf('Stale references (what a GC would likely free)');
    const iHolders = r.stdout.indexOf('Holders (refc binaries');
    expect(iFindings).toBeGreaterThan(0);
    expect(iStale).toBeGreaterThan(iFindings);
    expect(iHolders).toBeGreaterThan(iStale);
    expect(r.stdout).toContain('stale_big');
    expect(r.stdout).toContain('live_big');
    expect(r.stdout).toMatch(/=memory binary/);
  });

  it('leak <before> <after> --format json: deltas[] equal the planted bin_leak counts', () => {
    const r = beamscope(['leak', join(LEAK, 'gc-before.jsonl'), join(LEAK, 'gc-after.json'), '--format', 'json']);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.kind).toBe('snapshots');
    for (const p of snap.gcLeakers) {
      const d = out.deltas.find((x: { name: string }) => x.name === p.name);
      expect(d, p.name).toBeDefined();
      expect([d.freedRefs, d.freedBytes]).toEqual([p.freedRefs, p.freedBytes]);
      expect(Object.keys(d)).toEqual(expect.arrayContaining(['pid', 'name', 'freedRefs', 'freedBytes']));
    }
  });

  it('leak <snapshot>: top holders by bytes and by references, from the planted leakers', () => {
    const r = beamscope(['leak', join(LEAK, 'gc-before.jsonl'), '--format', 'json', '--top', '4']);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.kind).toBe('snapshot');
    const byRefs = [...snap.gcLeakers].sort((x, y) => (y.freedRefs + y.keptRefs) - (x.freedRefs + x.keptRefs));
    expect(out.byRefs.map((h: { name: string; refs: number }) => [h.name, h.refs])).toEqual(byRefs.map((p) => [p.name, p.freedRefs + p.keptRefs]));
    const byBytes = [...snap.gcLeakers].sort((x, y) => (y.freedBytes + y.keptBytes) - (x.freedBytes + x.keptBytes));
    expect(out.holders.slice(0, 2).map((h: { name: string; bytes: number }) => [h.name, h.bytes])).toEqual(byBytes.slice(0, 2).map((p) => [p.name, p.freedBytes + p.keptBytes]));
    const t = beamscope(['leak', '-', '--top', '2'], readFileSync(join(LEAK, 'gc-before.jsonl')));
    expect(t.code, t.stderr).toBe(0);
    expect(t.stdout).toMatch(/Most binary references/);
  });

  it('reads the after snapshot from stdin ("-")', () => {
    const r = beamscope(['leak', join(LEAK, 'gc-before.jsonl'), '-', '--format', 'json'], readFileSync(join(LEAK, 'gc-before.jsonl')));
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.deltas).toHaveLength(0);
    expect(out.matched).toBe(out.before.processes);
  });

  it('reads the before snapshot from stdin with the global --threads before it (yargs parses it, not leak)', () => {
    const after = join(LEAK, 'gc-after.json');
    const viaStdin = beamscope(['leak', '--threads', '2', '-', after, '--format', 'json'], readFileSync(join(LEAK, 'gc-before.jsonl')));
    expect(viaStdin.code, viaStdin.stderr).toBe(0);
    const fromFiles = beamscope(['--threads', '2', 'leak', join(LEAK, 'gc-before.jsonl'), after, '--format', 'json']);
    expect(fromFiles.code, fromFiles.stderr).toBe(0);
    const strip = (s: string) => ({ ...JSON.parse(s), before: { ...JSON.parse(s).before, path: undefined } });
    expect(strip(viaStdin.stdout)).toEqual(strip(fromFiles.stdout));
  });

  it('leak <t0> <t1> as text shows growth', () => {
    const r = beamscope(['leak', join(LEAK, 'growth-t0.jsonl'), join(LEAK, 'growth-t1.jsonl')]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Grew between the snapshots/);
    expect(r.stdout).toContain('grow_big');
  });

  it('sanitises names from the input (terminal escapes)', () => {
    const evil = '\u001b]0;pwned\u0007\u001b[31mred';
    const before = join(tmp, 'evil-before.jsonl');
    const after = join(tmp, 'evil-after.jsonl');
    writeFileSync(before, `${JSON.stringify({ pid: '<0.9.0>', name: evil, initialCall: evil, binaryRefs: 500, binaryBytes: 5e6 })}\n`);
    writeFileSync(after, `${JSON.stringify({ pid: '<0.9.0>', name: evil, initialCall: evil, binaryRefs: 0, binaryBytes: 0 })}\n`);
    const r = beamscope(['leak', before, after]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('<0.9.0>');
    expect(r.stdout).not.toMatch(/\u001b|\u0007/);
    expect(r.stdout).toContain('\\x1b');
    const h = beamscope(['leak', join(ROOT, 'fixtures', 'hostile.dump')]);
    if (existsSync(join(ROOT, 'fixtures', 'hostile.dump'))) {
      expect(h.code, h.stderr).toBe(0);
      expect(h.stdout).not.toMatch(/\u001b|\u0007/);
    }
  });

  it('exit 1 with one stderr line for unreadable or wrong input', () => {
    const missing = beamscope(['leak', join(tmp, 'nope.dump')]);
    expect(missing.code).toBe(1);
    expectOneLineError(missing.stderr, /no such file/);
    const text = join(tmp, 'text.txt');
    writeFileSync(text, 'not a dump\n');
    const bad = beamscope(['leak', text]);
    expect(bad.code).toBe(1);
    expectOneLineError(bad.stderr, /neither a crash dump nor a process snapshot/);
    // A gzip dump is read (issue 20), unless its decompressed copy cannot be written.
    const gz = join(tmp, 'a.dump.gz');
    writeFileSync(gz, gzipSync(readFileSync(dump)));
    const gzr = beamscope(['leak', gz, '--spool', join(tmp, 'missing')]);
    expect(gzr.code).toBe(1);
    expectOneLineError(gzr.stderr, /cannot write the decompressed dump/);
    const broken = join(tmp, 'broken.jsonl');
    writeFileSync(broken, '{"pid":"<0.1.0>","binaryRefs":1}\n{"pid":\n');
    const br = beamscope(['leak', broken, join(LEAK, 'gc-after.json')]);
    expect(br.code).toBe(1);
    expectOneLineError(br.stderr, /broken\.jsonl/);
    // A dump on standard input is told by its first bytes and read as a dump (spooled for its heaps).
    const piped = beamscope(['leak', '-'], readFileSync(dump));
    expect(piped.code, piped.stderr).toBe(0);
    expect(piped.stdout).toMatch(/^beamscope leak: - /);
    const dir = beamscope(['leak', tmp]);
    expect(dir.code).toBe(1);
    expectOneLineError(dir.stderr, /is a directory/);
  });

  it('exit 2 for usage errors', () => {
    const none = beamscope(['leak']);
    expect(none.code).toBe(2);
    const three = beamscope(['leak', dump, dump, dump]);
    expect(three.code).toBe(2);
    expect(three.stderr).toMatch(/one crash dump, one process snapshot, or two/);
    const dumps = beamscope(['leak', dump, join(LEAK, 'leak-b.dump')]);
    expect(dumps.code).toBe(2);
    expect(dumps.stderr).toMatch(/beamscope diff/);
    const mixed = beamscope(['leak', dump, join(LEAK, 'gc-after.json')]);
    expect(mixed.code).toBe(2);
    const fmt = beamscope(['leak', dump, '--format', 'xml']);
    expect(fmt.code).toBe(2);
  });
});
