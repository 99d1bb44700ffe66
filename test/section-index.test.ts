import { describe, expect, it } from 'vitest';
import { packPid, SectionIndex } from '../src/dump/section-index.js';

/** Pids in an order a wrapped process table gives (not sorted), some twice, and a non-pid id. */
function index(pids: string[]): SectionIndex {
  const ix = new SectionIndex();
  pids.forEach((pid, i) => {
    ix.add('proc_heap', packPid(pid), pid, i * 100);
    ix.closeLast(i * 100 + 50);
  });
  ix.add('literals', NaN, '', 99_999);
  return ix;
}

describe('SectionIndex.get', () => {
  const pids = ['<0.9.3>', '<0.1.0>', '<0.300000.1>', '<0.2.0>', '<0.1.0>', '<1.5.0>', '<0.7.32767>'];
  // A node number this big leaves no room for the row beside the key: the comparator sort.
  const remote = index([...pids, '<1000.5.0>']);
  const ix = index(pids);

  it('finds every pid, the first section of a pid when it has two', () => {
    pids.forEach((pid) => expect(ix.get('proc_heap', pid)).toEqual(ix.find('proc_heap', pid)[0]));
    expect(ix.get('proc_heap', '<0.1.0>')?.offset).toBe(100);
    expect(ix.get('proc_heap', '<0.8.0>')).toBeUndefined();
    expect(ix.get('proc_stack', '<0.1.0>')).toBeUndefined();
    expect(ix.get('literals')?.offset).toBe(99_999);
    for (const pid of [...pids, '<1000.5.0>']) expect(remote.get('proc_heap', pid)).toEqual(remote.find('proc_heap', pid)[0]);
  });

  it('sees sections added after a lookup', () => {
    const grown = index(pids);
    expect(grown.get('proc_heap', '<0.4.0>')).toBeUndefined();
    grown.add('proc_heap', packPid('<0.4.0>'), '<0.4.0>', 123_456);
    expect(grown.get('proc_heap', '<0.4.0>')?.offset).toBe(123_456);
  });

  it('agrees with find on many unsorted pids', () => {
    const many = Array.from({ length: 5000 }, (_, i) => `<0.${(i * 7919) % 5003}.${i % 3}>`);
    const big = index(many);
    for (const pid of many.slice(0, 500)) expect(big.get('proc_heap', pid)).toEqual(big.find('proc_heap', pid)[0]);
  });
});

describe('SectionIndex.prepare', () => {
  /** Process sections as a dump writes them: =proc at the front, then each process's others. */
  function dump(pids: string[]): SectionIndex {
    const ix = new SectionIndex();
    let at = 0;
    const add = (tag: string, pid: string) => {
      ix.add(tag, packPid(pid), pid, (at += 10));
      ix.closeLast(at + 5);
    };
    for (const pid of pids) add('proc', pid);
    pids.forEach((pid, i) => {
      add('proc_stack', pid);
      if (i % 3 === 0) add('proc_messages', pid);
      if (i % 4 === 0) add('proc_dictionary', pid);
      add('proc_heap', pid);
    });
    // A second section for one pid: the first one found wins, as with find().
    add('proc_heap', pids[2]);
    ix.add('literals', NaN, '', (at += 10));
    return ix;
  }
  const tags = ['proc', 'proc_stack', 'proc_messages', 'proc_dictionary', 'proc_heap', 'literals', 'no_such_tag'];
  const pids = Array.from({ length: 300 }, (_, i) => `<0.${(i * 7919) % 1009}.${i % 2}>`);

  it('answers get() as the tables do, for the pids it was given, sections absent or twice', () => {
    const plain = dump(pids);
    const prepared = dump(pids);
    const asked = [...pids.slice(0, 40), '<0.99999.0>', 'not a pid'];
    prepared.prepare(asked);
    for (const pid of [...asked, ...pids.slice(40, 80)]) {
      for (const tag of tags) expect(prepared.get(tag, pid), `${tag} ${pid}`).toEqual(plain.get(tag, pid));
    }
    expect(prepared.get('proc_heap', pids[2])).toEqual(prepared.find('proc_heap', pids[2])[0]);
  });

  it('is forgotten once sections are added', () => {
    const ix = dump(pids);
    ix.prepare(['<0.4.0>']);
    expect(ix.get('proc_heap', '<0.4.0>')).toBeUndefined();
    ix.add('proc_heap', packPid('<0.4.0>'), '<0.4.0>', 1e6);
    expect(ix.get('proc_heap', '<0.4.0>')?.offset).toBe(1e6);
  });
});

describe('SectionIndex.appendPart', () => {
  function part(tags: string[], known: string[]) {
    const ix = new SectionIndex(known);
    tags.forEach((tag, i) => {
      ix.add(tag, packPid(`<0.${i}.0>`), `<0.${i}.0>`, 1000 + i * 10);
      ix.closeLast(1000 + i * 10 + 5);
    });
    return ix;
  }
  const known = ['proc', 'proc_heap', 'proc_stack'];
  const tagsOf = (ix: SectionIndex) => Array.from({ length: ix.size }, (_, i) => ix.at(i).tag);

  it('keeps every tag, whether the part shares the codes (known tags) or not (tags of its own)', () => {
    const main = part(['proc', 'proc', 'odd_main'], known);
    const shared = part(['proc_stack', 'proc_heap'], known);
    const own = part(['odd_part', 'proc_heap', 'odd_main'], known);
    main.appendPart(shared.toPart());
    main.appendPart(own.toPart());
    expect(tagsOf(main)).toEqual(['proc', 'proc', 'odd_main', 'proc_stack', 'proc_heap', 'odd_part', 'proc_heap', 'odd_main']);
    expect(main.find('odd_main').map((s) => s.id)).toEqual(['<0.2.0>', '<0.2.0>']);
    expect(main.get('proc_heap', '<0.1.0>')?.offset).toBe(1010);
  });
});

describe('SectionIndex.each', () => {
  it('visits the sections find() returns, in file order, with packed pids and lengths', () => {
    const idx = new SectionIndex(['proc', 'proc_heap']);
    const ids = ['<0.1.0>', '<0.2.0>', 'not a pid', '<0.3.0>'];
    let offset = 0;
    for (const id of ids) {
      for (const tag of ['proc', 'proc_heap', 'literals']) {
        idx.closeLast(offset);
        idx.add(tag, packPid(id), id, offset);
        offset += 10 + id.length;
      }
    }
    idx.closeLast(offset);
    for (const tag of ['proc', 'proc_heap', 'literals', 'absent']) {
      const seen: Array<{ tag: string; id: string; offset: number; length: number }> = [];
      idx.each(tag, (row, packed, off, length) => {
        const id = Number.isNaN(packed) ? idx.at(row).id : ids[ids.findIndex((x) => packPid(x) === packed)];
        seen.push({ tag, id, offset: off, length });
      });
      expect(seen).toEqual(idx.find(tag));
    }
  });
});

describe('SectionIndex in 32-bit cells', () => {
  // Offsets across three 4 GiB boundaries (a 13 GB dump), and pids of every kind: the last that
  // fits a cell, the first that does not, a remote node, the biggest process number, a non-pid id.
  const entries: Array<[string, string, number]> = [
    ['proc', '<0.0.0>', 10],
    ['proc', '<0.268435455.15>', 2 ** 32 - 1],
    ['proc', '<0.7.16>', 2 ** 32],
    ['proc', '<0.131071.32767>', 2 ** 32 + 3],
    ['proc', '<0.131072.0>', 2 ** 32 + 4],
    ['proc_heap', '<5.9.0>', 2 ** 32 + 7],
    ['proc_heap', '<0.0.0>', 3 * 2 ** 32 + 1],
    ['ets', 'Table 12', 3 * 2 ** 32 + 2],
    ['proc_heap', '<0.268435455.32767>', 3 * 2 ** 32 + 3],
  ];
  const expected = entries.map(([tag, id, offset]) => ({ tag, id, offset, length: 1 }));
  const build = (rows: typeof entries) => {
    const ix = new SectionIndex(['proc', 'proc_heap', 'ets']);
    for (const [tag, id, offset] of rows) {
      ix.add(tag, packPid(id), id, offset);
      ix.closeLast(offset + 1);
    }
    return ix;
  };
  const all = (ix: SectionIndex) => Array.from({ length: ix.size }, (_, i) => ix.at(i));

  it('gives back every offset and id, itself and through its transferable form', () => {
    expect(all(build(entries))).toEqual(expected);
    expect(all(SectionIndex.fromPart(build(entries).toPart()))).toEqual(expected);
  });

  it('merges parts that start on either side of a boundary, as the parallel reader does', () => {
    for (const cut of [1, 2, 3, 5]) {
      const merged = new SectionIndex(['proc', 'proc_heap', 'ets']);
      merged.appendPart(build(entries.slice(0, cut)).toPart());
      merged.appendPart(build([]).toPart());
      merged.appendPart(build(entries.slice(cut)).toPart());
      expect(all(merged), `cut at ${cut}`).toEqual(expected);
    }
  });

  it('finds sections by pid, whichever way the pid is kept', () => {
    const ix = build(entries);
    expect(ix.get('proc', '<0.7.16>')?.offset).toBe(2 ** 32);
    expect(ix.get('proc_heap', '<5.9.0>')?.offset).toBe(2 ** 32 + 7);
    expect(ix.find('proc_heap', '<0.268435455.32767>').map((s) => s.offset)).toEqual([3 * 2 ** 32 + 3]);
    ix.prepare(['<0.0.0>', '<0.268435455.15>']);
    expect(ix.get('proc_heap', '<0.0.0>')?.offset).toBe(3 * 2 ** 32 + 1);
    expect(ix.get('proc', '<0.268435455.15>')?.offset).toBe(2 ** 32 - 1);
    const seen: Array<[number, number]> = [];
    ix.each('proc_heap', (_row, packed, offset) => seen.push([packed, offset]));
    expect(seen).toEqual([[packPid('<5.9.0>'), 2 ** 32 + 7], [packPid('<0.0.0>'), 3 * 2 ** 32 + 1], [packPid('<0.268435455.32767>'), 3 * 2 ** 32 + 3]]);
  });
});

describe('SectionIndex.fromSource (a saved index read as it is used)', () => {
  // 6,000 sections (more than the 4,096 cells read one at a time), lengths past one byte, and
  // offsets past 4 GiB.
  const built = new SectionIndex();
  for (let i = 0; i < 6000; i++) {
    const offset = i * 1_000_003 + (i > 4500 ? 2 ** 32 : 0);
    built.add(i % 3 === 0 ? 'proc' : 'proc_heap', packPid(`<0.${i}.0>`), `<0.${i}.0>`, offset);
    built.closeLast(offset + (i % 7) * 100);
  }
  const part = built.toPart();
  const top = part.lengths.cells instanceof Uint8Array ? 0xff : part.lengths.cells instanceof Uint16Array ? 0xffff : 0xffffffff;
  function fromSource(): { ix: SectionIndex; whole: string[]; cells: () => number; passes: () => number } {
    const whole: string[] = [];
    let cells = 0;
    let passes = 0;
    const arrays = { tags: part.tags, ids: part.ids, offsetLows: part.offsetLows, lengths: part.lengths.cells };
    const ix = SectionIndex.fromSource({
      entries: part.tags.length, tagNames: part.tagNames, offsetRuns: part.offsetRuns, lengthsBig: part.lengths.big, bigIds: part.bigIds,
      otherIds: part.otherIds, lengthsTop: top,
      tags: () => (whole.push('tags'), part.tags), ids: () => (whole.push('ids'), part.ids),
      offsetLows: () => (whole.push('offsetLows'), part.offsetLows), lengthCells: () => (whole.push('lengths'), part.lengths.cells),
      cell: (column, row) => (cells++, arrays[column][row]),
      keyChunks: (visit) => {
        passes++;
        for (let first = 0; first < part.tags.length; first += 1000) visit(part.tags.slice(first, first + 1000), part.ids.slice(first, first + 1000), first);
      },
    });
    return { ix, whole, cells: () => cells, passes: () => passes };
  }

  it('answers a few lookups from single cells and one pass through the keys, reading no array whole', () => {
    const { ix, whole, cells, passes } = fromSource();
    for (const i of [0, 1, 4600, 5999]) expect(ix.at(i)).toEqual(built.at(i));
    expect(cells()).toBe(16);
    expect(ix.get('proc_heap', '<0.4601.0>')).toEqual(built.get('proc_heap', '<0.4601.0>'));
    expect(ix.get('proc', '<0.99999.0>')).toBeUndefined();
    expect(passes()).toBe(2);
    ix.prepare(['<0.3.0>', '<0.4.0>']);
    expect(ix.get('proc', '<0.3.0>')).toEqual(built.get('proc', '<0.3.0>'));
    expect(ix.get('proc_heap', '<0.4.0>')).toEqual(built.get('proc_heap', '<0.4.0>'));
    expect(ix.find('proc_heap', '<0.5.0>')).toEqual(built.find('proc_heap', '<0.5.0>'));
    expect(passes()).toBe(4);
    expect(whole).toEqual([]);
  });

  it('reads the arrays whole after 4,096 cells, 8 passes for pids one by one, or for a pass over all, with the same answers', () => {
    const a = fromSource();
    for (let i = 0; i < 6000; i++) expect(a.ix.at(i)).toEqual(built.at(i));
    expect(a.whole).toEqual(['tags', 'ids', 'offsetLows', 'lengths']);
    const b = fromSource();
    for (let i = 0; i < 20; i++) expect(b.ix.get('proc_heap', `<0.${i * 100 + 1}.0>`)).toEqual(built.get('proc_heap', `<0.${i * 100 + 1}.0>`));
    expect(b.passes()).toBe(8);
    expect(b.whole).toEqual(['tags', 'ids']);
    const c = fromSource();
    const seen: number[] = [];
    c.ix.each('proc', (row, packed, offset, length) => seen.push(row, packed, offset, length));
    const expected: number[] = [];
    built.each('proc', (row, packed, offset, length) => expected.push(row, packed, offset, length));
    expect(seen).toEqual(expected);
    expect(c.cells()).toBe(0);
  });
});

describe('SectionIndex.page', () => {
  it('is the slice of find() from the offset, with the count of all, for every offset and limit', () => {
    const idx = new SectionIndex(['timer']);
    const ids = ['<0.1.0>', 'a_name', '<0.2.0>', '<0.3.0>', 'b_name', '<0.4.0>', '<0.5.0>'];
    let offset = 0;
    for (const [k, id] of ids.entries()) {
      for (const tag of k % 2 === 0 ? ['timer', 'proc'] : ['timer']) {
        idx.closeLast(offset);
        idx.add(tag, packPid(id), id, offset);
        offset += 7 + id.length;
      }
    }
    idx.closeLast(offset);
    for (const tag of ['timer', 'proc', 'absent']) {
      const all = idx.find(tag);
      for (let from = 0; from <= all.length + 1; from++) {
        for (const limit of [0, 1, 3, 100]) expect(idx.page(tag, from, limit)).toEqual({ total: all.length, refs: all.slice(from, from + limit) });
      }
    }
  });
});
