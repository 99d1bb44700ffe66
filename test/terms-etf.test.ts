/**
 * The external term format decoder and the printer against a real VM: fixtures/terms/cdv_proc.escript
 * writes sample terms with term_to_binary/2 (plain, compressed, minor version 1) and prints them
 * with its own Erlang implementation of the printing rules; floats are printed by Erlang's ~w.
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { decodeEtf, formatFloat, printTerm, shapeOf, ShapeHistogram } from '../src/dump/terms/index.js';

const ESCRIPT = 'fixtures/terms/cdv_proc.escript';
const haveErl = spawnSync('escript', ['-s', ESCRIPT], { stdio: 'ignore' }).error === undefined;
const run = haveErl || process.env.CI === 'true' ? describe : describe.skip;

run('ETF decoder and printer vs Erlang', () => {
  it('every sample term decodes and prints as Erlang prints it', () => {
    const r = spawnSync('escript', [ESCRIPT, '--etf'], { encoding: 'utf8', maxBuffer: 1 << 26 });
    expect(r.status).toBe(0);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { etf: string; printed: string });
    expect(lines.length).toBeGreaterThan(100);
    for (const { etf, printed } of lines) {
      const t = decodeEtf(Buffer.from(etf, 'base64'));
      expect(printTerm(t, { maxChars: Infinity, sortMapKeys: true }), printed).toBe(printed);
    }
  });

  it('floats print in the shortest round-trip form, like ~w', () => {
    // Deterministic spread: every binary exponent, random mantissas, plus edge cases.
    const bits: bigint[] = [0x0000000000000001n, 0x7fefffffffffffffn, 0x8000000000000000n, 0x3ff0000000000000n];
    let x = 0x9e3779b97f4a7c15n;
    for (let i = 0; i < 2000; i++) {
      x = (x * 6364136223846793005n + 1442695040888963407n) & 0xffffffffffffffffn;
      const exp = BigInt(i % 2047);
      bits.push(((x >> 63n) << 63n) | (exp << 52n) | (x & 0xfffffffffffffn));
    }
    const hex = bits.map((b) => b.toString(16).padStart(16, '0'));
    const r = spawnSync('escript', [ESCRIPT, '--floats', ...hex], { encoding: 'utf8', maxBuffer: 1 << 26 });
    expect(r.status).toBe(0);
    const want = r.stdout.trim().split('\n');
    const dv = new DataView(new ArrayBuffer(8));
    bits.forEach((b, i) => {
      dv.setBigUint64(0, b);
      expect(formatFloat(dv.getFloat64(0)), hex[i]).toBe(want[i]);
    });
  });
});

describe('ETF decoder: bad input never throws', () => {
  it('cut, flipped and garbage data become bad-etf markers', () => {
    const good = Buffer.from('g3AAAABXAUVDD19vMWUD6h3omWOOoaoAAAAAAAAAAGQADmdlbl90ZXJtc19kdW1wYQBiAioYelhkABJiZWFtc2NvcGVfdGVybXNAdm0AAAAJAAAAAGsKKsg=', 'base64');
    for (let cut = 0; cut < good.length; cut++) {
      const t = decodeEtf(good.subarray(0, cut));
      expect(['marker', 'fun']).toContain(t.t);
    }
    for (let i = 0; i < good.length; i++) {
      for (const v of [0, 0xff, 0x6c, 0x74]) {
        const b = Buffer.from(good);
        b[i] = v;
        expect(() => decodeEtf(b)).not.toThrow();
      }
    }
    // A list claiming 2^32-1 elements, a tuple claiming 2^32-1, deep nesting.
    expect(decodeEtf(Buffer.from([131, 108, 255, 255, 255, 255]))).toMatchObject({ t: 'marker', kind: 'bad-etf' });
    expect(decodeEtf(Buffer.from([131, 105, 255, 255, 255, 255]))).toMatchObject({ t: 'marker', kind: 'bad-etf' });
    expect(decodeEtf(Buffer.from([131, ...new Array(100_000).fill(0).flatMap(() => [104, 1]), 106]))).toMatchObject({ t: 'marker' });
  });
});

describe('shapes', () => {
  it('binary sizes of one skeleton merge into a range; tags stay literal', () => {
    const h = new ShapeHistogram();
    const msg = (n: number, size: number) => ({ t: 'tuple' as const, v: [{ t: 'atom' as const, v: 'log_line' }, { t: 'int' as const, v: n }, { t: 'binary' as const, kind: 'refc' as const, size, complete: false }] });
    h.add(msg(1, 90));
    h.add(msg(2, 40));
    h.add({ t: 'tuple', v: [{ t: 'atom', v: '$gen_call' }, { t: 'tuple', v: [{ t: 'pid', v: '<0.1.0>' }, { t: 'ref', v: '#Ref<0.1.2.3>' }] }, { t: 'tuple', v: [{ t: 'atom', v: 'get' }, { t: 'atom', v: 'x' }] }] });
    const rows = h.result();
    expect(rows.map((r) => [r.shape, r.count])).toEqual([['{log_line, integer, binary(40..90)}', 2], ["{'$gen_call', {pid, ref}, {get, atom}}", 1]]);
    expect(shapeOf(msg(1, 90)).key).toContain('binary');
  });
});
