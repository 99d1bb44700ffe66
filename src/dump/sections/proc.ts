import { keyEnd, KeyMatcher, parseDecimal, valueStart } from '../bytes.js';
import { unpackPid } from '../section-index.js';
import type { NumberColumn, ProcessTableBuilder, TextColumnName } from '../process-table.js';
import type { LineHandler } from '../scanner.js';
import type { ParseContext } from './context.js';

const KEYS = [
  'State', 'Name', 'Spawned as', 'Spawned by', 'Started', 'Message queue length', 'Number of heap fragments',
  'Heap fragment data', 'Link list', 'Reductions', 'Stack+heap', 'OldHeap', 'Heap unused', 'OldHeap unused',
  'BinVHeap', 'OldBinVHeap', 'BinVHeap unused', 'OldBinVHeap unused', 'Memory', 'Program counter', 'CP',
  'Internal State', 'Current call', 'Last scheduled in for', 'Last calls', 'Run queue', 'New heap start',
  'New heap top', 'Stack top', 'Stack end', 'Old heap start', 'Old heap top', 'Old heap end', 'Dictionary',
] as const;
const matcher = new KeyMatcher(KEYS);
const enum K {
  State, Name, SpawnedAs, SpawnedBy, Started, MsgQ, HeapFrags, HeapFragData, LinkList, Reductions, StackHeap,
  OldHeap, HeapUnused, OldHeapUnused, BinVHeap, OldBinVHeap, BinVHeapUnused, OldBinVHeapUnused, Memory,
  ProgramCounter, CP, InternalState, CurrentCall, LastScheduled,
}
const ARITY = Buffer.from('arity = ');
const COUNT_MAX = 2 ** 40;
const WORDS_MAX = 2 ** 47;
/** The "key" before a section's first line, for the follow table. */
const FIRST = KEYS.length;


/**
 * `=proc:PID`: one row of the process table. Word-sized fields become bytes here. `Memory` is
 * already bytes (dump 0.2+); older dumps get stack+heap + old heap, marked as derived.
 *
 * One parser object serves every process of a dump (`begin` moves it to the next row): a dump can
 * have millions of processes, and a closure per process is garbage the reader does not need.
 */
export class ProcParser implements LineHandler {
  private i = -1;
  /**
   * A dump writes the keys of every process in the same order: follow[k] is the key that came
   * after key k last time (-1: not seen yet), so most lines are recognised by comparing their
   * start with one key, without finding the colon and hashing (20 lines a process, millions of
   * processes).
   */
  private readonly follow = new Int8Array(KEYS.length + 1).fill(-1);
  private prev: number = FIRST;
  /** The dump's word size, read once a process (the header knows it by the first `=proc`). */
  private ws: 4 | 8 = 8;
  /** The section's pid, packed (packPid), and as text when it could not be packed. */
  private packedPid = NaN;
  private pidText = '';

  /**
   * A count or size as the VM can write it, else NaN, noted as corrupt: not negative, counts under
   * 2^40 (a trillion messages), words under 2^47 (a pebibyte). Reductions only need to be >= 0.
   */
  private checked(buf: Buffer, v: number, end: number, max: number, key: string): number {
    const n = parseDecimal(buf, v, end);
    if (Number.isNaN(n) || (n >= 0 && n < max)) return n;
    this.ctx.corrupt(Number.isNaN(this.packedPid) ? this.pidText : unpackPid(this.packedPid), key, buf.toString('latin1', v, end));
    return NaN;
  }

  constructor(private readonly rows: ProcessTableBuilder, private readonly ctx: ParseContext) {}

  /** Moves to a new row, for the pid packed by packPid (`pidText` is read only when that is NaN). */
  begin(packedPid: number, pidText: string): this {
    this.i = this.rows.add(packedPid, pidText);
    this.packedPid = packedPid;
    this.pidText = pidText;
    this.prev = FIRST;
    this.ws = this.ctx.wordSize();
    return this;
  }

  line(buf: Buffer, start: number, end: number): void {
    const guess = this.follow[this.prev];
    const g = guess >= 0 ? matcher.keyEndIf(guess, buf, start, end) : -1;
    if (g >= 0) {
      this.prev = guess;
      this.value(guess, buf, valueStart(buf, g, end), end);
      return;
    }
    const k = keyEnd(buf, start, end);
    if (k >= 0) {
      const id = matcher.match(buf, start, k);
      if (id >= 0) {
        this.follow[this.prev] = id;
        this.prev = id;
        this.value(id, buf, valueStart(buf, k, end), end);
        return;
      }
    }
    // `arity = N` has no colon; `Last calls` continues on the following lines without a key.
    if (end - start > ARITY.length && sameStart(buf, start, ARITY)) return;
    if (k >= 0 && end > start) this.ctx.unknownKey('proc', buf.toString('latin1', start, k));
  }

  private value(id: number, buf: Buffer, v: number, end: number): void {
    const { rows, i, ws } = this;
    const t = rows.table;
    switch (id) {
      case K.State: rows.setText('state', i, buf, v, end); break;
      case K.Name: if (end > v) rows.setText('name', i, buf, v, end); break;
      case K.SpawnedAs: rows.setText('spawnedAs', i, buf, v, end); break;
      case K.SpawnedBy: if (end > v && buf[v] !== 0x5b) rows.setText('spawnedBy', i, buf, v, end); break;
      case K.MsgQ: t.messageQueueLength.set(i, this.checked(buf, v, end, COUNT_MAX, 'Message queue length')); break;
      case K.HeapFrags: t.heapFragments.set(i, this.checked(buf, v, end, COUNT_MAX, 'Number of heap fragments')); break;
      case K.HeapFragData: t.heapFragmentBytes.set(i, this.checked(buf, v, end, WORDS_MAX, 'Heap fragment data') * ws); break;
      case K.LinkList: countLinks(buf, v, end, t, i); break;
      case K.Reductions: t.reductions.set(i, this.checked(buf, v, end, Infinity, 'Reductions')); break;
      case K.StackHeap: t.stackHeapBytes.set(i, this.checked(buf, v, end, WORDS_MAX, 'Stack+heap') * ws); break;
      case K.OldHeap: t.oldHeapBytes.set(i, this.checked(buf, v, end, WORDS_MAX, 'OldHeap') * ws); break;
      case K.HeapUnused: t.heapUnusedBytes.set(i, this.checked(buf, v, end, WORDS_MAX, 'Heap unused') * ws); break;
      case K.OldHeapUnused: t.oldHeapUnusedBytes.set(i, this.checked(buf, v, end, WORDS_MAX, 'OldHeap unused') * ws); break;
      case K.BinVHeap: t.binVHeapBytes.set(i, this.checked(buf, v, end, WORDS_MAX, 'BinVHeap') * ws); break;
      case K.OldBinVHeap: t.oldBinVHeapBytes.set(i, this.checked(buf, v, end, WORDS_MAX, 'OldBinVHeap') * ws); break;
      case K.Memory: t.memoryBytes.set(i, this.checked(buf, v, end, WORDS_MAX * 8, 'Memory')); break;
      case K.ProgramCounter: setFunction(rows, 'programCounter', i, buf, v, end); break;
      case K.InternalState: rows.setText('internalState', i, buf, v, end); break;
      case K.CurrentCall:
      case K.LastScheduled: setFunction(rows, 'currentCall', i, buf, v, end); break;
      default: break; // known keys we do not keep (Started, CP, raw heap pointers of Garbing processes)
    }
  }

  /** The section ended: derive what older dumps do not write. */
  finish(): void {
    const t = this.rows.table;
    const i = this.i;
    if (i < 0) return;
    if (Number.isNaN(t.memoryBytes.at(i))) {
      const sh = t.stackHeapBytes.at(i);
      if (!Number.isNaN(sh)) {
        const old = t.oldHeapBytes.at(i);
        t.memoryBytes.set(i, sh + (Number.isNaN(old) ? 0 : old));
        t.memoryDerived[i] = 1;
      }
    }
    // Spelled out: a loop over the names is an array and three keyed accesses per process.
    if (Number.isNaN(t.links.at(i))) t.links.set(i, 0);
    if (Number.isNaN(t.monitors.at(i))) t.monitors.set(i, 0);
    if (Number.isNaN(t.monitoredBy.at(i))) t.monitoredBy.set(i, 0);
    this.i = -1;
  }
}

function sameStart(buf: Buffer, start: number, prefix: Buffer): boolean {
  for (let k = 0; k < prefix.length; k++) if (buf[start + k] !== prefix[k]) return false;
  return true;
}

/** Sets a cell to the function in `0x00007f98aaf926f4 (mkdump:sink/0 + 68)`: `mkdump:sink/0`, read from the bytes. */
function setFunction(rows: ProcessTableBuilder, col: TextColumnName, i: number, buf: Buffer, start: number, end: number): void {
  if (buf[end - 1] !== 0x29 /* ) */) return rows.setText(col, i, buf, start, end);
  // Usually "0x" and 16 hex digits, then " (": found without scanning the name (twice a process).
  let open = start + 19;
  if (!(end > open && buf[open] === 0x28 && buf[open - 1] === 0x20 && buf[start + 1] === 0x78 /* x */)) {
    open = -1;
    for (let p = end - 1; p >= start; p--) if (buf[p] === 0x28 /* ( */) { open = p; break; }
    if (open < 0) return rows.setText(col, i, buf, start, end);
  }
  // " + 68)": back over the offset's digits from the end.
  let close = end - 1;
  let p = end - 2;
  while (p > open && buf[p] >= 0x30 && buf[p] <= 0x39) p--;
  if (p < end - 2 && p - 2 > open && buf[p] === 0x20 && buf[p - 1] === 0x2b && buf[p - 2] === 0x20) close = p - 2;
  rows.setText(col, i, buf, open + 1, close);
}

/** "0x00007f98aaf926f4 (mkdump:sink/0 + 68)" -> "mkdump:sink/0"; other text is kept as it is. */
export function functionOf(s: string): string {
  const m = /\(([^()]+?)(?: \+ \d+)?\)\s*$/.exec(s);
  return m ? m[1] : s;
}

/**
 * `Link list: [<0.2.0>, #Port<0.2>, {to,<0.1.0>,#Ref<...>}, {from,<0.3.0>,#Ref<...>}]`: links,
 * monitors this process holds (`to`) and monitors on it (`from`), counted at the top level.
 */
function countLinks(buf: Buffer, start: number, end: number, t: { links: NumberColumn; monitors: NumberColumn; monitoredBy: NumberColumn }, i: number): void {
  let links = 0, to = 0, from = 0, depth = 0, itemStart = -1;
  const item = (s: number) => {
    if (buf[s] === 0x7b /* { */) {
      if (buf[s + 1] === 0x74 /* t */) to++;
      else if (buf[s + 1] === 0x66 /* f */) from++;
      else links++;
    } else links++;
  };
  for (let p = start; p < end; p++) {
    const c = buf[p];
    if (c === 0x5b /* [ */ && depth === 0) { depth = 1; itemStart = -1; continue; }
    if (depth === 0) continue;
    if (c === 0x7b || c === 0x5b || c === 0x3c /* < */) { if (depth === 1 && itemStart < 0) itemStart = p; depth++; continue; }
    if (c === 0x7d || c === 0x5d || c === 0x3e) {
      depth--;
      if (depth === 0) { if (itemStart >= 0) item(itemStart); itemStart = -1; }
      continue;
    }
    if (depth === 1) {
      if (c === 0x2c /* , */) { if (itemStart >= 0) item(itemStart); itemStart = -1; }
      else if (c !== 0x20 && itemStart < 0) itemStart = p;
    }
  }
  t.links.set(i, links);
  t.monitors.set(i, to);
  t.monitoredBy.set(i, from);
}
