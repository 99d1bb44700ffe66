import { hashNumber } from './bytes.js';
import { cellsLike, NumberColumn, type Cells } from './columns.js';
import type { SectionRef } from './types.js';

/**
 * Where every section of a dump lies, in typed arrays so that millions of sections cost about
 * 18-21 bytes each: tag code, body offset, body length (a NumberColumn: 1-4 bytes, the rare
 * longer one on the side) and the id. Pids `<A.B.C>`, the ids of all process sections, are packed into one float; other ids are
 * kept as strings on the side.
 */
export class SectionIndex {
  private tagNames: string[] = [];
  private tagCodes = new Map<string, number>();
  private tags: Uint8Array = new Uint8Array(1024);
  private offsets: Float64Array = new Float64Array(1024);
  /** Body lengths; NaN (cell 0) until closeLast() of the section. */
  private lengths = new NumberColumn(new Uint8Array(1024), new Map());
  private packedIds: Float64Array = new Float64Array(1024);
  private otherIds = new Map<number, string>();
  private pidLookup = new Map<number, { size: number; mask: number; slots: Int32Array }>();
  /** Rows by tag code of the pids given to prepare(), -1 for none; valid while size is `preparedSize`. */
  private prepared = new Map<number, Int32Array>();
  private preparedSize = -1;
  /** Set by fromPart with a loader (a saved index, index-file.ts): the entries, read on first use. */
  private pending?: () => SectionIndexPart;
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
    if (this.pending) this.load();
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
    if (this.pending) this.load();
    const code = typeof tag === 'number' ? tag : this.codeOf(tag);
    if (this.size === this.tags.length) this.grow();
    const i = this.size++;
    this.tags[i] = code;
    this.offsets[i] = offset;
    this.packedIds[i] = packedId;
    if (Number.isNaN(packedId) && id !== '') this.otherIds.set(i, id);
  }

  /** Sets the body length of the last section added. */
  closeLast(endOffset: number): void {
    if (this.pending) this.load();
    if (this.size === 0) return;
    const i = this.size - 1;
    this.lengths.set(i, endOffset - this.offsets[i]);
  }

  at(i: number): SectionRef {
    if (this.pending) this.load();
    const code = this.tags[i];
    const packed = this.packedIds[i];
    return {
      tag: code === 255 ? '?' : this.tagNames[code],
      id: Number.isNaN(packed) ? (this.otherIds.get(i) ?? '') : unpackPid(packed),
      offset: this.offsets[i],
      length: this.lengthOf(i),
    };
  }

  private lengthOf(i: number): number {
    const n = this.lengths.at(i);
    return Number.isNaN(n) ? 0 : n;
  }

  /**
   * Every section with this tag, in file order, as (row, packed id, offset, length): no object or
   * string per section, for a pass over all the heaps of a dump of millions of processes.
   * `packedId` is NaN when the id is not a pid (then `at(row).id` has it).
   */
  each(tag: string, visit: (row: number, packedId: number, offset: number, length: number) => void): void {
    if (this.pending) this.load();
    const code = this.tagCodes.get(tag);
    if (code === undefined) return;
    const tags = this.tags;
    for (let i = 0; i < this.size; i++) if (tags[i] === code) visit(i, this.packedIds[i], this.offsets[i], this.lengthOf(i));
  }

  /** All sections with this tag (and this id, when given), in file order. */
  find(tag: string, id?: string): SectionRef[] {
    if (this.pending) this.load();
    const code = this.tagCodes.get(tag);
    if (code === undefined) return [];
    const out: SectionRef[] = [];
    const packed = id === undefined ? undefined : packPid(id);
    for (let i = 0; i < this.size; i++) {
      if (this.tags[i] !== code) continue;
      if (id !== undefined) {
        if (Number.isNaN(packed!)) {
          // Sections without an id (`=literals`, `=memory`) have no entry in otherIds.
          if ((this.otherIds.get(i) ?? '') !== id) continue;
        } else if (this.packedIds[i] !== packed) continue;
      }
      out.push(this.at(i));
    }
    return out;
  }

  /**
   * Finds every section of these pids in one pass, so that get() answers for them without a
   * table of every pid per tag. Building those tables is a pass and an insert per section: for a
   * dump of a million processes, 100 ms for each of the five process tags triage looks up, for
   * the few dozen processes it decodes.
   */
  prepare(ids: Iterable<string>): void {
    if (this.pending) this.load();
    const asked = [...ids].map(packPid).filter((packed) => !Number.isNaN(packed));
    if (this.preparedSize === this.size && asked.every((packed) => this.prepared.has(packed))) return;
    const want = new Map<number, Int32Array>();
    // A bitmap of hashes in front of the map: nearly every section is of a pid not asked for.
    const bits = new Uint8Array(1 << 13);
    for (const packed of asked) {
      if (want.has(packed)) continue;
      want.set(packed, new Int32Array(this.tagNames.length).fill(-1));
      const h = hashNumber(packed) & 0xffff;
      bits[h >>> 3] |= 1 << (h & 7);
    }
    const packedIds = this.packedIds;
    for (let k = 0; k < this.size; k++) {
      const packed = packedIds[k];
      if (Number.isNaN(packed)) continue;
      const h = hashNumber(packed) & 0xffff;
      if ((bits[h >>> 3] & (1 << (h & 7))) === 0) continue;
      const rows = want.get(packed);
      const code = this.tags[k];
      // Code 255 (tags past the 255th, folded) is not in rows: get() never finds those by pid.
      if (rows && code < rows.length && rows[code] < 0) rows[code] = k;
    }
    this.prepared = want;
    this.preparedSize = this.size;
  }

  /** The first section with this tag and id. */
  get(tag: string, id = ''): SectionRef | undefined {
    if (this.pending) this.load();
    const packed = packPid(id);
    if (Number.isNaN(packed)) return this.find(tag, id)[0];
    const rows = this.preparedSize === this.size ? this.prepared.get(packed) : undefined;
    if (rows) {
      const code = this.tagCodes.get(tag);
      const row = code === undefined || code >= rows.length ? -1 : rows[code];
      return row < 0 ? undefined : this.at(row);
    }
    // Process sections are looked up by pid many times (one per decoded process): an open-addressed
    // table per tag (row + 1 by hash of the packed pid, 8-16 bytes a section), made on first
    // use, instead of a scan of the whole index each time. A Map would cost several times the
    // memory for millions of sections, and sorting them tens of ms.
    const code = this.tagCodes.get(tag);
    if (code === undefined) return undefined;
    let t = this.pidLookup.get(code);
    if (!t || t.size !== this.size) {
      t = this.pidTable(code);
      this.pidLookup.set(code, t);
    }
    const ids = this.packedIds;
    for (let h = hashNumber(packed) & t.mask; ; h = (h + 1) & t.mask) {
      const row = t.slots[h] - 1;
      if (row < 0) return undefined;
      if (ids[row] === packed) return this.at(row);
    }
  }

  /** The rows of a tag's sections with a pid id, by pid; the first section of a pid wins (as in find()). */
  private pidTable(code: number): { size: number; mask: number; slots: Int32Array } {
    const ids = this.packedIds;
    let n = 0;
    for (let k = 0; k < this.size; k++) if (this.tags[k] === code && !Number.isNaN(ids[k])) n++;
    let cap = 16;
    while (cap < n * 2) cap *= 2;
    const slots = new Int32Array(cap);
    const mask = cap - 1;
    for (let k = 0; k < this.size; k++) {
      if (this.tags[k] !== code || Number.isNaN(ids[k])) continue;
      let h = hashNumber(ids[k]) & mask;
      while (slots[h] !== 0 && ids[slots[h] - 1] !== ids[k]) h = (h + 1) & mask;
      if (slots[h] === 0) slots[h] = k + 1;
    }
    return { size: this.size, mask, slots };
  }

  /** Forgets the entries, keeping the arrays. */
  clear(): void {
    if (this.pending) this.load();
    this.lengths.cells.fill(0, 0, this.size);
    this.lengths.big.clear();
    this.size = 0;
    this.otherIds.clear();
    this.pidLookup.clear();
    this.prepared.clear();
    this.preparedSize = -1;
  }

  /** The entries as transferable arrays, for the parallel reader (see appendPart). */
  toPart(copy = true): SectionIndexPart {
    if (this.pending) this.load();
    const n = this.size;
    // Copies to post (their buffers are transferred), views to write to a file.
    const cut = <T extends Cells | Float64Array>(a: T): T => (copy ? a.slice(0, n) : a.subarray(0, n)) as T;
    return {
      tagNames: this.tagNames, tags: cut(this.tags), offsets: cut(this.offsets),
      lengths: { cells: cut(this.lengths.cells), big: this.lengths.bigEntries(n) }, packedIds: cut(this.packedIds),
      otherIds: [...this.otherIds],
    };
  }

  /**
   * An index of these entries, using the arrays as they are (a saved index, index-file.ts). Given
   * a loader and the number of entries instead, the arrays are read when the index is first used:
   * a command that never looks a section up (triage with a saved report, or --no-decode) does not
   * read tens of MB for it. A loader that throws is asked again at the next use.
   */
  static fromPart(p: SectionIndexPart | (() => SectionIndexPart), entries?: number): SectionIndex {
    if (typeof p === 'function') {
      const ix = new SectionIndex();
      ix.pending = p;
      ix.size = entries ?? 0;
      return ix;
    }
    const ix = new SectionIndex(p.tagNames);
    ix.use(p);
    return ix;
  }

  private use(p: SectionIndexPart): void {
    for (const tag of p.tagNames.slice(0, 255)) {
      if (this.tagCodes.has(tag)) continue;
      this.tagCodes.set(tag, this.tagNames.length);
      this.tagNames.push(tag);
    }
    this.tags = p.tags;
    this.offsets = p.offsets;
    this.lengths = new NumberColumn(p.lengths.cells, new Map(p.lengths.big));
    this.packedIds = p.packedIds;
    for (const [k, id] of p.otherIds) this.otherIds.set(k, id);
    this.size = p.tags.length;
  }

  private load(): void {
    const part = this.pending!();
    this.pending = undefined;
    this.use(part);
  }

  /** Appends the entries another index (of the next byte range) made. */
  appendPart(p: SectionIndexPart): void {
    if (this.pending) this.load();
    const n = p.tags.length;
    while (this.tags.length < this.size + n) this.grow();
    const codes = p.tagNames.map((tag) => this.codeOf(tag));
    const base = this.size;
    if (codes.every((code, c) => code === c)) this.tags.set(p.tags, base);
    else for (let k = 0; k < n; k++) this.tags[base + k] = p.tags[k] === 255 ? 255 : codes[p.tags[k]];
    this.offsets.set(p.offsets, base);
    this.lengths.copyIn(p.lengths.cells, base);
    for (const [k, len] of p.lengths.big) this.lengths.set(base + k, len);
    this.packedIds.set(p.packedIds, base);
    for (const [k, id] of p.otherIds) this.otherIds.set(base + k, id);
    this.size += n;
  }

  /** Makes room for `entries` entries in all, at once (the parallel reader knows the total). */
  reserve(entries: number): void {
    if (this.pending) this.load();
    if (entries > this.tags.length) this.grow(entries);
  }

  private grow(to?: number): void {
    // 1.5x, not 2x: the index of a big dump is tens of MB, and the slack of doubling is RSS.
    const n = to ?? Math.ceil(this.tags.length * 1.5);
    // All four made before any is replaced: a failed allocation leaves one capacity for all.
    const tags = new Uint8Array(n);
    const offsets = new Float64Array(n);
    const lengths = cellsLike(this.lengths.cells, n);
    const packedIds = new Float64Array(n);
    tags.set(this.tags.subarray(0, this.size));
    offsets.set(this.offsets.subarray(0, this.size));
    lengths.set(this.lengths.cells.subarray(0, this.size));
    packedIds.set(this.packedIds.subarray(0, this.size));
    this.tags = tags;
    this.offsets = offsets;
    this.lengths.cells = lengths;
    this.packedIds = packedIds;
  }
}

/** A SectionIndex's entries in transferable form. */
export interface SectionIndexPart {
  tagNames: string[];
  tags: Uint8Array;
  offsets: Float64Array;
  /** NumberColumn's cells and the values on its side. */
  lengths: { cells: Cells; big: Array<[number, number]> };
  packedIds: Float64Array;
  otherIds: Array<[number, string]>;
}

/** `<A.B.C>` -> A * 2^43 + B * 2^15 + C when the parts fit, else NaN. */
export function packPid(id: string): number {
  return packPidBytes(Buffer.from(id, 'latin1'), 0, id.length);
}

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
