import { hashNumber } from './bytes.js';
import { cellsLike, cellValueOrZero, firstCells, NumberColumn, type Cells } from './columns.js';
import type { SectionRef } from './types.js';

/** The id cell of a pid that does not fit 32 bits (see idCell): its packed pid is on the side. */
export const ID_ON_SIDE = 0xffffffff;
const FOUR_GIB = 2 ** 32;

/**
 * Where every section of a dump lies, in typed arrays so that millions of sections cost about
 * 10-13 bytes each: tag code (1), body offset (4), body length (a NumberColumn: 1-4 bytes, the
 * rare longer one on the side) and the id (4). A dump of 3,000,000 processes has 9,000,000
 * sections: at 18-21 bytes (offsets and ids as floats) the index alone was 180 MB.
 *
 * Offsets are kept modulo 4 GiB, with the rows where the part above changes on the side (three
 * runs for a 10 GB dump: sections are added in file order). Ids: the pid `<0.B.C>` of a process
 * section is one uint32 (idCell); any other pid (a remote one, numbers past 2^17) is kept packed
 * by row on the side; ids that are not pids are strings on the side.
 */
export class SectionIndex {
  private tagNames: string[] = [];
  private tagCodes = new Map<string, number>();
  private tags: Uint8Array = new Uint8Array(1024);
  /** Body offsets modulo 4 GiB; the 4 GiB units are in runs (offsetAt). */
  private offsetLows: Uint32Array = new Uint32Array(1024);
  /** From row runStarts[k] on (until the next run), offsets are runHighs[k] * 4 GiB + the low part. */
  private runStarts: number[] = [0];
  private runHighs: number[] = [0];
  /** Body lengths; NaN (cell 0) until closeLast() of the section. */
  private lengths = new NumberColumn(new Uint8Array(1024), new Map());
  /** Pid ids by idCell: 0 for none, ID_ON_SIDE for a pid in bigIds. */
  private ids: Uint32Array = new Uint32Array(1024);
  private bigIds = new Map<number, number>();
  private otherIds = new Map<number, string>();
  private pidLookup = new Map<number, { size: number; mask: number; slots: Int32Array }>();
  /**
   * For the pids given to prepare(): where their rows by tag code start in `preparedRows` (-1 for
   * none; one array for all, not a small one per pid: 100,000 of those took most of 0.3 s);
   * valid while size is `preparedSize`.
   */
  private prepared = new Map<number, number>();
  private preparedRows = new Int32Array(0);
  private preparedTags = 0;
  private preparedSize = -1;
  /** A saved index's (fromSource): its arrays not read yet are read from it when first needed. */
  private source?: SectionIndexSource;
  /** tags and ids are still in `source`. */
  private keysPending = false;
  /** offsetLows and the lengths' cells are still in `source` (read there a cell at a time meanwhile). */
  private placesPending = false;
  private placeReads = 0;
  private keyReads = 0;
  private keyPasses = 0;
  size = 0;

  /**
   * `knownTags` get codes 0, 1, ... up front, in this order: indexes made with the same list (the
   * parallel reader's threads) then share their codes, and a part is appended with one copy
   * instead of a code lookup per entry (2.7 million of them for a dump of a million processes).
   */
  constructor(knownTags: readonly string[] = []) {
    for (const tag of knownTags.slice(0, 255)) {
      this.tagCodes.set(tag, this.tagNames.length);
      this.tagNames.push(tag);
    }
  }

  /** The code of a tag, given one on first sight. */
  codeOf(tag: string): number {
    this.all();
    let code = this.tagCodes.get(tag);
    if (code === undefined) {
      code = this.tagNames.length;
      // More than 255 distinct tags only happens on garbage input; fold the rest into one code.
      if (code > 254) code = 255;
      else {
        this.tagNames.push(tag);
        this.tagCodes.set(tag, code);
      }
    }
    return code;
  }

  /**
   * Records a section whose body starts at `offset`. `tag` is its name or its code (the
   * constructor's knownTags, or codeOf: the reader passes codes, with no lookup per section);
   * `packedId` is the id packed by packPid (NaN when it is not a pid); `id` is needed only then.
   */
  add(tag: string | number, packedId: number, id: string, offset: number): void {
    this.all();
    const code = typeof tag === 'number' ? tag : this.codeOf(tag);
    if (this.size === this.tags.length) this.grow();
    const i = this.size++;
    this.tags[i] = code;
    this.setOffset(i, offset);
    const cell = idCell(packedId);
    this.ids[i] = cell;
    if (cell === ID_ON_SIDE) this.bigIds.set(i, packedId);
    else if (cell === 0 && id !== '') this.otherIds.set(i, id);
  }

  private setOffset(i: number, offset: number): void {
    this.runFrom(i, Math.floor(offset / FOUR_GIB));
    this.offsetLows[i] = offset >>> 0;
  }

  /** Offsets from row i on are `high` * 4 GiB + their low part. */
  private runFrom(i: number, high: number): void {
    const last = this.runHighs.length - 1;
    if (high === this.runHighs[last]) return;
    // No row of the last run yet (an empty index starts with one run at row 0): it becomes this one.
    if (this.runStarts[last] === i) this.runHighs[last] = high;
    else {
      this.runStarts.push(i);
      this.runHighs.push(high);
    }
  }

  /** The body offset of row i. */
  private offsetAt(i: number): number {
    const low = this.placesPending ? (this.fileCell('offsetLows', i) ?? this.offsetLows[i]) : this.offsetLows[i];
    const starts = this.runStarts;
    if (starts.length === 1) return this.runHighs[0] * FOUR_GIB + low;
    // The last run starting at or before i: a few runs, found by halves.
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (starts[mid] <= i) lo = mid;
      else hi = mid - 1;
    }
    return this.runHighs[lo] * FOUR_GIB + low;
  }

  /** The packed pid (packPid) of row i, NaN when its id is not a pid. */
  private packedAt(i: number): number {
    return this.packedOf(this.keysPending ? (this.fileCell('ids', i) ?? this.ids[i]) : this.ids[i], i);
  }

  /** The packed pid of id cell `cell` of row i. */
  private packedOf(cell: number, i: number): number {
    return pidOfCell(cell, this.bigIds, i);
  }

  /**
   * Cell i of a saved index's array not read yet (its keys: tags, ids; or its places: offsetLows,
   * lengths), read alone from the file for the first CELL_READS cells of its kind; past them, the
   * arrays of that kind are read whole and this is undefined: the caller reads the array.
   */
  private fileCell(column: 'tags' | 'ids' | 'offsetLows' | 'lengths', i: number): number | undefined {
    const key = column === 'tags' || column === 'ids';
    if ((key ? this.keyReads++ : this.placeReads++) < CELL_READS) return this.source!.cell(column, i);
    if (key) this.keys();
    else this.places();
    return undefined;
  }

  /**
   * Hands `visit` the tags and ids of every row, in pieces from `first` on: a saved index's keys
   * not read yet are read a piece at a time through one buffer (a pass for a few pids need not
   * put 45 MB of them in memory), else the arrays themselves in one piece.
   */
  private scanKeys(visit: (tags: Uint8Array, ids: Uint32Array, first: number) => void): void {
    if (this.keysPending) this.source!.keyChunks(visit);
    else visit(this.tags.subarray(0, this.size), this.ids.subarray(0, this.size), 0);
  }

  /** Sets the body length of the last section added. */
  closeLast(endOffset: number): void {
    this.all();
    if (this.size === 0) return;
    const i = this.size - 1;
    this.lengths.set(i, endOffset - this.offsetAt(i));
  }

  at(i: number): SectionRef {
    const code = this.keysPending ? (this.fileCell('tags', i) ?? this.tags[i]) : this.tags[i];
    const packed = this.packedAt(i);
    return {
      tag: code < this.tagNames.length ? this.tagNames[code] : '?',
      id: Number.isNaN(packed) ? (this.otherIds.get(i) ?? '') : unpackPid(packed),
      offset: this.offsetAt(i),
      length: this.lengthOf(i),
    };
  }

  private lengthOf(i: number): number {
    if (this.placesPending) {
      const c = this.fileCell('lengths', i);
      if (c !== undefined) return cellValueOrZero(c, this.source!.lengthsTop, this.lengths.big, i);
    }
    const n = this.lengths.at(i);
    return Number.isNaN(n) ? 0 : n;
  }

  /**
   * Every section with this tag, in file order, as (row, packed id, offset, length): no object or
   * string per section, for a pass over all the heaps of a dump of millions of processes.
   * `packedId` is NaN when the id is not a pid (then `at(row).id` has it).
   */
  each(tag: string, visit: (row: number, packedId: number, offset: number, length: number) => void): void {
    this.all();
    const code = this.tagCodes.get(tag);
    if (code === undefined) return;
    const tags = this.tags;
    for (let i = 0; i < this.size; i++) if (tags[i] === code) visit(i, this.packedAt(i), this.offsetAt(i), this.lengthOf(i));
  }

  /** All sections with this tag (and this id, when given), in file order. */
  find(tag: string, id?: string): SectionRef[] {
    const code = this.tagCodes.get(tag);
    if (code === undefined) return [];
    const rows: number[] = [];
    const packed = id === undefined ? undefined : packPid(id);
    this.eachOfTag(code, (i, cell) => {
      if (id !== undefined) {
        if (Number.isNaN(packed!)) {
          // Sections without an id (`=literals`, `=memory`) have no entry in otherIds.
          if ((this.otherIds.get(i) ?? '') !== id) return;
        } else if (this.packedOf(cell, i) !== packed) return;
      }
      rows.push(i);
    });
    return rows.map((i) => this.at(i));
  }

  /**
   * The sections with this tag from the `offset`-th on, at most `limit` of them, in file order, and
   * how many have the tag: a page of a million timers makes ten objects, not a million (serve's
   * /timers: 1.2 s and 222 MB for its first page).
   */
  page(tag: string, offset: number, limit: number): { total: number; refs: SectionRef[] } {
    const code = this.tagCodes.get(tag);
    if (code === undefined) return { total: 0, refs: [] };
    const rows: number[] = [];
    let total = 0;
    this.eachOfTag(code, (i) => {
      if (total >= offset && rows.length < limit) rows.push(i);
      total++;
    });
    return { total, refs: rows.map((i) => this.at(i)) };
  }

  /** Every row with tag code `code`, in file order, with its id cell (scanKeys). */
  private eachOfTag(code: number, visit: (row: number, idCell: number) => void): void {
    this.scanKeys((tags, ids, first) => {
      for (let k = 0; k < tags.length; k++) if (tags[k] === code) visit(first + k, ids[k]);
    });
  }

  /**
   * Finds every section of these pids in one pass, so that get() answers for them without a
   * table of every pid per tag. Building those tables is a pass and an insert per section: for a
   * dump of a million processes, 100 ms for each of the five process tags triage looks up, for
   * the few dozen processes it decodes.
   */
  prepare(ids: Iterable<string>): void {
    this.preparePacked([...ids].map(packPid).filter((packed) => !Number.isNaN(packed)));
  }

  /** prepare() of pids packed by packPid. */
  private preparePacked(asked: number[]): void {
    if (this.preparedSize === this.size && asked.every((packed) => this.prepared.has(packed))) return;
    const want = new Map<number, number>();
    const tagCount = this.tagNames.length;
    const rows = new Int32Array(asked.length * tagCount).fill(-1);
    // A filter of the id cells in front of the map (a pid kept on the side passes: they are rare).
    const filter = new CellFilter(asked.length);
    for (const packed of asked) {
      if (want.has(packed)) continue;
      want.set(packed, want.size * tagCount);
      filter.add(idCell(packed));
    }
    filter.add(ID_ON_SIDE);
    this.scanKeys((tags, cells, first) => {
      for (let k = 0; k < cells.length; k++) {
        const cell = cells[k];
        if (cell === 0 || !filter.has(cell)) continue;
        const base = want.get(this.packedOf(cell, first + k));
        const code = tags[k];
        // Code 255 (tags past the 255th, folded) is not in rows: get() never finds those by pid.
        if (base !== undefined && code < tagCount && rows[base + code] < 0) rows[base + code] = first + k;
      }
    });
    this.prepared = want;
    this.preparedRows = rows;
    this.preparedTags = tagCount;
    this.preparedSize = this.size;
  }

  /** The first section with this tag and id. */
  get(tag: string, id = ''): SectionRef | undefined {
    const packed = packPid(id);
    if (Number.isNaN(packed)) return this.find(tag, id)[0];
    // A saved index not read yet: one pass through its keys for this pid (`proc` of one process
    // asks for its five sections), instead of reading them all and a table of every pid.
    if (this.keysPending && (this.preparedSize !== this.size || !this.prepared.has(packed))) {
      // Many pids asked for one by one: the keys in memory and a table by pid, as for a fresh read.
      if (this.keyPasses++ < KEY_PASSES) this.preparePacked([...(this.preparedSize === this.size ? this.prepared.keys() : []), packed]);
      else this.keys();
    }
    const base = this.preparedSize === this.size ? this.prepared.get(packed) : undefined;
    if (base !== undefined) {
      const code = this.tagCodes.get(tag);
      const row = code === undefined || code >= this.preparedTags ? -1 : this.preparedRows[base + code];
      return row < 0 ? undefined : this.at(row);
    }
    // Process sections are looked up by pid many times (one per decoded process): an open-addressed
    // table per tag (row + 1 by hash of the packed pid, 8-16 bytes a section), made on first
    // use, instead of a scan of the whole index each time. A Map would cost several times the
    // memory for millions of sections, and sorting them tens of ms.
    const code = this.tagCodes.get(tag);
    if (code === undefined) return undefined;
    this.keys();
    let t = this.pidLookup.get(code);
    if (!t || t.size !== this.size) {
      t = this.pidTable(code);
      this.pidLookup.set(code, t);
    }
    for (let h = hashNumber(packed) & t.mask; ; h = (h + 1) & t.mask) {
      const row = t.slots[h] - 1;
      if (row < 0) return undefined;
      if (this.packedAt(row) === packed) return this.at(row);
    }
  }

  /** The rows of a tag's sections with a pid id, by pid; the first section of a pid wins (as in find()). */
  private pidTable(code: number): { size: number; mask: number; slots: Int32Array } {
    const ids = this.ids;
    let n = 0;
    for (let k = 0; k < this.size; k++) if (this.tags[k] === code && ids[k] !== 0) n++;
    let cap = 16;
    while (cap < n * 2) cap *= 2;
    const slots = new Int32Array(cap);
    const mask = cap - 1;
    for (let k = 0; k < this.size; k++) {
      if (this.tags[k] !== code || ids[k] === 0) continue;
      const packed = this.packedAt(k);
      let h = hashNumber(packed) & mask;
      while (slots[h] !== 0 && this.packedAt(slots[h] - 1) !== packed) h = (h + 1) & mask;
      if (slots[h] === 0) slots[h] = k + 1;
    }
    return { size: this.size, mask, slots };
  }

  /** Forgets the entries, keeping the arrays. */
  clear(): void {
    this.all();
    this.lengths.cells.fill(0, 0, this.size);
    this.lengths.big.clear();
    this.size = 0;
    this.runStarts = [0];
    this.runHighs = [0];
    this.bigIds.clear();
    this.otherIds.clear();
    this.pidLookup.clear();
    this.prepared.clear();
    this.preparedRows = new Int32Array(0);
    this.preparedSize = -1;
  }

  /** The entries as transferable arrays, for the parallel reader (see appendPart). */
  toPart(copy = true): SectionIndexPart {
    this.all();
    const n = this.size;
    // Copies to post (their buffers are transferred), views to write to a file or merge at once.
    return {
      tagNames: this.tagNames, tags: firstCells(this.tags, n, copy), offsetLows: firstCells(this.offsetLows, n, copy),
      offsetRuns: this.runStarts.map((start, k) => [start, this.runHighs[k]]),
      lengths: { cells: firstCells(this.lengths.cells, n, copy), big: this.lengths.bigEntries(n) }, ids: firstCells(this.ids, n, copy),
      bigIds: [...this.bigIds], otherIds: [...this.otherIds],
    };
  }

  /** An index of these entries, using the arrays as they are (the parallel reader's parts). */
  static fromPart(p: SectionIndexPart): SectionIndex {
    const ix = new SectionIndex(p.tagNames);
    ix.use(p);
    return ix;
  }

  /**
   * A saved index's entries (index-file.ts), whose arrays are read when first needed: a command
   * that never looks a section up (triage with a saved report, or --no-decode) does not read tens
   * of MB for it, and one that looks up a few (triage decodes a few dozen processes of millions;
   * `proc` one) finds their rows in one pass through the keys (tags and ids, read a piece at a
   * time) and reads only the cells of the places (offsets, lengths) it asks for, until CELL_READS
   * of them. Memory touched for the first time is what a load from the saved index costs on this
   * kind of host: class c's keys and places are 99 MB of its 180.
   * A source whose reader throws is asked again at the next use.
   */
  static fromSource(s: SectionIndexSource): SectionIndex {
    const ix = new SectionIndex(s.tagNames);
    ix.source = s;
    ix.keysPending = true;
    ix.placesPending = true;
    ix.size = s.entries;
    ix.useSides(s);
    ix.lengths = new NumberColumn(new Uint8Array(0), new Map(s.lengthsBig));
    return ix;
  }

  private use(p: SectionIndexPart): void {
    for (const tag of p.tagNames.slice(0, 255)) {
      if (this.tagCodes.has(tag)) continue;
      this.tagCodes.set(tag, this.tagNames.length);
      this.tagNames.push(tag);
    }
    this.tags = p.tags;
    this.offsetLows = p.offsetLows;
    this.lengths = new NumberColumn(p.lengths.cells, new Map(p.lengths.big));
    this.ids = p.ids;
    this.useSides(p);
    this.size = p.tags.length;
  }

  /** What a part or a saved index keeps beside the arrays: the offsets' 4 GiB runs, the pids past 32 bits, the other ids. */
  private useSides(p: Pick<SectionIndexPart, 'offsetRuns' | 'bigIds' | 'otherIds'>): void {
    this.runStarts = p.offsetRuns.map(([start]) => start);
    this.runHighs = p.offsetRuns.map(([, high]) => high);
    for (const [k, packed] of p.bigIds) this.bigIds.set(k, packed);
    for (const [k, id] of p.otherIds) this.otherIds.set(k, id);
  }

  /** Reads a saved index's tags and ids, if not yet. */
  private keys(): void {
    if (!this.keysPending) return;
    const s = this.source!;
    const tags = s.tags();
    const ids = s.ids();
    this.tags = tags;
    this.ids = ids;
    this.keysPending = false;
    if (!this.placesPending) this.source = undefined;
  }

  /** Reads a saved index's offsets and lengths, if not yet. */
  private places(): void {
    if (!this.placesPending) return;
    const s = this.source!;
    const offsetLows = s.offsetLows();
    const cells = s.lengthCells();
    this.offsetLows = offsetLows;
    this.lengths = new NumberColumn(cells, this.lengths.big);
    this.placesPending = false;
    if (!this.keysPending) this.source = undefined;
  }

  /** Every array read: before a pass over all entries, or a change. */
  private all(): void {
    this.keys();
    this.places();
  }

  /** Appends the entries another index (of the next byte range) made. */
  appendPart(p: SectionIndexPart): void {
    this.all();
    const n = p.tags.length;
    while (this.tags.length < this.size + n) this.grow();
    const codes = p.tagNames.map((tag) => this.codeOf(tag));
    const base = this.size;
    if (codes.every((code, c) => code === c)) this.tags.set(p.tags, base);
    else for (let k = 0; k < n; k++) this.tags[base + k] = p.tags[k] === 255 ? 255 : codes[p.tags[k]];
    this.offsetLows.set(p.offsetLows, base);
    for (const [start, high] of p.offsetRuns) this.runFrom(base + start, high);
    this.lengths.copyIn(p.lengths.cells, base);
    for (const [k, len] of p.lengths.big) this.lengths.set(base + k, len);
    this.ids.set(p.ids, base);
    for (const [k, packed] of p.bigIds) this.bigIds.set(base + k, packed);
    for (const [k, id] of p.otherIds) this.otherIds.set(base + k, id);
    this.size += n;
  }

  /** Makes room for `entries` entries in all, at once (the parallel reader knows the total). */
  reserve(entries: number): void {
    this.all();
    if (entries > this.tags.length) this.grow(entries);
  }

  private grow(to?: number): void {
    // 1.5x, not 2x: the index of a big dump is tens of MB, and the slack of doubling is RSS.
    const n = to ?? Math.ceil(this.tags.length * 1.5);
    // All four made before any is replaced: a failed allocation leaves one capacity for all.
    const tags = new Uint8Array(n);
    const offsetLows = new Uint32Array(n);
    const lengths = cellsLike(this.lengths.cells, n);
    const ids = new Uint32Array(n);
    tags.set(this.tags.subarray(0, this.size));
    offsetLows.set(this.offsetLows.subarray(0, this.size));
    lengths.set(this.lengths.cells.subarray(0, this.size));
    ids.set(this.ids.subarray(0, this.size));
    this.tags = tags;
    this.offsetLows = offsetLows;
    this.lengths.cells = lengths;
    this.ids = ids;
  }
}

/** Cells of a saved index's keys, and of its places, read one at a time (see fromSource) before the whole arrays are. */
const CELL_READS = 4096;
/** Passes through a saved index's keys for pids asked for one at a time (get) before they are read whole. */
const KEY_PASSES = 8;

/** A saved index's entries as index-file.ts reads them (see SectionIndex.fromSource). */
export interface SectionIndexSource {
  entries: number;
  tagNames: string[];
  offsetRuns: Array<[number, number]>;
  lengthsBig: Array<[number, number]>;
  bigIds: Array<[number, number]>;
  otherIds: Array<[number, string]>;
  /** The whole arrays, read from the file (and checked) when called. */
  tags(): Uint8Array;
  ids(): Uint32Array;
  offsetLows(): Uint32Array;
  lengthCells(): Cells;
  /** topOf the lengths' cells: the cell value of a length on the side. */
  lengthsTop: number;
  /** Cell `row` of an array, read from the file. */
  cell(column: 'tags' | 'ids' | 'offsetLows' | 'lengths', row: number): number;
  /** The tags and ids of every row, read from the file a piece at a time into the same arrays, handed to `visit` from row `first` on. */
  keyChunks(visit: (tags: Uint8Array, ids: Uint32Array, first: number) => void): void;
}

/** A SectionIndex's entries in transferable form. */
export interface SectionIndexPart {
  tagNames: string[];
  tags: Uint8Array;
  /** Body offsets modulo 4 GiB, and [first row, offset / 4 GiB] of each run (SectionIndex.offsetAt). */
  offsetLows: Uint32Array;
  offsetRuns: Array<[number, number]>;
  /** NumberColumn's cells and the values on its side. */
  lengths: { cells: Cells; big: Array<[number, number]> };
  /** idCell of each entry, and the packed pids of the cells ID_ON_SIDE by row. */
  ids: Uint32Array;
  bigIds: Array<[number, number]>;
  otherIds: Array<[number, string]>;
}

/**
 * A bitmap of id cells' hashes, in front of a Map in a pass over millions of rows
 * (SectionIndex.prepare, the process details of groupProcesses): nearly every row is of a pid not
 * asked for, and a cell is hashed in int32 maths. Bits are well-mixed (Fibonacci hashing: a packed
 * pid's low bits are its serial, mostly 0); at least 16 bits per cell added (64 Ki to 16 Mi bits),
 * so that a filter of 100,000 pids (class g's proc_lib processes) still lets few others through.
 */
export class CellFilter {
  private readonly bits: Uint8Array;
  private readonly shift: number;

  constructor(cells: number) {
    const log2 = Math.min(24, Math.max(16, Math.ceil(Math.log2(Math.max(1, cells) * 16))));
    this.bits = new Uint8Array(1 << (log2 - 3));
    this.shift = 32 - log2;
  }

  add(cell: number): void {
    const h = Math.imul(cell, 0x9e3779b1) >>> this.shift;
    this.bits[h >>> 3] |= 1 << (h & 7);
  }

  /** False: the cell was never added; true: it may have been. */
  has(cell: number): boolean {
    const h = Math.imul(cell, 0x9e3779b1) >>> this.shift;
    return (this.bits[h >>> 3] & (1 << (h & 7))) !== 0;
  }
}

/**
 * The packed pid of id cell `cell` (idCell) of row i, whose pids past 32 bits are by row in `big`;
 * NaN for no pid. A saved index's side is checked with its arrays: a cell without its entry reads
 * as no pid.
 */
export function pidOfCell(cell: number, big: ReadonlyMap<number, number>, i: number): number {
  if (cell === 0) return NaN;
  if (cell === ID_ON_SIDE) return big.get(i) ?? NaN;
  return cell - 1;
}

/**
 * A pid packed by packPid as one uint32: 1 + the packed value when it fits, which is every local
 * pid `<0.B.C>` of a dump (B is the 15-bit process number, C the serial, 13 bits or so: a process
 * table of millions of processes is written <0.32767.79>); ID_ON_SIDE for any other pid, 0 for
 * no pid (NaN).
 */
export function idCell(packed: number): number {
  if (Number.isNaN(packed)) return 0;
  return packed + 1 < ID_ON_SIDE ? packed + 1 : ID_ON_SIDE;
}

/** `<A.B.C>` -> A * 2^43 + B * 2^15 + C when the parts fit, else NaN. */
export function packPid(id: string): number {
  // Through one scratch buffer, not a Buffer per call (a lookup per process of 100,000).
  if (id.length > PID_SCRATCH.length) return NaN;
  return packPidBytes(PID_SCRATCH, 0, PID_SCRATCH.write(id, 0, 'latin1'));
}

// `<1023.268435455.32767>`, the longest pid packPidBytes takes, is 22 characters.
const PID_SCRATCH = Buffer.alloc(32);

/** packPid over bytes [start, end), without making a string. */
export function packPidBytes(buf: Buffer, start: number, end: number): number {
  if (end - start < 7 || buf[start] !== 0x3c || buf[end - 1] !== 0x3e) return NaN;
  // Three dot-separated decimals, read without allocating: millions of sections pass here.
  let a = 0, b = 0, c = 0, k = 0, digits = 0;
  for (let p = start + 1; p < end - 1; p++) {
    const ch = buf[p];
    if (ch === 0x2e) {
      if (digits === 0 || ++k > 2) return NaN;
      digits = 0;
    } else if (ch >= 0x30 && ch <= 0x39) {
      const d = ch - 0x30;
      if (k === 0) a = a * 10 + d;
      else if (k === 1) b = b * 10 + d;
      else c = c * 10 + d;
      digits++;
    } else return NaN;
  }
  if (k !== 2 || digits === 0) return NaN;
  if (a >= 1024 || b >= 2 ** 28 || c >= 2 ** 15) return NaN;
  return a * 2 ** 43 + b * 2 ** 15 + c;
}

/** The `<A.B.C>` text of a pid packed by packPid. */
export function unpackPid(p: number): string {
  const a = Math.floor(p / 2 ** 43);
  const rest = p - a * 2 ** 43;
  const b = Math.floor(rest / 2 ** 15);
  const c = rest - b * 2 ** 15;
  return `<${a}.${b}.${c}>`;
}
