/**
 * Heap lines for streaming a process: the writer prints a heap in the order stack objects,
 * messages, dictionary, each depth first, so decoding in that order finds nearly every object
 * just ahead of a sequential read. This source reads the heap section forward and keeps the
 * last lines read (128K by default) in a window, which also serves objects referenced again
 * (sharing inside a message or across stack slots). Only when an address is not found ahead does
 * it build the full address index (HeapIndex) and use that from then on, so memory stays at a
 * few megabytes for the common case and correctness never depends on the order.
 */
import { openData, readData, closeData } from '../data-file.js';
import { parseHexBytes } from '../bytes.js';
import { BlockReader, HeapIndex } from './heap-index.js';
import { forEachRefcLine, refcAtColon, searchFile, type RefcVisit } from './lines.js';
import { MiB } from '../../text/units.js';

const EMPTY = Buffer.alloc(0);
/** Bytes read ahead for one address before the rest of the section is searched for it (skipTo). */
const SKIP_AFTER_BYTES = 16 * MiB;
/** A refc line's size not known (no `Yc` size, or 4 GiB and more): SequentialHeap.refcLines' sizes. */
export const UNSIZED = 0xffffffff;

/**
 * Bytes read ahead for one address before the pointers next to it (HeapLines.siblings) are looked
 * for in what is read: far enough that small terms, whose lines are in the window, never pay it.
 */
const SIBLINGS_AFTER_BYTES = MiB;
/** Siblings whose lines' offsets are noted (a bigger tuple's elements: the first this many). */
const SIBLINGS_NOTED = 4096;
/** Siblings searched for one by one in a section's text when their address is passed over (skipTo). */
const SIBLINGS_SEARCHED = 64;
/** Lines searched for in the whole section when not ahead, before the full index is built. */
const BACK_SEARCHES = 32;
/**
 * ...and the section's length searched at most this many times over: a native search reads several
 * times faster than the index is built (a line parsed each), and keeps nothing; but a term whose
 * every element is behind (a tuple of 2,000,000: the VM writes it backwards) needs the index.
 */
const BACK_SEARCH_SECTIONS = 2;
/**
 * Bytes read back, before the part of the section read last, for one line not ahead (readBehind):
 * the next element of a term the VM wrote backwards lies just before the one read last.
 */
const BEHIND_BYTES = MiB;
/** Lines a RingWindow starts with (see its constructor). */
const INITIAL_RING = 1 << 15;
const HEX = new Uint8Array(256).fill(255);
for (let i = 0; i < 10; i++) HEX[48 + i] = i;
for (let i = 0; i < 6; i++) {
  HEX[65 + i] = 10 + i;
  HEX[97 + i] = 10 + i;
}

export interface HeapLines {
  /** The line of this heap address (without its line end), or undefined. */
  line(address: number): { line: Buffer; cut: boolean } | undefined;
  /**
   * The next line asked for is one of the `count` comma-separated elements of `line` from `from`
   * (a tuple's, a map's or a map node's): the others will be asked for too (see SequentialHeap).
   */
  siblings?(line: Uint8Array, from: number, count: number): void;
}

export class SequentialHeap implements HeapLines {
  private fd: number | undefined;
  private pos: number;
  private readonly end: number;
  /**
   * The pieces of the line in progress at the end of what was read, joined once when it ends (a
   * join per read was quadratic: the line of a tuple of 2,000,000 elements is 28 MB).
   */
  private carry: Buffer[] | undefined;
  private carryLength = 0;
  /** File offset of the carry's first byte (the start of the line it holds). */
  private carryStart = 0;
  private carryCut = false;
  /**
   * Lines read so far, used or not, up to `maxWindowLines` (the oldest go first): used lines stay
   * for a while because shared objects are referenced again (stack slots, parts of a message).
   */
  private ring: RingWindow;
  private chunkIds = 0;
  private index: HeapIndex | undefined;
  /** True once the full index had to be built. */
  fellBack = false;
  /**
   * True when a line was looked for beyond `maxReadBytes` (or where only the full index could
   * have found it, which reads the whole section): it was reported missing instead.
   */
  cutShort = false;
  private readonly baseOffset: number;
  private readonly length: number;
  /** The furthest `pos` has been (it goes back to a sibling's line: rewind). */
  private furthest = 0;
  /** Bytes read back by readBehind in all: at most the section's length BACK_SEARCH_SECTIONS times. */
  private behindBytes = 0;
  /**
   * The element list given by the last `siblings` call: for the next lookup only (cleared when it
   * ends), whose siblings are noted once its reading goes far.
   */
  private hintLine: Uint8Array | undefined;
  private hintFrom = 0;
  private hintCount = 0;
  /** Addresses the decoder will ask for (siblings of one read far ahead): their lines' offsets are noted as reading passes them. */
  private readonly expected = new Set<number>();
  /** File offsets of the lines of expected addresses, passed over before they were asked for. */
  private readonly known = new Map<number, number>();
  /** Lines searched for behind the reading (line), and the bytes searched: a few, then the full index. */
  private backSearches = 0;
  private backSearchedBytes = 0;
  /** Refc lines are noted up to here, a line's start: lines read again after a rewind are not noted twice. */
  private refcTo = 0;
  /** Where reading stops: the section's end, or `maxReadBytes` into it. */
  private readonly limit: number;

  /**
   * `maxReadBytes` bounds what is read of the section (triage samples the first messages of a
   * mailbox of gigabytes, whose lines are near its start): a line not within it, or one that would
   * need the full index (of the whole section), is reported missing and `cutShort` set.
   */
  constructor(private readonly path: string, offset: number, length: number, private readonly reader: BlockReader,
    private readonly opts: {
      chunkBytes?: number; maxWindowLines?: number; maxLineBytes?: number; skipAfterBytes?: number; maxReadBytes?: number;
      /** Bytes read ahead for one address before its siblings are noted (default 1 MiB; tests: 1). */
      siblingsAfterBytes?: number;
      /** Lines not ahead searched for in the whole section before the full index is built (default 32). */
      backSearches?: number;
      /** Bytes read back for one line not ahead, before it is searched for (readBehind; default 1 MiB). */
      behindBytes?: number;
      /** Keep each `Yc` line's size (refcLines): a cut dump's binaries without a section are sized so. */
      refcSizes?: boolean;
    } = {}) {
    this.pos = offset;
    this.end = offset + length;
    this.baseOffset = offset;
    this.length = length;
    // Whole bytes: a read of a fraction of a byte would read none, and the search would not end.
    this.limit = offset + Math.min(length, Math.max(0, Math.floor(opts.maxReadBytes ?? Infinity)));
    // A line is at least "a:x\n": a small heap (most processes) gets a ring of its size, not
    // megabytes of tables (triage opens ten of them for the queues it details).
    this.ring = new RingWindow(Math.min(opts.maxWindowLines ?? 1 << 17, Math.ceil(length / 4) + 16));
  }

  /** How far into the section reading has gone (read forward, or searched). */
  get bytesRead(): number {
    return Math.min(Math.max(this.pos, this.furthest), this.end) - this.baseOffset;
  }

  /**
   * The writer dumps a term's elements out of order: a tuple's last element first, then the others
   * backwards; a map node's first child, then its last, then backwards; a flat map's values last to
   * first (erl_process_dump.c, heap_dump). A decoder asking for them in order finds the first one
   * after its siblings' whole subtrees, which for a big term (the top of a map of a million keys, a
   * gb_tree's root) is most of the heap: read ahead past the window, the siblings' lines are not
   * in it any more when asked for, and the full index of the section was built (a process of 310
   * MiB holding a map of 1,500,000 keys: 243 MB). Now the siblings' lines are noted as reading
   * passes them, and reading goes back to each when it is asked for (rewind).
   */
  siblings(line: Uint8Array, from: number, count: number): void {
    this.hintLine = line;
    this.hintFrom = from;
    this.hintCount = count;
  }

  /** Notes the pointers of the last `siblings` list (but `asked`) as expected. */
  private expectSiblings(asked: number): void {
    const b = this.hintLine;
    this.hintLine = undefined;
    if (!b) return;
    // Siblings of earlier terms never passed or asked for (a decode stopped at its bound) go first.
    if (this.expected.size + this.known.size >= SIBLINGS_NOTED) {
      this.expected.clear();
      if (this.known.size >= SIBLINGS_NOTED / 2) this.known.clear();
    }
    forEachPointer(b, this.hintFrom, this.hintCount, (a) => {
      if (this.expected.size + this.known.size >= SIBLINGS_NOTED) return false;
      if (a === asked || this.known.has(a)) return true;
      // In the window now, maybe not when asked for: noted where it is.
      const off = this.ring.offsetOf(a);
      if (off >= 0) this.known.set(a, off);
      else this.expected.add(a);
      return true;
    });
  }

  /** When `address`'s line was passed over, reading goes back to it. */
  private rewind(address: number): void {
    const off = this.known.get(address);
    if (off === undefined) return;
    this.known.delete(address);
    this.furthest = Math.max(this.furthest, this.pos);
    this.carry = undefined;
    this.carryCut = false;
    this.pos = off;
  }

  /** The line found by the last successful `locate`: buf[start, end). */
  buf: Buffer = EMPTY;
  start = 0;
  end_ = 0;

  /**
   * Like `line`, without allocating a view: on success (true) the line is `buf[start, end_)`,
   * valid until the next call. Same lookups, reads and fallback as `line`.
   */
  locate(address: number): boolean {
    // In the window, or read forward to it: no view made. Else as `line` finds it.
    let found = !this.index && (this.ring.locate(address, this) || (this.readAt(address) !== undefined && this.ring.locate(address, this)));
    if (!found) {
      const got = this.lineOf(address);
      if (got) {
        this.buf = got.line;
        this.start = 0;
        this.end_ = got.line.length;
        found = true;
      }
    }
    this.asked(address);
    return found;
  }

  line(address: number): { line: Buffer; cut: boolean } | undefined {
    const got = this.lineOf(address);
    this.asked(address);
    return got;
  }

  /**
   * A lookup ended: its hint is spent, and a sibling's noted offset is not needed any more (a
   * line asked for again is in the window, or searched for).
   */
  private asked(address: number): void {
    this.hintLine = undefined;
    if (this.known.size > 0) this.known.delete(address);
  }

  /** The line of `address` read forward from where reading is, or from its noted offset behind. */
  private readAt(address: number): Buffer | undefined {
    this.rewind(address);
    return this.readUntil(address);
  }

  private lineOf(address: number): { line: Buffer; cut: boolean } | undefined {
    if (this.index) {
      const off = this.index.lookup(address, this.reader);
      return off < 0 ? undefined : this.reader.lineAt(off, this.index.end, this.opts.maxLineBytes ?? 16 * MiB);
    }
    let l = this.ring.get(address);
    if (l === undefined) l = this.readAt(address);
    if (l === undefined) {
      if (this.limit < this.end) {
        this.cutShort = true;
        return undefined;
      }
      // Not ahead: a line just before what was read last (a term written backwards), a back
      // reference older than the window, or a line that is not there at all. Read back a little,
      l = this.readBehind(address);
      if (l !== undefined) return { line: l, cut: false };
      // then searched for behind a few times (the element of a term met again past its line),
      // then the full index: at most as many searches, and bytes searched, as building it is worth.
      if (this.backSearches < (this.opts.backSearches ?? BACK_SEARCHES) && this.backSearchedBytes < BACK_SEARCH_SECTIONS * this.length) {
        this.backSearches++;
        if (this.fd === undefined) this.fd = openData(this.path);
        const from = this.baseOffset;
        const at = this.findLine(address, from, this.end);
        this.backSearchedBytes += (at >= 0 ? at : this.end) - from;
        if (at >= 0) {
          this.known.set(address, at);
          return this.lineOf(address);
        }
      }
      this.fallBack();
      return this.lineOf(address);
    }
    return { line: l, cut: false };
  }

  private fallBack(): void {
    this.fellBack = true;
    this.expected.clear();
    this.known.clear();
    this.ring = new RingWindow(16);
    this.close();
    this.index = new HeapIndex(this.path, this.baseOffset, this.length);
  }

  /**
   * Reads back from the line found last, a chunk at a time, until `address` is read (returned)
   * or `behindBytes` are. The VM writes a tuple's elements last to first (see siblings): asked for
   * in order, each element of a big tuple is found just before the one read last, where a search
   * of the section for each (or its full index: a tuple of 2,000,000 pairs) read all of it. The
   * lines read back were read or passed over before, so their refc lines are noted already; they
   * go into the window last first, so that those further back, asked for next, stay longest.
   */
  private readBehind(address: number): Buffer | undefined {
    let at = this.ring.lastOffset();
    if (at <= this.baseOffset) return undefined;
    if (this.fd === undefined) this.fd = openData(this.path);
    const chunk = this.opts.chunkBytes ?? 1 << 18;
    const most = this.opts.behindBytes ?? BEHIND_BYTES;
    for (let read = 0; read < most && at > this.baseOffset && this.behindBytes < BACK_SEARCH_SECTIONS * this.length;) {
      const from = Math.max(this.baseOffset, at - chunk);
      const buf = Buffer.allocUnsafe(at - from);
      if (readData(this.fd, buf, 0, buf.length, from) !== buf.length) return undefined;
      read += buf.length;
      this.behindBytes += buf.length;
      // The bytes before the chunk's first newline end a line that starts further back.
      const first = from === this.baseOffset ? 0 : buf.indexOf(10) + 1;
      if (first === 0 && from !== this.baseOffset) return undefined; // a line longer than a chunk
      at = from + first;
      const ends: number[] = [];
      for (let nl = buf.indexOf(10, first); nl >= 0; nl = buf.indexOf(10, nl + 1)) ends.push(nl);
      const id = this.chunkIds++;
      this.ring.addChunk(id, buf);
      let found = false;
      for (let k = ends.length - 1; k >= 0; k--) {
        const s = k === 0 ? first : ends[k - 1] + 1;
        if (this.add(buf, id, s, ends[k], from + s, from + ends[k] + 1) === address) found = true;
      }
      this.ring.releaseIfUnused(id);
      if (found) return this.ring.get(address);
    }
    return undefined;
  }

  /** Reads forward until `address` is read (returned) or the section ends (undefined). */
  private readUntil(address: number): Buffer | undefined {
    if (this.fd === undefined) {
      if (this.pos >= this.limit) return undefined;
      this.fd = openData(this.path);
    }
    const chunk = this.opts.chunkBytes ?? 1 << 18;
    const maxLine = this.opts.maxLineBytes ?? 16 * MiB;
    const skipAfter = Math.max(1, this.opts.skipAfterBytes ?? SKIP_AFTER_BYTES);
    let readHere = 0;
    let skipped = false;
    let hinted = false;
    let found = false;
    while (!found && this.pos < this.limit) {
      if (!hinted && readHere >= (this.opts.siblingsAfterBytes ?? SIBLINGS_AFTER_BYTES)) {
        hinted = true;
        this.expectSiblings(address);
      }
      // Once: the line found is read next (it may be longer than what is read at a time).
      if (!skipped && readHere >= skipAfter && Number.isFinite(address)) {
        skipped = true;
        if (!this.skipTo(address)) break;
      }
      const buf = Buffer.allocUnsafe(Math.min(chunk, this.limit - this.pos));
      const n = readData(this.fd, buf, 0, buf.length, this.pos);
      if (n <= 0) {
        this.pos = this.end;
        break;
      }
      this.pos += n;
      readHere += n;
      const id = this.chunkIds++;
      this.ring.addChunk(id, buf);
      let i = 0;
      for (;;) {
        const nl = buf.indexOf(10, i);
        if (nl < 0 || nl >= n) {
          // Keep the partial line for the next chunk (cut at maxLine).
          const rest = buf.subarray(i, n);
          if (this.carry) {
            if (!this.carryCut) {
              const room = maxLine - this.carryLength;
              this.carry.push(rest.subarray(0, Math.max(0, room)));
              this.carryLength += Math.min(rest.length, Math.max(0, room));
              if (rest.length > room) this.carryCut = true;
            }
          } else if (rest.length > 0) {
            this.carryStart = this.pos - n + i;
            this.carry = [rest.subarray(0, maxLine)];
            this.carryLength = Math.min(rest.length, maxLine);
            this.carryCut = rest.length > maxLine;
          }
          break;
        }
        if (this.carry) {
          if (!this.carryCut) this.carry.push(buf.subarray(i, nl));
          const line = Buffer.concat(this.carry);
          this.carry = undefined;
          this.carryCut = false;
          const cid = this.chunkIds++;
          this.ring.addChunk(cid, line);
          if (this.add(line, cid, 0, line.length, this.carryStart, this.pos - n + nl + 1) === address) found = true;
          this.ring.releaseIfUnused(cid);
        } else if (this.add(buf, id, i, nl, this.pos - n + i, this.pos - n + nl + 1) === address) found = true;
        i = nl + 1;
      }
      // A line cut by the limit is not a line: it stays in the carry, never read.
      if (this.pos >= this.end && this.carry) {
        const line = Buffer.concat(this.carry);
        const cid = this.chunkIds++;
        this.ring.addChunk(cid, line);
        if (this.add(line, cid, 0, line.length, this.carryStart, this.end) === address) found = true;
        this.ring.releaseIfUnused(cid);
        this.carry = undefined;
      }
      this.ring.releaseIfUnused(id);
    }
    return found ? this.ring.get(address) : undefined;
  }

  /**
   * The line of `address` was not in the last SKIP_AFTER_BYTES read: the rest of the section is
   * searched for "\nADDR:" instead of read line by line into the window. A process's second big
   * term is written after the whole of its first (the writer goes depth first), and decoding the
   * first stops at its bound: on bench class f, `proc` read the 1 GB left of a list of 12,000,000
   * tuples to reach the map after it. The lines passed over go into no window (a later reference
   * to one of them is read from the full index), and their refc lines are noted now, in file
   * order. False when the line is not ahead: the section is passed over to its end.
   */
  private skipTo(address: number): boolean {
    const from = this.carry ? this.carryStart : this.pos;
    this.carry = undefined;
    this.carryCut = false;
    const at = this.findLine(address, from, this.limit);
    const to = at < 0 ? this.limit : at;
    this.noteRefcLines(from, to);
    // The siblings of the line looked for, passed over too: noted where they are.
    if (this.expected.size > 0 && this.expected.size <= SIBLINGS_SEARCHED) {
      for (const e of [...this.expected]) {
        const off = this.findLine(e, from, to);
        if (off < 0) continue;
        this.expected.delete(e);
        this.known.set(e, off);
      }
    }
    this.furthest = Math.max(this.furthest, to);
    this.pos = to;
    return at >= 0;
  }

  /**
   * File offset of the line of `address` starting in [from, to) (a line's start: `from` is one),
   * or -1. Dumps write addresses in capitals; small letters are looked for too where they differ.
   */
  private findLine(address: number, from: number, to: number): number {
    const hex = address.toString(16);
    const upper = hex.toUpperCase();
    let at = searchFile(this.fd!, `\n${upper}:`, Math.max(0, from - 1), to);
    if (at < 0 && hex !== upper) at = searchFile(this.fd!, `\n${hex}:`, Math.max(0, from - 1), to);
    return at < 0 ? -1 : at + 1;
  }

  /** Notes the refc lines of [from, to) not noted yet. */
  private noteRefcLines(from: number, to: number): void {
    const start = Math.max(from, this.refcTo);
    if (to > start) forEachRefcLine(this.path, start, to - start, this.onRefc, MiB, this.fd, this.opts.refcSizes);
    this.refcTo = Math.max(this.refcTo, to);
  }

  /**
   * Records the line buf[start, end) (CR trimmed), at file offset `offset` (the next line at
   * `next`), under its address; returns the address.
   */
  private add(buf: Buffer, chunk: number, start: number, end: number, offset: number, next: number): number {
    if (end > start && buf[end - 1] === 13) end--;
    // A line read again (rewind) had its refc lines noted the first time.
    const refc = offset >= this.refcTo;
    if (refc) this.refcTo = next;
    let hi = 0;
    let lo = 0;
    let j = start;
    let ok = true;
    for (; j < end && j < start + 40; j++) {
      const c = buf[j];
      if (c === 58) break;
      const d = HEX[c];
      if (d === 255) {
        ok = false;
        break;
      }
      hi = (hi << 4) | (lo >>> 28);
      lo = (lo << 4) | d;
    }
    if (!ok || j === start || buf[j] !== 58) {
      // Not an address line; it may still count as a refc reference (see refcLines).
      const colon = buf.indexOf(58, start);
      if (refc && colon >= 0 && colon + 1 < end && buf[colon + 1] === 89) refcAtColon(buf, colon, end, this.onRefc, this.opts.refcSizes);
      return NaN;
    }
    if (refc && j + 1 < end && buf[j + 1] === 89) refcAtColon(buf, j, end, this.onRefc, this.opts.refcSizes);
    // Up to 13 digits the halves are exact; longer, rounded as parseHexBytes rounds them.
    const a = j - start <= 13 ? (hi >>> 0) * 4294967296 + (lo >>> 0) : parseHexBytes(buf, start, j);
    this.ring.add(a, chunk, start, end, offset);
    if (this.expected.size > 0 && this.expected.delete(a)) this.known.set(a, offset);
    return a;
  }

  // Refc binary references (`Yc` and `Ys` lines) met while reading, in file order; with
  // opts.refcSizes, each `Yc` line's size too (UNSIZED: none, or 4 GiB and more).
  private refcAddrs = new Float64Array(0);
  private refcKinds = new Uint8Array(0);
  private refcSizes: Uint32Array | undefined;
  private refcCount = 0;

  /** The target buf[s, e) of a refc line of kind `k` (99 `Yc`, 115 `Ys`), noted (lines.ts refcAtColon). */
  private readonly onRefc: RefcVisit = (buf, s, e, k, size) => {
    const a = parseHexBytes(buf, s, e);
    if (Number.isNaN(a)) return;
    if (this.refcCount === this.refcAddrs.length) {
      const cap = Math.max(64, this.refcCount * 2);
      const addrs = new Float64Array(cap);
      addrs.set(this.refcAddrs);
      const kinds = new Uint8Array(cap);
      kinds.set(this.refcKinds);
      this.refcAddrs = addrs;
      this.refcKinds = kinds;
      if (this.opts.refcSizes) {
        const sizes = new Uint32Array(cap);
        if (this.refcSizes) sizes.set(this.refcSizes);
        this.refcSizes = sizes;
      }
    }
    if (this.refcSizes) this.refcSizes[this.refcCount] = size >= 0 && size < UNSIZED ? size : UNSIZED;
    this.refcAddrs[this.refcCount] = a;
    this.refcKinds[this.refcCount++] = k;
  };

  /**
   * The target addresses of every `ADDR:Yc...`/`ADDR:Ys...` line of the section (first colon of
   * the line, then `Yc`/`Ys`, the hex field up to the next colon), in file order, with the kind
   * (99 `c`, 115 `s`): the lines read so far noted them, the rest of the section is searched
   * (scanRest). Undefined once the full index was built (the forward read stopped): scan the
   * section instead.
   */
  refcLines(): { addrs: Float64Array; kinds: Uint8Array; sizes?: Uint32Array; count: number } | undefined {
    if (this.index) return undefined;
    this.scanRest();
    return { addrs: this.refcAddrs, kinds: this.refcKinds, sizes: this.refcSizes, count: this.refcCount };
  }

  /**
   * Reads the rest of the section for its refc lines alone, from the start of the line in
   * progress: they are counted last (decodeProcess), when no term needs a line of it, so its
   * lines go neither into the window nor into a buffer each. On a 1.2 GiB heap (bench class f) the
   * window's reads were 4 of `proc`'s 11 s, and the collections of their buffers most of 5 s more.
   * A line asked for afterwards comes from the full index (it is not ahead any more).
   */
  private scanRest(): void {
    const from = this.carry ? this.carryStart : this.pos;
    this.carry = undefined;
    this.carryCut = false;
    this.close();
    this.furthest = Math.max(this.furthest, this.pos);
    this.pos = this.end;
    this.noteRefcLines(from, this.end);
  }

  close(): void {
    if (this.fd !== undefined) {
      closeData(this.fd);
      this.fd = undefined;
    }
  }
}

/**
 * The last `size` lines read, by address: a ring of (address, chunk, start, end) in typed arrays
 * plus two open-addressing tables of ring slots, so no JS object per line is kept (they would be
 * promoted and inflate the old generation). Lines go into the current table; every `size` lines
 * the current table becomes the previous one and the oldest is cleared, so every line of the ring
 * is in one of the two, and neither fills beyond half (no rebuild, no deletion). An entry whose
 * slot was overwritten since is stale, recognised because the slot now holds another address.
 * Chunks are held (in an array by chunk id) while a line of theirs is in the ring.
 */
class RingWindow {
  private addrs!: Float64Array;
  private chunkOf!: Int32Array;
  private starts!: Int32Array;
  private ends!: Int32Array;
  /** Each line's file offset: a sibling's, noted while it is in the ring (SequentialHeap.expectSiblings). */
  private offsets!: Float64Array;
  /** Chunk buffers by id (ids are dense and increasing), and how many ring lines use each. */
  private bufs: Array<Buffer | undefined> = [];
  private refs = new Int32Array(64);
  /** Ring slot + 1 (0: empty), by hash: this epoch's lines, and the previous epoch's. */
  private cur!: Int32Array;
  private prev!: Int32Array;
  /** One bit per table position, set when taken: free positions are found without the table. */
  private curBits!: Int32Array;
  private prevBits!: Int32Array;
  /**
   * Bloom filters (one hash) of the addresses in each table: most addresses are new, and are
   * known to be absent without reading the tables (which would miss the caches).
   */
  private curBloom!: Int32Array;
  private prevBloom!: Int32Array;
  private bloomShift = 0;
  private mask = 0;
  /** A table entry is `fingerprint << fpShift | (slot + 1)`: most probes need not read the slot. */
  private slotMask = 0;
  private fpShift = 0;
  private size = 0;
  /** The size the ring grows to (a power of two). */
  private readonly maxSize: number;
  private next = 0;
  private inEpoch = 0;

  constructor(size: number) {
    let s = 16;
    while (s < size) s *= 2;
    this.maxSize = s;
    // The ring starts small and doubles each time it fills, up to maxSize, keeping every line:
    // it holds the same lines as a ring of maxSize from the start, but a triage that reads the
    // first 5,000 messages of a 250 MB heap does not allocate and clear 7 MB of tables for them.
    this.allocate(Math.min(s, INITIAL_RING));
  }

  /** Arrays and tables for a ring of `s` lines (a power of two), empty. */
  private allocate(s: number): void {
    this.size = s;
    this.addrs = new Float64Array(s).fill(NaN);
    this.chunkOf = new Int32Array(s).fill(-1);
    this.starts = new Int32Array(s);
    this.ends = new Int32Array(s);
    this.offsets = new Float64Array(s);
    this.cur = new Int32Array(s * 4);
    this.prev = new Int32Array(s * 4);
    this.curBits = new Int32Array((s * 4) >>> 5);
    this.prevBits = new Int32Array((s * 4) >>> 5);
    this.mask = s * 4 - 1;
    let bits = 1;
    while (1 << bits <= s) bits++;
    // 16 bits per line: 2^(bits + 3) bits (bits is log2(s) + 1).
    this.curBloom = new Int32Array(1 << (bits + 3 - 5));
    this.prevBloom = new Int32Array(1 << (bits + 3 - 5));
    this.bloomShift = 32 - (bits + 3);
    this.slotMask = (1 << bits) - 1;
    this.fpShift = bits;
  }

  /**
   * Doubles a full ring that has not yet overwritten a line (its slots are in the order added):
   * the lines keep their slots, all in the current table of the bigger ring, whose epoch they
   * start; chunk buffers and their counts are unchanged.
   */
  private grow(): void {
    const n = this.size;
    const { addrs, chunkOf, starts, ends, offsets } = this;
    this.allocate(Math.min(this.maxSize, n * 2));
    this.addrs.set(addrs);
    this.chunkOf.set(chunkOf);
    this.starts.set(starts);
    this.ends.set(ends);
    this.offsets.set(offsets);
    for (let slot = 0; slot < n; slot++) {
      const a = addrs[slot];
      const h = RingWindow.hash(a);
      const bp = this.bloomPos(h);
      let q = h & this.mask;
      while ((this.curBits[q >>> 5] & (1 << (q & 31))) !== 0) q = (q + 1) & this.mask;
      this.cur[q] = ((h >>> this.fpShift) << this.fpShift) | (slot + 1);
      this.curBits[q >>> 5] |= 1 << (q & 31);
      this.curBloom[bp >>> 5] |= 1 << (bp & 31);
    }
    this.next = n;
    this.inEpoch = n;
  }

  private static hash(a: number): number {
    // The low 32 bits only (`| 0` is a modulo 2^32, no division): the addresses of one heap
    // differ there; any collision costs a probe, never a wrong line (slots are checked).
    let h = a | 0;
    h ^= h >>> 16;
    h = Math.imul(h, 0x85ebca6b);
    h ^= h >>> 13;
    return h >>> 0;
  }

  /** The slot of `a` in table `t` (>= 0), or -1 - (the empty position where it would go). */
  private probe(t: Int32Array, a: number, h: number): number {
    const addrs = this.addrs;
    const sm = this.slotMask;
    const fp = (h >>> this.fpShift) << this.fpShift;
    let p = h & this.mask;
    for (;;) {
      const e = t[p];
      if (e === 0) return -1 - p;
      if ((e & ~sm) === fp && addrs[(e & sm) - 1] === a) return (e & sm) - 1;
      p = (p + 1) & this.mask;
    }
  }

  /** The slot of the last line found: the next lookups are usually its neighbours. */
  private lastSlot = 0;

  private slotOf(a: number): number {
    // A line is in at most one slot, so a neighbour of the last line found holding this address
    // is the answer; streamed messages are found there without hashing.
    const addrs = this.addrs;
    const m = this.size - 1;
    const l = this.lastSlot;
    for (let d = 1; d <= 4; d++) {
      if (addrs[(l + d) & m] === a) return (this.lastSlot = (l + d) & m);
      if (addrs[(l - d) & m] === a) return (this.lastSlot = (l - d) & m);
    }
    const s = this.hashedSlot(a);
    if (s >= 0) this.lastSlot = s;
    return s;
  }

  private hashedSlot(a: number): number {
    const h = RingWindow.hash(a);
    const bp = this.bloomPos(h);
    const bi = bp >>> 5;
    const bb = 1 << (bp & 31);
    if ((this.curBloom[bi] & bb) !== 0) {
      const s = this.probe(this.cur, a, h);
      if (s >= 0) return s;
    }
    if ((this.prevBloom[bi] & bb) !== 0) {
      const o = this.probe(this.prev, a, h);
      if (o >= 0) return o;
    }
    return -1;
  }

  /** The bit of an address in the Bloom filters (16 bits per line: few false positives). */
  private bloomPos(h: number): number {
    return Math.imul(h ^ (h >>> 15), 0x2c1b3c6d) >>> this.bloomShift;
  }

  /** The file offset of the line found last (get, locate, offsetOf), or -1 when none was. */
  lastOffset(): number {
    return this.addrs[this.lastSlot] === this.addrs[this.lastSlot] ? this.offsets[this.lastSlot] : -1;
  }

  /** The file offset of the line of `a`, or -1 when it is not in the ring. */
  offsetOf(a: number): number {
    const s = this.slotOf(a);
    return s < 0 ? -1 : this.offsets[s];
  }

  get(a: number): Buffer | undefined {
    const s = this.slotOf(a);
    if (s < 0) return undefined;
    const b = this.bufs[this.chunkOf[s]];
    return b ? b.subarray(this.starts[s], this.ends[s]) : undefined;
  }

  /** Like `get`, without a view: sets out.buf/start/end_ and returns true when found. */
  locate(a: number, out: { buf: Buffer; start: number; end_: number }): boolean {
    const s = this.slotOf(a);
    if (s < 0) return false;
    const b = this.bufs[this.chunkOf[s]];
    if (!b) return false;
    out.buf = b;
    out.start = this.starts[s];
    out.end_ = this.ends[s];
    return true;
  }

  /** Registers a chunk that lines will point into. */
  addChunk(id: number, buf: Buffer): void {
    if (id >= this.refs.length) {
      const refs = new Int32Array(Math.max(id + 1, this.refs.length * 2));
      refs.set(this.refs);
      this.refs = refs;
    }
    this.bufs[id] = buf;
    this.refs[id] = 0;
  }

  /** Drops a chunk no line points into (call when done adding lines from it). */
  releaseIfUnused(id: number): void {
    if (this.refs[id] === 0) this.bufs[id] = undefined;
  }

  add(a: number, chunk: number, start: number, end: number, offset: number): void {
    const h = RingWindow.hash(a);
    // Duplicate address (garbled input): keep the first.
    const bp = this.bloomPos(h);
    const bi = bp >>> 5;
    const bb = 1 << (bp & 31);
    if ((this.curBloom[bi] & bb) !== 0 && this.probe(this.cur, a, h) >= 0) return;
    if ((this.prevBloom[bi] & bb) !== 0 && this.probe(this.prev, a, h) >= 0) return;
    if (this.next === 0 && this.size < this.maxSize && this.chunkOf[0] >= 0) {
      // Full, before its first overwrite: grow (the hash and Bloom positions depend on the size).
      this.grow();
      this.add(a, chunk, start, end, offset);
      return;
    }
    // The first free position from home (as a probe would end), from the bitmap.
    const bits = this.curBits;
    let q = h & this.mask;
    while ((bits[q >>> 5] & (1 << (q & 31))) !== 0) q = (q + 1) & this.mask;
    const slot = this.next;
    this.next = (this.next + 1) & (this.size - 1);
    const old = this.chunkOf[slot];
    if (old >= 0 && --this.refs[old] === 0 && old !== chunk) this.bufs[old] = undefined;
    this.addrs[slot] = a;
    this.chunkOf[slot] = chunk;
    this.starts[slot] = start;
    this.offsets[slot] = offset;
    this.ends[slot] = end;
    if (this.bufs[chunk]) this.refs[chunk]++;
    this.cur[q] = ((h >>> this.fpShift) << this.fpShift) | (slot + 1);
    bits[q >>> 5] |= 1 << (q & 31);
    this.curBloom[bi] |= bb;
    if (++this.inEpoch >= this.size) {
      this.inEpoch = 0;
      const t = this.prev;
      this.prev = this.cur;
      this.cur = t;
      t.fill(0);
      const b = this.prevBits;
      this.prevBits = this.curBits;
      this.curBits = b;
      b.fill(0);
      const f = this.prevBloom;
      this.prevBloom = this.curBloom;
      this.curBloom = f;
      f.fill(0);
    }
  }
}

/**
 * Calls `visit` with the address of each `H` pointer among the `count` comma-separated elements of
 * a heap line from `from` (`H` address, `N`, `I` integer, `A` length-prefixed atom, `P`/`p` pid or
 * port), until it returns false; stops at anything else.
 */
function forEachPointer(b: Uint8Array, from: number, count: number, visit: (address: number) => boolean): void {
  let p = from;
  for (let i = 0; i < count && p < b.length; i++) {
    if (i > 0) {
      if (b[p] !== 0x2c) return;
      p++;
    }
    const c = b[p];
    if (c === 0x48) { // H
      const s = ++p;
      let a = 0;
      while (p < b.length && HEX[b[p]] !== 255) a = a * 16 + HEX[b[p++]];
      if (p > s && !visit(a)) return;
    } else if (c === 0x41) { // A<hexlen>:<bytes>
      let len = 0;
      for (p++; p < b.length && HEX[b[p]] !== 255; p++) len = len * 16 + HEX[b[p]];
      if (b[p] !== 0x3a) return;
      p += 1 + len;
    } else if (c === 0x50 || c === 0x70) { // P<...>, p<...>
      while (p < b.length && b[p] !== 0x3e) p++;
      p++;
    } else if (c === 0x49 || c === 0x4e) { // I[-]digits, N
      for (p++; p < b.length && b[p] !== 0x2c; p++);
    } else return;
  }
}
