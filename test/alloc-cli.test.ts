/**
 * `beamscope alloc` end to end: the built command (`npx tsc -p tsconfig.json` first; `npm test` does
 * it), its text and JSON output, stdin, and exit codes (0 done, 1 unreadable input, 2 usage).
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { CLI, beamscope, expectOneLineError } from './helpers/cli.js';
import { ORACLE_DIR as ORACLE, haveShared } from './helpers/shared.js';

const ROOT = join(import.meta.dirname, '..');
const FIXTURES = join(ROOT, 'fixtures', 'alloc');
const tmp = mkdtempSync(join(tmpdir(), 'beamscope-alloc-'));

/** Numbers equal to relative 1e-12, same keys, same order. */
function sameNumbers(a: unknown, e: unknown): boolean {
  if (typeof e === 'number') return typeof a === 'number' && (a === e || Math.abs(a - e) / Math.max(Math.abs(a), Math.abs(e)) <= 1e-12);
  if (Array.isArray(e)) return Array.isArray(a) && a.length === e.length && e.every((x, i) => sameNumbers(a[i], x));
  if (e && typeof e === 'object')
    return !!a && typeof a === 'object' && Object.keys(a).sort().join() === Object.keys(e).sort().join() && Object.keys(e).every((k) => sameNumbers((a as never)[k], (e as never)[k]));
  return a === e;
}

describe.skipIf(!existsSync(CLI))('beamscope alloc (built CLI)', () => {
  describe.skipIf(!haveShared('oracle/recon_alloc'))('on the recon oracle', () => {
    for (const name of ['spike', 'calm', 'ets']) {
      it(`${name}.snapshot --format json: recon equals ${name}.expected.json`, () => {
        const r = beamscope(['alloc', join(ORACLE, `${name}.snapshot`), '--format', 'json']);
        expect(r.code, r.stderr).toBe(0);
        expect(r.stderr).toBe('');
        const out = JSON.parse(r.stdout);
        const expected = JSON.parse(readFileSync(join(ORACLE, `${name}.expected.json`), 'utf8'));
        expect(sameNumbers(out.recon, expected)).toBe(true);
        expect(Object.keys(out)).toEqual(expect.arrayContaining(['recon', 'model', 'findings', 'types', 'worstInstances']));
        expect(out.model.schema).toBe('beamscope.alloc/1');
      });
    }

    it('text: verdict first, then the recon memory view and the per-type table', () => {
      const r = beamscope(['alloc', join(ORACLE, 'spike.snapshot')]);
      expect(r.code, r.stderr).toBe(0);
      const lines = r.stdout.split('\n');
      expect(lines[0]).toMatch(/^Allocators from recon_alloc snapshot/);
      expect(lines[2]).toBe('Verdict:');
      expect(lines[3]).toMatch(/^WARNING {2}binary_alloc: .*\[alloc\.logplex-pattern\]$/);
      expect(r.stdout).toMatch(/used {9}48\.4 MiB {2}\(50,761,792 bytes\)/);
      expect(r.stdout).toMatch(/By allocator type/);
      expect(r.stdout).toMatch(/options in force: as=aoffcbf, lmbcs=5242880/);
    });

    it('a crash dump works the same way, plain or gzip, from a file or stdin', () => {
      const dump = readFileSync(join(ORACLE, 'ets.dump'));
      const fromFile = beamscope(['alloc', join(ORACLE, 'ets.dump'), '--format', 'json']);
      expect(fromFile.code, fromFile.stderr).toBe(0);
      const gz = join(tmp, 'ets.dump.gz');
      writeFileSync(gz, gzipSync(dump));
      const fromGz = beamscope(['alloc', gz, '--format', 'json']);
      const fromStdin = beamscope(['alloc', '-', '--format', 'json'], dump);
      expect(fromGz.code, fromGz.stderr).toBe(0);
      expect(fromStdin.code, fromStdin.stderr).toBe(0);
      const a = JSON.parse(fromFile.stdout);
      expect(a.source).toBe('crash-dump');
      expect(JSON.parse(fromGz.stdout).recon).toEqual(a.recon);
      expect(JSON.parse(fromStdin.stdout).recon).toEqual(a.recon);
      expect(a.findings.map((f: { id: string }) => f.id)).toContain('alloc.logplex-pattern');
    });

    it('snapshot and JSON on stdin; the JSON output reads back', () => {
      const snap = readFileSync(join(ORACLE, 'calm.snapshot'));
      const r = beamscope(['alloc', '-', '--format', 'json'], snap);
      expect(r.code, r.stderr).toBe(0);
      const back = beamscope(['alloc', '-', '--format', 'json'], r.stdout);
      expect(back.stderr).toBe('');
      expect(back.code, back.stderr).toBe(0);
      expect(JSON.parse(back.stdout).recon).toEqual(JSON.parse(r.stdout).recon);
      expect(JSON.parse(back.stdout).source).toBe('json');
    });

    for (const view of ['memory', 'fragmentation', 'cache', 'blocks', 'sbcs']) {
      it(`--view ${view}`, () => {
        const r = beamscope(['alloc', join(ORACLE, 'spike.snapshot'), '--view', view, '--top', '3']);
        expect(r.code, r.stderr).toBe(0);
        const title = { memory: 'memory/1', fragmentation: 'fragmentation(current)', cache: 'cache_hit_rates()', blocks: 'average_block_sizes', sbcs: 'sbcs_to_mbcs(current)' }[view]!;
        expect(r.stdout).toContain(`recon_alloc:${title}`);
        expect(r.stdout).not.toContain('Verdict:');
      });
    }

    it('--top bounds the text lists', () => {
      const r = beamscope(['alloc', join(ORACLE, 'spike.snapshot'), '--view', 'fragmentation', '--top', '2']);
      expect(r.stdout).toMatch(/top 2 of 27/);
    });
  });

  it('system_info printout made by the VM', () => {
    const rel = ['otp25', 'otp26', 'otp27', 'otp28'].find((d) => existsSync(join(FIXTURES, d)));
    const r = beamscope(['alloc', join(FIXTURES, rel!, 'system_info.terms')]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^Allocators from erlang:system_info/);
  });

  describe('exit codes', () => {
    it('1: missing file, one line', () => {
      const r = beamscope(['alloc', join(tmp, 'nope.snapshot')]);
      expect(r.code).toBe(1);
      expectOneLineError(r.stderr, /nope\.snapshot: cannot read: no such file/);
    });

    it('1: a broken snapshot names line and column', () => {
      const p = join(tmp, 'broken.snapshot');
      writeFileSync(p, '{[{total,1}],\n [{{binary_alloc,0}, [{mbcs,[{blocks,1 2}]}]}]}.\n');
      const r = beamscope(['alloc', p]);
      expect(r.code).toBe(1);
      expectOneLineError(r.stderr, /broken\.snapshot:2:40: Erlang term syntax error: expected "," or "}"/);
    });

    it.skipIf(!haveShared('oracle/recon_alloc'))('UTF-16 text with a byte order mark (Windows PowerShell `>`, CRLF) reads as its UTF-8 original', () => {
      const original = readFileSync(join(ORACLE, 'calm.snapshot'), 'utf8');
      const le = join(tmp, 'calm-utf16le.snapshot');
      writeFileSync(le, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(original.replace(/\n/g, '\r\n'), 'utf16le')]));
      const be = join(tmp, 'calm-utf16be.snapshot');
      writeFileSync(be, Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(original, 'utf16le').swap16()]));
      const want = beamscope(['alloc', join(ORACLE, 'calm.snapshot'), '--format', 'json']);
      expect(want.code, want.stderr).toBe(0);
      for (const r of [beamscope(['alloc', le, '--format', 'json']), beamscope(['alloc', be, '--format', 'json']), beamscope(['alloc', '-', '--format', 'json'], readFileSync(le))]) {
        expect(r.code, r.stderr).toBe(0);
        expect(r.stdout).toBe(want.stdout);
      }
      const status = beamscope(['check', join(ORACLE, 'calm.snapshot')]).stdout.split('\n')[0];
      for (const c of [beamscope(['check', le]), beamscope(['check', '-'], readFileSync(be))]) {
        expect(c.code, c.stderr).toBe(0);
        expect(c.stdout.split('\n')[0]).toBe(status);
      }
    });

    it('1: binary data (an image, random bytes, on stdin too) is named as such, not as a syntax error', () => {
      const png = join(tmp, 'x.png');
      writeFileSync(png, Buffer.from('89504e470d0a1a0a0000000d4948445200000001', 'hex'));
      for (const r of [beamscope(['alloc', png]), beamscope(['trend', png]), beamscope(['alloc', '-'], readFileSync(png))]) {
        expect(r.code).toBe(1);
        expectOneLineError(r.stderr, /(x\.png|stdin): binary data, not a crash dump, allocator snapshot or JSON$/);
      }
      // Text with a C1 control character is still parsed, and the character is named, not printed.
      const c1 = join(tmp, 'c1.snapshot');
      writeFileSync(c1, Buffer.from([0x89, 0x7b, 0x61]));
      expectOneLineError(beamscope(['alloc', c1]).stderr, /c1\.snapshot:1:1: Erlang term syntax error: unexpected character U\+0089$/);
    });

    it('1: term text or JSON over 16 MiB is refused before it is read (file and stdin)', () => {
      const big = join(tmp, 'big.terms');
      writeFileSync(big, `{[${' '.repeat(17 << 20)}`);
      for (const r of [beamscope(['alloc', big]), beamscope(['trend', big])]) {
        expect(r.code).toBe(1);
        expectOneLineError(r.stderr, /big\.terms: 17 MiB is too large for allocator data \(at most 16 MiB is read/);
      }
      const s = beamscope(['alloc', '-'], readFileSync(big));
      expect(s.code).toBe(1);
      expectOneLineError(s.stderr, /stdin: more than 16 MiB is too large for allocator data/);
      const c = beamscope(['check', big]);
      expect(c.code).toBe(3);
      expect(c.stdout).toMatch(/^BEAMSCOPE UNKNOWN - .*big\.terms: 17 MiB is too large/);
    });

    it('1: not allocator data, bad JSON, empty input', () => {
      const p = join(tmp, 'other.terms');
      writeFileSync(p, '{hello, world}.\n');
      expectOneLineError(beamscope(['alloc', p]).stderr, /not allocator data/);
      const j = join(tmp, 'bad.json');
      writeFileSync(j, '{"schema": "beamscope.alloc/1", "allocators": [');
      const rj = beamscope(['alloc', j]);
      expect(rj.code).toBe(1);
      expectOneLineError(rj.stderr, /bad JSON/);
      const e = join(tmp, 'empty');
      writeFileSync(e, '');
      expect(beamscope(['alloc', e]).code).toBe(1);
      const rs = beamscope(['alloc', '-'], '');
      expect(rs.code).toBe(1);
      expectOneLineError(rs.stderr, /stdin: no input/);
    });

    it('1: a dump without allocator sections', () => {
      const p = join(tmp, 'noalloc.dump');
      writeFileSync(p, '=erl_crash_dump:0.5\nSat Nov 28 00:00:00 2026\nSlogan: test\nSystem version: Erlang/OTP 25 [erts-13.1.5] [64-bit]\n=memory\ntotal: 1\n=end\n');
      const r = beamscope(['alloc', p]);
      expect(r.code).toBe(1);
      expectOneLineError(r.stderr, /no =allocator sections/);
    });

    it('2: usage errors', () => {
      expect(beamscope(['alloc']).code).toBe(2);
      expect(beamscope(['alloc', 'x', '--view', 'nope']).code).toBe(2);
      expect(beamscope(['alloc', 'x', '--format', 'xml']).code).toBe(2);
      const r = beamscope(['alloc', join(ORACLE, 'spike.snapshot'), '--top', '0']);
      expect(r.code).toBe(2);
      expectOneLineError(r.stderr, /--top must be a positive integer/);
    });
  });
});
