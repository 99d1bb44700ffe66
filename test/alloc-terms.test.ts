/**
 * The Erlang term-text parser on output made by a real VM (fixtures/alloc/make-fixtures.escript):
 * awkward terms compared with the VM's own description of them, system_info printouts and recon
 * snapshots read into the allocator model, and broken input reported with line and column.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeTermText, parseTerm, parseTerms, TermSyntaxError, type Term } from '../src/term-text/term-text.js';
import { allocatorModelFromTermText } from '../src/alloc/from-terms.js';
import { reconReport } from '../src/alloc/recon.js';
import { InputError } from '../src/errors.js';
import { ORACLE_DIR as ORACLE, haveShared } from './helpers/shared.js';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'alloc');
const RELEASES = readdirSync(FIXTURES).filter((d) => /^otp\d+$/.test(d));

/** Our parse, put in the VM's describe/1 shape (strings become lists of code points). */
function describeTerm(t: Term): unknown {
  switch (t.kind) {
    case 'integer':
      return { kind: 'integer', value: String(t.value) };
    case 'float':
      return { kind: 'float', value: t.value };
    case 'atom':
      return { kind: 'atom', codepoints: [...t.name].map((c) => c.codePointAt(0)) };
    case 'string':
      return { kind: 'list', items: [...t.value].map((c) => ({ kind: 'integer', value: String(c.codePointAt(0)) })) };
    case 'tuple':
      return { kind: 'tuple', items: t.items.map(describeTerm) };
    case 'list': {
      const items = t.items.map(describeTerm);
      return t.tail ? { kind: 'list', items, tail: describeTerm(t.tail) } : { kind: 'list', items };
    }
    case 'binary': {
      if (t.bytes) return { kind: 'binary', bytes: [...t.bytes] };
      // Bit strings: count the bits from the segments as printed (`<<255,7:4>>` is 12 bits).
      let bits = 0;
      for (const s of t.segments) bits += s.size ? Number((s.size as { value: number }).value) : 8;
      return { kind: 'bitstring', bits };
    }
    case 'map':
      return { kind: 'map', size: t.entries.length };
    default:
      return { kind: t.kind };
  }
}

describe.each(RELEASES)('term text made by the VM (%s)', (rel) => {
  const dir = join(FIXTURES, rel);
  const expected = JSON.parse(readFileSync(join(dir, 'awkward.expected.json'), 'utf8'));

  for (const file of ['awkward-p.terms', 'awkward-tp.terms']) {
    it(`${file}: quoted atoms, unicode strings, big integers, nested binaries parse as the VM describes them`, () => {
      const terms = parseTerms(decodeTermText(readFileSync(join(dir, file))), { path: file });
      expect(terms.map(describeTerm)).toEqual(expected);
    });
  }

  it('integers beyond 2^53 are BigInt, exact', () => {
    const terms = parseTerms(decodeTermText(readFileSync(join(dir, 'awkward-tp.terms'))));
    const big = terms.find((t) => t.kind === 'tuple' && t.items[0]?.kind === 'integer' && typeof t.items[0].value === 'bigint');
    expect(big).toBeDefined();
    const items = (big as { items: Array<{ value: bigint | number }> }).items;
    expect(items[0].value).toBe(18446744073709551615n);
    expect(items[1].value).toBe(-1180591620717411303424n);
    expect(items[3].value).toBe(9007199254740993n);
    expect(items[4].value).toBe(-42);
  });

  it('system_info.terms: every allocator, both carrier kinds, per-origin blocks summed as in Erlang', () => {
    const meta = JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8'));
    const model = allocatorModelFromTermText(readFileSync(join(dir, 'system_info.terms'), 'utf8'), 'system_info.terms');
    expect(model.source).toBe('system-info');
    const types = new Set(model.allocators.map((a) => a.allocator));
    for (const a of meta.alloc_util_allocators) expect(types.has(a)).toBe(true);
    const bin = model.allocators.filter((a) => a.allocator === 'binary_alloc');
    expect(bin.map((b) => b.instance)).toEqual(Array.from({ length: meta.schedulers + 1 }, (_, i) => i));
    for (const b of bin) expect(b.mbcs!.blocksBytes.current).toBe(meta.binary_alloc_mbcs_blocks_size_current[String(b.instance)]);
    if (Number(meta.otp_release) >= 23) expect(model.blockShape).toBe('per-origin');
    expect(model.mseg.length).toBeGreaterThan(0);
    expect(model.mmap.map((m) => m.name)).toContain('literal_mmap');
    expect(model.sysAllocOptions?.m).toBe('libc');
    // 2^64-1 stays exact, as text.
    expect(bin[0].options.mmmbc).toBe('18446744073709551615');
  });

  it('raw-snapshot.terms (recon raw format) reads with erlang:memory', () => {
    const model = allocatorModelFromTermText(readFileSync(join(dir, 'raw-snapshot.terms'), 'utf8'));
    expect(model.source).toBe('raw-snapshot');
    expect(model.erlangMemory?.total).toBeGreaterThan(0);
    const r = reconReport(model);
    expect(r.memory.used).toBeGreaterThan(0);
    expect(r.memory.allocated).toBeGreaterThanOrEqual(r.memory.used);
  });

  it('binary_alloc.printout: shell-style output without a dot, name inferred from the call counters', () => {
    const model = allocatorModelFromTermText(readFileSync(join(dir, 'binary_alloc.printout'), 'utf8'));
    expect(new Set(model.allocators.map((a) => a.allocator))).toEqual(new Set(['binary_alloc']));
  });

  it('cut in the middle: unexpected end of input at the last line and column', () => {
    const text = readFileSync(join(dir, 'system_info.terms'), 'utf8');
    const cut = text.slice(0, Math.floor(text.length / 2));
    const lines = cut.split('\n');
    try {
      parseTerms(cut);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(TermSyntaxError);
      expect(e).toBeInstanceOf(InputError);
      const err = e as TermSyntaxError;
      expect(err.line).toBe(lines.length);
      expect(err.column).toBe(lines[lines.length - 1].length + 1);
      expect(err.message).toMatch(/end of input/);
    }
  });
});

describe('syntax errors carry line and column', () => {
  const cases: Array<[string, number, number, RegExp]> = [
    ['{a, b', 1, 6, /end of input/],
    ['{a,\n  b c}.', 2, 5, /expected "," or "}"/],
    ['[1,2,,3].', 1, 6, /unexpected/],
    ["{'unterminated, 1}.", 1, 2, /unterminated quoted atom/],
    ['"abc', 1, 1, /unterminated string/],
    ['{ok, Var}.', 1, 6, /variables/],
    ['<<1,2.', 1, 6, /expected "," or ">>"/],
    ['{a}.{b}.', 1, 5, /whitespace after "."/],
    ['%% comment\n{a, 16#ZZ}.', 2, 8, /digits/],
    ['{a}\n{b}.', 2, 1, /expected "\." after the term/],
    ['#{a => }.', 1, 8, /unexpected/],
  ];
  for (const [text, line, column, msg] of cases) {
    it(JSON.stringify(text), () => {
      let err: TermSyntaxError | undefined;
      try {
        parseTerms(text, { path: 'x.terms' });
      } catch (e) {
        err = e as TermSyntaxError;
      }
      expect(err).toBeInstanceOf(TermSyntaxError);
      expect([err!.line, err!.column]).toEqual([line, column]);
      expect(err!.message).toMatch(msg);
      expect(err!.message.startsWith(`x.terms:${line}:${column}: `)).toBe(true);
    });
  }

  it('the column counts characters, not bytes, on unicode lines', () => {
    try {
      parseTerm('{"héllo wörld", ünï ?}.');
      expect.unreachable();
    } catch (e) {
      expect([(e as TermSyntaxError).line, (e as TermSyntaxError).column]).toEqual([1, 21]);
    }
  });

  it('deep nesting is an error, not a stack overflow', () => {
    expect(() => parseTerm('['.repeat(100000))).toThrow(TermSyntaxError);
  });
});

describe('details', () => {
  it('adjacent strings concatenate; escapes; chars; based integers; improper lists; opaque terms', () => {
    const t = parseTerm('{"ab"\n "cd", "\\x{1F600}\\t\\101\\^A", $a, $\\n, 16#ff, -2#101, 1_000, [a|b], [1|[2]], <0.1.0>, #Ref<0.1.2.3>, fun m:f/1}.');
    expect(t).toMatchObject({ kind: 'tuple' });
    const items = (t as { items: Term[] }).items;
    expect(items[0]).toEqual({ kind: 'string', value: 'abcd' });
    expect(items[1]).toEqual({ kind: 'string', value: '\u{1F600}\tA\x01' });
    expect(items.slice(2, 7).map((x) => (x as { value: number }).value)).toEqual([97, 10, 255, -5, 1000]);
    expect(items[7]).toEqual({ kind: 'list', items: [{ kind: 'atom', name: 'a' }], tail: { kind: 'atom', name: 'b' } });
    expect(items[8]).toEqual({ kind: 'list', items: [{ kind: 'integer', value: 1 }, { kind: 'integer', value: 2 }] });
    expect(items.slice(9).map((x) => x.kind)).toEqual(['pid', 'reference', 'fun']);
  });

  it('not allocator data is an InputError naming the term', () => {
    expect(() => allocatorModelFromTermText('{hello, world}.')).toThrow(InputError);
    expect(() => allocatorModelFromTermText('{hello, world}.')).toThrow(/not allocator data/);
  });
});

describe.skipIf(!haveShared('oracle/recon_alloc'))('recon snapshots made by recon on a real VM', () => {
  it('parse with their quoted atoms and 2^64-1 options, into both carrier kinds and the pool', () => {
    for (const name of ['spike', 'calm', 'ets']) {
      const model = allocatorModelFromTermText(readFileSync(join(ORACLE, `${name}.snapshot`), 'utf8'));
      const bin1 = model.allocators.find((a) => a.allocator === 'binary_alloc' && a.instance === 1)!;
      expect(bin1.options.cp).toBe('B');
      expect(bin1.options.mmmbc).toBe('18446744073709551615');
      expect(bin1.mbcs && bin1.sbcs && bin1.mbcsPool).toBeTruthy();
      expect(model.erlangMemory?.total).toBeGreaterThan(0);
      expect(model.mmap.map((m) => m.name)).toEqual(['default_mmap', 'literal_mmap']);
    }
  });
});
