/**
 * One process in full: the `=proc` record (word fields in bytes), links and monitors, and what the
 * term decoder found in its stack, dictionary, mailbox and heap. Built by `decodeProcess`
 * (src/dump/terms); rendered by src/report/proc-text.ts.
 */
import type { Term } from './model.js';
import type { ShapeRow } from './shape.js';
import type { TimerSample } from '../analyze/report-types.js';
import { parseLinkList } from './link-list.js';

export interface ProcRecordField {
  key: string;
  value: string;
  /** For word-unit fields (`Stack+heap`, `OldHeap`, `BinVHeap`, ...): the value in bytes. */
  bytes?: number;
}

export interface ProcRecord {
  pid: string;
  /** Every `Key: value` line of `=proc`, in order (word fields also converted to bytes). */
  fields: ProcRecordField[];
  state?: string;
  name?: string;
  spawnedAs?: string;
  spawnedBy?: string;
  currentCall?: string;
  programCounter?: string;
  messageQueueLength?: number;
  reductions?: number;
  memoryBytes?: number;
  /** The first LINK_ITEMS_KEPT (10,000) links (link-list.ts); `counts` has how many there are. */
  links: string[];
  /** Processes this one monitors (`{to,PID,REF}`), the first 10,000. */
  monitors: string[];
  /** Processes monitoring this one (`{from,PID,REF}`), the first 10,000. */
  monitoredBy: string[];
  /**
   * How many items of each kind the whole `Link list` line has (a supervisor of 300,000 children
   * writes 4 MB on that line): the lists above keep the first of each kind.
   */
  counts: { links: number; monitors: number; monitoredBy: number };
}

export interface StackEntry {
  /** `y0`, `0x00007f98a9843558`, ... as written. */
  label: string;
  kind: 'y' | 'return' | 'catch' | 'other';
  /** For return and catch entries: `m:f/a + off` or `<terminate process normally>`. */
  location?: string;
  /** For return and catch entries: the text after the label, e.g. `Return addr 0x... (...)`. */
  text?: string;
  term?: Term;
}

export interface StackFrame {
  /** The function whose frame this is (`m:f/a`), when known. */
  function?: string;
  /** Where it returns to (`m:f/a + off`, `<terminate process normally>`). */
  returnTo?: string;
  /** Registers, when decoded: the frames of the first STACK_DETAIL_ENTRIES lines (src/dump/terms/stack.ts). */
  yRegisters: Array<{ label: string; term?: Term; text?: string }>;
  /** This frame stands for `repeat` frames in a row alike (same function and return address: a recursion); registers are the first one's that has any. */
  repeat?: number;
  /** Frames between the one listed before and this one that were counted, not kept (a stack of millions). */
  omittedBefore?: number;
}

/**
 * A stack this deep is worth a line of its own: a normal process has a few dozen frames, a deep
 * recursion over a big structure thousands, a runaway one millions (each frame at least a word).
 */
export const DEEP_STACK_FRAMES = 10_000;

/** A process's stack in bounded memory (src/dump/terms/stack.ts). */
export interface ProcessStack {
  /** Frames on the stack, each of a run counted. */
  depth: number;
  /** The top frames, innermost first, runs as one; after a gap (`omittedBefore`), the bottom ones. */
  frames: StackFrame[];
  /** The section's first lines, decoded; `entriesCut` when there were more. */
  entries: StackEntry[];
  entriesCut?: boolean;
  /** Frames per function over the whole stack, most first (at most 10). */
  functions: Array<{ function: string; frames: number }>;
}

export interface HeldBinary {
  /** Address of the off-heap Binary (the `=binary:ADDR` id). */
  address: string;
  /** Payload size from `=binary` (NaN when the section is missing). */
  sizeBytes: number;
  /** References from this process's heap. */
  references: number;
  /** Other processes whose heaps reference it (undefined when not computed). */
  otherHolders?: number;
  /** Also referenced from `=literals`. */
  literal?: boolean;
  shared?: boolean;
  /** It has no `=binary` section (cut off the dump): its size is its `Yc` line's, its other holders are not known. */
  notInDump?: true;
}

export interface MessageSample {
  index: number;
  term: Term;
  text: string;
  seqToken?: Term;
}

export interface ProcessDetail {
  pid: string;
  record: ProcRecord;
  /** The real initial call: `$initial_call` for proc_lib processes, else `Spawned as`. */
  initialCall?: string;
  ancestors: string[];
  /** True when the process has heap sections (it was deep-dumped). */
  deepDumped: boolean;
  stack: ProcessStack;
  /** The first DICTIONARY_ENTRIES entries of the dictionary (a dictionary used as a cache has millions). */
  dictionary: Array<{ key: Term; value: Term; keyText: string; valueText: string }>;
  /** Entries in the dictionary, all of them counted. */
  dictionarySize: number;
  /** Shapes of the first `dictionarySampled` entries, `{Key, Value}` each, most first. */
  dictionaryShapes: ShapeRow[];
  dictionarySampled: number;
  messages: {
    /** `Message queue length` from `=proc`. */
    queueLength: number;
    /** Messages found in `=proc_messages` (may be fewer: sensitive or exiting processes). */
    dumped: number;
    samples: MessageSample[];
    shapes: ShapeRow[];
  };
  /** The timers it will get, when it has any pending (keyed by its pid or registered name). */
  timers?: TimerSample;
  binaries: {
    /** Distinct refc binaries the heap references. */
    count: number;
    /** The largest of them, at most MAX_HELD_LISTED (a mailbox of millions holds millions). */
    held: HeldBinary[];
    totalBytes: number;
    exclusiveBytes: number;
    sharedBytes: number;
    /**
     * Of totalBytes, the binaries without a `=binary` section (a dump cut before them), sized from
     * this heap's `Yc` lines; in neither exclusiveBytes nor sharedBytes (their other holders are
     * not known). Absent when there are none.
     */
    notInDumpBytes?: number;
    sharingComputed: boolean;
  };
  warnings: string[];
}

const WORD_FIELDS = new Set(['Stack+heap', 'OldHeap', 'Heap unused', 'OldHeap unused', 'BinVHeap', 'OldBinVHeap',
  'BinVHeap unused', 'OldBinVHeap unused', 'Heap fragment data']);

/** Parses the body lines of a `=proc:PID` section. */
export function parseProcRecord(pid: string, lines: Iterable<Buffer | string>, wordSize: number): ProcRecord {
  const rec: ProcRecord = { pid, fields: [], links: [], monitors: [], monitoredBy: [], counts: { links: 0, monitors: 0, monitoredBy: 0 } };
  for (const raw of lines) {
    const line = typeof raw === 'string' ? raw : raw.toString('utf8');
    let key: string;
    let value: string;
    const m = /^([^:]*?): ?(.*)$/s.exec(line);
    if (line.startsWith('arity = ')) {
      key = 'arity';
      value = line.slice(8);
    } else if (m) {
      key = m[1];
      value = m[2];
    } else {
      key = '';
      value = line;
    }
    const f: ProcRecordField = { key, value };
    if (WORD_FIELDS.has(key) && /^\d+$/.test(value)) f.bytes = Number(value) * wordSize;
    rec.fields.push(f);
    switch (key) {
      case 'State': rec.state = value; break;
      case 'Name': rec.name = value; break;
      case 'Spawned as': rec.spawnedAs = value; break;
      case 'Spawned by': rec.spawnedBy = value; break;
      case 'Current call': case 'Last scheduled in for': rec.currentCall = value; break;
      case 'Program counter': rec.programCounter = value; break;
      case 'Message queue length': rec.messageQueueLength = Number(value); break;
      case 'Reductions': rec.reductions = Number(value); break;
      case 'Memory': rec.memoryBytes = Number(value); break;
      case 'Link list': {
        const l = parseLinkList(value);
        rec.links = l.links;
        rec.monitors = l.monitors;
        rec.monitoredBy = l.monitoredBy;
        rec.counts = l.counts;
        break;
      }
      default: break;
    }
  }
  return rec;
}

/** `0x00007f... (gen_server:loop/7 + 232)` -> `gen_server:loop/7`. */
export function functionOf(location: string | undefined): string | undefined {
  if (!location) return undefined;
  const m = /\(?([^\s()]+:[^\s()]+\/\d+)(?: \+ \d+)?\)?/.exec(location);
  return m ? m[1] : undefined;
}
