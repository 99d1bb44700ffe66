/**
 * The refc binaries every dumped heap references, in one sequential pass over the `=proc_heap`
 * sections (and `=literals`) of a plain dump file. Only `ADDR:Yc...` and `ADDR:Ys...` lines are
 * looked at (found with a native search for `Y`); nothing is decoded, nothing per line is kept.
 * Memory: a few typed arrays per process and per `=binary`, plus 4 bytes per distinct
 * (process, binary) pair.
 */
import { fstatSync } from 'node:fs';
import { openData, readData, closeData } from '../dump/data-file.js';
import { InputError } from '../errors.js';
import { dataPath, notSeekableBecause, type Dump } from '../dump/types.js';
import { binaryLookup } from '../dump/binary-table.js';
import { hexValue } from '../dump/bytes.js';
import { MiB } from '../text/units.js';

/** What the scan found, by process row of `dump.processes` and by binary of `dump.binaries`. */
export interface HeapBinaryScan {
  /** 1 when the process has a `=proc_heap` section (it was deep-dumped). */
  heapDumped: Uint8Array;
  /** Distinct refc binaries referenced from the process's dumped heap. */
  binaries: Uint32Array;
  /** `Yc`/`Ys` lines pointing at off-heap binaries (a binary may be referenced several times). */
  references: Uint32Array;
  /** Bytes of the distinct binaries referenced (sizes from `=binary`). */
  reachableBytes: Float64Array;
  /**
   * Bytes as `BinVHeap` counts them for the reachable part: a binary's size once per `Yc` line
   * (each is one ProcBin: a binary received in two messages is two), once for a binary reached
   * only through sub binaries (`Ys`). The stale estimate is vheap minus this.
   */
  accountedBytes: Float64Array;
  /** Of reachableBytes, the binaries no other heap (nor `=literals`) references. */
  exclusiveBytes: Float64Array;
  sharedBytes: Float64Array;
  /**
   * Referenced binaries without a `=binary` section (a cut dump). Those referenced by a `Yc` line
   * count in the sums above with the size that line gives (the ProcBin's, what BinVHeap counts).
   */
  unknownBinaries: Uint32Array;
  /** Of unknownBinaries, those referenced only by `Ys` lines (sub binaries): their size is not known. */
  unsizedBinaries: Uint32Array;
  /** Per binary of `dump.binaries`: how many process heaps reference it. */
  holdersPerBinary: Uint32Array;
  /** Per binary of `dump.binaries`: 1 when `=literals` references it. */
  literal: Uint8Array;
  /** Bytes of `=binary` sections referenced by at least one process heap. */
  heldByProcessesBytes: number;
  /** Bytes of `=binary` sections referenced only from `=literals`. */
  literalOnlyBytes: number;
  /** Bytes of `=binary` sections nobody's dumped heap references. */
  unreferencedBytes: number;
  heapSections: number;
  heapBytesScanned: number;
  /** `=proc_heap` sections whose pid has no `=proc` record (ignored). */
  orphanHeapSections: number;
}

export interface HeapScanOptions {
  /** Read window in bytes (default 8 MiB); tests use tiny ones to cross every boundary. */
  windowBytes?: number;
  onProgress?: (bytesDone: number, bytesTotal: number) => void;
}

/**
 * Scans every `=proc_heap` section of the dump (and `=literals`) for refc-binary references.
 * Needs a dump whose offsets can be re-read (a plain file, or a spooled compressed dump or stdin);
 * anything else is an InputError.
 */
export function scanHeapBinaries(dump: Dump, opts: HeapScanOptions = {}): HeapBinaryScan {
  if (!dump.source.seekable) {
    throw new InputError(`${dump.source.path}: binary references are read back from the process heaps by offset, which needs ${notSeekableBecause(dump.source)}`, dump.source.path);
  }
  const p = dump.processes;
  const n = p.count;
  const bins = dump.binaries;
  // By packed pid (packPid): a string per process and per section, then a Map of a float per
  // process, were most of this pass's time and memory on a dump of 3,000,000 processes; the few
  // pids a float cannot hold are kept as text.
  // The deep dump writes the heaps in process-table order, so the next row is tried first (a pid
  // twice in the table: the row at the heap's place); the table of all rows (random access into
  // tens of MB) is made only when that misses.
  let finder: ((packed: number) => number) | undefined;
  let nextRow = 0;
  const rowOfPacked = (packed: number): number => {
    if (nextRow < n && p.pid.packedAt(nextRow) === packed) return nextRow++;
    finder ??= p.pid.rowFinder();
    const row = finder(packed);
    if (row >= 0) nextRow = row + 1;
    return row;
  };
  const otherRowOf = new Map<string, number>();
  for (const [row, id] of p.pid.other) if (row < n && Number.isNaN(p.pid.packedAt(row))) otherRowOf.set(id, row);

  // address -> binary number; addresses without a =binary section get numbers after the known ones
  const lookup = binaryLookup(bins).useColumns();
  const extraOf = new Map<number, number>();
  const binOf = (address: number): number | undefined => {
    const row = lookup.rowOf(address);
    return row >= 0 ? row : extraOf.get(address);
  };
  // A binary cut before its size (a truncated dump) counts no bytes.
  const sizeOf = (b: number): number => {
    const s = bins.sizeBytes.at(b);
    return Number.isNaN(s) ? 0 : s;
  };
  const known = bins.address.length;
  let extra = 0;
  let holders = new Uint32Array(known + 16);
  let lastSeen = new Int32Array(known + 16).fill(-1);
  /** Sizes of the binaries without a section, from their `Yc` lines (0: none seen yet). */
  let extraSize = new Float64Array(16);
  const literal = new Uint8Array(known);

  const out: HeapBinaryScan = {
    heapDumped: new Uint8Array(n),
    // Counts in 4 bytes, sums of bytes in 8: 7 arrays of floats were 168 MB for 3,000,000 processes.
    binaries: new Uint32Array(n),
    references: new Uint32Array(n),
    reachableBytes: new Float64Array(n),
    accountedBytes: new Float64Array(n),
    exclusiveBytes: new Float64Array(n),
    sharedBytes: new Float64Array(n),
    unknownBinaries: new Uint32Array(n),
    unsizedBinaries: new Uint32Array(n),
    holdersPerBinary: new Uint32Array(0),
    literal,
    heldByProcessesBytes: 0,
    literalOnlyBytes: 0,
    unreferencedBytes: 0,
    heapSections: 0,
    heapBytesScanned: 0,
    orphanHeapSections: 0,
  };

  // distinct (process row, binary) pairs, grouped by heap section
  let pairs = new Int32Array(1 << 16);
  /** Yc lines per pair, and where each binary's pair of the current section is. */
  let pairYc = new Int32Array(1 << 16);
  let pairAt = new Int32Array(known + 16);
  let pairCount = 0;

  // The heap sections are scanned in file order straight from the section index; what is kept of
  // each, in typed arrays, is its process row and where its pairs start (an object each was 150 MB
  // for 3,000,000; their offsets and lengths copied out, 48 MB).
  let heapSections = 0;
  let total = 0;
  dump.index.each('proc_heap', (_i, _packed, _offset, length) => {
    heapSections++;
    total += length;
  });
  const heapRow = new Int32Array(heapSections);
  /** Where each heap section's pairs start in `pairs`. */
  const sectionStart = new Int32Array(heapSections + 1);
  let heapCount = 0;
  let literals: { offset: number; length: number } | undefined;
  dump.index.each('literals', (_i, _packed, offset, length) => {
    if (literals) return;
    literals = { offset, length };
    total += length;
  });

  const reader = new WindowReader(dataPath(dump.source), opts.windowBytes ?? 8 * MiB);
  try {
    let done = 0;
    let nextProgress = 64 * MiB;
    // The section being scanned (its number and process row): one visitor for all of them, not a
    // closure per section.
    let s = -1;
    let row = -1;
    // A heap refers to its binaries mostly in the dump's order of them (a mailbox of 3,000,000
    // messages, each with its binary): the binary after the last one found is tried inline first.
    const addresses = bins.address;
    let nextBin = 0;
    const visit = (address: number, kind: 'c' | 's', size: number): void => {
      let b: number | undefined;
      if (nextBin < known && addresses[nextBin] === address) b = nextBin++;
      else {
        b = binOf(address);
        if (b !== undefined && b < known) nextBin = b + 1;
      }
      if (b === undefined) {
        if (kind === 's') return; // a sub binary of a heap object of this process
        b = known + extra++;
        extraOf.set(address, b);
        if (b >= holders.length) {
          const h2 = new Uint32Array(holders.length * 2);
          h2.set(holders);
          holders = h2;
          const l2 = new Int32Array(lastSeen.length * 2).fill(-1);
          l2.set(lastSeen);
          lastSeen = l2;
          const a2 = new Int32Array(pairAt.length * 2);
          a2.set(pairAt);
          pairAt = a2;
        }
      }
      if (b >= known && kind === 'c') {
        const e = b - known;
        if (e >= extraSize.length) {
          const s2 = new Float64Array(Math.max(extraSize.length * 2, e + 1));
          s2.set(extraSize);
          extraSize = s2;
        }
        if (size > extraSize[e]) extraSize[e] = size;
      }
      out.references[row]++;
      if (lastSeen[b] === s) {
        if (kind === 'c') pairYc[pairAt[b]]++;
        return;
      }
      lastSeen[b] = s;
      holders[b]++;
      if (pairCount === pairs.length) {
        const p2 = new Int32Array(pairs.length * 2);
        p2.set(pairs);
        pairs = p2;
        const y2 = new Int32Array(pairYc.length * 2);
        y2.set(pairYc);
        pairYc = y2;
      }
      pairAt[b] = pairCount;
      pairYc[pairCount] = kind === 'c' ? 1 : 0;
      pairs[pairCount++] = b;
    };
    dump.index.each('proc_heap', (i, packed, offset, length) => {
      done += length;
      row = Number.isNaN(packed) ? otherRowOf.get(dump.index.at(i).id) ?? -1 : rowOfPacked(packed);
      if (row < 0) {
        out.orphanHeapSections++;
        return;
      }
      const k = heapCount++;
      s = k;
      heapRow[k] = row;
      out.heapDumped[row] = 1;
      out.heapSections++;
      sectionStart[k] = pairCount;
      reader.scan(offset, length, visit);
      if (opts.onProgress && done >= nextProgress) {
        nextProgress = done + (64 * MiB);
        opts.onProgress(done, total);
      }
    });
    if (literals) {
      reader.scan(literals.offset, literals.length, (address) => {
        const b = binOf(address);
        if (b !== undefined && b < known) literal[b] = 1;
      });
    }
    out.heapBytesScanned = total;
  } finally {
    reader.close();
  }

  // per process sums
  sectionStart[heapCount] = pairCount;
  for (let k = 0; k < heapCount; k++) {
    const row = heapRow[k];
    const end = sectionStart[k + 1];
    let reach = 0;
    let acc = 0;
    let excl = 0;
    let unknown = 0;
    let unsized = 0;
    for (let j = sectionStart[k]; j < end; j++) {
      const b = pairs[j];
      if (b >= known) unknown++;
      const size = b < known ? sizeOf(b) : b - known < extraSize.length ? extraSize[b - known] : 0;
      if (b >= known && !(size > 0)) {
        unsized++;
        continue;
      }
      reach += size;
      acc += size * Math.max(1, pairYc[j]);
      if (holders[b] === 1 && (b >= known || literal[b] === 0)) excl += size;
    }
    out.binaries[row] += end - sectionStart[k];
    out.reachableBytes[row] += reach;
    out.accountedBytes[row] += acc;
    out.exclusiveBytes[row] += excl;
    out.sharedBytes[row] += reach - excl;
    out.unknownBinaries[row] += unknown;
    out.unsizedBinaries[row] += unsized;
  }
  out.holdersPerBinary = holders.subarray(0, known);
  for (let b = 0; b < known; b++) {
    const size = sizeOf(b);
    if (holders[b] > 0) out.heldByProcessesBytes += size;
    else if (literal[b]) out.literalOnlyBytes += size;
    else out.unreferencedBytes += size;
  }
  return out;
}

/**
 * Positional reads through a window that slides forward: heap sections lie in file order a few
 * bytes apart, so most of them are served from the window already read.
 */
class WindowReader {
  private readonly fd: number;
  private readonly buf: Buffer;
  private readonly fileSize: number;
  private start = 0;
  private len = 0;

  constructor(path: string, size: number) {
    try {
      this.fd = openData(path);
    } catch (e) {
      throw new InputError(`${path}: cannot read: ${(e as Error).message}`, path);
    }
    this.fileSize = fstatSync(this.fd).size;
    this.buf = Buffer.allocUnsafe(Math.max(64, size));
  }

  close(): void {
    closeData(this.fd);
  }

  private fill(pos: number): void {
    const want = Math.min(this.buf.length, Math.max(0, this.fileSize - pos));
    let got = 0;
    while (got < want) {
      const r = readData(this.fd, this.buf, got, want - got, pos + got);
      if (r <= 0) break;
      got += r;
    }
    this.start = pos;
    this.len = got;
  }

  /**
   * Calls visit(address, 'c' | 's', size) for every `ADDR:Yc<addr>:OFFSET:SIZE` /
   * `ADDR:Ys<addr>:...` line of the byte range [offset, offset + length) (size: a `Yc` line's, -1
   * for `Ys` or none). Each window is cut after its last complete line,
   * then searched natively for `:Yc` and for `:Ys` (heap binaries, `:Yh`, never cost a JS step).
   */
  scan(offset: number, length: number, visit: (address: number, kind: 'c' | 's', size: number) => void): void {
    const end = Math.min(offset + length, this.fileSize);
    let pos = offset;
    while (pos < end) {
      if (pos < this.start || pos >= this.start + this.len || (this.start + this.len < end && this.start + this.len - pos < 4096)) this.fill(pos);
      if (this.len === 0) return;
      const base = pos - this.start;
      let stop = Math.min(end, this.start + this.len) - this.start;
      if (this.start + this.len < end) {
        // the range goes on past this window: stop after the last complete line
        const nl = this.buf.lastIndexOf(0x0a, stop - 1);
        if (nl < base) {
          // one line longer than the window (a huge term): skip it
          let p = this.start + stop;
          for (;;) {
            this.fill(p);
            if (this.len === 0) return;
            const k = this.buf.indexOf(0x0a);
            if (k >= 0 && k < this.len) {
              pos = p + k + 1;
              break;
            }
            p += this.len;
            if (p >= end) return;
          }
          continue;
        }
        stop = nl + 1;
      }
      this.find(this.buf.subarray(0, stop), base, stop, visit);
      pos = this.start + stop;
    }
  }

  /**
   * One native search for `Y`, then a look at the byte before it, rather than for `:Y` (Node's
   * search for two bytes is half as fast as for one: the scan of the 837 MB bench dump took 0.48
   * s, now 0.26 s; `leak` 1.28 -> 1.02 s) or for `:Yc` and `:Ys`: a single pass over the window,
   * at the cost of a JS step per heap binary (`:Yh`) and per "Y" in other text.
   */
  private find(view: Buffer, base: number, stop: number, visit: (address: number, kind: 'c' | 's', size: number) => void): void {
    let i = base + 1;
    for (;;) {
      const y = view.indexOf(0x59, i);
      if (y < 0) return;
      i = y + 1;
      if (view[y - 1] !== 0x3a) continue;
      const hit = y - 1;
      i = hit + 2;
      const type = view[hit + 2];
      if (type !== 0x63 /* c */ && type !== 0x73 /* s */) continue;
      const kind = type === 0x63 ? 'c' : 's';
      // the hit must follow a line start and hex digits only (a heap address)
      let ls = hit - 1;
      while (ls >= base && hexValue(view[ls]) >= 0) ls--;
      if (ls === hit - 1 || (ls >= base && view[ls] !== 0x0a)) continue;
      let j = hit + 3;
      let v = 0;
      let d: number;
      while (j < stop && (d = hexValue(view[j])) >= 0) {
        v = v * 16 + d;
        j++;
      }
      if (j < stop && view[j] === 0x3a && j > hit + 3) {
        if (j - (hit + 3) > 13) v = Number.parseInt(view.toString('latin1', hit + 3, j), 16);
        // `Yc`: the ProcBin's size after its offset, for a binary the dump has no section of.
        let size = -1;
        if (kind === 'c') {
          let q = j + 1;
          while (q < stop && hexValue(view[q]) >= 0) q++;
          if (q < stop && view[q] === 0x3a) {
            size = 0;
            let r = q + 1;
            for (; r < stop && (d = hexValue(view[r])) >= 0 && r - q <= 13; r++) size = size * 16 + d;
            if (r === q + 1) size = -1;
            else j = r;
          }
        }
        visit(v, kind, size);
      }
      i = j;
    }
  }
}
