import { BinaryTableBuilder, type BinaryTablePart } from './binary-table.js';
import { ProcessTableBuilder } from './process-table.js';
import type { LineHandler, ScanSink } from './scanner.js';
import { packPidBytes, SectionIndex, unpackPid, type SectionIndexPart } from './section-index.js';
import type { ProcessTablePart } from './process-table.js';
import { BytesInterner, hexValue, KeyMatcher, parseHexExact } from './bytes.js';
import type { ParseContext } from './sections/context.js';
import { nodeHandler } from './sections/distribution.js';
import { EtsParser } from './sections/ets.js';
import { HeaderParser } from './sections/header.js';
import { loadedModulesHandler, modHandler } from './sections/modules.js';
import { PortParser } from './sections/port.js';
import { ProcParser } from './sections/proc.js';
import { runQueueHandler, schedulerHandler } from './sections/scheduler.js';
import {
  allocatedAreasHandler, allocatorHandler, hashTableHandler, indexTableHandler, lineCounter, memoryHandler,
} from './sections/tables.js';
import { OTHER_TAGS, type Dump, type DumpSource } from './types.js';

/**
 * What one byte range's builder read (DumpBuilder.toPart), posted by a reader worker. A range with
 * no tag line (inside a section of hundreds of MB) has only where it ended: most ranges of a big
 * dump, and the cost of an empty builder's arrays per range was a tenth of the read.
 */
export interface DumpPart {
  data?: {
    fields: DumpBuilder['dump'];
    index: SectionIndexPart;
    rows: ProcessTablePart;
    binaries: BinaryTablePart;
    /** The address of the range's last section when it was a `=binary` (those are not indexed). */
    lastBinary?: number;
  };
  sawEnd: boolean;
  abortReason?: string;
  cutMidLine: boolean;
  endOffset: number;
  /** -1 when the range had no tag line. */
  firstTagOffset: number;
  openEnd: boolean;
}

function emptyFields(): DumpBuilder['dump'] {
  return {
    memory: {}, hashTables: [], indexTables: [], allocatedAreas: [], allocators: [], ports: [], ets: [],
    timers: { count: 0, byOwner: {} }, distribution: { connections: [] },
    loadedModules: { modules: [] }, funCount: 0, schedulers: [], runQueues: [], persistentTermCount: 0,
    atoms: { count: 0, newest: [] }, sectionCounts: {}, unknown: { tags: {}, keys: {} }, corruptValues: { count: 0, examples: [] },
  };
}

/** Every tag the writer is known to produce, R10B to OTP 28; anything else is counted as unknown. */
export const KNOWN_TAGS = new Set([
  'erl_crash_dump', 'scheduler', 'dirty_cpu_scheduler', 'dirty_io_scheduler', 'dirty_cpu_run_queue',
  'dirty_io_run_queue', 'memory', 'hash_table', 'index_table', 'allocated_areas', 'allocator', 'proc', 'port',
  'ets', 'internal_ets', 'timer', 'node', 'no_distribution', 'visible_node', 'hidden_node', 'not_connected',
  'loaded_modules', 'mod', 'fun', 'proc_messages', 'proc_dictionary', 'proc_stack', 'proc_heap',
  'persistent_terms', 'literals', 'binary', 'atoms', 'end', 'abort', 'instr_data', 'old_instr_data',
  'memory_map', 'memory_status', 'num_atoms',
]);

const TAG_LIST = [...KNOWN_TAGS];
const TAG_MATCHER = new KeyMatcher(TAG_LIST);
const CODE = Object.fromEntries(TAG_LIST.map((t, i) => [t, i])) as Record<string, number>;
/** Sections decoded on demand, per process (src/dump/terms): indexed, never parsed here. */
const ON_DEMAND = new Uint8Array(TAG_LIST.length);
for (const t of ['proc_heap', 'proc_stack', 'proc_messages', 'proc_dictionary', 'literals']) ON_DEMAND[CODE[t]] = 1;
/** The sections a dump writes before its processes, in every version (ReadOptions.want 'allocators'). */
const EARLY = new Uint8Array(TAG_LIST.length);
for (const t of ['erl_crash_dump', 'scheduler', 'dirty_cpu_scheduler', 'dirty_io_scheduler', 'dirty_cpu_run_queue',
  'dirty_io_run_queue', 'memory', 'hash_table', 'index_table', 'allocated_areas', 'allocator', 'abort']) EARLY[CODE[t]] = 1;
/** hexValue of every byte, as a table: `run` reads millions of addresses a digit at a time. */
const HEX = Int8Array.from({ length: 256 }, (_, c) => hexValue(c));
const NEWEST_ATOMS_KEPT = 20;
const CORRUPT_EXAMPLES_KEPT = 20;
const UNKNOWN_KEYS_KEPT = 200;
const TIMER_OWNERS_KEPT = 100_000;
const UNKNOWN_TAGS_KEPT = 200;

/**
 * How many keys each record addCapped fills holds: counting them with Object.keys at each add
 * made a dump of a million timers of 20,000 owners take 25 s to read.
 */
const keysHeld = new WeakMap<Record<string, number>, number>();

/**
 * Adds n to counts[key]; a key not yet there is taken only while fewer than `cap` are (garbage
 * input). Keys are dump text: an own property each, so `__proto__` or `toString` is a key like another.
 */
function addCapped(counts: Record<string, number>, key: string, n: number, cap: number): boolean {
  if (Object.hasOwn(counts, key)) {
    counts[key] += n;
    return true;
  }
  const held = keysHeld.get(counts) ?? Object.keys(counts).length;
  if (held >= cap) return false;
  Object.defineProperty(counts, key, { value: n, writable: true, enumerable: true, configurable: true });
  keysHeld.set(counts, held + 1);
  return true;
}

/**
 * Counts `n` sections of a tag no VM is known to write: by name while fewer than UNKNOWN_TAGS_KEPT
 * tags are, in `dump.sectionCounts` too; past that under OTHER_TAGS (a damaged or foreign file can
 * have millions of lines that start with `=`: each a key took 10 s and 950 MB for a million).
 */
function countUnknownTag(d: Pick<Dump, 'unknown' | 'sectionCounts'>, tag: string, n: number): void {
  if (addCapped(d.unknown.tags, tag, n, UNKNOWN_TAGS_KEPT)) addCapped(d.sectionCounts, tag, n, Infinity);
  else addCapped(d.unknown.tags, OTHER_TAGS, n, Infinity);
}

/**
 * Turns the scanner's tag lines and body lines into the Dump model: picks the section parser for
 * each tag, keeps the section index and the counts, and notes how the dump ends.
 */
export class DumpBuilder implements ScanSink {
  readonly index = new SectionIndex(TAG_LIST);
  private readonly rows = new ProcessTableBuilder();
  private readonly bins = new BinaryTableBuilder();
  /** Sections per known tag code, folded into `dump.sectionCounts` by flushCounts. */
  private readonly tagCounts = new Float64Array(TAG_LIST.length);
  /** The one handler of every `=binary` body: its first line is `SIZE:DATA`. */
  private readonly binarySize: LineHandler & { seen: boolean } = {
    seen: true,
    line: (buf, start, end) => {
      const h = this.binarySize;
      if (h.seen) return;
      h.seen = true;
      const colon = buf.indexOf(0x3a, start);
      if (colon < 0 || colon >= end) return;
      const size = parseHexExact(buf, start, colon);
      if (!Number.isNaN(size)) this.bins.setLastSize(size);
    },
    done: () => this.binarySize.seen,
  };
  private header: HeaderParser | null = null;
  private pendingFinish: (() => void) | null = null;
  private procParser?: ProcParser;
  private etsParser?: EtsParser;
  private portParser?: PortParser;
  private readonly finishProc = () => this.procParser?.finish();
  /** Address of the last section read when it was a `=binary` (not in the index), else NaN. */
  private lastBinary = NaN;
  private sawEnd = false;
  private cutMidLine = false;
  private endOffset = 0;
  private abortReason?: string;
  private lastIndex = -1;
  /** Offset of the first tag line seen; the parallel reader closes the previous range's last section there. */
  private firstTagOffset = -1;
  /** The scan stopped inside a skipped section that goes on into the next range (parallel reader). */
  private openEnd = false;
  /** The last section in the index has no length yet. */
  private lastOpen = false;
  dump: Omit<Dump, 'header' | 'truncation' | 'index' | 'source' | 'processes' | 'binaries'>;
  /** The size of the file read, when known: the tables are reserved for it (reserveFor). */
  fileBytes = 0;
  /**
   * Read only the sections before the first `=proc` (header, schedulers, `=memory`, tables,
   * allocators: they come first in every dump version); `lateReached` is set at the first other.
   */
  earlyOnly = false;
  lateReached = false;
  /** When the read stopped early: whether the file ends with `=end` (undefined: not known). */
  tailEnd?: boolean;
  private readonly ctx: ParseContext;

  /**
   * Reserves the columns for a file of `bytes` (a plain file read in one pass, or this thread's
   * part of a parallel read). Fresh memory costs a page fault per 4 KiB, about 3 ms a MB on the
   * bench machine, and growing by doubling touches every column two to three times over: 0.8 s
   * of a million-process dump's 5 s. Reserved rows cost address space only until they are used,
   * so the guesses err high: no `=proc` section with its heap sections is under 250 bytes, and no
   * section under 40 on average. They are capped, and the columns still grow past them.
   */
  reserveFor(bytes: number): void {
    // A read of the early sections alone (`alloc`) makes no rows: 10 ms of a 48 MB dump's 0.3 s
    // went to making its empty columns.
    if (this.earlyOnly) return;
    try {
      this.rows.reserve(Math.min(2 ** 25, Math.ceil(bytes / 250)));
      this.index.reserve(Math.min(2 ** 26, Math.ceil(bytes / 40)));
    } catch {
      // Address space refused (strict overcommit, a 32-bit limit): grow as needed instead.
    }
  }

  /**
   * `wordSize` is for a builder that starts after the header (a byte range of the parallel
   * reader): the word size the first range read from the header.
   */
  constructor(private readonly wordSizeHint?: 4 | 8) {
    this.dump = emptyFields();
    this.ctx = {
      wordSize: () => this.header?.header.wordSize ?? this.wordSizeHint ?? 8,
      intern: new BytesInterner(),
      unknownKey: (section, key) => {
        addCapped(this.dump.unknown.keys, `${section}: ${key}`, 1, UNKNOWN_KEYS_KEPT);
      },
      corrupt: (where, key, value) => {
        const c = this.dump.corruptValues;
        c.count++;
        if (c.examples.length < CORRUPT_EXAMPLES_KEPT) c.examples.push({ where, key, value: value.slice(0, 60) });
      },
    };
  }

  tag(buf: Buffer, start: number, end: number, lineOffset: number, bodyOffset: number): LineHandler | null | false {
    // The slogan is raw text up to `System version:`: "\n=" inside it is not a tag.
    if (this.header?.sloganOpen) return false;
    this.inRun = false;
    let nameEnd = end;
    for (let p = start + 1; p < end; p++) if (buf[p] === 0x3a) { nameEnd = p; break; }
    const code = TAG_MATCHER.match(buf, start + 1, nameEnd);
    if (this.lateReached) return null;
    if (this.earlyOnly && code >= 0 && EARLY[code] === 0) {
      this.lateReached = true;
      this.closeSection(lineOffset);
      return null;
    }
    if (this.firstTagOffset < 0) this.firstTagOffset = lineOffset;
    this.closeSection(lineOffset);
    if (code === CODE.binary) {
      // Millions in a dump that died with refc binaries queued: no string, no object, not indexed.
      const address = nameEnd < end ? parseHexExact(buf, nameEnd + 1, end) : NaN;
      this.tagCounts[code]++;
      this.lastIndex = -1;
      if (Number.isNaN(address)) {
        this.lastBinary = NaN;
        this.ctx.unknownKey('binary', 'a =binary section whose address is not hexadecimal');
        return null;
      }
      this.lastBinary = address;
      this.reserveBinaries(bodyOffset);
      this.bins.add(address, bodyOffset);
      this.binarySize.seen = false;
      // The binaries are one run of sections near the end of the dump, all alike: `run` takes the
      // rest of it without the scanner's per-line dispatch.
      this.inRun = true;
      return this.binarySize;
    }
    const tag = code >= 0 ? TAG_LIST[code] : buf.toString('latin1', start + 1, nameEnd);
    // Process sections are most of the tags of a big dump: their pid ids are packed from the bytes,
    // and a string is made only for the sections that keep one.
    const packed = nameEnd < end ? packPidBytes(buf, nameEnd + 1, end) : NaN;
    const onDemand = code >= 0 && ON_DEMAND[code] === 1;
    const ets = code === CODE.ets || code === CODE.internal_ets;
    // A pid that packs needs no string: sections read on demand and the process table keep it
    // packed, and the ETS parser makes one per owner, not per table.
    const id = nameEnd < end && (Number.isNaN(packed) || !(onDemand || code === CODE.proc || ets || code === CODE.timer)) ? buf.toString('utf8', nameEnd + 1, end) : '';
    if (code === CODE.abort) {
      // `=abort:REASON` is the writer giving up (ERL_CRASH_DUMP_BYTES), not a data section.
      this.abortReason = id;
      return null;
    }
    if (code >= 0) this.tagCounts[code]++;
    else countUnknownTag(this.dump, tag, 1);
    this.index.add(code >= 0 ? code : this.index.codeOf(tag), packed, id, bodyOffset);
    this.lastOpen = true;
    this.lastIndex = this.index.size - 1;
    this.lastBinary = NaN;
    if (onDemand || code < 0) return null;
    if (ets) return (this.etsParser ??= new EtsParser(this.ctx)).begin(packed, id, this.dump.ets);
    if (code === CODE.timer) {
      this.countTimer(packed, id);
      return null;
    }
    if (code === CODE.proc) {
      this.procParser ??= new ProcParser(this.rows, this.ctx);
      this.pendingFinish = this.finishProc;
      return this.procParser.begin(packed, id);
    }
    return this.handlerFor(tag, id);
  }

  /** After a `=binary` section: the scanner hands the next tag lines to `run` first. */
  inRun = false;

  /**
   * The `=binary` sections from the tag line at `start` on, each `=binary:ADDR` and one body line
   * `SIZE:DATA`, as `tag` and `binarySize` would read them: a node that died with millions of refc
   * binaries queued writes millions of them in a row (class a: 3,000,000 of 0.8 GB), and there the
   * scanner's dispatch per line (find the tag's name, match it, call a handler per line) was most
   * of the cost of a section. Anything else, or anything unusual (an address or size that is not
   * plain hex, a section not wholly in this chunk), is left to the scanner, which reads it the
   * slow way and ends the run if it is not a `=binary`.
   */
  run(buf: Buffer, start: number, end: number, limit: number, base: number): number {
    const bins = this.bins;
    let p = start;
    let taken = 0;
    let address = NaN;
    while (p < limit && p + 8 < end && buf[p + 1] === 0x62 && buf[p + 2] === 0x69 && buf[p + 3] === 0x6e
      && buf[p + 4] === 0x61 && buf[p + 5] === 0x72 && buf[p + 6] === 0x79 && buf[p + 7] === 0x3a) {
      // `=binary:` then 1 to 13 hex digits (parseHexExact's bound) and the line end.
      let q = p + 8;
      let a = 0;
      for (; q < end && q - p < 21 && HEX[buf[q]] >= 0; q++) a = a * 16 + HEX[buf[q]];
      if (q === p + 8) break;
      if (q < end && buf[q] === 0x0d) q++;
      if (q >= end || buf[q] !== 0x0a) break;
      const body = q + 1;
      // `SIZE:` in hex, then the data to the line end.
      let r = body;
      let size = 0;
      for (; r < end && r - body < 14 && HEX[buf[r]] >= 0; r++) size = size * 16 + HEX[buf[r]];
      if (r === body || r - body > 13 || r >= end || buf[r] !== 0x3a) break;
      // The data is base64 (0.5 dumps) or hex (older ones) of SIZE bytes, so its line most likely
      // ends at a known place: checking there (and that a tag line follows) saves a native call
      // per section; otherwise the line end is searched for.
      const b64End = r + 1 + Math.ceil(size / 3) * 4;
      const hexEnd = r + 1 + size * 2;
      const nl = b64End < end && buf[b64End] === 0x0a && (b64End + 1 === end || buf[b64End + 1] === 0x3d) ? b64End
        : hexEnd < end && buf[hexEnd] === 0x0a && (hexEnd + 1 === end || buf[hexEnd + 1] === 0x3d) ? hexEnd
          : buf.indexOf(0x0a, r + 1);
      if (nl < 0 || nl >= end) break;
      bins.add(a, base + body);
      bins.setLastSize(size);
      address = a;
      taken++;
      p = nl + 1;
    }
    if (taken > 0) {
      this.tagCounts[CODE.binary] += taken;
      this.lastBinary = address;
    }
    return p;
  }

  end(endOffset: number, cutMidLine: boolean, inSkippedSection = false): void {
    // Only an indexed section has a length to close in the next range (a `=binary` has none); a
    // range without a tag line is inside the section the range before left open.
    const open = this.lastOpen || this.firstTagOffset < 0;
    this.closeSection(endOffset);
    this.endOffset = endOffset;
    this.cutMidLine = cutMidLine;
    this.openEnd = inSkippedSection && open;
  }

  /**
   * One `=timer` section: counted by owner, a pid packed (a node that leaks timers writes millions
   * of them, each a string and a record key was most of their cost) or a registered name as written.
   */
  private countTimer(packed: number, id: string): void {
    this.dump.timers.count++;
    if (Number.isNaN(packed)) {
      addCapped(this.dump.timers.byOwner, id, 1, TIMER_OWNERS_KEPT);
      return;
    }
    const n = this.timerOwners.get(packed);
    if (n !== undefined) this.timerOwners.set(packed, n + 1);
    else if (this.timerOwners.size < TIMER_OWNERS_KEPT) this.timerOwners.set(packed, 1);
  }

  /** Timers by packed owner pid, folded into `dump.timers.byOwner` by flushCounts. */
  private readonly timerOwners = new Map<number, number>();

  /** Adds the per-code section counts to `dump.sectionCounts` and the timers by owner to `dump.timers` (before the record is handed on). */
  private flushCounts(): void {
    for (const [packed, n] of this.timerOwners) addCapped(this.dump.timers.byOwner, unpackPid(packed), n, TIMER_OWNERS_KEPT);
    this.timerOwners.clear();
    const counts = this.dump.sectionCounts;
    for (let c = 0; c < this.tagCounts.length; c++) {
      if (this.tagCounts[c] === 0) continue;
      counts[TAG_LIST[c]] = (counts[TAG_LIST[c]] ?? 0) + this.tagCounts[c];
      this.tagCounts[c] = 0;
    }
  }

  private closeSection(offset: number): void {
    // Once only: after `=abort` (not a section) the end of the input must not stretch the last one.
    if (this.lastOpen) this.index.closeLast(offset);
    this.lastOpen = false;
    this.pendingFinish?.();
    this.pendingFinish = null;
  }

  private handlerFor(tag: string, id: string): LineHandler | null {
    const d = this.dump;
    const ctx = this.ctx;
    switch (tag) {
      case 'erl_crash_dump':
        this.header = new HeaderParser(id, ctx);
        return this.header;
      case 'port': return (this.portParser ??= new PortParser(ctx)).begin(id, d.ports);
      case 'fun': d.funCount++; return null;
      case 'memory': return memoryHandler(d.memory, ctx);
      case 'hash_table': return hashTableHandler(id, d.hashTables, ctx);
      case 'index_table': return indexTableHandler(id, d.indexTables, ctx);
      case 'allocated_areas': return allocatedAreasHandler(d.allocatedAreas);
      case 'allocator': return allocatorHandler(id, d.allocators);
      case 'node': d.distribution.thisNode = id; return null;
      case 'no_distribution': d.distribution.distributed = false; return null;
      case 'visible_node': case 'hidden_node': case 'not_connected':
        if (tag !== 'not_connected') d.distribution.distributed = true;
        return nodeHandler(tag === 'visible_node' ? 'visible' : tag === 'hidden_node' ? 'hidden' : 'not_connected', id, d.distribution.connections, ctx);
      case 'loaded_modules': return loadedModulesHandler(d.loadedModules, ctx);
      case 'mod': return modHandler(id, d.loadedModules.modules, ctx);
      case 'scheduler': case 'dirty_cpu_scheduler': case 'dirty_io_scheduler':
        return schedulerHandler(tag === 'scheduler' ? 'normal' : tag === 'dirty_cpu_scheduler' ? 'dirty_cpu' : 'dirty_io', Number(id), d.schedulers, ctx);
      case 'dirty_cpu_run_queue': case 'dirty_io_run_queue':
        return runQueueHandler(tag === 'dirty_cpu_run_queue' ? 'dirty_cpu' : 'dirty_io', d.runQueues, ctx);
      case 'persistent_terms': return lineCounter(0, (n) => { d.persistentTermCount = n; });
      case 'atoms': return lineCounter(NEWEST_ATOMS_KEPT, (n) => { d.atoms.count = n; }, d.atoms.newest);
      case 'end': this.sawEnd = true; return null;
      default:
        return null;
    }
  }

  /**
   * True once the section after the header has begun: the slogan can no longer take `=` lines,
   * and the word size is known.
   */
  get headerDone(): boolean {
    return this.header !== null && this.index.size > 1;
  }

  get wordSize(): 4 | 8 {
    return this.ctx.wordSize();
  }

  /**
   * What this builder read from its byte range (see absorb), for a worker thread to post. The
   * builder can then be `reset` for the next range. With `copy` false, the part's arrays are views
   * of this builder's, good until it reads again (the lead thread's own range, merged at once).
   */
  toPart(copy = true): DumpPart {
    this.flushCounts();
    const data = this.firstTagOffset < 0 ? undefined : {
      fields: this.dump, index: this.index.toPart(copy), rows: this.rows.toPart(copy), binaries: this.bins.toPart(copy),
      ...(this.lastIndex < 0 && !Number.isNaN(this.lastBinary) ? { lastBinary: this.lastBinary } : {}),
    };
    return {
      data, sawEnd: this.sawEnd, abortReason: this.abortReason, cutMidLine: this.cutMidLine, endOffset: this.endOffset,
      firstTagOffset: this.firstTagOffset, openEnd: this.openEnd,
    };
  }

  /** Forgets everything read, keeping the big arrays, for the next byte range. */
  reset(): void {
    if (this.firstTagOffset >= 0) this.resetData();
    this.sawEnd = false;
    this.cutMidLine = false;
    this.endOffset = 0;
    this.abortReason = undefined;
    this.openEnd = false;
    this.lastOpen = false;
  }

  private resetData(): void {
    this.dump = emptyFields();
    this.timerOwners.clear();
    this.index.clear();
    this.rows.clear();
    this.header = null;
    this.pendingFinish = null;
    this.bins.clear();
    this.tagCounts.fill(0);
    this.lastIndex = -1;
    this.lastBinary = NaN;
    this.firstTagOffset = -1;
    this.inRun = false;
  }

  /**
   * Room for every `=binary` section from `offset` on, made when the first one comes. A
   * `=binary` section holds a refc binary (over 64 bytes, so over 100 bytes of text): the rest of
   * the file bounds how many there can be. Reserved rows cost address space only.
   */
  private reserveBinaries(offset: number): void {
    if (this.bins.count > 0 || !(this.fileBytes > offset)) return;
    try {
      this.bins.reserve(Math.ceil((this.fileBytes - Math.max(0, offset)) / 100));
    } catch {
      // Address space refused: the table grows as needed instead.
    }
  }

  /**
   * Adds what the following byte ranges' builders read, in file order, as if this builder had read
   * on: lists are appended, counts summed, and the end of the dump is the last part's. The big
   * arrays are sized once for the total.
   */
  absorbAll(parts: DumpPart[]): void {
    const withData = parts.flatMap((p) => (p.data ? [p.data] : []));
    // The parallel reader merges range by range: the first binaries merged reserve the table as
    // the first one read does (growing by doubling would hold two copies at the last step).
    const firstWithBinaries = parts.find((p) => (p.data?.binaries.address.length ?? 0) > 0);
    if (firstWithBinaries) this.reserveBinaries(firstWithBinaries.firstTagOffset);
    this.rows.appendParts(withData.map((p) => p.rows));
    this.bins.appendParts(withData.map((p) => p.binaries));
    for (const p of parts) this.absorb(p);
  }

  private absorb(p: DumpPart): void {
    // A section left open by the range before ends at this range's first tag line, or where this
    // range's scan ended when it had none.
    if (this.openEnd && (p.firstTagOffset >= 0 || !p.openEnd)) {
      this.index.closeLast(p.firstTagOffset >= 0 ? p.firstTagOffset : p.endOffset);
      this.openEnd = false;
    }
    if (p.firstTagOffset >= 0) this.openEnd = p.openEnd;
    this.sawEnd ||= p.sawEnd;
    this.abortReason = p.abortReason ?? this.abortReason;
    this.cutMidLine = p.cutMidLine;
    this.endOffset = p.endOffset;
    if (!p.data) return;
    const d = this.dump;
    const f = p.data.fields;
    Object.assign(d.memory, f.memory);
    const append = <T>(to: T[], from: T[]) => { for (const x of from) to.push(x); };
    append(d.hashTables, f.hashTables);
    append(d.indexTables, f.indexTables);
    append(d.allocatedAreas, f.allocatedAreas);
    append(d.allocators, f.allocators);
    append(d.ports, f.ports);
    append(d.ets, f.ets);
    append(d.schedulers, f.schedulers);
    append(d.runQueues, f.runQueues);
    append(d.distribution.connections, f.distribution.connections);
    append(d.loadedModules.modules, f.loadedModules.modules);
    d.timers.count += f.timers.count;
    for (const [owner, n] of Object.entries(f.timers.byOwner)) addCapped(d.timers.byOwner, owner, n, TIMER_OWNERS_KEPT);
    d.distribution.thisNode ??= f.distribution.thisNode;
    if (f.distribution.distributed !== undefined) d.distribution.distributed = f.distribution.distributed;
    const { modules: _m, ...codeSizes } = f.loadedModules;
    Object.assign(d.loadedModules, codeSizes);
    d.funCount += f.funCount;
    if (f.persistentTermCount > 0) d.persistentTermCount = f.persistentTermCount;
    if (f.atoms.count > 0) d.atoms.count = f.atoms.count;
    for (const a of f.atoms.newest) if (d.atoms.newest.length < NEWEST_ATOMS_KEPT) d.atoms.newest.push(a);
    for (const [tag, n] of Object.entries(f.sectionCounts)) if (KNOWN_TAGS.has(tag)) addCapped(d.sectionCounts, tag, n, Infinity);
    for (const [tag, n] of Object.entries(f.unknown.tags)) {
      if (tag === OTHER_TAGS) addCapped(d.unknown.tags, OTHER_TAGS, n, Infinity);
      else countUnknownTag(d, tag, n);
    }
    for (const [k, n] of Object.entries(f.unknown.keys)) addCapped(d.unknown.keys, k, n, UNKNOWN_KEYS_KEPT);
    d.corruptValues.count += f.corruptValues.count;
    for (const e of f.corruptValues.examples) if (d.corruptValues.examples.length < CORRUPT_EXAMPLES_KEPT) d.corruptValues.examples.push(e);
    this.index.appendPart(p.data.index);
    // The part's last section: a `=binary` (lastBinary) or its last indexed one.
    if (p.data.lastBinary !== undefined) {
      this.lastBinary = p.data.lastBinary;
      this.lastIndex = -1;
    } else if (p.data.index.tags.length > 0) {
      this.lastIndex = this.index.size - 1;
      this.lastBinary = NaN;
    }
  }

  /** The finished model. */
  result(source: DumpSource): Dump {
    this.flushCounts();
    const header = this.header?.header ?? {
      dumpVersion: '?', slogan: '', wordSize: 8 as const, wordSizeAssumed: true, jit: false, taints: [],
    };
    const d = this.dump;
    if (d.distribution.distributed === undefined && d.distribution.thisNode !== undefined) {
      d.distribution.distributed = d.distribution.thisNode !== "'nonode@nohost'" && d.distribution.thisNode !== 'nonode@nohost';
    }
    // A read that stopped early did not see the end: the reader looked at the file's tail instead
    // (tailEnd), or could not (a stream), and then claims nothing.
    const sawEnd = this.lateReached ? this.tailEnd ?? true : this.sawEnd;
    const truncated = !sawEnd || this.abortReason !== undefined;
    return {
      ...d,
      source: { ...source, bytes: this.endOffset, read: this.earlyOnly ? 'allocators' : 'all' },
      header,
      processes: this.rows.finished(),
      binaries: this.bins.result(),
      truncation: {
        truncated,
        abortReason: this.abortReason,
        cutMidLine: this.cutMidLine,
        ...(this.lateReached ? { earlyWhole: true } : {}),
        ...(this.lastIndex >= 0 ? { lastTag: this.index.at(this.lastIndex).tag, lastId: this.index.at(this.lastIndex).id }
          : !Number.isNaN(this.lastBinary) ? { lastTag: 'binary', lastId: this.lastBinary.toString(16).toUpperCase() } : {}),
        bytesRead: this.endOffset,
      },
      index: this.index,
    };
  }
}

