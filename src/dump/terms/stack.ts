/**
 * A process's stack, from its `=proc_stack` section, in bounded memory. A runaway recursion
 * leaves millions of frames (bench class h: 5,000,000 frames, 840 MB of lines), where an entry and
 * a frame object per line took 2.3 GB and 17 s for 1,000,000. Kept: the first lines with their
 * terms decoded, the top frames with runs of alike frames (same function, same return address: a
 * recursion) as one frame and a count, the bottom frames (how the process got there) from a read
 * of the section's tail, and the depth and frames per function over the whole stack.
 */
import { openData, closeData } from '../data-file.js';
import type { SectionRef } from '../types.js';
import type { TermDecoder } from './decoder.js';
import { forEachLine } from './lines.js';
import { functionOf, type ProcessStack, type StackEntry, type StackFrame } from './process-detail.js';
import type { StackSketch } from '../analyze/report-types.js';

/** Stack lines decoded and kept as entries (a normal process has a few dozen). */
export const STACK_DETAIL_ENTRIES = 1000;
/** Frames kept from the top, a run of alike frames counting as one. */
export const STACK_TOP_FRAMES = 200;
/** Frames kept from the bottom when the ones between were only counted. */
export const STACK_BOTTOM_FRAMES = 10;
/**
 * Alike frames in a row shown as one with a count from this many on: a few levels of a recursion
 * (a tree walked, a term nested) are clearer one by one, each with its registers.
 */
const MIN_RUN = 10;
/** The bottom frames are read from this much of the section's end. */
const TAIL_BYTES = 64 * 1024;
const MAX_LINE = 1 << 20;
const FUNCTIONS_LISTED = 10;

const COLON = 58;
/** What follows the colon of a return line, up to the address. */
const RETURN_ADDR = 'SReturn addr ';
const S = 83;
const R = 82;
const C = 67;

export interface StackOptions {
  /** The process's current function (`Current call` or `Program counter`): the top frame's. */
  current?: string;
  otpRelease?: string;
  /** The bounds above, smaller in tests (to reach the bottom frames of a small stack). */
  limits?: { detailEntries?: number; topFrames?: number; bottomFrames?: number; tailBytes?: number };
}

/** Kind of a stack line: `Return addr`, `Catch`, a y register, or anything else. */
function kindOf(b: Buffer, start: number, end: number): { kind: StackEntry['kind'] | 'none'; colon: number } {
  let colon = start;
  while (colon < end && b[colon] !== COLON) colon++;
  if (colon >= end) return { kind: 'none', colon: -1 };
  if (b[colon + 1] === S) {
    const k = b[colon + 2];
    return { kind: k === R && b[colon + 3] === 101 ? 'return' : k === C && b[colon + 3] === 97 ? 'catch' : 'other', colon };
  }
  const y = b[start] === 121 && colon > start + 1 && isDigits(b, start + 1, colon);
  return { kind: y ? 'y' : 'other', colon };
}

function isDigits(b: Buffer, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (b[i] < 48 || b[i] > 57) return false;
  return true;
}

/** `m:f/a + off` from `Return addr 0x... (m:f/a + off)`. */
function locationOf(text: string): string | undefined {
  return /\((.*)\)\s*$/.exec(text)?.[1];
}

/** One stack line as an entry, its term decoded. */
function entryOf(dec: TermDecoder, b: Buffer, start: number, end: number): StackEntry | undefined {
  if (end <= start) return undefined;
  const { kind, colon } = kindOf(b, start, end);
  if (kind === 'none') return { label: b.toString('latin1', start, end), kind: 'other' };
  const label = b.toString('latin1', start, colon);
  if (b[colon + 1] === S) {
    const text = b.toString('utf8', colon + 2, end);
    return { label, kind: kind as 'return' | 'catch' | 'other', text, location: locationOf(text) };
  }
  return { label, kind: kind === 'y' ? 'y' : 'other', term: dec.decodeElement(b, colon + 1, end) };
}

/**
 * From OTP 24 a frame is printed as its y registers followed by its return address; before, the
 * return address came first. Either way the y registers belong to the frame's function, and the
 * return address points into its caller.
 */
function returnFirst(first: StackEntry['kind'] | undefined, last: StackEntry['kind'] | undefined, otpRelease?: string): boolean {
  if (first === 'y') return false;
  if (last === 'y') return true;
  const major = otpRelease && /^\d+/.test(otpRelease) ? Number.parseInt(otpRelease, 10) : undefined;
  return major !== undefined ? major < 24 : otpRelease?.startsWith('R') ?? false;
}

/**
 * Stack lines to frames, in either layout (returnFirst): a frame is complete at its return line
 * (return address last), or at the next one (first). Each frame is in the function the frame
 * above returns into, the top one in the process's current function. `emit` gets each frame, and
 * where its last line ends when the caller gives line ends (sketchStack's depth estimate).
 */
class FrameAssembler {
  private cur = newFrame();
  private has = false;
  private end = 0;
  private fn: string | undefined;
  // functionOf of the last return address: a recursion repeats one (one regex per change).
  private fnOf: string | undefined;
  private fnOfResult: string | undefined;

  constructor(private readonly cpFirst: boolean, current: string | undefined, private readonly emit: (f: StackFrame, end: number) => void) {
    this.fn = functionOf(current);
  }

  /** A line that is not a return address (a y register, a catch), with its register when decoded. */
  register(y: StackFrame['yRegisters'][number] | undefined, end = 0): void {
    if (y) this.cur.yRegisters.push(y);
    this.has = true;
    this.end = end;
  }

  returnLine(location: string | undefined, end = 0): void {
    if (this.cpFirst) {
      if (this.has) this.flush();
      this.cur.returnTo = location;
      this.has = true;
      this.end = end;
    } else {
      this.cur.returnTo = location;
      this.end = end;
      this.flush();
    }
  }

  /** The last frame, when it has a line. */
  finish(): void {
    if (this.has) this.flush();
  }

  private flush(): void {
    const f = this.cur;
    f.function = this.fn;
    if (f.returnTo !== this.fnOf) {
      this.fnOf = f.returnTo;
      this.fnOfResult = functionOf(this.fnOf);
    }
    this.fn = this.fnOfResult;
    this.cur = newFrame();
    this.has = false;
    this.emit(f, this.end);
  }
}

/** Frames of a list of entries (a small stack, or the tail of a big one). */
function framesOfEntries(entries: readonly StackEntry[], cpFirst: boolean, current: string | undefined): StackFrame[] {
  const frames: StackFrame[] = [];
  const asm = new FrameAssembler(cpFirst, current, (f) => frames.push(f));
  for (const e of entries) {
    if (e.kind === 'return') asm.returnLine(e.location);
    else asm.register({ label: e.label, term: e.term, text: e.text });
  }
  asm.finish();
  return frames;
}

/** Frames in order with runs of MIN_RUN or more alike frames as one with `repeat`. */
class FrameList {
  readonly frames: StackFrame[] = [];
  private run: StackFrame[] = [];
  private runCount = 0;

  /** Frames this list stands for. */
  counted = 0;

  /**
   * Adds a frame, to the run the list ends with when it continues it (a run goes on past any
   * budget), else as a new row unless `newRow` is false; false when the frame was not kept.
   */
  add(f: StackFrame, newRow = true): boolean {
    if (this.continues(f)) {
      this.counted++;
      this.runCount++;
      // The innermost frame of a recursion often holds nothing yet (its base case).
      const head = this.run[0];
      if (head.yRegisters.length === 0 && f.yRegisters.length > 0) head.yRegisters = f.yRegisters;
      if (this.run.length < MIN_RUN - 1) this.run.push(f);
      return true;
    }
    if (!newRow) return false;
    this.counted++;
    this.flush();
    this.run = [f];
    this.runCount = 1;
    return true;
  }

  /** Whether this frame continues the run the list ends with. */
  private continues(f: StackFrame): boolean {
    const head = this.run[0];
    return head !== undefined && head.function === f.function && head.returnTo === f.returnTo;
  }

  /** Frames listed, a pending run counting as one. */
  get length(): number {
    return this.frames.length + Math.min(this.run.length, 1);
  }

  flush(): StackFrame[] {
    if (this.runCount >= MIN_RUN) this.frames.push({ ...this.run[0], repeat: this.runCount });
    else this.frames.push(...this.run);
    this.run = [];
    this.runCount = 0;
    return this.frames;
  }
}

/**
 * The bottom frames from the tail's entries, when `dropped` frames were counted but not kept: the
 * tail's first frame may have lost lines to the cut, so it only names the function of the next.
 * The first one says how many frames it follows that are not listed.
 */
function bottomOf(tail: StackEntry[], cpFirst: boolean, wanted: number, dropped: number): StackFrame[] {
  const tailFrames = framesOfEntries(tail, cpFirst, undefined);
  const bottom = new FrameList();
  for (const f of tailFrames.slice(1).slice(-wanted)) bottom.add(f);
  const kept = bottom.flush();
  if (kept.length > 0) kept[0].omittedBefore = dropped - bottom.counted;
  return kept;
}

/**
 * A frame with its fields in one order from the start: frames made field by field took two shapes,
 * and comparing a run's head with each of 5,000,000 frames was 0.3 s.
 */
function newFrame(): StackFrame {
  return { function: undefined, returnTo: undefined, yRegisters: [] };
}

/** Frames per function, counted run by run (a recursion is one map update per change). */
class FunctionCounts {
  private readonly counts = new Map<string, number>();
  private fn: string | undefined;
  private n = 0;

  add(fn: string | undefined): void {
    if (fn !== this.fn) {
      this.flush();
      this.fn = fn;
    }
    this.n++;
  }

  private flush(): void {
    if (this.n > 0 && this.fn !== undefined) this.counts.set(this.fn, (this.counts.get(this.fn) ?? 0) + this.n);
    this.n = 0;
  }

  top(n: number): ProcessStack['functions'] {
    this.flush();
    return [...this.counts].map(([fn, frames]) => ({ function: fn, frames }))
      .sort((a, b) => b.frames - a.frames || (a.function < b.function ? -1 : a.function > b.function ? 1 : 0)).slice(0, n);
  }
}

/** The stack of one process; `ref` is its `=proc_stack` section (undefined: not in the dump). */
export function readStack(dec: TermDecoder, path: string, ref: Pick<SectionRef, 'offset' | 'length'> | undefined,
  opts: StackOptions = {}): ProcessStack {
  if (!ref || ref.length === 0) return { depth: 0, frames: [], entries: [], functions: [] };
  const fd = openData(path);
  try {
    // The tail first, kept as text: its last line decides the frame layout when the first does
    // not, and its frames are the bottom ones if the stack is too deep to keep. Its terms are
    // decoded last: the heap holds the stack's objects top first, and it is read forward.
    let tailBytes = opts.limits?.tailBytes ?? TAIL_BYTES;
    let tailStart: number;
    const tail: Buffer[] = [];
    // Longer, should the last line be longer than the tail (it decides the layout).
    do {
      tailStart = ref.length > tailBytes ? ref.offset + ref.length - tailBytes : ref.offset;
      let skipFirst = tailStart > ref.offset;
      forEachLine(path, tailStart, ref.offset + ref.length - tailStart, MAX_LINE, (b, s, e) => {
        if (skipFirst) return void (skipFirst = false);
        if (e > s) tail.push(Buffer.from(b.subarray(s, e)));
      }, tailBytes, fd);
      tailBytes *= 4;
    } while (tail.length === 0 && tailStart > ref.offset);
    const entriesOf = (lines: Buffer[]) => lines.flatMap((l) => entryOf(dec, l, 0, l.length) ?? []);
    if (tailStart === ref.offset) return smallStack(entriesOf(tail), opts);
    return bigStack(dec, path, ref, fd, tail, entriesOf, opts);
  } finally {
    closeData(fd);
  }
}

function smallStack(entries: StackEntry[], opts: StackOptions): ProcessStack {
  const cpFirst = returnFirst(entries[0]?.kind, entries[entries.length - 1]?.kind, opts.otpRelease);
  const list = new FrameList();
  const counts = new FunctionCounts();
  for (const f of framesOfEntries(entries, cpFirst, opts.current)) {
    list.add(f);
    counts.add(f.function);
  }
  return { depth: list.counted, frames: list.flush(), entries, functions: counts.top(FUNCTIONS_LISTED) };
}

/**
 * A section over TAIL_BYTES, streamed: lines past STACK_DETAIL_ENTRIES are only classified, a
 * return address is made a string only when it differs from the one before (a recursion repeats
 * one), and frames past STACK_TOP_FRAMES are only counted.
 */
function bigStack(dec: TermDecoder, path: string, ref: Pick<SectionRef, 'offset' | 'length'>, fd: number,
  tail: Buffer[], entriesOf: (lines: Buffer[]) => StackEntry[], opts: StackOptions): ProcessStack {
  const detailEntries = opts.limits?.detailEntries ?? STACK_DETAIL_ENTRIES;
  const topFrames = opts.limits?.topFrames ?? STACK_TOP_FRAMES;
  const bottomFrames = opts.limits?.bottomFrames ?? STACK_BOTTOM_FRAMES;
  const lastLine = tail[tail.length - 1];
  const lastKind = lastLine ? kindOf(lastLine, 0, lastLine.length).kind : undefined;
  const entries: StackEntry[] = [];
  let entriesCut = false;
  const top = new FrameList();
  const counts = new FunctionCounts();
  let depth = 0;
  // Made at the first line, whose kind (with the last's) decides the layout.
  let asm: FrameAssembler | undefined;
  let cpFirst = false;
  const emit = (f: StackFrame): void => {
    depth++;
    counts.add(f.function);
    top.add(f, top.length < topFrames);
  };
  // The last return line's return address (`0x1EAA12E4`) and its location: a recursion repeats
  // one, whose text need not be read again (a native compare and a copy per line were 0.7 s of
  // class h's 3.4).
  const prev = new Uint8Array(64);
  let prevLen = -1;
  let prevLocation: string | undefined;
  forEachLine(path, ref.offset, ref.length, MAX_LINE, (b, s, e) => {
    if (e <= s) return;
    const { kind, colon } = kindOf(b, s, e);
    if (!asm) {
      cpFirst = returnFirst(kind === 'none' ? 'other' : kind, lastKind === 'none' ? 'other' : lastKind, opts.otpRelease);
      asm = new FrameAssembler(cpFirst, opts.current, emit);
    }
    let entry: StackEntry | undefined;
    if (entries.length < detailEntries) entries.push((entry = entryOf(dec, b, s, e)!));
    else entriesCut = true;
    if (kind !== 'return') {
      asm.register(entry && { label: entry.label, term: entry.term, text: entry.text });
      return;
    }
    // `SReturn addr 0x...` after the colon: the address ends at the next space.
    const from = colon + RETURN_ADDR.length + 1;
    let to = from;
    while (to < e && b[to] !== 32) to++;
    let same = prevLen > 0 && to - from === prevLen;
    for (let k = 0; same && k < prevLen; k++) same = b[from + k] === prev[k];
    let location: string | undefined;
    if (same && !entry) location = prevLocation;
    else {
      location = entry ? entry.location : locationOf(b.toString('utf8', colon + 2, e));
      prevLen = to - from <= prev.length ? to - from : -1;
      if (prevLen > 0) prev.set(b.subarray(from, to));
      prevLocation = location;
    }
    asm.returnLine(location);
  }, undefined, fd);
  asm?.finish();
  const frames = top.flush();
  const dropped = depth - top.counted;
  if (dropped > 0) frames.push(...bottomOf(entriesOf(tail), cpFirst, Math.min(bottomFrames, dropped), dropped));
  return { depth, frames, entries, ...(entriesCut ? { entriesCut } : {}), functions: counts.top(FUNCTIONS_LISTED) };
}

/** The top of a deep stack read by `sketchStack`. */
const SKETCH_HEAD_BYTES = 256 * 1024;

/**
 * A deep stack judged without reading it all (triage): the frames in its first 256 KiB and the
 * functions they are in, the depth estimated from the section's size at their bytes per frame,
 * and the functions of its bottom frames (how the process got there) from its last 64 KiB.
 */
export function sketchStack(path: string, ref: Pick<SectionRef, 'offset' | 'length'>, opts: StackOptions = {}): StackSketch {
  const fd = openData(path);
  try {
    const lines = (from: number, to: number, skipFirst: boolean): Array<{ kind: StackEntry['kind'] | 'none'; location?: string; end: number }> => {
      const out: Array<{ kind: StackEntry['kind'] | 'none'; location?: string; end: number }> = [];
      let skip = skipFirst;
      forEachLine(path, from, to - from, MAX_LINE, (b, s, e, next) => {
        if (skip) return void (skip = false);
        const { kind, colon } = kindOf(b, s, e);
        out.push({ kind, end: next, ...(kind === 'return' ? { location: locationOf(b.toString('utf8', colon + 2, e)) } : {}) });
      }, Math.min(SKETCH_HEAD_BYTES, to - from), fd);
      return out;
    };
    const end = ref.offset + ref.length;
    const head = lines(ref.offset, Math.min(end, ref.offset + SKETCH_HEAD_BYTES), false);
    // A cut last line is not a line: drop it unless the head is the whole section.
    if (ref.length > SKETCH_HEAD_BYTES) head.pop();
    const tailFrom = Math.max(ref.offset, end - TAIL_BYTES);
    const tail = lines(tailFrom, end, tailFrom > ref.offset);
    const first = head[0]?.kind;
    const last = tail[tail.length - 1]?.kind;
    const cpFirst = returnFirst(first === 'none' ? 'other' : first, last === 'none' ? 'other' : last, opts.otpRelease);
    // Frames as readStack makes them, each with where it ends in the file.
    const walk = (rows: typeof head, current: string | undefined) => {
      const frames: Array<{ function?: string; end: number }> = [];
      const asm = new FrameAssembler(cpFirst, current, (f, at) => frames.push({ function: f.function, end: at }));
      for (const r of rows) {
        if (r.kind === 'return') asm.returnLine(r.location, r.end);
        else asm.register(undefined, r.end);
      }
      asm.finish();
      return frames;
    };
    const top = walk(head, opts.current);
    const counts = new FunctionCounts();
    for (const f of top) counts.add(f.function);
    const whole = ref.length <= SKETCH_HEAD_BYTES;
    const bytesPerFrame = top.length > 0 ? (top[top.length - 1].end - ref.offset) / top.length : Number.NaN;
    const estimatedFrames = whole ? top.length : Number.isFinite(bytesPerFrame) ? Math.round(ref.length / bytesPerFrame) : 0;
    const bottom = walk(tail, undefined).slice(1).map((f) => f.function).filter((f): f is string => f !== undefined);
    return {
      sectionBytes: ref.length,
      estimatedFrames,
      exact: whole,
      sampledFrames: top.length,
      functions: counts.top(FUNCTIONS_LISTED),
      calledFrom: collapse(bottom).slice(-STACK_BOTTOM_FRAMES),
    };
  } finally {
    closeData(fd);
  }
}

/** Names in a row alike as one (the bottom of a recursion is the same function many times). */
function collapse(names: string[]): string[] {
  return names.filter((n, i) => i === 0 || n !== names[i - 1]);
}
