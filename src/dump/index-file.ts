/**
 * The saved index: what one full read of a plain dump file built (section offsets, the process
 * table's columns, the binaries, the parsed small sections), written once so that later commands
 * on the same dump skip the scan. edump keeps a `.eidx` beside a dump the same way;
 * crashdump_viewer rescans every time.
 *
 * It is kept beside the dump (`DUMP.bsidx`) when that directory is writable, else in the user
 * cache directory (`$XDG_CACHE_HOME/beamscope`, by default `~/.cache/beamscope`), under a hash of the
 * dump's real path; `BEAMSCOPE_INDEX_DIR` names one directory for all of them instead. It is used only when it is for this very file: same size, same modification
 * time, same CRC-32 of the first and last 64 KiB, and its own CRC-32s intact. Anything else (stale,
 * another dump's, cut, corrupt, another format version) is ignored and rebuilt: never trusted.
 *
 * Layout: MAGIC, then four little-endian uint32 (format version, JSON length, CRC-32 of the
 * JSON, 0), the JSON description, and the typed arrays it lists with the CRC-32 of each, each
 * at an offset that is a multiple of 8. The process table's arrays are read when the index is
 * loaded, the section index's and the binaries' when first used (loadFrom says why).
 */
import { closeSync, fstatSync, openSync, readSync, rmSync, statSync } from 'node:fs';
import { crc32 } from 'node:zlib';
import { readRowsFrom, type BinaryRowSource } from './binary-table.js';
import { NumberColumn, topOfWidth } from './columns.js';
import { indexPaths, keyOf, parseSaved, replace, sameKey, writeWhole, type DumpKey } from './dump-key.js';
import { NUMERIC_COLUMNS, PidColumn, tableFromColumns, tableToPart, TEXT_COLUMNS, type Cells, type NumericColumn, type TextColumnName } from './process-table.js';
import { pointsConsistent, type GzipPoints } from './gzip-seek.js';
import { SectionIndex } from './section-index.js';
import type { Dump, ProcessTable } from './types.js';

export { indexPaths } from './dump-key.js';

const MAGIC = Buffer.from('beamscope index\n');
/** Bump when the model or this layout changes: an index of another version is rebuilt. */
export const INDEX_FORMAT_VERSION = 11;
const HEADER_BYTES = MAGIC.length + 16;

type ArrayKind = 'f64' | 'u8' | 'u16' | 'u32';
interface BlobRef {
  name: string;
  kind: ArrayKind;
  /** From the start of the file; a multiple of 8. */
  offset: number;
  length: number;
  /** crc32() of the array's bytes. */
  sum: number;
}

interface Description {
  key: DumpKey;
  /** The model's other fields; `ets` is the blob `fields.ets`, parsed when first used (loadOpen). */
  fields: Omit<Dump, 'index' | 'processes' | 'binaries' | 'source' | 'ets'> & { source: Omit<Dump['source'], 'path'> };
  processes: {
    count: number; otherPids: Array<[number, string]>; bigPids: Array<[number, number]>; values: string[]; textColumns: string[];
    /** Per numeric column, the values that do not fit its cells (NumberColumn). */
    big: Record<string, Array<[number, number]>>;
  };
  /**
   * lengthsBig: the body lengths that do not fit their cells (NumberColumn); offsetRuns and bigIds:
   * the offsets' 4 GiB runs and the pids not in 32 bits (SectionIndexPart).
   */
  index: {
    tagNames: string[]; otherIds: Array<[number, string]>; lengthsBig: Array<[number, number]>;
    offsetRuns: Array<[number, number]>; bigIds: Array<[number, number]>;
  };
  /** sizeBig: the binary sizes that do not fit their cells (NumberColumn). */
  binaries: { count: number; totalBytes: number; sizeBig: Array<[number, number]> };
  /** A gzip dump's: its decompressed size; its restart points are the `gz.` blobs (gzip-seek.ts). */
  gzip?: { totalBytes: number };
  blobs: BlobRef[];
}

/**
 * The dump model from a saved index of the dump open as `fd`, or undefined when there is none
 * that is this file's. Never throws: a bad index is the same as none.
 */
export function loadIndex(dumpPath: string, fd: number): { dump: Dump; from: string; gzip?: GzipPoints } | undefined {
  let key: DumpKey;
  try {
    key = keyOf(fd);
  } catch {
    return undefined;
  }
  const { beside, cache } = indexPaths(dumpPath);
  for (const file of [beside, cache]) {
    try {
      const made = loadFrom(file, key, dumpPath);
      if (made) return { ...made, from: file };
    } catch {
      // Corrupt in a way the checks below did not name: rebuilt like any other bad index.
    }
  }
  return undefined;
}

/**
 * The valid saved index of the dump file at `path`, if any, without reading the dump (`index` says
 * it is up to date so, where a compressed dump's model would first be decompressed whole).
 */
export function savedIndexOf(path: string): { dump: Dump; from: string } | undefined {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return undefined;
  }
  try {
    return loadIndex(path, fd);
  } finally {
    closeSync(fd);
  }
}

type Blob = Float64Array | Uint8Array | Uint16Array | Uint32Array;

const WIDTH: Record<ArrayKind, number> = { f64: 8, u32: 4, u16: 2, u8: 1 };
/** The buffer every array is read and checked through, a piece at a time. */
const CHECK_BYTES = 1 << 20;
/**
 * Closes the file of a lazily read index once nothing can read from it any more: its OpenIndex is
 * held by every reader of its arrays (the section index, the process columns, the binaries), which
 * may outlive the dump object itself (a caller that keeps `dump.index`). Closed while one of them
 * still read, the descriptor's number could be another file's by then.
 */
const openIndexes = new FinalizationRegistry<number>((fd) => {
  try {
    closeSync(fd);
  } catch {
    // closed already
  }
});

/** An index file held open for the arrays read from it later (see openIndexes). */
interface OpenIndex {
  readonly fd: number;
  readonly file: string;
}

function readExactly(fd: number, into: Uint8Array, pos: number): boolean {
  let got = 0;
  while (got < into.length) {
    const n = readSync(fd, into, got, into.length - got, pos + got);
    if (n <= 0) return false;
    got += n;
  }
  return true;
}

let piece: Buffer | undefined;

/**
 * A blob's bytes in an ArrayBuffer of their own (so aligned), as the typed array it is, or
 * undefined when they cannot be read or their CRC-32 is not the one written. Read through one small
 * buffer and copied: the CRC-32 is taken while the bytes are still in the cache, not from memory
 * touched for the first time (the 264 MB index of class c: 1.55 -> 1.18 s).
 */
function readBlob(fd: number, b: BlobRef): Blob | undefined {
  const bytes = new Uint8Array(new ArrayBuffer(b.length * WIDTH[b.kind]));
  if (!checkBlob(fd, b, bytes)) return undefined;
  const ab = bytes.buffer;
  return b.kind === 'f64' ? new Float64Array(ab) : b.kind === 'u32' ? new Uint32Array(ab) : b.kind === 'u16' ? new Uint16Array(ab) : bytes;
}

function indexChanged(file: string): Error {
  return new Error(`the saved index ${file} changed while it was in use; run the command again (or with --no-cache)`);
}

/**
 * One cell of a blob of 1-, 2- or 4-byte cells, read from the file: the whole blob's CRC-32 was
 * checked when the index was opened, and the file is held open since (a new index replaces it by
 * a rename, so these are the bytes checked).
 */
function cellReader(open: OpenIndex, b: BlobRef): (row: number) => number {
  const width = WIDTH[b.kind];
  const cell = Buffer.alloc(4);
  return (row) => {
    if (!(row >= 0 && row < b.length) || !readExactly(open.fd, cell.subarray(0, width), b.offset + row * width)) {
      throw indexChanged(open.file);
    }
    return width === 1 ? cell[0] : width === 2 ? cell.readUInt16LE(0) : cell.readUInt32LE(0);
  };
}

/**
 * The tags and ids of the section index, KEY_CHUNK rows at a time into the same two arrays: a
 * pass through them for a few pids (SectionIndex.prepare) reads the file, not 45 MB of fresh
 * memory (class c). Like cellReader's, these are the bytes checked at load.
 */
function keyChunks(open: OpenIndex, tags: BlobRef, ids: BlobRef, visit: (tags: Uint8Array, ids: Uint32Array, first: number) => void): void {
  const t = new Uint8Array(KEY_CHUNK);
  const i = new Uint32Array(KEY_CHUNK);
  const iBytes = new Uint8Array(i.buffer);
  for (let first = 0; first < tags.length; first += KEY_CHUNK) {
    const n = Math.min(KEY_CHUNK, tags.length - first);
    if (!readExactly(open.fd, t.subarray(0, n), tags.offset + first) || !readExactly(open.fd, iBytes.subarray(0, n * 4), ids.offset + first * 4)) {
      throw indexChanged(open.file);
    }
    visit(t.subarray(0, n), i.subarray(0, n), first);
  }
}
const KEY_CHUNK = 1 << 16;

/**
 * Whether a blob's bytes can be read and have the CRC-32 written for them, read through one small
 * buffer; copied into `into` (the blob's length) when given.
 */
function checkBlob(fd: number, b: BlobRef, into?: Uint8Array): boolean {
  const bytes = b.length * WIDTH[b.kind];
  const buf = (piece ??= Buffer.allocUnsafeSlow(CHECK_BYTES));
  let sum = 0;
  for (let done = 0; done < bytes; ) {
    const part = buf.subarray(0, Math.min(CHECK_BYTES, bytes - done));
    if (!readExactly(fd, part, b.offset + done)) return false;
    sum = crc32(part, sum);
    into?.set(part, done);
    done += part.length;
  }
  return sum === b.sum;
}

/**
 * The model from one index file. Every byte of the file is checked before anything is used, as
 * ever: the header, the JSON and its CRC-32, the zeros between the arrays, nothing after the last,
 * each array's CRC-32. The pids, which every command reads, are read into memory here; every other
 * array is checked by a pass through one small buffer and read into memory only when first used
 * (and checked again then; the section index may be read in pieces and cells instead:
 * SectionIndex.fromSource), so that a command pays only for what it uses (triage on 3 million refc
 * binaries needs no binary; triage on 3 million processes 11 of the 23 process columns, and the
 * places of a few hundred sections): on this kind of host, memory touched for the first time costs
 * more than reading the file.
 */
function loadFrom(file: string, key: DumpKey, dumpPath: string): Loaded | undefined {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return undefined;
  }
  let lazy = false;
  try {
    const open: OpenIndex = { fd, file };
    const made = loadOpen(open, key, dumpPath);
    lazy = made !== undefined;
    if (made) openIndexes.register(open, fd);
    return made;
  } finally {
    if (!lazy) closeSync(fd);
  }
}

interface Loaded {
  dump: Dump;
  gzip?: GzipPoints;
}

/** A gzip dump's restart points from the `gz.` blobs (read at load), if they hold together. */
function gzipPoints(totalBytes: number, blobs: Map<string, Blob>, compressedBytes: number): GzipPoints | undefined {
  const [inByte, outByte, check, windows, windowStart] = ['gz.in', 'gz.out', 'gz.check', 'gz.windows', 'gz.windowStart'].map((name) => blobs.get(name));
  if (!(inByte instanceof Float64Array && outByte instanceof Float64Array && check instanceof Uint32Array && windows instanceof Uint8Array && windowStart instanceof Float64Array)) return undefined;
  const points = { totalBytes, inByte, outByte, check, windows, windowStart };
  return pointsConsistent(points, compressedBytes) ? points : undefined;
}

function loadOpen(open: OpenIndex, key: DumpKey, dumpPath: string): Loaded | undefined {
  const { fd } = open;
  const size = fstatSync(fd).size;
  if (size < HEADER_BYTES || size > 2 ** 40) return undefined;
  const head = Buffer.alloc(HEADER_BYTES);
  if (!readExactly(fd, head, 0) || !head.subarray(0, MAGIC.length).equals(MAGIC)) return undefined;
  const version = head.readUInt32LE(MAGIC.length);
  const jsonBytes = head.readUInt32LE(MAGIC.length + 4);
  const crc = head.readUInt32LE(MAGIC.length + 8);
  if (version !== INDEX_FORMAT_VERSION || head.readUInt32LE(MAGIC.length + 12) !== 0 || HEADER_BYTES + jsonBytes > size) return undefined;
  const json = Buffer.alloc(jsonBytes);
  if (!readExactly(fd, json, HEADER_BYTES) || crc32(json) !== crc) return undefined;
  const d = parseSaved(json.toString('utf8')) as Description;
  if (!sameKey(d.key, key) || !Array.isArray(d.blobs)) return undefined;

  // The layout: arrays in file order, aligned, apart, the last one ending the file.
  const order = [...d.blobs].sort((x, y) => x.offset - y.offset);
  const byName = new Map<string, BlobRef>();
  let end = HEADER_BYTES + jsonBytes;
  for (const b of order) {
    if (!(b.kind in WIDTH) || !Number.isInteger(b.offset) || !Number.isInteger(b.length) || b.length < 0 || b.offset % 8 !== 0 || b.offset < end) return undefined;
    if (b.offset - end >= 8 || byName.has(b.name)) return undefined;
    byName.set(b.name, b);
    end = b.offset + b.length * WIDTH[b.kind];
  }
  if (end !== size) return undefined;
  // The pids, which every command reads; a gzip dump's restart points, which every read of it needs.
  const eager = (b: BlobRef) => b.name === 'proc.pid' || b.name.startsWith('gz.');
  // One pass over the file after the JSON: the arrays read now are read whole and checked; the
  // others and the padding go through one buffer.
  const blobs = new Map<string, Blob>();
  const buf = (piece ??= Buffer.allocUnsafeSlow(CHECK_BYTES));
  let at = HEADER_BYTES + jsonBytes;
  for (const b of order) {
    if (b.offset > at) {
      const pad = buf.subarray(0, b.offset - at);
      if (!readExactly(fd, pad, at) || pad.some((x) => x !== 0)) return undefined;
    }
    if (eager(b)) {
      const a = readBlob(fd, b);
      if (!a) return undefined;
      blobs.set(b.name, a);
    } else if (!checkBlob(fd, b)) return undefined;
    at = b.offset + b.length * WIDTH[b.kind];
  }
  /** A lazily read array, checked again as it is read (the file is held open, so it is the one checked above). */
  const later: Later = (name, kind, n, check) => {
    const b = byName.get(name);
    if (!b || b.kind !== kind || b.length !== n) return undefined;
    return () => {
      const a = readBlob(open.fd, b);
      if (!a || (check && !check(a))) throw indexChanged(open.file);
      return a;
    };
  };
  const cellsKind = (name: string): ArrayKind | undefined => {
    const k = byName.get(name)?.kind;
    return k === 'u8' || k === 'u16' || k === 'u32' ? k : undefined;
  };

  const processes = processTable(d.processes, blobs, later, cellsKind);
  if (!processes) return undefined;

  const entries = byName.get('index.tags')?.length ?? -1;
  const tagCount = d.index.tagNames.length;
  const tags = later('index.tags', 'u8', entries, (a) => {
    for (let k = 0; k < a.length; k++) if (a[k] >= tagCount && a[k] !== 255) return false;
    return true;
  });
  const lengthsKind = cellsKind('index.lengths');
  const lengths = lengthsKind && later('index.lengths', lengthsKind, entries);
  const offsetLows = later('index.offsetLows', 'u32', entries);
  const ids = later('index.ids', 'u32', entries);
  if (!tags || !lengths || !offsetLows || !ids) return undefined;
  const isHigh = (high: unknown) => Number.isInteger(high) && (high as number) >= 0 && (high as number) < 2 ** 21;
  // A run may start at the row past the last (a part read with no section).
  if (!rowPairs(d.index.offsetRuns, entries + 1, isHigh) || d.index.offsetRuns.length === 0 || d.index.offsetRuns[0][0] !== 0) return undefined;
  if (!d.index.offsetRuns.every(([start], k, runs) => k === 0 || runs[k - 1][0] < start)) return undefined;
  if (!rowPairs(d.index.bigIds, entries, (packed) => typeof packed === 'number' && Number.isFinite(packed))) return undefined;
  if (!rowPairs(d.index.lengthsBig, entries, isNumber) || !rowPairs(d.index.otherIds, entries, isString)) return undefined;
  const tagsRef = byName.get('index.tags')!;
  const idsRef = byName.get('index.ids')!;
  const cellOf = {
    tags: cellReader(open, tagsRef), ids: cellReader(open, idsRef),
    offsetLows: cellReader(open, byName.get('index.offsetLows')!), lengths: cellReader(open, byName.get('index.lengths')!),
  };
  const index = SectionIndex.fromSource({
    entries, tagNames: d.index.tagNames, offsetRuns: d.index.offsetRuns, lengthsBig: d.index.lengthsBig, bigIds: d.index.bigIds,
    otherIds: d.index.otherIds, tags: () => tags() as Uint8Array, ids: () => ids() as Uint32Array,
    offsetLows: () => offsetLows() as Uint32Array, lengthCells: () => lengths() as Cells,
    lengthsTop: topOfWidth(WIDTH[lengthsKind]),
    cell: (column, row) => cellOf[column](row),
    keyChunks: (visit) => keyChunks(open, tagsRef, idsRef, visit),
  });

  const bins = d.binaries.count;
  const sizeBig = d.binaries.sizeBig;
  const sizeKind = cellsKind('bin.sizeBytes');
  const sizeCells = sizeKind && later('bin.sizeBytes', sizeKind, bins);
  const address = later('bin.address', 'f64', bins);
  const cps = byName.get('bin.cpRow')?.length ?? -1;
  const cpRow = later('bin.cpRow', 'f64', cps);
  const cpOffset = later('bin.cpOffset', 'f64', cps);
  if (!sizeCells || !address || !cpRow || !cpOffset || !rowPairs(sizeBig, bins, isNumber)) return undefined;
  const etsJson = later('fields.ets', 'u8', byName.get('fields.ets')?.length ?? -1);
  if (!etsJson) return undefined;
  // The ETS tables are parsed when first used: the JSON of 50,000 tables is 12 MB, whose parse and
  // garbage were half of `procs` from the saved index (0.47 s), and only triage, report, serve's
  // table page and diff look at them.
  let ets: Dump['ets'] | undefined;
  const loadEts = (): Dump['ets'] => {
    const json = etsJson() as Uint8Array;
    const parsed = parseSaved(Buffer.from(json.buffer, json.byteOffset, json.length).toString('utf8'));
    if (!Array.isArray(parsed)) throw indexChanged(open.file);
    return parsed as Dump['ets'];
  };
  const gzip = d.gzip ? gzipPoints(d.gzip.totalBytes, blobs, key.bytes) : undefined;
  // Saved restart points that do not hold together: rebuilt. (A compressed dump without them is
  // decompressed whole before its sections are read: reader.ts, wholeSpool.)
  if (d.gzip && !gzip) return undefined;
  if (d.fields.source.gzip && d.fields.source.compression !== 'gzip') return undefined;
  const dump: Dump = {
    ...d.fields,
    source: { ...d.fields.source, path: dumpPath, fromIndex: true },
    processes,
    index,
    binaries: lazyBinaries(bins, d.binaries.totalBytes, {
      address: () => address() as Float64Array,
      sizeBytes: () => new NumberColumn(sizeCells() as Cells, new Map(sizeBig)),
      checkpoints: () => ({ row: cpRow() as Float64Array, bodyOffset: cpOffset() as Float64Array }),
    }, binaryRows(open, bins, byName.get('bin.address')!, byName.get('bin.sizeBytes')!, sizeBig)),
    get ets() {
      return (ets ??= loadEts());
    },
    set ets(value) {
      ets = value;
    },
  };
  return { dump, gzip };
}

/** Whether `a` is [row, value] pairs of the description: rows whole numbers below `rows`, values as `valid` says. */
function rowPairs(a: unknown, rows: number, valid: (v: unknown) => boolean): boolean {
  return Array.isArray(a) && a.every((e) => Array.isArray(e) && e.length === 2 && Number.isInteger(e[0]) && e[0] >= 0 && e[0] < rows && valid(e[1]));
}
const isNumber = (v: unknown) => typeof v === 'number';
const isString = (v: unknown) => typeof v === 'string';

type Later = (name: string, kind: ArrayKind, n: number, check?: (a: Blob) => boolean) => (() => Blob) | undefined;

/**
 * The process table: its pids as read at load, every other column read when first used
 * (tableFromColumns), each checked against the description now and its contents when read.
 */
function processTable(p: Description['processes'], blobs: Map<string, Blob>, later: Later, cellsKind: (name: string) => ArrayKind | undefined): ProcessTable | undefined {
  const n = p.count;
  const cells = blobs.get('proc.pid');
  if (!(cells instanceof Uint32Array) || cells.length !== n || !Array.isArray(p.values)) return undefined;
  if (!rowPairs(p.otherPids, n, isString) || !rowPairs(p.bigPids, n, isNumber)) return undefined;
  const memoryDerived = later('proc.memoryDerived', 'u8', n);
  if (!memoryDerived || !TEXT_COLUMNS.every((col) => p.textColumns.includes(col))) return undefined;
  const column = (name: string, check?: (a: Blob) => boolean) => {
    const kind = cellsKind(name);
    return kind && later(name, kind, n, check);
  };
  const numeric = new Map<NumericColumn, () => Blob>();
  for (const col of NUMERIC_COLUMNS) {
    const read = column(`proc.num.${col}`);
    if (!read || !rowPairs(p.big?.[col], n, isNumber)) return undefined;
    numeric.set(col, read);
  }
  const limit = p.values.length;
  // An indexed loop: for-of over 7 columns of 3 M codes took 0.15 s (class c).
  const codesInRange = (codes: Blob) => {
    for (let k = 0; k < codes.length; k++) if (codes[k] > limit) return false;
    return true;
  };
  const text = new Map<TextColumnName, () => Blob>();
  for (const col of TEXT_COLUMNS) {
    const read = column(`proc.text.${col}`, codesInRange);
    if (!read) return undefined;
    text.set(col, read);
  }
  return tableFromColumns(n, new PidColumn(cells, new Map(p.bigPids), new Map(p.otherPids)), p.values, {
    numeric: (k) => ({ cells: numeric.get(k)!() as Cells, big: p.big[k] }),
    codes: (k) => text.get(k)!() as Cells,
    memoryDerived: () => memoryDerived() as Uint8Array,
  });
}

/** The binaries' table, each of whose arrays is read on first use (count and total are at hand). */
function lazyBinaries(count: number, totalBytes: number, load: { [K in 'address' | 'sizeBytes' | 'checkpoints']: () => Dump['binaries'][K] },
  rows: BinaryRowSource): Dump['binaries'] {
  let address: Float64Array | undefined;
  let sizeBytes: NumberColumn | undefined;
  let checkpoints: Dump['binaries']['checkpoints'] | undefined;
  const bins: Dump['binaries'] = {
    count, totalBytes,
    get address() {
      return (address ??= load.address());
    },
    get sizeBytes() {
      return (sizeBytes ??= load.sizeBytes());
    },
    get checkpoints() {
      return (checkpoints ??= load.checkpoints());
    },
  };
  readRowsFrom(bins, rows);
  return bins;
}

/**
 * Rows of the binaries' address and size arrays read from the file, a window at a time (see
 * BinaryRowSource). Like cellReader's, these are the bytes checked at load.
 */
function binaryRows(open: OpenIndex, count: number, address: BlobRef, sizes: BlobRef, sizeBig: Array<[number, number]>): BinaryRowSource {
  const width = WIDTH[sizes.kind];
  const top = topOfWidth(width);
  const big = new Map(sizeBig);
  let cells = new Uint8Array(0);
  return {
    count,
    read(first, into, size) {
      const n = into.length;
      if (!(first >= 0 && first + n <= count && (!size || size.length === n))) throw new RangeError(`rows ${first}..${first + n} of ${count} binaries`);
      if (!readExactly(open.fd, new Uint8Array(into.buffer, into.byteOffset, n * 8), address.offset + first * 8)) throw indexChanged(open.file);
      if (!size) return;
      if (cells.length < n * width) cells = new Uint8Array(n * width);
      const cellBytes = cells.subarray(0, n * width);
      if (!readExactly(open.fd, cellBytes, sizes.offset + first * width)) throw indexChanged(open.file);
      const view = width === 1 ? cellBytes : width === 2 ? new Uint16Array(cells.buffer, 0, n) : new Uint32Array(cells.buffer, 0, n);
      for (let k = 0; k < n; k++) {
        const c = view[k];
        size[k] = c === 0 ? NaN : c < top ? c - 1 : (big.get(first + k) ?? NaN);
      }
    },
  };
}

/**
 * Saves what a full read of the dump file `fd` (plain or compressed) built, beside the dump or else in the user
 * cache. Returns where it went, or undefined when neither place could take it (the reason is
 * not the caller's problem: the next command scans again). Written to a temporary file and
 * renamed, so that a reader never sees half an index.
 */
export function saveIndex(dump: Dump, fd: number, gzip?: GzipPoints): string | undefined {
  if (!dump.source.seekable || dump.source.read === 'allocators') return undefined;
  // Restart points are a gzip file's; a compressed dump without them (zstd, xz, gzip of several
  // members) is decompressed whole again before its index is used, but not scanned. A spool that is
  // not a compressed file's (standard input) has no file to key an index to.
  if (gzip ? dump.source.compression !== 'gzip' : dump.source.spool && !dump.source.compression) return undefined;
  let bytes: Buffer[];
  try {
    bytes = encode(dump, keyOf(fd), gzip);
  } catch {
    return undefined;
  }
  const { beside, cache } = indexPaths(dump.source.path);
  return [beside, cache].find((file) => writeWhole(file, bytes));
}

/** The index file's parts, in order. */
function encode(dump: Dump, key: DumpKey, gzip?: GzipPoints): Buffer[] {
  const { index, processes, binaries, ets, source: { path: _path, spool: _spool, ...source }, ...fields } = dump;
  // Views of the model's arrays, not copies: written out as they are.
  const rows = tableToPart(processes, false);
  const ix = index.toPart(false);
  const arrays: Array<[string, Float64Array | Cells]> = [
    ['proc.memoryDerived', rows.memoryDerived],
    ...Object.entries(rows.numeric).map(([k, a]) => [`proc.num.${k}`, a.cells] as [string, Cells]),
    ['proc.pid', rows.pid.cells],
    ...Object.entries(rows.codes).map(([k, c]) => [`proc.text.${k}`, c] as [string, Cells]),
    ['index.tags', ix.tags], ['index.offsetLows', ix.offsetLows], ['index.lengths', ix.lengths.cells], ['index.ids', ix.ids],
    ['bin.address', binaries.address], ['bin.sizeBytes', binaries.sizeBytes.cells],
    ['bin.cpRow', binaries.checkpoints.row], ['bin.cpOffset', binaries.checkpoints.bodyOffset],
    ['fields.ets', Buffer.from(JSON.stringify(ets, replace))],
    ...(gzip ? [['gz.in', gzip.inByte], ['gz.out', gzip.outByte], ['gz.check', gzip.check], ['gz.windows', gzip.windows], ['gz.windowStart', gzip.windowStart]] as Array<[string, Float64Array | Cells]> : []),
  ];
  const description = (blobs: BlobRef[]): Description => ({
    key,
    fields: { ...fields, source: { ...source, fromIndex: undefined } },
    processes: {
      count: rows.count, otherPids: rows.pid.other, bigPids: rows.pid.big, values: rows.values, textColumns: Object.keys(rows.codes),
      big: Object.fromEntries(Object.entries(rows.numeric).map(([k, a]) => [k, a.big])),
    },
    index: { tagNames: ix.tagNames, otherIds: ix.otherIds, lengthsBig: ix.lengths.big, offsetRuns: ix.offsetRuns, bigIds: ix.bigIds },
    binaries: { count: binaries.count, totalBytes: binaries.totalBytes, sizeBig: binaries.sizeBytes.bigEntries(binaries.count) },
    ...(gzip ? { gzip: { totalBytes: gzip.totalBytes } } : {}),
    blobs,
  });
  // The JSON holds the blobs' offsets, which follow the JSON: lay out with a guess of its length,
  // and once more if the offsets' own digits moved it.
  const sums = arrays.map(([, a]) => crc32(a));
  let blobs: BlobRef[] = [];
  let json = Buffer.from(JSON.stringify(description(blobs), replace));
  for (let tries = 0; tries < 4; tries++) {
    let at = align8(HEADER_BYTES + json.length);
    blobs = arrays.map(([name, a], k) => {
      const kind = a instanceof Float64Array ? 'f64' : a instanceof Uint32Array ? 'u32' : a instanceof Uint16Array ? 'u16' : 'u8';
      const ref: BlobRef = { name, kind, offset: at, length: a.length, sum: sums[k] };
      at = align8(at + a.byteLength);
      return ref;
    });
    const next = Buffer.from(JSON.stringify(description(blobs), replace));
    if (next.length === json.length) {
      json = next;
      break;
    }
    json = next;
  }
  const parts: Buffer[] = [json];
  let at = HEADER_BYTES + json.length;
  for (let k = 0; k < arrays.length; k++) {
    const pad = blobs[k].offset - at;
    if (pad < 0) throw new Error('index layout');
    if (pad > 0) parts.push(Buffer.alloc(pad));
    const a = arrays[k][1];
    parts.push(Buffer.from(a.buffer, a.byteOffset, a.byteLength));
    at = blobs[k].offset + a.byteLength;
  }
  const head = Buffer.alloc(HEADER_BYTES);
  MAGIC.copy(head);
  head.writeUInt32LE(INDEX_FORMAT_VERSION, MAGIC.length);
  head.writeUInt32LE(json.length, MAGIC.length + 4);
  head.writeUInt32LE(crc32(json), MAGIC.length + 8);
  return [head, ...parts];
}

function align8(n: number): number {
  return Math.ceil(n / 8) * 8;
}


/** Removes the saved indexes of a dump, and the results saved with them (tests, and `index --rebuild`). */
export function removeIndex(dumpPath: string): void {
  const { beside, cache } = indexPaths(dumpPath);
  for (const f of [beside, cache]) {
    rmSync(f, { force: true });
    rmSync(f.replace(/\.bsidx$/, '.bsres'), { force: true });
  }
}

/** True when a file at `path` looks like a saved index (not a dump). */
export function isIndexFile(path: string): boolean {
  try {
    const fd = openSync(path, 'r');
    try {
      const head = Buffer.alloc(MAGIC.length);
      readSync(fd, head, 0, MAGIC.length, 0);
      return head.equals(MAGIC) && statSync(path).size >= HEADER_BYTES;
    } finally {
      closeSync(fd);
    }
  } catch {
    return false;
  }
}

/** The JSON document of `beamscope index --format json` (schemas/index.schema.json). */
export interface IndexResult {
  /** The version of this JSON shape, the same field in every beamscope JSON output (docs/json.md). */
  schemaVersion: 1;
  /** The dump, as given. */
  dump: string;
  /** The saved index file, or null when none was saved. */
  index: string | null;
  status: 'up to date' | 'built' | 'not saved';
  /** Sections indexed (with the =binary sections). */
  sections: number;
  processes: number;
  binaries: number;
  /** How long reading and indexing took. */
  seconds: number;
}
