// The model's typed columns at their edges: values past 32 bits kept on the side (process table, section index).
import { describe, expect, it } from 'vitest';
import { readDump } from '../src/dump/reader.js';
import { findProcess, NumberColumn, PidColumn, ProcessTableBuilder, processAt, tableFromColumns, tableFromPart, tableToPart } from '../src/dump/process-table.js';
import { packPid, SectionIndex } from '../src/dump/section-index.js';

// No real dump at hand has a count or size of 4 Gi or more (the corpus's largest is 4,722,864),
// so the side table of NumberColumn is checked here on its own, with values written out by hand.
describe('NumberColumn', () => {
  const values = [0, 1, 4294967293, 4294967294, 4294967295, 4294967296, 2 ** 47 * 8, 1e15 + 1, 0.5, -1, NaN, Infinity];

  it('gives back every value it is given, NaN for none', () => {
    const c = new NumberColumn(new Uint32Array(values.length), new Map());
    values.forEach((v, i) => c.set(i, v));
    expect(Array.from({ length: values.length }, (_, i) => c.at(i))).toEqual(values);
    // Only what does not fit a cell is kept on the side.
    expect(c.big.size).toBe(8);
  });

  it('forgets a side value when the cell is set again to one that fits', () => {
    const c = new NumberColumn(new Uint32Array(1), new Map());
    c.set(0, 2 ** 40);
    c.set(0, 7);
    expect(c.at(0)).toBe(7);
    expect(c.bigEntries(1)).toEqual([]);
  });
});

describe('narrow cells', () => {
  it('a few values past one-byte cells stay on the side, and the cells stay one byte', () => {
    const c = new NumberColumn(new Uint8Array(100), new Map());
    for (let i = 0; i < 100; i++) c.set(i, i === 50 ? 1_000_000 : 5);
    expect(c.cells).toBeInstanceOf(Uint8Array);
    expect(c.at(50)).toBe(1_000_000);
    expect(c.at(49)).toBe(5);
    expect(c.big.size).toBe(1);
  });

  it('widen to two and then four bytes when many values do not fit, and every value reads back', () => {
    const n = 20_000;
    const c = new NumberColumn(new Uint8Array(n), new Map());
    for (let i = 0; i < n; i++) c.set(i, i * 37);
    expect(c.cells).toBeInstanceOf(Uint32Array);
    expect(c.big.size).toBe(0);
    for (let i = 0; i < n; i++) expect(c.at(i)).toBe(i * 37);
  });

  it('merge parts of other widths (the parallel reader), text codes included', () => {
    const made = (from: number, rows: number, value: (i: number) => number, text: (i: number) => string) => {
      const b = new ProcessTableBuilder(4);
      for (let i = 0; i < rows; i++) {
        const row = b.add(packPid(`<0.${from + i}.0>`), '');
        b.table.memoryBytes.set(row, value(i));
        const t = Buffer.from(text(i));
        b.setText('currentCall', row, t, 0, t.length);
      }
      return b.toPart();
    };
    const narrow = made(0, 10, (i) => i, () => 'erlang:hibernate/3');
    const wide = made(10, 6000, (i) => 300 + i * 1000, (i) => `m${i % 400}:f/0`);
    const sparse = made(6010, 10, (i) => (i === 3 ? 2 ** 40 : 7), () => 'erlang:hibernate/3');
    const into = new ProcessTableBuilder(4);
    into.appendParts([narrow]);
    into.appendParts([wide, sparse]);
    const t = into.finished();
    expect(t.count).toBe(6020);
    expect(t.currentCall.codes).toBeInstanceOf(Uint16Array);
    for (let i = 0; i < 10; i++) expect([t.memoryBytes.at(i), t.currentCall.at(i)]).toEqual([i, 'erlang:hibernate/3']);
    for (let i = 0; i < 6000; i++) expect([t.memoryBytes.at(10 + i), t.currentCall.at(10 + i)]).toEqual([300 + i * 1000, `m${i % 400}:f/0`]);
    for (let i = 0; i < 10; i++) expect(t.memoryBytes.at(6010 + i)).toBe(i === 3 ? 2 ** 40 : 7);
    expect(t.pid.at(6019)).toBe('<0.6019.0>');
  });
});

describe('a process table with values past 4 Gi', () => {
  it('keeps them through its transferable form (the parallel reader, the saved index)', () => {
    const b = new ProcessTableBuilder(2);
    const reductions = [12, 9_876_543_210, 5];
    const memory = [2 ** 33 + 8, 4096, NaN];
    reductions.forEach((r, k) => {
      const i = b.add(packPid(`<0.${k}.0>`), '');
      b.table.reductions.set(i, r);
      b.table.memoryBytes.set(i, memory[k]);
    });
    const t = b.finished();
    for (const copy of [true, false]) {
      const back = tableFromPart(tableToPart(t, copy));
      expect(Array.from({ length: 3 }, (_, i) => processAt(back, i).reductions)).toEqual(reductions);
      expect(Array.from({ length: 3 }, (_, i) => processAt(back, i).memoryBytes)).toEqual(memory);
      expect(Array.from({ length: 3 }, (_, i) => processAt(back, i).pid)).toEqual(['<0.0.0>', '<0.1.0>', '<0.2.0>']);
    }
    const merged = new ProcessTableBuilder(1);
    merged.appendParts([tableToPart(t), tableToPart(t)]);
    const m = merged.finished();
    expect(Array.from({ length: 6 }, (_, i) => m.reductions.at(i))).toEqual([...reductions, ...reductions]);
  });
});

describe('a process table whose columns are made when first used (tableFromColumns: the saved index)', () => {
  it('makes only the columns asked for, each once, with the same rows', () => {
    const b = new ProcessTableBuilder(2);
    [3, 7].forEach((q, k) => {
      const i = b.add(packPid(`<0.${k}.0>`), '');
      b.table.messageQueueLength.set(i, q);
      b.table.links.set(i, k + 1);
    });
    const t = b.finished();
    const part = tableToPart(t);
    const made: string[] = [];
    const lazy = tableFromColumns(part.count, t.pid, part.values, {
      numeric: (k) => (made.push(k), part.numeric[k]), codes: (k) => (made.push(k), part.codes[k]),
      memoryDerived: () => (made.push('memoryDerived'), part.memoryDerived),
    });
    expect(made).toEqual([]);
    expect([lazy.messageQueueLength.at(0), lazy.messageQueueLength.at(1)]).toEqual([3, 7]);
    expect(made).toEqual(['messageQueueLength']);
    expect(processAt(lazy, 1)).toEqual(processAt(t, 1));
    // processAt reads (nearly) every column: each is made once.
    expect(new Set(made).size).toBe(made.length);
    expect(made.length).toBeGreaterThan(20);
  });
});

describe('SectionIndex body lengths', () => {
  it('keeps a section of 4 GiB or more (a 10 GB heap section) exactly, through its transferable form', () => {
    const ix = new SectionIndex(['proc_heap']);
    const starts = [100, 200, 2 ** 33];
    const ends = [150, 200 + 2 ** 32 + 5, 2 ** 33 + 7];
    starts.forEach((s, k) => {
      ix.add(0, packPid(`<0.${k}.0>`), '', s);
      ix.closeLast(ends[k]);
    });
    const lengths = (x: SectionIndex) => Array.from({ length: 3 }, (_, i) => x.at(i).length);
    expect(lengths(ix)).toEqual([50, 2 ** 32 + 5, 7]);
    expect(lengths(SectionIndex.fromPart(ix.toPart()))).toEqual([50, 2 ** 32 + 5, 7]);
    const merged = new SectionIndex(['proc_heap']);
    merged.appendPart(ix.toPart());
    merged.appendPart(ix.toPart());
    expect(Array.from({ length: 6 }, (_, i) => merged.at(i).length)).toEqual([50, 2 ** 32 + 5, 7, 50, 2 ** 32 + 5, 7]);
  });
});

describe('findProcess', () => {
  it('finds a row by pid or registered name, and no row for a name nobody has', async () => {
    const dump = await readDump('fixtures/mailbox.dump');
    const p = dump.processes;
    const init = findProcess(p, 'init');
    expect(init).toBeGreaterThanOrEqual(0);
    expect(processAt(p, init).name).toBe('init');
    expect(findProcess(p, processAt(p, init).pid)).toBe(init);
    // Most rows have no name: an unknown name must not match them.
    expect(findProcess(p, 'no_such_registered_name')).toBe(-1);
    // A text some other column has (a state), but no row's name.
    expect(findProcess(p, 'Waiting')).toBe(-1);
  });
});

describe('PidColumn.rowFinder', () => {
  it('finds the last row of every packed pid, and nothing for pids not there or NaN', () => {
    const pids = Array.from({ length: 5000 }, (_, i) => `<0.${(i * 7919) % 4000}.${i % 3}>`);
    // A remote pid and one past 32 bits packed are kept on the side of the cells.
    pids[40] = '<1.5.0>';
    pids[41] = '<0.200000.0>';
    const packed = Float64Array.from(pids, packPid);
    packed[17] = NaN;
    const column = new PidColumn(new Uint32Array(pids.length));
    packed.forEach((p, row) => column.set(row, p, 'garbage'));
    expect(column.at(17)).toBe('garbage');
    expect(column.at(40)).toBe('<1.5.0>');
    expect(column.at(41)).toBe('<0.200000.0>');
    expect(column.find('<0.200000.0>')).toBe(41);
    const want = new Map<number, number>();
    packed.forEach((p, row) => { if (!Number.isNaN(p)) want.set(p, row); });
    const find = column.rowFinder();
    for (const [p, row] of want) expect(find(p)).toBe(row);
    for (const absent of ['<0.4001.0>', '<1.2.0>', '<0.1.7>', '<0.200001.0>']) expect(find(packPid(absent))).toBe(-1);
    expect(find(NaN)).toBe(-1);
  });
});
