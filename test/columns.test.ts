// The model's typed columns at their edges: values past 32 bits kept on the side (process table, section index).
import { describe, expect, it } from 'vitest';
import { readDump } from '../src/dump/reader.js';
import { findProcess, NumberColumn, ProcessTableBuilder, processAt, tableFromPart, tableToPart } from '../src/dump/process-table.js';
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
