/**
 * Decoding one process of a dump: its `=proc` record, stack, dictionary, mailbox (streamed
 * message by message) and the refc binaries its heap holds. Only that process's sections and
 * `=literals` are read; the heap is indexed address -> file offset in typed arrays.
 */
import { openData, readData, closeData } from '../data-file.js';
import { InputError } from '../../errors.js';
import type { SectionIndex } from '../section-index.js';
import { linesOfRange, sectionLines } from '../section-lines.js';
import { dataPath, notSeekableBecause, type BinaryIndex, type Dump, type DumpHeader, type DumpSource, type ProcessTable, type SectionRef } from '../types.js';
import type { MessageShape, TimerSample } from '../analyze/report-types.js';
import { timerSample } from './timers.js';
import {
  parseProcRecord, type HeldBinary, type MessageSample, type ProcessDetail, type ProcRecord,
} from './process-detail.js';
import { BinaryLocator, NO_BINARIES, TermDecoder, Warnings, hex, type DecodeLimits, type DecoderSources } from './decoder.js';
import { decodeEtf } from './etf.js';
import { parseHexBytes } from '../bytes.js';
import type { NumberColumn } from '../columns.js';
import { BlockReader, HeapIndex, LazyHeapIndex, type LiteralLines } from './heap-index.js';
import { SequentialHeap, UNSIZED } from './sequential-heap.js';
import { quickDictionary } from './dictionary-lines.js';
import { readStack, type StackOptions } from './stack.js';
import { marker, type Term } from './model.js';
import { printTerm } from './printer.js';
import { ShapeHistogram, type ShapeRow } from './shape.js';
import { FastShaper } from './fast-shape.js';
import { forEachLine, forEachRefcLine, searchFile } from './lines.js';
import { LINK_ITEMS_KEPT, readLinkList } from './link-list.js';
import { MiB } from '../../text/units.js';
import { formatBytes } from '../../text/format.js';
import { cutPlace, truncationHides } from '../truncation.js';

/** What the term decoder needs of a Dump (a full `Dump` from readDump has all of it). */
export interface TermDump {
  index: SectionIndex;
  header: Pick<DumpHeader, 'wordSize' | 'dumpVersion'> & Partial<Pick<DumpHeader, 'otpRelease'>>;
  source: Pick<DumpSource, 'path'> & Partial<Pick<DumpSource, 'seekable' | 'gzip' | 'compression' | 'spool' | 'notSpooled'>>;
  binaries?: Pick<BinaryIndex, 'address' | 'sizeBytes' | 'checkpoints'>;
  processes?: Pick<ProcessTable, 'count' | 'pid' | 'name'> & Partial<Pick<ProcessTable, 'links' | 'monitors' | 'monitoredBy'>>;
  /** Timers by owner (decodeProcess reads a process's own only when it has some). */
  timers?: Pick<Dump['timers'], 'byOwner'>;
  /** Where a cut dump stops (decodeProcess says what it then lacks). */
  truncation?: Dump['truncation'];
  sectionCounts?: Dump['sectionCounts'];
}

export interface DecodeProcessOptions extends DecodeLimits {
  /** Messages kept decoded as samples (default 10). */
  maxSamples?: number;
  /** Characters of each printed sample / shape example (default 200 / 120). */
  sampleWidth?: number;
  exampleWidth?: number;
  /** Stop reading the mailbox after this many messages (default: all). */
  maxMessages?: number;
  /** Scan the other processes' heaps to tell shared from exclusive binaries (default true). */
  binarySharing?: boolean;
  /** The timers' shapes in another syntax too (Elixir's, which the caller knows: timerSample). */
  timerShapeSyntax?: (row: ShapeRow) => MessageShape['elixir'];
  /** Characters of each printed stack slot / dictionary entry (default 300). */
  termWidth?: number;
  /**
   * Count messages of an already seen structure without decoding them (default true; the result
   * is the same, tests compare both ways).
   */
  fastShapes?: boolean;
  /** The stack's bounds (src/dump/terms/stack.ts), smaller in tests. */
  stackLimits?: StackOptions['limits'];
  /** Dictionary entries decoded and kept (default DICTIONARY_ENTRIES) and shaped (DICTIONARY_SHAPES): smaller in tests. */
  dictionaryLimits?: { entries?: number; shapes?: number };
  /** Bytes read of each `=proc` line for the record (default 1 MiB; smaller in tests, to cut a Link list line). */
  recordLineBytes?: number;
}

interface DumpResources {
  literals?: LiteralLines | null;
  binaries?: BinaryLocator;
}
const resources = new WeakMap<object, DumpResources>();

function res(dump: TermDump): DumpResources {
  let r = resources.get(dump);
  if (!r) {
    r = {};
    resources.set(dump, r);
  }
  return r;
}

function checkSeekable(dump: TermDump): void {
  if (dump.source.seekable === false || ((dump.source.gzip || dump.source.compression) && !dump.source.spool)) {
    throw new InputError(`${dump.source.path}: process details are read back from the dump by offset, which needs ${notSeekableBecause(dump.source)}`);
  }
}

function literalsIndex(dump: TermDump): LiteralLines | undefined {
  const r = res(dump);
  if (r.literals === undefined) {
    const ref = dump.index.find('literals')[0];
    r.literals = ref ? new LazyHeapIndex(dataPath(dump.source), ref.offset, ref.length) : null;
  }
  return r.literals ?? undefined;
}

function binaryLocator(dump: TermDump): BinaryLocator {
  const r = res(dump);
  if (!r.binaries) {
    r.binaries = new BinaryLocator(dump.binaries ?? NO_BINARIES, base64Payloads(dump));
  }
  return r.binaries;
}

/** `<0.85.0>` as is; a registered name is looked up among the `=proc` sections. */
export function resolvePid(dump: TermDump, pidOrName: string): string | undefined {
  // `<0.85.0>`, and the forms typed to avoid quoting `<>` in a shell: `0.85.0`, `pid(0,85,0)`.
  const m = /^<?(\d+)\.(\d+)\.(\d+)>?$/.exec(pidOrName) ?? /^pid\((\d+), *(\d+), *(\d+)\)$/.exec(pidOrName);
  if (m) {
    const pid = `<${m[1]}.${m[2]}.${m[3]}>`;
    return dump.index.get('proc', pid) ? pid : undefined;
  }
  const p = dump.processes;
  if (p) {
    const row = p.name.find(pidOrName);
    return row < 0 ? undefined : p.pid.at(row);
  }
  for (const ref of dump.index.find('proc')) {
    for (const line of sectionLines(dataPath(dump.source), ref, { maxLineBytes: 4096 })) {
      if (line.length > 6 && line.toString('latin1', 0, 6) === 'Name: ') {
        if (line.toString('utf8', 6) === pidOrName) return ref.id;
        break;
      }
    }
  }
  return undefined;
}

/** Dump versions 0.4 and later write binary payloads in base64, earlier ones in hex. */
function base64Payloads(dump: TermDump): boolean {
  return Number.parseFloat(dump.header.dumpVersion) >= 0.5 || dump.header.dumpVersion === '0.4';
}

function sources(dump: TermDump, reader: BlockReader, heap: HeapIndex | undefined): DecoderSources {
  return {
    reader,
    heap,
    literals: literalsIndex(dump),
    binaries: binaryLocator(dump),
    base64: base64Payloads(dump),
  };
}

// ---- messages -------------------------------------------------------------------------------

interface ParsedMessage {
  term: Term;
  token?: Term;
  /** The message line (valid until the next message). */
  line?: Buffer;
}

/** Parses one `=proc_messages` line: `ELEMENT:TOKEN` or `D..E..:TOKEN`. */
function parseMessageLine(dec: TermDecoder, line: Buffer, base64: boolean): ParsedMessage {
  if (line.length === 0) return { term: marker('malformed', 'empty message line') };
  if (line[0] === 68) return parseDistMessage(dec, line, base64);
  const { term, next } = dec.decodeElementAt(line, 0);
  if (next < 0 || line[next] !== 58) return { term };
  const tok = dec.decodeElementAt(line, next + 1);
  return { term, token: tok.term };
}

function parseDistMessage(dec: TermDecoder, line: Buffer, base64: boolean): ParsedMessage {
  try {
    let p = 1;
    const hexField = (): number => {
      const s = p;
      while (p < line.length && line[p] !== 58) p++;
      const v = parseHexBytes(line, s, p);
      if (Number.isNaN(v)) throw new Error('bad D line');
      p++;
      return v;
    };
    const natoms = hexField();
    const atoms: string[] = [];
    for (let i = 0; i < natoms; i++) {
      if (line[p] !== 65) throw new Error('atom expected');
      p++;
      const len = hexField();
      atoms.push(line.toString('utf8', p, p + len));
      p += len;
    }
    if (line[p] !== 69) throw new Error('E expected');
    p++;
    const n = hexField();
    if (n === 0) return { term: marker('dist', 'no data') };
    const chars = base64 ? Math.ceil(n / 3) * 4 : 2 * n;
    const text = line.toString('latin1', p, p + chars);
    const data = Buffer.from(text, base64 ? 'base64' : 'hex');
    p += chars;
    let term = decodeEtf(data, { atomCache: atoms });
    if (term.t === 'marker') term = marker('dist', term.detail);
    const token = line[p] === 58 ? dec.decodeElementAt(line, p + 1).term : undefined;
    return { term, token };
  } catch (e) {
    return { term: marker('dist', e instanceof Error ? e.message : String(e)) };
  }
}

export interface MailboxShapes {
  messages: number;
  shapes: ShapeRow[];
  /** With maxHeapReadBytes: the bytes of the heap section read. */
  heapBytesRead?: number;
  /** With maxHeapReadBytes: a line was not within it, so some shapes may be wrong (not to be shown). */
  cutShort?: boolean;
}

/**
 * Streams the messages of a `=proc_messages` section into `hist`. Messages whose structure was
 * seen before are counted by the FastShaper without decoding; the others (and the messages with
 * an index in `decode`, [from, to)) are decoded with `msgDec`, and `onDecoded` sees them with
 * their index.
 */
function streamMailbox(dump: TermDump, src: DecoderSources, msgDec: TermDecoder, fullDec: TermDecoder,
  ref: SectionRef | undefined, max: number, hist: ShapeHistogram, decode: [number, number], fastShapes: boolean,
  onDecoded?: (index: number, m: ParsedMessage, withBytes: () => ParsedMessage) => void): void {
  if (!ref) return;
  const base64 = Number.parseFloat(dump.header.dumpVersion) >= 0.5;
  const wordSize = dump.header.wordSize;
  const fast = new FastShaper({
    heap: src.heapLines instanceof SequentialHeap ? src.heapLines : undefined,
    literals: src.literals,
    reader: src.reader,
    binaries: src.binaries,
    base64: src.base64,
    maxLineBytes: 16 * MiB,
  }, wordSize);
  const canFast = fastShapes && (src.heapLines === undefined || src.heapLines instanceof SequentialHeap);
  let n = 0;
  const [from, to] = decode;
  forEachLine(dataPath(dump.source), ref.offset, ref.length, 16 * MiB, (b, start, end) => {
    if (n >= max) return false;
    if (end === start) return true;
    const i = n++;
    const forced = i >= from && i < to;
    if (canFast && !forced && fast.tryCount(b, start, end, hist)) return true;
    const line = b.subarray(start, end);
    const m = parseMessageLine(msgDec, line, base64);
    let full: ParsedMessage | undefined;
    const withBytes = (): ParsedMessage => (full ??= parseMessageLine(fullDec, line, base64));
    hist.add(m.term, wordSize, () => withBytes().term);
    if (!forced) fast.learn(m.term, hist);
    onDecoded?.(i, m, withBytes);
    return true;
  });
}

/**
 * A histogram of the shapes of one process's queued messages, largest first, streamed message
 * by message (memory: the heap index, not the mailbox).
 */
export function mailboxShapes(dump: TermDump, pid: string,
  opts: { maxMessages?: number; exampleWidth?: number; fastShapes?: boolean; maxHeapReadBytes?: number; windowLines?: number } & DecodeLimits = {}): MailboxShapes {
  checkSeekable(dump);
  if (!dump.index.get('proc', pid)) throw new InputError(`no process ${pid} in ${dump.source.path}`);
  const msgRef = dump.index.get('proc_messages', pid);
  if (!msgRef) return { messages: 0, shapes: [] };
  const heapRef = dump.index.get('proc_heap', pid);
  const reader = new BlockReader(dataPath(dump.source));
  const heapLines = heapRef
    ? new SequentialHeap(dataPath(dump.source), heapRef.offset, heapRef.length, reader, { maxReadBytes: opts.maxHeapReadBytes, maxWindowLines: opts.windowLines })
    : undefined;
  try {
    const src: DecoderSources = { ...sources(dump, reader, undefined), heapLines };
    // Shapes need sizes only; the first message of each shape is decoded again with payloads.
    const dec = new TermDecoder(src, { memoHeap: false, ...opts, binaryBytes: 0 });
    const full = new TermDecoder(src, { memoHeap: false, ...opts, binaryBytes: opts.binaryBytes ?? 64 });
    const hist = new ShapeHistogram(opts.exampleWidth ?? 120);
    streamMailbox(dump, src, dec, full, msgRef, opts.maxMessages ?? Infinity, hist, [0, 0], opts.fastShapes ?? true);
    const out: MailboxShapes = { messages: hist.total, shapes: hist.result() };
    if (opts.maxHeapReadBytes !== undefined) {
      out.heapBytesRead = heapLines?.bytesRead ?? 0;
      if (heapLines?.cutShort) out.cutShort = true;
    }
    return out;
  } finally {
    heapLines?.close();
    reader.close();
  }
}

/** A queued message of a page (messagePage), with its own shape. */
export interface PagedMessage extends MessageSample {
  shape: string;
}

/**
 * Messages [from, from + count) of one process's queue, decoded with their shapes (`serve` pages a
 * mailbox this way). The messages before `from` are streamed past, most without being decoded;
 * the reading stops after the page. `more`: whether the queue goes on after it.
 */
export function messagePage(dump: TermDump, pid: string, from: number, count: number,
  opts: { sampleWidth?: number } & DecodeLimits = {}): { messages: PagedMessage[]; more: boolean } {
  checkSeekable(dump);
  if (!dump.index.get('proc', pid)) throw new InputError(`no process ${pid} in ${dump.source.path}`);
  const msgRef = dump.index.get('proc_messages', pid);
  if (!msgRef || count <= 0) return { messages: [], more: false };
  const path = dataPath(dump.source);
  const heapRef = dump.index.get('proc_heap', pid);
  const reader = new BlockReader(path);
  const heapLines = heapRef ? new SequentialHeap(path, heapRef.offset, heapRef.length, reader) : undefined;
  const wordSize = dump.header.wordSize;
  try {
    const src: DecoderSources = { ...sources(dump, reader, undefined), heapLines };
    const limits = { maxNodes: 250_000, ...opts, memoHeap: false };
    const dec = new TermDecoder(src, { ...limits, binaryBytes: 0 });
    const full = new TermDecoder(src, { ...limits, binaryBytes: opts.binaryBytes ?? 64 });
    const messages: PagedMessage[] = [];
    // One message past the page says whether there is more.
    const passed = new ShapeHistogram(0);
    streamMailbox(dump, src, dec, full, msgRef, from + count + 1, passed, [from, from + count], true, (i, _m, withBytes) => {
      if (i < from || i >= from + count) return;
      const f = withBytes();
      const one = new ShapeHistogram(0);
      one.add(f.term, wordSize);
      messages.push({ index: i, term: f.term, text: printTerm(f.term, { maxChars: opts.sampleWidth ?? 300 }), seqToken: f.token, shape: one.result()[0]?.shape ?? '' });
    });
    return { messages, more: passed.total > from + count };
  } finally {
    heapLines?.close();
    reader.close();
  }
}

// ---- binaries held --------------------------------------------------------------------------

/** Off-heap binary addresses referenced by `Yc`/`Ys` lines of a heap section, with counts. */
function scanRefcLines(path: string, ref: SectionRef | undefined, locator: BinaryLocator,
  visit: (address: number, size: number) => void, fd?: number, sized = false): void {
  if (!ref) return;
  forEachRefcLine(path, ref.offset, ref.length, (line, s, e, k, size) => {
    const a = parseHexBytes(line, s, e);
    if (Number.isNaN(a)) return;
    if (k === 115 && !locator.has(a)) return; // a sub binary of a heap object
    visit(a, size);
  }, Math.min(MiB, Math.max(4096, ref.length)), fd, sized);
}

/**
 * The refc binaries one process's dumped heap refers to: how many distinct ones and their bytes
 * (sizes from `=binary`). What its BinVHeap counts beyond them, its heap no longer reaches.
 */
export function heapBinaryTotals(dump: TermDump, pid: string): { binaries: number; bytes: number } {
  const b = heldBinaries(dump, pid, false);
  return { binaries: b.count, bytes: b.totalBytes };
}

/** Held binaries listed in a ProcessDetail, largest first; the rest are counted. */
export const MAX_HELD_LISTED = 1000;

/**
 * The refc binaries one process's heap references, with per-binary counts in typed arrays by
 * binary row (a Map and an object per binary were 900 MB and 7 s for a mailbox of 3,000,000).
 */
function heldBinaries(dump: TermDump, pid: string, sharing: boolean, heapLines?: SequentialHeap): ProcessDetail['binaries'] {
  const locator = binaryLocator(dump);
  const known = locator.count;
  const refs = new Uint32Array(known);
  // Addresses without a =binary section (a cut dump), by address: their bytes from their `Yc`
  // lines (the ProcBin's size), the sizes of the first listed kept.
  const unknown = new Map<number, number>();
  let unknownBytes = 0;
  const unknownSize = new Map<number, number>();
  const note = (a: number, size: number) => {
    const row = locator.rowOf(a);
    if (row >= 0) {
      refs[row]++;
      return;
    }
    const seen = unknown.get(a);
    unknown.set(a, (seen ?? 0) + 1);
    if (seen !== undefined || size < 0) return;
    unknownBytes += size;
    if (unknownSize.size < MAX_HELD_LISTED) unknownSize.set(a, size);
  };
  // The streaming read of this heap noted its refc lines already (reading the rest if needed).
  const own = heapLines?.refcLines();
  if (own) {
    for (let i = 0; i < own.count; i++) {
      const a = own.addrs[i];
      if (own.kinds[i] === 115 && !locator.has(a)) continue;
      const size = own.sizes ? own.sizes[i] : UNSIZED;
      note(a, size === UNSIZED ? -1 : size);
    }
  } else scanRefcLines(dataPath(dump.source), dump.index.get('proc_heap', pid), locator, note, undefined, dump.truncation?.truncated === true);
  let distinct = unknown.size;
  for (let r = 0; r < known; r++) if (refs[r] > 0) distinct++;
  const others = sharing ? new Uint32Array(known) : undefined;
  const literal = sharing ? new Uint8Array(known) : undefined;
  if (others && literal && distinct > 0) {
    // Which heap saw a row last, so that a heap referring to a binary twice counts once.
    const lastHeap = new Int32Array(known).fill(-1);
    const fd = openData(dataPath(dump.source));
    try {
      let serial = 0;
      for (const ref of dump.index.find('proc_heap')) {
        if (ref.id === pid) continue;
        const s = serial++;
        scanRefcLines(dataPath(dump.source), ref, locator, (a) => {
          const row = locator.rowOf(a);
          if (row < 0 || refs[row] === 0 || lastHeap[row] === s) return;
          lastHeap[row] = s;
          others[row]++;
        }, fd);
      }
      scanRefcLines(dataPath(dump.source), dump.index.find('literals')[0], locator, (a) => {
        const row = locator.rowOf(a);
        if (row >= 0 && refs[row] > 0) literal[row] = 1;
      }, fd);
    } finally {
      closeData(fd);
    }
  }
  // Totals over all; the listed ones are the largest (a bounded selection, not a sort of millions).
  let total = 0;
  let shared = 0;
  // The rows listed and their sizes (-1: not known), sizes kept here: the rows are all over the
  // table, which a saved index reads a window at a time (BinaryLookup).
  const top: number[] = [];
  const topSize: number[] = [];
  for (let r = 0; r < known; r++) {
    if (refs[r] === 0) continue;
    const s = locator.sizeAt(r);
    const size = Number.isFinite(s) ? s : -1;
    if (size >= 0) {
      total += size;
      if (others && literal && (others[r] > 0 || literal[r] === 1)) shared += size;
    }
    if (top.length < MAX_HELD_LISTED) {
      top.push(r);
      topSize.push(size);
    } else if (size > topSize[top.length - 1]) {
      top[top.length - 1] = r;
      topSize[top.length - 1] = size;
    } else continue;
    // Keep `top` sorted, largest first: one insertion step per kept row.
    for (let k = top.length - 1; k > 0 && topSize[k] > topSize[k - 1]; k--) {
      [top[k], top[k - 1]] = [top[k - 1], top[k]];
      [topSize[k], topSize[k - 1]] = [topSize[k - 1], topSize[k]];
    }
  }
  const held: HeldBinary[] = top.map((r, k) => {
    const size = topSize[k];
    const h: HeldBinary = { address: hex(locator.addressAt(r)), sizeBytes: size < 0 ? NaN : size, references: refs[r] };
    if (others && literal) {
      h.otherHolders = others[r];
      h.literal = literal[r] === 1;
      h.shared = h.otherHolders > 0 || h.literal;
    }
    return h;
  });
  for (const [a, n] of unknown) {
    if (held.length >= MAX_HELD_LISTED) break;
    held.push({ address: hex(a), sizeBytes: unknownSize.get(a) ?? NaN, references: n, notInDump: true });
  }
  return {
    count: distinct, held, totalBytes: total + unknownBytes, sharedBytes: shared, exclusiveBytes: total - shared,
    ...(unknown.size > 0 ? { notInDumpBytes: unknownBytes } : {}), sharingComputed: sharing,
  };
}

/**
 * What a cut dump does not have, said first: the messages and binaries of this process past the
 * cut are missing, not empty (a decode counts them as lines not dumped, binaries without a section).
 */
function cutWarning(dump: TermDump, pid: string): string | undefined {
  const t = dump.truncation;
  if (!t?.truncated) return undefined;
  const at = `the dump is cut after ${formatBytes(t.bytesRead)}`;
  if (t.lastTag && t.lastId === pid) return `${at}, in this process's =${t.lastTag} section: what comes after that point is not in it`;
  const hides = truncationHides({ truncation: t, sectionCounts: dump.sectionCounts ?? {} });
  return `${at}, in ${cutPlace(t)}: what comes after that point${hides.length ? ` (${hides.join(', ')})` : ''} is not in it`;
}

// ---- identity -------------------------------------------------------------------------------

function atomOrText(t: Term): string {
  return t.t === 'atom' ? t.v : printTerm(t, { maxChars: 200 });
}

function mfa(t: Term | undefined): string | undefined {
  if (!t || t.t !== 'tuple' || t.v.length !== 3) return undefined;
  const [m, f, a] = t.v;
  if (m.t !== 'atom' || f.t !== 'atom') return undefined;
  const arity = a.t === 'int' ? String(a.v) : a.t === 'list' ? String(a.v.length) : a.t === 'nil' ? '0' : undefined;
  return arity === undefined ? undefined : `${printTerm(m)}:${printTerm(f)}/${arity}`;
}

function identityFrom(dict: Array<{ key: Term; value: Term }>, spawnedAs: string | undefined): { ancestors: string[]; initialCall?: string } {
  let ancestors: string[] = [];
  let initialCall: string | undefined;
  for (const { key, value } of dict) {
    if (key.t !== 'atom') continue;
    if (key.v === '$ancestors') {
      if (value.t === 'list') ancestors = value.v.map(atomOrText);
    } else if (key.v === '$initial_call') initialCall = mfa(value);
  }
  return { ancestors, initialCall: initialCall ?? spawnedAs };
}

/** Dictionary entries decoded and kept for `proc` (which prints ten); past them, counted. */
export const DICTIONARY_ENTRIES = 1000;
/** Entries whose shapes are counted: a process dictionary used as a cache holds millions. */
const DICTIONARY_SHAPES = 20_000;
/** What proc_lib keys look like in a `{Key, Value}` heap line: found without decoding the entry. */
const IDENTITY_KEYS = [Buffer.from(':$initial_call,'), Buffer.from(':$ancestors,')];

/**
 * A process's dictionary in bounded memory: the first DICTIONARY_ENTRIES entries decoded, the
 * shapes of the first DICTIONARY_SHAPES (with `shapeDec`, which keeps nothing), every entry
 * counted, and past the shapes the entries whose heap line names `$initial_call` or `$ancestors`
 * decoded (`identity`): a dictionary is written in hash order, so they can be anywhere. A
 * dictionary of 1,000,000 entries was 19 s and 1.5 GB decoded whole.
 */
function readDictionary(lines: Iterable<Buffer>, dec: TermDecoder, shapeDec: TermDecoder, heap: SequentialHeap | undefined,
  o: { wordSize: 4 | 8; exampleWidth: number; entries: number; shapes: number }) {
  const entries: Array<{ key: Term; value: Term }> = [];
  const identity: Array<{ key: Term; value: Term }> = [];
  const shapes = new ShapeHistogram(o.exampleWidth);
  let size = 0;
  for (const line of lines) {
    if (line.length === 0) continue;
    const n = size++;
    if (n < o.entries) {
      const e = dictionaryEntry(dec.decodeElement(line));
      entries.push(e);
      if (n < o.shapes) shapes.add({ t: 'tuple', v: [e.key, e.value] }, o.wordSize);
    } else if (n < o.shapes) {
      const e = dictionaryEntry(shapeDec.decodeElement(line));
      shapes.add({ t: 'tuple', v: [e.key, e.value] }, o.wordSize);
      if (e.key.t === 'atom' && (e.key.v === '$initial_call' || e.key.v === '$ancestors')) identity.push(e);
    } else if (heap && line[0] === 72) {
      // A pointer that is no address (a damaged line) is looked for nowhere: a miss reads the rest of the heap.
      const address = parseHexBytes(line, 1, line.length);
      if (Number.isFinite(address) && heap.locate(address)) {
        const entry = heap.buf.subarray(heap.start, heap.end_);
        if (IDENTITY_KEYS.some((k) => entry.includes(k))) identity.push(dictionaryEntry(dec.decodeElement(line)));
      }
    }
  }
  return { entries, identity, size, shapes };
}

function dictionaryEntry(t: Term): { key: Term; value: Term } {
  return t.t === 'tuple' && t.v.length === 2 ? { key: t.v[0], value: t.v[1] } : { key: t, value: marker('malformed', 'dictionary entry is not a 2-tuple') };
}

function dictionaryEntries(dec: TermDecoder, lines: Iterable<Buffer>): Array<{ key: Term; value: Term }> {
  const out: Array<{ key: Term; value: Term }> = [];
  for (const line of lines) if (line.length > 0) out.push(dictionaryEntry(dec.decodeElement(line)));
  return out;
}

/** What a caller reading many identities shares between them (readIdentities). */
export interface IdentityOptions {
  /** Read at most this much of a heap's tail (default: all of it, if the pointers need it). */
  maxTailBytes?: number;
  /**
   * One open reader for all (the caller closes it): per process, an open and a close of the file
   * cost more than the rest (class g, 100,030 proc_lib processes: 1.15 s of 1.6 s for 20,000).
   */
  reader?: BlockReader;
  /** The process's `Spawned as`, when the caller has it (the process table's column): its section is then not read. */
  spawnedAs?: string;
  /** Dictionaries over this many bytes are searched (default SEARCH_DICTIONARY_BYTES; tests use 0). */
  searchDictionaryBytes?: number;
}

/**
 * `$ancestors` and the real initial call of a process, cheaply: the dictionary's objects are the
 * last lines of the heap section (the writer dumps stack, messages, then dictionary), so only
 * the tail of the section is read, 256 KiB first and doubling while pointers still miss.
 */
export function processIdentity(dump: TermDump, pid: string, opts: IdentityOptions = {}): { ancestors: string[]; initialCall?: string } {
  checkSeekable(dump);
  const spawnedAs = 'spawnedAs' in opts ? opts.spawnedAs : spawnedAsOf(dump, pid);
  const dictRef = dump.index.get('proc_dictionary', pid);
  if (!dictRef) return { ancestors: [], initialCall: spawnedAs };
  const heapRef = dump.index.get('proc_heap', pid);
  const reader = opts.reader ?? new BlockReader(dataPath(dump.source));
  try {
    if (heapRef && dictRef.length > (opts.searchDictionaryBytes ?? SEARCH_DICTIONARY_BYTES)) return identityFrom(searchedIdentity(dump, reader, dictRef, heapRef), spawnedAs);
    const lines = dictionaryLines(reader, dictRef);
    let tail = 256 << 10;
    for (;;) {
      // Up to maxTailBytes: the tail's lines are held by address, and a heap of gigabytes whose
      // dictionary points far back (a term shared with the state) is not read whole for it.
      const last = tail >= (opts.maxTailBytes ?? Infinity);
      const whole = !heapRef || tail >= heapRef.length || last;
      const extra = heapRef ? tailLines(reader, heapRef, Math.min(tail, heapRef.length)) : new Map<number, Buffer>();
      const quick = quickDictionary(lines, extra);
      let found = quick.entries;
      let missed = false;
      if (quick.odd.length > 0) {
        const dec = new TermDecoder({ ...sources(dump, reader, undefined), extraLines: extra }, { maxNodes: 100_000 });
        found = [...found, ...dictionaryEntries(dec, quick.odd)];
        missed = dec.warnings.counts.has('pointer to a heap line that was not dumped');
      }
      // Both found, or all there is read: a larger tail would add nothing.
      const both = found.some((e) => e.key.t === 'atom' && e.key.v === '$initial_call') && found.some((e) => e.key.t === 'atom' && e.key.v === '$ancestors');
      if ((both && !missed) || (quick.missing === 0 && !missed) || whole) return identityFrom(found, spawnedAs);
      tail *= 4;
    }
  } finally {
    if (!opts.reader) reader.close();
  }
}

/**
 * Dictionary sections longer than this (some 18,000 entries) have their proc_lib keys searched
 * for in the heap's text: the tail read doubling until both are found held every line of a heap
 * of 3,000,000 lines by address (450 MB) when they were written first, as hash order may put them.
 */
const SEARCH_DICTIONARY_BYTES = 256 * 1024;

/**
 * The `$initial_call` and `$ancestors` entries of a large dictionary: each key's first `{Key, _}`
 * line in the heap that the dictionary points to, and the lines its value needs, each found by a
 * search of the heap's text for its address (SearchedLines).
 */
function searchedIdentity(dump: TermDump, reader: BlockReader, dictRef: SectionRef, heapRef: SectionRef): Array<{ key: Term; value: Term }> {
  const heap = new SearchedLines(reader, heapRef);
  const entries: Buffer[] = [];
  for (const key of IDENTITY_KEYS) {
    const text = key.toString('latin1');
    for (let from = heapRef.offset; ;) {
      const at = searchFile(reader.fd, text, from, heapRef.offset + heapRef.length);
      if (at < 0) break;
      from = at + 1;
      // The line's start: its address, `:t2:`, the key's length and `:` are at most 40 bytes before.
      const start = Math.max(heapRef.offset, at - 40);
      const head = Buffer.allocUnsafe(at - start);
      readData(reader.fd, head, 0, head.length, start);
      const nl = head.lastIndexOf(10);
      const lineStart = nl >= 0 ? start + nl + 1 : start;
      const line = reader.lineAt(lineStart, heapRef.offset + heapRef.length, MiB).line;
      const colon = line.indexOf(58);
      const address = colon > 0 ? parseHexBytes(line, 0, colon) : NaN;
      if (Number.isNaN(address)) continue;
      const pointer = `H${line.toString('latin1', 0, colon)}`;
      // An entry of the dictionary, not a tuple of the same shape elsewhere on the heap.
      const inDict = searchFile(reader.fd, `${pointer}\n`, dictRef.offset, dictRef.offset + dictRef.length + 1) >= 0;
      if (!inDict) continue;
      heap.add(address, Buffer.from(line));
      entries.push(Buffer.from(pointer));
      break;
    }
  }
  const quick = quickDictionary(entries, heap);
  if (quick.odd.length === 0) return quick.entries;
  const dec = new TermDecoder({ ...sources(dump, reader, undefined), extraLines: heap }, { maxNodes: 100_000 });
  return [...quick.entries, ...dictionaryEntries(dec, quick.odd)];
}

/** Heap lines by address, each found by a search of the section's text for `\nADDRESS:` when first asked for. */
class SearchedLines {
  private readonly lines = new Map<number, Buffer | undefined>();
  constructor(private readonly reader: BlockReader, private readonly ref: SectionRef) {}

  add(address: number, line: Buffer): void {
    this.lines.set(address, line);
  }

  get(address: number): Buffer | undefined {
    if (this.lines.has(address)) return this.lines.get(address);
    const end = this.ref.offset + this.ref.length;
    const hex = address.toString(16);
    // Dumps write addresses in capitals; the section's first line has the header's line end before it.
    let at = searchFile(this.reader.fd, `\n${hex.toUpperCase()}:`, this.ref.offset - 1, end);
    if (at < 0 && hex !== hex.toUpperCase()) at = searchFile(this.reader.fd, `\n${hex}:`, this.ref.offset - 1, end);
    const line = at < 0 ? undefined : Buffer.from(this.reader.lineAt(at + 1, end, MiB).line);
    this.lines.set(address, line);
    return line;
  }
}

function spawnedAsOf(dump: TermDump, pid: string): string | undefined {
  const procRef = dump.index.get('proc', pid);
  if (!procRef) throw new InputError(`no process ${pid} in ${dump.source.path}`);
  let spawnedAs: string | undefined;
  for (const line of sectionLines(dataPath(dump.source), procRef, { maxLineBytes: 4096 })) {
    if (line.toString('latin1', 0, 12) === 'Spawned as: ') spawnedAs = line.toString('utf8', 12);
  }
  return spawnedAs;
}

/** The dictionary's lines, copies (the heap's tail is read after them, through the same window). */
function dictionaryLines(reader: BlockReader, ref: SectionRef): Buffer[] {
  const lines = ref.length <= MiB / 4 ? linesIn(reader.forwardView(ref.offset, ref.length), 0)
    : linesOfRange(reader.fd, ref.offset, ref.offset + ref.length, { maxLineBytes: MiB });
  // Each copied as it comes: linesOfRange hands views of a buffer it reuses.
  return Array.from(lines, (b) => Buffer.from(b));
}

/** The lines of `buf` from `from` on, as views, without their line ends (LF or CRLF). */
function* linesIn(buf: Buffer, from: number): Generator<Buffer> {
  for (let i = from; i < buf.length; ) {
    let nl = buf.indexOf(10, i);
    if (nl < 0) nl = buf.length;
    yield buf.subarray(i, nl > i && buf[nl - 1] === 13 ? nl - 1 : nl);
    i = nl + 1;
  }
}

/** The heap lines in the last `bytes` of a heap section, by address. */
function tailLines(reader: BlockReader, ref: SectionRef, bytes: number): Map<number, Buffer> {
  const out = new Map<number, Buffer>();
  const start = ref.offset + ref.length - bytes;
  // Through the reader's window: the next process's sections are likely in it too.
  const buf = reader.forwardView(start, bytes);
  // Skip the partial first line unless the tail is the whole section.
  const from = bytes === ref.length ? 0 : buf.indexOf(10) + 1;
  if (from <= 0 && bytes !== ref.length) return out;
  for (const line of linesIn(buf, from)) {
    const colon = line.indexOf(58);
    if (colon > 0) {
      const a = parseHexBytes(line, 0, colon);
      if (!Number.isNaN(a) && !out.has(a)) out.set(a, line);
    }
  }
  return out;
}

/** Warnings of several decoders: counts summed over `summed`, kinds only in `extra` added. */
function mergeWarnings(summed: Warnings[], extra: Warnings): string[] {
  const w = new Warnings();
  for (const src of summed) {
    for (const [kind, v] of src.counts) {
      const cur = w.counts.get(kind);
      if (cur) cur.count += v.count;
      else w.counts.set(kind, { ...v });
    }
  }
  for (const [kind, v] of extra.counts) if (!w.counts.has(kind)) w.counts.set(kind, { ...v });
  return w.list();
}

// ---- the whole process ----------------------------------------------------------------------

/** Timers the process will get: keyed by its pid or by its registered name (send_after to a name). */
function ownTimers(dump: TermDump, pid: string, name: string | undefined, exampleWidth: number, syntax?: DecodeProcessOptions['timerShapeSyntax']): TimerSample | undefined {
  const byOwner = dump.timers?.byOwner;
  const keys = [pid, ...(name ? [name] : [])];
  if (!byOwner || !keys.some((k) => Object.hasOwn(byOwner, k))) return undefined;
  return timerSample(dump, keys, TIMERS_READ, exampleWidth, syntax);
}

/** Timers of one process read for their shapes (all are counted). */
const TIMERS_READ = 1000;

/** The counts of the record's whole Link list line, as the dump's read made them (ProcRecord.counts). */
function linkCountsFromTable(dump: TermDump, pid: string, record: ProcRecord): void {
  const p = dump.processes;
  if (!p?.links || !p.monitors || !p.monitoredBy) return;
  const row = p.pid.find(pid);
  if (row < 0) return;
  const at = (c: NumberColumn, fallback: number) => {
    const v = c.at(row);
    return Number.isNaN(v) ? fallback : v;
  };
  record.counts = { links: at(p.links, record.counts.links), monitors: at(p.monitors, record.counts.monitors), monitoredBy: at(p.monitoredBy, record.counts.monitoredBy) };
}

/** Whether a list of the record holds fewer items than it should keep of those its counts say there are. */
function linkListsShort(r: ProcRecord): boolean {
  const short = (list: string[], count: number) => list.length < Math.min(count, LINK_ITEMS_KEPT);
  return short(r.links, r.counts.links) || short(r.monitors, r.counts.monitors) || short(r.monitoredBy, r.counts.monitoredBy);
}

/**
 * One process decoded: record, stack frames with y registers, dictionary, message samples and
 * shapes (the mailbox is streamed), binaries held, and warnings.
 */
export function decodeProcess(dump: TermDump, pid: string, opts: DecodeProcessOptions = {}): ProcessDetail {
  checkSeekable(dump);
  const procRef = dump.index.get('proc', pid);
  if (!procRef) throw new InputError(`no process ${pid} in ${dump.source.path}`);
  const path = dataPath(dump.source);
  const record = parseProcRecord(pid, sectionLines(path, procRef, { maxLineBytes: opts.recordLineBytes ?? MiB }), dump.header.wordSize);
  linkCountsFromTable(dump, pid, record);
  if (linkListsShort(record)) {
    // The Link list line is longer than the part read: the VM writes the links first, so a
    // supervisor's monitors come megabytes in. Read the whole line for them.
    const all = readLinkList(path, procRef);
    if (all) Object.assign(record, { links: all.links, monitors: all.monitors, monitoredBy: all.monitoredBy });
  }
  const heapRef = dump.index.get('proc_heap', pid);
  const reader = new BlockReader(path);
  const width = opts.termWidth ?? 300;
  // The heap is written stack objects first, then messages, then the dictionary: decode in that
  // order and a forward read finds nearly everything (see SequentialHeap). A cut dump's refc lines
  // keep their sizes: its binaries past the cut are sized from them (heldBinaries).
  const heapLines = heapRef ? new SequentialHeap(path, heapRef.offset, heapRef.length, reader, { refcSizes: dump.truncation?.truncated === true }) : undefined;
  try {
    const src: DecoderSources = { ...sources(dump, reader, undefined), heapLines };
    // Each stack slot, dictionary entry and message decodes to at most 250,000 terms by default,
    // so a giant state cannot take the memory the streaming saves.
    const limits = { maxNodes: 250_000, ...opts };
    const dec = new TermDecoder(src, { ...limits, binaryBytes: opts.binaryBytes ?? 64 });
    const warnings: string[] = [];
    const cut = cutWarning(dump, pid);
    if (cut) warnings.push(cut);

    const stackRef = dump.index.get('proc_stack', pid);
    const stack = readStack(dec, path, stackRef, {
      current: record.currentCall ?? record.programCounter, otpRelease: dump.header.otpRelease, ...(opts.stackLimits ? { limits: opts.stackLimits } : {}),
    });

    const hist = new ShapeHistogram(opts.exampleWidth ?? 120);
    const samples: MessageSample[] = [];
    const maxSamples = opts.maxSamples ?? 10;
    // Messages get their own decoders without the heap memo: they are streamed, and do not share.
    // Sizes suffice for shapes; samples and each shape's first message are decoded with payloads.
    const msgDec = new TermDecoder(src, { ...limits, memoHeap: false, binaryBytes: 0 });
    const fullDec = new TermDecoder(src, { ...limits, memoHeap: false, binaryBytes: opts.binaryBytes ?? 64 });
    streamMailbox(dump, src, msgDec, fullDec, dump.index.get('proc_messages', pid), opts.maxMessages ?? Infinity, hist, [0, maxSamples],
      opts.fastShapes ?? true, (i, _m, withBytes) => {
        if (samples.length < maxSamples) {
          const f = withBytes();
          samples.push({ index: i, term: f.term, text: printTerm(f.term, { maxChars: opts.sampleWidth ?? 200 }), seqToken: f.token });
        }
      });

    const dictRef = dump.index.get('proc_dictionary', pid);
    const dictionary = readDictionary(dictRef ? sectionLines(path, dictRef, { maxLineBytes: MiB }) : [], dec, msgDec, heapLines,
      { wordSize: dump.header.wordSize, exampleWidth: opts.exampleWidth ?? 120, entries: opts.dictionaryLimits?.entries ?? DICTIONARY_ENTRIES, shapes: opts.dictionaryLimits?.shapes ?? DICTIONARY_SHAPES });
    const dict = dictionary.entries;
    const identity = identityFrom([...dict, ...dictionary.identity], record.spawnedAs);

    const binaries = heldBinaries(dump, pid, opts.binarySharing ?? true, heapLines);
    const timers = ownTimers(dump, pid, record.name, opts.exampleWidth ?? 120, opts.timerShapeSyntax);
    warnings.push(...mergeWarnings([dec.warnings, msgDec.warnings], fullDec.warnings));
    if (record.messageQueueLength !== undefined && record.messageQueueLength !== hist.total && opts.maxMessages === undefined) {
      warnings.push(`Message queue length says ${record.messageQueueLength}, the dump holds ${hist.total} messages`);
    }
    return {
      pid,
      record,
      initialCall: identity.initialCall,
      ancestors: identity.ancestors,
      deepDumped: heapRef !== undefined || stackRef !== undefined,
      stack,
      dictionary: dict.map((d) => ({ ...d, keyText: printTerm(d.key, { maxChars: width }), valueText: printTerm(d.value, { maxChars: width }) })),
      dictionarySize: dictionary.size,
      dictionaryShapes: dictionary.shapes.result(),
      dictionarySampled: dictionary.shapes.total,
      messages: { queueLength: record.messageQueueLength ?? hist.total, dumped: hist.total, samples, shapes: hist.result() },
      binaries,
      ...(timers ? { timers } : {}),
      warnings,
    };
  } finally {
    heapLines?.close();
    reader.close();
  }
}
