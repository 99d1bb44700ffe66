/**
 * The library API on the generated fixture (values planted by fixtures/terms/gen_terms_dump.erl),
 * and the line sources read with tiny buffers so that every chunk boundary is crossed.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readDump } from '../src/dump/index.js';
import { sectionLines } from '../src/dump/section-lines.js';
import { forEachLine, forEachRefcLine } from '../src/dump/terms/lines.js';
import { FIXTURES } from './helpers/fixtures.js';
import {
  BinaryLocator, BlockReader, HeapIndex, PRINT_MAX_DEPTH, SequentialHeap, TermDecoder, decodeProcess, mailboxShapes, printTerm, processIdentity, resolvePid, type Term,
} from '../src/dump/terms/index.js';

const DUMP = 'fixtures/terms/terms.dump';

/**
 * A process's heap section in a fixture dump, the `y` slots of its stack (the terms it holds) and
 * what a decoder of them needs besides the heap: the dump's binaries and literals.
 */
async function heldTerms(fixture: string, name: string) {
  const dump = await readDump(fixture);
  const path = dump.source.path;
  const pid = resolvePid(dump, name)!;
  const heapRef = dump.index.get('proc_heap', pid)!;
  const stack = [...sectionLines(path, dump.index.get('proc_stack', pid)!)].map((b) => Buffer.from(b)).filter((l) => l[0] === 0x79);
  const lit = dump.index.find('literals')[0];
  const literals = lit ? new HeapIndex(path, lit.offset, lit.length) : undefined;
  return { path, heapRef, stack, literals, binaries: new BinaryLocator(dump.binaries) };
}

describe('terms API', () => {
  it('processIdentity: proc_lib initial call and ancestors from the dictionary only', async () => {
    const dump = await readDump(DUMP);
    const pid = resolvePid(dump, 'gen_holder')!;
    const id = processIdentity(dump, pid);
    expect(id.initialCall).toBe('gen_terms_dump:init/1');
    const spawnedBy = decodeProcess(dump, pid).record.spawnedBy;
    expect(id.ancestors).toEqual([spawnedBy]);
    // A plain spawn: no dictionary, the initial call is `Spawned as`.
    expect(processIdentity(dump, resolvePid(dump, 'term_holder')!)).toEqual({ ancestors: [], initialCall: 'gen_terms_dump:holder/1' });
  });

  it('mailboxShapes: largest first, bounded by maxMessages, examples cut to exampleWidth', async () => {
    const dump = await readDump(DUMP);
    const pid = resolvePid(dump, 'term_holder')!;
    const all = mailboxShapes(dump, pid);
    expect(all.messages).toBe(17);
    expect(all.shapes[0]).toMatchObject({ shape: '{log_line, integer, binary(90)}', count: 3 });
    expect(all.shapes[0].example).toMatch(/^\{log_line,1,<<"x+"\.\.\.>>\}$/);
    const two = mailboxShapes(dump, pid, { maxMessages: 2, exampleWidth: 20 });
    expect(two).toMatchObject({ messages: 2, shapes: [{ shape: '{log_line, integer, binary(90)}', count: 2 }] });
    expect(two.shapes[0].example.length).toBeLessThanOrEqual(20);
    expect(() => mailboxShapes(dump, '<0.9999.0>')).toThrow(/no process/);
  });

  it('decodeProcess: frames, dictionary, binaries held', async () => {
    const dump = await readDump(DUMP);
    const d = decodeProcess(dump, resolvePid(dump, 'stack_holder')!);
    // nest/4 recursed 3 times below stack_proc/3 and waits in a receive at N = 0.
    expect(d.stack.frames.map((f) => f.function)).toEqual([
      'gen_terms_dump:nest/4', 'gen_terms_dump:nest/4', 'gen_terms_dump:nest/4', 'gen_terms_dump:nest/4', 'gen_terms_dump:stack_proc/3']);
    expect(d.binaries.held.map((b) => b.sizeBytes)).toEqual([16000, 200]);
    const dict = decodeProcess(dump, resolvePid(dump, 'dict_holder')!).dictionary.map((e) => `${e.keyText} => ${e.valueText}`);
    expect(dict).toContain('counter => 42');
    expect(dict).toContain('{state,1} => #{x => "y"}');
  });

  it('tiny buffers: the streamed heap and the index give the same terms', async () => {
    const dump = await readDump(DUMP);
    const pid = resolvePid(dump, 'term_holder')!;
    const heapRef = dump.index.get('proc_heap', pid)!;
    const lit = dump.index.find('literals')[0];
    const msgs = [...sectionLines(dump.source.path, dump.index.get('proc_messages', pid)!)].map((b) => Buffer.from(b));
    const binaries = new BinaryLocator(dump.binaries);
    const print = (dec: TermDecoder) => msgs.map((m) => printTerm(dec.decodeElement(m, 0, m.indexOf(58))));
    const reader = new BlockReader(dump.source.path, 7, 3);
    try {
      const literals = new HeapIndex(dump.source.path, lit.offset, lit.length, 64);
      const viaIndex = new TermDecoder({ reader, literals, binaries, base64: true, heap: new HeapIndex(dump.source.path, heapRef.offset, heapRef.length, 64) }, { binaryBytes: 20 });
      const seq = new SequentialHeap(dump.source.path, heapRef.offset, heapRef.length, reader, { chunkBytes: 7, maxWindowLines: 16 });
      const viaStream = new TermDecoder({ reader, literals, binaries, base64: true, heapLines: seq }, { binaryBytes: 20 });
      // Past every 7 bytes read ahead for one address, the rest is searched for it (skipTo).
      const skipping = new SequentialHeap(dump.source.path, heapRef.offset, heapRef.length, reader, { chunkBytes: 7, maxWindowLines: 16, skipAfterBytes: 1 });
      const viaSkips = new TermDecoder({ reader, literals, binaries, base64: true, heapLines: skipping }, { binaryBytes: 20 });
      const big = new BlockReader(dump.source.path);
      const reference = new TermDecoder({ reader: big, literals: new HeapIndex(dump.source.path, lit.offset, lit.length), binaries, base64: true,
        heap: new HeapIndex(dump.source.path, heapRef.offset, heapRef.length) }, { binaryBytes: 20 });
      const want = print(reference);
      expect(want.some((t) => t.includes('#CDV'))).toBe(false);
      expect(print(viaIndex)).toEqual(want);
      expect(print(viaStream)).toEqual(want);
      expect(print(viaSkips)).toEqual(want);
      seq.close();
      skipping.close();
      big.close();
    } finally {
      reader.close();
    }
  });

  it('SequentialHeap: the window grows to its size keeping every line, then falls back past it', () => {
    // A synthetic line file (not a dump): the window only needs `ADDR:` lines.
    const dir = mkdtempSync(join(tmpdir(), 'beamscope-seq-'));
    try {
      const n = 150_000;
      const addr = (i: number) => 0x7f0000001000 + i * 16;
      const text = Array.from({ length: n }, (_, i) => `${addr(i).toString(16)}:t1:I${i}`).join('\n') + '\n';
      const path = join(dir, 'lines.txt');
      writeFileSync(path, text);
      const reader = new BlockReader(path, 4096, 4);
      const seq = new SequentialHeap(path, 0, Buffer.byteLength(text), reader, { chunkBytes: 1000, maxWindowLines: 1 << 17 });
      const lineOf = (i: number) => seq.line(addr(i))?.line.toString();
      // Forward past several doublings (the window starts smaller), then back to lines still in
      // the window of 131,072 lines: all from the window, none from a full index.
      for (let i = 0; i < 120_000; i += 7) expect(lineOf(i)).toBe(`${addr(i).toString(16)}:t1:I${i}`);
      for (const i of [0, 1, 32_767, 32_768, 65_535, 65_536, 119_999]) expect(lineOf(i)).toBe(`${addr(i).toString(16)}:t1:I${i}`);
      expect(seq.fellBack).toBe(false);
      // Past the window's size the oldest lines go; asked again, they come from the full index.
      expect(lineOf(n - 1)).toBe(`${addr(n - 1).toString(16)}:t1:I${n - 1}`);
      expect(seq.fellBack).toBe(false);
      expect(lineOf(0)).toBe(`${addr(0).toString(16)}:t1:I0`);
      expect(seq.fellBack).toBe(true);
      seq.close();
      reader.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('SequentialHeap: siblings passed over are read back to, their refc lines noted once', () => {
    // A synthetic heap section (not a dump) in the writer's order: a tuple of three elements, its
    // last element's subtree first, then backwards (erl_process_dump.c); each element a pair of a
    // refc binary and a list of 40 cons cells, so that a window of 16 lines has lost a sibling's
    // line by the time the decoder asks for it.
    const dir = mkdtempSync(join(tmpdir(), 'beamscope-seq-'));
    try {
      const a = (k: number, i = 0) => (0x7f0000100000 + k * 0x10000 + i * 16).toString(16).toUpperCase();
      const lines = [`${a(0)}:t3:H${a(1)},H${a(2)},H${a(3)}`];
      for (const k of [3, 2, 1]) {
        lines.push(`${a(k)}:t2:H${a(k, 1)},H${a(k, 2)}`, `${a(k, 1)}:YcB${k}:0:40`);
        for (let i = 0; i < 40; i++) lines.push(`${a(k, 2 + i)}:lI${i}|${i < 39 ? `H${a(k, 3 + i)}` : 'N'}`);
      }
      const text = `${lines.join('\n')}\n`;
      const path = join(dir, 'heap.txt');
      writeFileSync(path, text);
      const reader = new BlockReader(path, 4096, 4);
      const list = `[${Array.from({ length: 40 }, (_, i) => i).join(',')}]`;
      // The binaries have no =binary section here: the viewer's marker for them.
      const want = `{{'#CDVNonexistingBinary',${list}},{'#CDVNonexistingBinary',${list}},{'#CDVNonexistingBinary',${list}}}`;
      for (const siblingsAfterBytes of [1, Infinity]) {
        const seq = new SequentialHeap(path, 0, Buffer.byteLength(text), reader, { chunkBytes: 64, maxWindowLines: 16, siblingsAfterBytes, backSearches: 0, behindBytes: 0 });
        const dec = new TermDecoder({ reader, base64: true, heapLines: seq }, { binaryBytes: 0 });
        const got = printTerm(dec.decodeElement(Buffer.from(`H${a(0)}`)));
        expect(got, `siblingsAfterBytes ${siblingsAfterBytes}`).toEqual(want);
        expect(seq.fellBack).toBe(siblingsAfterBytes === Infinity);
        if (!seq.fellBack) {
          const r = seq.refcLines()!;
          expect(Array.from(r.addrs.subarray(0, r.count))).toEqual([0xb3, 0xb2, 0xb1]);
        }
        seq.close();
      }
      // Not noted, each line behind is searched for (here 2: the second and first elements'
      // pairs), and the refc lines read again are not noted twice either.
      const searching = new SequentialHeap(path, 0, Buffer.byteLength(text), reader, { chunkBytes: 64, maxWindowLines: 16, siblingsAfterBytes: Infinity, backSearches: 2, behindBytes: 0 });
      expect(printTerm(new TermDecoder({ reader, base64: true, heapLines: searching }, { binaryBytes: 0 }).decodeElement(Buffer.from(`H${a(0)}`)))).toEqual(want);
      expect(searching.fellBack).toBe(false);
      const r = searching.refcLines()!;
      expect(Array.from(r.addrs.subarray(0, r.count))).toEqual([0xb3, 0xb2, 0xb1]);
      searching.close();
      reader.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('SequentialHeap with maxReadBytes: lines within it are read, a line past it is missing, and the full index is never built', () => {
    const dir = mkdtempSync(join(tmpdir(), 'beamscope-seq-'));
    try {
      const n = 20_000;
      const addr = (i: number) => 0x7f0000001000 + i * 16;
      const line = (i: number) => `${addr(i).toString(16)}:t1:I${i}`;
      const text = Array.from({ length: n }, (_, i) => line(i)).join('\n') + '\n';
      const path = join(dir, 'lines.txt');
      writeFileSync(path, text);
      const limit = Buffer.byteLength(text) / 4;
      const within = Math.floor(limit / Buffer.byteLength(`${line(n - 1)}\n`)) - 1;
      for (const skipAfterBytes of [undefined, 100]) {
        const reader = new BlockReader(path, 4096, 4);
        const seq = new SequentialHeap(path, 0, Buffer.byteLength(text), reader, { chunkBytes: 1000, maxReadBytes: limit, skipAfterBytes });
        expect(seq.line(addr(10))?.line.toString()).toBe(line(10));
        expect(seq.line(addr(within))?.line.toString()).toBe(line(within));
        expect(seq.cutShort).toBe(false);
        // Past the limit (read forward, or searched for): missing, and said so.
        expect(seq.line(addr(n - 1))).toBeUndefined();
        expect(seq.cutShort).toBe(true);
        expect(seq.fellBack).toBe(false);
        expect(seq.bytesRead).toBeLessThanOrEqual(limit);
        // A line behind the window would need the full index: missing too, none built.
        expect(seq.line(addr(5))?.line.toString()).toBe(line(5));
        expect(seq.line(0x123)).toBeUndefined();
        expect(seq.fellBack).toBe(false);
        seq.close();
        reader.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('SequentialHeap: a big term\'s elements, which the VM writes out of order, are read back to without the full index', async () => {
    // big_state's list of 6,000 tuples and map of 1,500 keys (a HAMT: its first child's subtree,
    // then its last's, and so on back; a tuple's last element first): with a window of 64 lines,
    // each sibling is far behind when asked for, unless its line was noted as reading passed it.
    const { path, heapRef, stack, literals, binaries } = await heldTerms(FIXTURES.hugeState, 'big_state');
    expect(stack.length).toBeGreaterThanOrEqual(2);
    expect(literals).toBeDefined();
    const reader = new BlockReader(path);
    try {
      const print = (dec: TermDecoder) => stack.map((l) => printTerm(dec.decodeElement(l, l.indexOf(58) + 1), { maxChars: 10_000_000 }));
      const want = print(new TermDecoder({ reader, literals, binaries, base64: true, heap: new HeapIndex(path, heapRef.offset, heapRef.length) }, { binaryBytes: 20 }));
      expect(want.join('').length).toBeGreaterThan(10_000);
      for (const skipAfterBytes of [undefined, 1]) {
        const seq = new SequentialHeap(path, heapRef.offset, heapRef.length, reader, { chunkBytes: 1000, maxWindowLines: 64, siblingsAfterBytes: 1, skipAfterBytes, backSearches: 0 });
        expect(print(new TermDecoder({ reader, literals, binaries, base64: true, heapLines: seq }, { binaryBytes: 20 })), `skipAfterBytes ${skipAfterBytes}`).toEqual(want);
        expect(seq.fellBack, `skipAfterBytes ${skipAfterBytes}`).toBe(false);
        seq.close();
        // Without the siblings noted, the same window falls back to the full index.
        const plain = new SequentialHeap(path, heapRef.offset, heapRef.length, reader, { chunkBytes: 1000, maxWindowLines: 64, siblingsAfterBytes: Infinity, skipAfterBytes, backSearches: 0, behindBytes: 0 });
        expect(print(new TermDecoder({ reader, literals, binaries, base64: true, heapLines: plain }, { binaryBytes: 20 }))).toEqual(want);
        expect(plain.fellBack).toBe(true);
        plain.close();
      }
    } finally {
      reader.close();
    }
  });

  it('SequentialHeap: a big tuple, whose elements the VM writes last to first, is read back a chunk at a time', async () => {
    // tuple_owner's tuple of 3,000 pairs {I, integer_to_binary(I)} (big_tuple.dump, real VM): its
    // line, then the pair {3000, ...}, ..., then {1, <<"1">>} at the heap's end. Asked for in order,
    // the first pair is found by a search past the rest, then each is just before the one read.
    const { path, heapRef, stack, binaries } = await heldTerms(FIXTURES.bigTuple, 'tuple_owner');
    const reader = new BlockReader(path);
    try {
      const print = (heapLines: SequentialHeap) => stack.map((l) => printTerm(new TermDecoder({ reader, binaries, base64: true, heapLines }, { binaryBytes: 20 }).decodeElement(l, l.indexOf(58) + 1), { maxChars: 10_000_000 }));
      const pairs = Array.from({ length: 3000 }, (_, i) => `{${i + 1},<<"${i + 1}">>}`);
      const opts = { chunkBytes: 1000, maxWindowLines: 64, siblingsAfterBytes: Infinity, skipAfterBytes: 1000, backSearches: 0 };
      const seq = new SequentialHeap(path, heapRef.offset, heapRef.length, reader, opts);
      expect(print(seq)).toContain(`{${pairs.join(',')}}`);
      expect(seq.fellBack).toBe(false);
      seq.close();
      // Not read back, the same window falls back to the full index.
      const plain = new SequentialHeap(path, heapRef.offset, heapRef.length, reader, { ...opts, behindBytes: 0 });
      expect(print(plain)).toContain(`{${pairs.join(',')}}`);
      expect(plain.fellBack).toBe(true);
      plain.close();
    } finally {
      reader.close();
    }
  });

  it('the refc references of a heap: read forward, or the rest searched for them, as a regular expression finds them', async () => {
    const dump = await readDump(FIXTURES.refcMailbox);
    const path = dump.source.path;
    for (const name of ['log_writer', 'log_shipper', 'bin_holder']) {
      const ref = dump.index.get('proc_heap', resolvePid(dump, name)!)!;
      const text = readFileSync(path, 'latin1').slice(ref.offset, ref.offset + ref.length);
      // A line's first colon, then Yc or Ys and a hex target up to the next colon.
      const want = [...text.matchAll(/^[^:\n]*:Y([cs])([0-9A-Fa-f]+):/gm)].map((m) => `${m[1]}${Number.parseInt(m[2], 16)}`);
      // What the generator made: 4,000 queued lines, 200 held binaries, and the shipper's own.
      expect(want.length, name).toBeGreaterThanOrEqual(name === 'bin_holder' ? 200 : 4000);
      const plain = (r: { addrs: Float64Array; kinds: Uint8Array; count: number }) =>
        Array.from({ length: r.count }, (_, i) => `${r.kinds[i] === 99 ? 'c' : 's'}${r.addrs[i]}`);
      const lines = [...sectionLines(path, ref)].map((b) => b.toString('latin1'));
      const address = (l: string) => Number.parseInt(l.slice(0, l.indexOf(':')), 16);
      const reader = new BlockReader(path);
      try {
        // Nothing read before, a third of the lines read first (in chunks of 1,000 bytes: a line in
        // progress when the rest is searched), and every line read; read ahead, or searched for
        // past the first 1,000 bytes (skipTo), then a line before that one (the full index).
        for (const skipAfterBytes of [undefined, 1]) {
          for (const upTo of [-1, Math.floor(lines.length / 3), lines.length - 1]) {
            const seq = new SequentialHeap(path, ref.offset, ref.length, reader, { chunkBytes: 1000, skipAfterBytes });
            if (upTo >= 0) expect(seq.line(address(lines[upTo]))?.line.toString('latin1')).toBe(lines[upTo]);
            expect(plain(seq.refcLines()!), `${name} after line ${upTo}`).toEqual(want);
            seq.close();
          }
          // A line before the one read last, passed over by the search: read back to, searched
          // for behind, or (neither) from the full index.
          for (const [behindBytes, backSearches] of [[0, 0], [0, undefined], [undefined, 0]]) {
            const seq = new SequentialHeap(path, ref.offset, ref.length, reader, { chunkBytes: 1000, skipAfterBytes, backSearches, behindBytes });
            const [far, back] = [lines.length - 1, Math.floor(lines.length / 2)];
            expect(seq.line(address(lines[far]))?.line.toString('latin1')).toBe(lines[far]);
            expect(seq.line(address(lines[back]))?.line.toString('latin1')).toBe(lines[back]);
            expect(seq.fellBack).toBe(skipAfterBytes === 1 && backSearches === 0 && behindBytes === 0);
            if (!seq.fellBack) expect(plain(seq.refcLines()!), `${name}, a line behind read again`).toEqual(want);
            seq.close();
          }
        }
      } finally {
        reader.close();
      }
      // The search alone, with buffers smaller than a line.
      for (const size of [64, 100, 4093]) {
        const got: string[] = [];
        forEachRefcLine(path, ref.offset, ref.length, (b, s, e, kind) => got.push(`${kind === 99 ? 'c' : 's'}${Number.parseInt(b.toString('latin1', s, e), 16)}`), size);
        expect(got, `${name}, buffer ${size}`).toEqual(want);
      }
    }
  });

  it('forEachRefcLine: only a line\'s first colon counts, lines longer than the buffer, CRLF, no last line end', () => {
    const dir = mkdtempSync(join(tmpdir(), 'beamscope-refc-'));
    try {
      const long = 'Q'.repeat(300);
      const text = [
        'A1:Yc7F00:0:10', // one
        'A2:t2:Yc1:Ys2', // the first colon is not before the Y
        'A3:YhB:WVlZWVk=', // a heap binary, Y in its data
        `A4:Ys7F10:0:8:${long}`, // one, longer than the buffer
        `${long}:Yc99:0:1`, // a junk head: the first colon still counts
        `A5:Yc${long}`, // no second colon
        'A6:Yc7F20:0:4\r', // CRLF: one
        'Yc7F30:0:1', // a Y at the line start: no colon before it
        'A7:Yc7F40:0:2', // one, with no line end after it
      ].join('\n');
      const path = join(dir, 'heap.txt');
      writeFileSync(path, text, 'latin1');
      for (const size of [64, 128, 1 << 20]) {
        const got: string[] = [];
        forEachRefcLine(path, 0, text.length, (b, s, e, kind) => got.push(`${String.fromCharCode(kind)}${b.toString('latin1', s, e)}`), size);
        expect(got, `buffer ${size}`).toEqual(['c7F00', 's7F10', 'c99', 'c7F20', 'c7F40']);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('forEachLine: where each line ends in the file, for lines cut at maxLineBytes, CRLF, carried across reads and the last without a line end', () => {
    const dir = mkdtempSync(join(tmpdir(), 'beamscope-lines-'));
    try {
      const text = ['a', 'Q'.repeat(300), 'crlf\r', '', 'y0:[]', 'R'.repeat(70), 'last'].join('\n');
      const path = join(dir, 'lines.txt');
      writeFileSync(path, text, 'latin1');
      // Where the next line starts, from the text: after each LF, and the end for the last.
      const ends = [...text.matchAll(/\n/g)].map((m) => m.index! + 1).concat(text.length);
      for (const size of [16, 64, 1 << 20]) {
        for (const maxLine of [8, 100, 1 << 20]) {
          const got: number[] = [];
          forEachLine(path, 0, text.length, maxLine, (_b, _s, _e, next) => void got.push(next), size);
          expect(got, `buffer ${size}, lines cut at ${maxLine}`).toEqual(ends);
        }
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('HeapIndex: lines far beyond their checkpoint, CRLF, junk lines, duplicate addresses', () => {
    // A synthetic line file (not a dump): the index only needs `ADDR:` lines.
    const dir = mkdtempSync(join(tmpdir(), 'beamscope-idx-'));
    try {
      const lines: string[] = [];
      for (let i = 0; i < 100; i++) lines.push(`${(0x1000 + i * 8).toString(16).toUpperCase()}:${i % 7 === 3 ? 'x'.repeat(70_000) : `t1:I${i}`}`);
      lines.splice(50, 0, 'junk without address', '1000:duplicate');
      const path = join(dir, 'lines.txt');
      writeFileSync(path, `${lines.join('\r\n')}\r\n`);
      for (const buf of [64, 1 << 20]) {
        const idx = new HeapIndex(path, 0, Buffer.byteLength(`${lines.join('\r\n')}\r\n`), buf);
        expect(idx.count).toBe(101);
        expect(idx.badLines).toBe(1);
        const r = new BlockReader(path, 4096, 4);
        for (let i = 0; i < 100; i++) {
          const off = idx.lookup(0x1000 + i * 8, r);
          const { line } = r.lineAt(off, Infinity, 100);
          expect(`${buf} ${i} ${line.toString().slice(0, 20)}`).toBe(`${buf} ${i} ${(0x1000 + i * 8).toString(16).toUpperCase()}:${i % 7 === 3 ? "xxxxxxxxxxxxxxx" : `t1:I${i}`}`.slice(0, `${buf} ${i} `.length + 20));
          if (i % 7 !== 3) expect(line.toString()).toBe(`${(0x1000 + i * 8).toString(16).toUpperCase()}:t1:I${i}`);
        }
        expect(idx.lookup(0x999)).toBe(-1);
        r.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('deep terms (issue 15)', () => {
  it('a list nested 20,000 deep decodes whole, at any depth, without a stack overflow; the print elides past its limit with a marker', async () => {
    // fixtures/deep_terms.dump (make-deep-terms.sh): [20000, [19999, [... [1, []]]]] in deep_holder's
    // dictionary and queue.
    const dump = await readDump('fixtures/deep_terms.dump');
    const d = decodeProcess(dump, resolvePid(dump, 'deep_holder')!, { termWidth: 1_000_000 });
    expect(d.warnings.join('\n')).not.toMatch(/call stack|malformed/);
    const dict = d.dictionary.find((e) => e.keyText === 'deep')!;
    // Walked without recursion: every level is [N, Rest], N from 20000 down to 1, then [].
    let t: Term = dict.value;
    for (let n = 20000; n >= 1; n--) {
      expect(t.t, `level ${20001 - n}`).toBe('list');
      if (t.t !== 'list') break;
      expect(t.v).toHaveLength(2);
      expect(t.v[0]).toEqual({ t: 'int', v: n });
      t = t.v[1];
    }
    expect(t).toEqual({ t: 'nil' });
    expect(dict.valueText.startsWith('[20000,[19999,[19998,')).toBe(true);
    // Printed to PRINT_MAX_DEPTH levels, then the marker.
    expect(dict.valueText).toContain(`[${20000 - PRINT_MAX_DEPTH},'#TooDeep']`);
    expect(d.messages.samples[0].text.startsWith('{deep,[20000,[19999,')).toBe(true);
    expect(d.messages.samples).toHaveLength(1);
  });
});
