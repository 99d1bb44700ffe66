/**
 * Renderers for one decoded process (`beamscope proc`): text for people and a JSON-friendly
 * object for programs. No computation beyond layout; everything printed is sanitised.
 */
import { DEEP_STACK_FRAMES, type ProcessDetail, type ProcessStack, type StackFrame } from '../dump/terms/process-detail.js';
import { printTerm } from '../dump/terms/printer.js';
import { countOf, formatBytes, formatCount, formatDurationRange, formatPercent, sanitize, table } from '../text/format.js';
import type { TimerSample } from '../dump/analyze/report-types.js';
import type { Term } from '../dump/terms/model.js';
import { inspectTerm } from '../elixir/inspect.js';
import { elixirExample, elixirShape, elixirText } from '../elixir/names.js';

export interface ProcTextOptions {
  /** Terminal width: examples and terms are cut to it (default 100). */
  width?: number;
  /** Rows per list (shapes, samples, dictionary, binaries; default 10). */
  top?: number;
  /** Names and terms in Elixir syntax (src/elixir); default Erlang. */
  elixir?: ElixirView;
}

/** How `proc` prints in Elixir syntax: which maps are structs (the modules loaded on the node). */
export interface ElixirView {
  isStruct?: (module: string) => boolean;
  /** Why Elixir (for JSON). */
  reason?: string;
}

/** Erlang text, or its Elixir rendering when `ex` is set. */
function viewer(ex: ElixirView | undefined) {
  return {
    code: (t: string | undefined) => (t !== undefined && ex ? elixirText(t) : t),
    term: (t: Term, maxChars: number) => (ex ? inspectTerm(t, { maxChars, ...(ex.isStruct ? { isStruct: ex.isStruct } : {}) }) : printTerm(t, { maxChars })),
    shape: (t: string) => (ex ? elixirShape(t) : t),
  };
}

/** The JSON document of `beamscope proc --format json` (schemas/proc.schema.json). Absent values are null. */
export interface ProcJson {
  /** The version of this JSON shape, the same field in every beamscope JSON output (docs/json.md). */
  schemaVersion: 1;
  pid: string;
  name: string | null;
  state: string | null;
  /** The real initial call (`$initial_call` for proc_lib processes, else `Spawned as`). */
  initialCall: string | null;
  spawnedAs: string | null;
  spawnedBy: string | null;
  currentCall: string | null;
  ancestors: string[];
  memoryBytes: number | null;
  reductions: number | null;
  messageQueueLength: number;
  /** Messages found in `=proc_messages` (fewer for sensitive or exiting processes). */
  messagesInDump: number;
  messageShapes: Array<{ shape: string; count: number; estimatedBytes: number; binaryBytes: number; example: string }>;
  messageSamples: Array<{ index: number; message: string; seqTraceToken: string | null }>;
  /** The first entries (at most DICTIONARY_ENTRIES, 1,000), printed. */
  dictionary: Array<{ key: string; value: string }>;
  /** Entries in the dictionary, all counted. */
  dictionarySize: number;
  /** Shapes of the first `dictionarySampled` entries, `{Key, Value}` each. */
  dictionaryShapes: Array<{ shape: string; count: number; example: string }>;
  dictionarySampled: number;
  /** Pending timers that will send to it (by pid or registered name): all counted, the first `sampled` by shape; null for none. */
  timers: { pending: number; sampled: number; shapes: Array<{ shape: string; count: number; example: string; elixir?: { shape: string; example: string } }>; unreadable: number; timeLeftMs: { min: number; max: number } | null } | null;
  /**
   * The top frames, innermost first; after a gap (`omittedBefore`: frames counted, not kept) the
   * bottom ones. `repeat`: the row stands for this many frames in a row alike (a recursion).
   */
  stack: Array<{ function: string | null; returnTo: string | null; yRegisters: Array<{ label: string; value: string | null }>; repeat?: number; omittedBefore?: number }>;
  /** Frames on the stack. */
  stackDepth: number;
  /** Frames per function over the whole stack, most first (at most 10). */
  stackFunctions: Array<{ function: string; frames: number }>;
  binaries: {
    count: number;
    totalBytes: number;
    /** Null when the other heaps were not scanned (--no-sharing). */
    exclusiveBytes: number | null;
    sharedBytes: number | null;
    /** Of totalBytes, the binaries a cut dump has no section of, sized from this heap's `Yc` lines (in neither of the two above); absent when none. */
    notInDumpBytes?: number;
    /** notInDump: that binary is cut off the dump (its holders are not known). */
    held: Array<{ address: string; sizeBytes: number | null; references: number; otherHolders: number | null; literal: boolean | null; shared: boolean | null; notInDump?: true }>;
  };
  /** The first 10,000 links, monitored processes and monitoring processes of the `Link list` line. */
  links: string[];
  monitors: string[];
  monitoredBy: string[];
  /** How many of each the whole `Link list` line has (a supervisor's line holds hundreds of thousands). */
  linkCounts: { links: number; monitors: number; monitoredBy: number };
  /** Every `Key: value` line of `=proc`, in order; word fields also in bytes. */
  record: Array<{ key: string; value: string; bytes?: number }>;
  deepDumped: boolean;
  warnings: string[];
  /** For an Elixir node (--syntax): why its text is in Elixir syntax. */
  syntax?: { name: 'elixir'; reason: string };
  /** For an Elixir node: the names, shapes and terms above in Elixir syntax (the raw fields stay). */
  elixir?: ProcElixirFields;
}

/** Names, shapes and terms of `proc --format json` in Elixir syntax. */
export interface ProcElixirFields {
  name: string | null;
  initialCall: string | null;
  spawnedAs: string | null;
  currentCall: string | null;
  ancestors: Array<string | null>;
  messageShapes: Array<{ shape: string; example: string }>;
  messageSamples: string[];
  dictionary: Array<{ key: string; value: string }>;
  stack: Array<{ function: string | null; returnTo: string | null }>;
}

/** The timers that will send to the process: how many, what, when. */
function timerLines(t: TimerSample, cut: (text: string, indent: number) => string, shape: (s: string) => string, elixir: boolean): string[] {
  const left = t.timeLeftMs;
  const when = left ? `; time left ${formatDurationRange(left.min, left.max)}${t.sampled < t.timers ? ' (those read)' : ''}` : '';
  const out = [`Timers: ${formatCount(t.timers)} pending${when}`];
  if (t.shapes.length) {
    out.push(`  shapes${t.sampled < t.timers ? ` (the first ${formatCount(t.sampled)})` : ''}:`);
    for (const r of t.shapes.slice(0, 3)) out.push(`    ${formatCount(r.count)} x ${cut(shape(r.shape), 4)}`);
    out.push(`  e.g. ${cut(elixir ? elixirExample(t.shapes[0]) : t.shapes[0].example, 7)}`);
  }
  if (t.unreadable) out.push(`  ${countOf(t.unreadable, 'message')} not readable as terms`);
  return out;
}

export function procToJson(d: ProcessDetail, top = Infinity, elixir?: ElixirView): ProcJson {
  const r = d.record;
  const num = (n: number) => (Number.isFinite(n) ? n : null);
  const out: ProcJson = {
    schemaVersion: 1,
    pid: d.pid,
    name: r.name ?? null,
    state: r.state ?? null,
    initialCall: d.initialCall ?? null,
    spawnedAs: r.spawnedAs ?? null,
    spawnedBy: r.spawnedBy ?? null,
    currentCall: r.currentCall ?? null,
    ancestors: d.ancestors,
    memoryBytes: r.memoryBytes ?? null,
    reductions: r.reductions ?? null,
    messageQueueLength: d.messages.queueLength,
    messagesInDump: d.messages.dumped,
    messageShapes: d.messages.shapes.slice(0, top).map((s) => ({ shape: s.shape, count: s.count, estimatedBytes: s.estimatedBytes, binaryBytes: s.binaryBytes, example: s.example })),
    messageSamples: d.messages.samples.map((s) => ({ index: s.index, message: s.text, seqTraceToken: s.seqToken && s.seqToken.t !== 'nil' ? printTerm(s.seqToken) : null })),
    dictionary: d.dictionary.map((e) => ({ key: e.keyText, value: e.valueText })),
    dictionarySize: d.dictionarySize,
    dictionaryShapes: d.dictionaryShapes.slice(0, top).map((r) => ({ shape: r.shape, count: r.count, example: r.example })),
    dictionarySampled: d.dictionarySampled,
    timers: d.timers
      ? { pending: d.timers.timers, sampled: d.timers.sampled, shapes: d.timers.shapes.slice(0, top).map((r) => ({ shape: r.shape, count: r.count, example: r.example, ...(r.elixir ? { elixir: r.elixir } : {}) })),
        unreadable: d.timers.unreadable, timeLeftMs: d.timers.timeLeftMs ?? null }
      : null,
    stack: d.stack.frames.map((f) => ({
      function: f.function ?? null,
      returnTo: f.returnTo ?? null,
      yRegisters: f.yRegisters.map((y) => ({ label: y.label, value: y.term ? printTerm(y.term, { maxChars: 2000 }) : (y.text ?? null) })),
      ...(f.repeat ? { repeat: f.repeat } : {}),
      ...(f.omittedBefore ? { omittedBefore: f.omittedBefore } : {}),
    })),
    stackDepth: d.stack.depth,
    stackFunctions: d.stack.functions,
    binaries: {
      count: d.binaries.count,
      totalBytes: d.binaries.totalBytes,
      exclusiveBytes: d.binaries.sharingComputed ? d.binaries.exclusiveBytes : null,
      sharedBytes: d.binaries.sharingComputed ? d.binaries.sharedBytes : null,
      ...(d.binaries.notInDumpBytes !== undefined ? { notInDumpBytes: d.binaries.notInDumpBytes } : {}),
      held: d.binaries.held.slice(0, top).map((b) => ({
        address: b.address, sizeBytes: num(b.sizeBytes), references: b.references, otherHolders: b.otherHolders ?? null, literal: b.literal ?? null, shared: b.shared ?? null,
        ...(b.notInDump ? { notInDump: true as const } : {}),
      })),
    },
    links: r.links,
    monitors: r.monitors,
    monitoredBy: r.monitoredBy,
    linkCounts: r.counts,
    record: r.fields.map((f) => (f.bytes !== undefined ? { key: f.key, value: f.value, bytes: f.bytes } : { key: f.key, value: f.value })),
    deepDumped: d.deepDumped,
    warnings: d.warnings,
  };
  return elixir ? { ...out, ...procElixirJson(d, top, elixir) } : out;
}

/** The Elixir renderings `proc --format json` adds for an Elixir node (the raw fields stay). */
function procElixirJson(d: ProcessDetail, top: number, ex: ElixirView): Pick<ProcJson, 'syntax' | 'elixir'> {
  const v = viewer(ex);
  const r = d.record;
  return {
    syntax: { name: 'elixir', reason: ex.reason ?? '' },
    elixir: {
      name: v.code(r.name) ?? null,
      initialCall: v.code(d.initialCall) ?? null,
      spawnedAs: v.code(r.spawnedAs) ?? null,
      currentCall: v.code(r.currentCall) ?? null,
      ancestors: d.ancestors.map((a) => v.code(a) ?? null),
      messageShapes: d.messages.shapes.slice(0, top).map((s) => ({ shape: v.shape(s.shape), example: s.exampleTerm ? v.term(s.exampleTerm, 500) : s.example })),
      messageSamples: d.messages.samples.map((s) => v.term(s.term, 2000)),
      dictionary: d.dictionary.map((e) => ({ key: v.term(e.key, 300), value: v.term(e.value, 300) })),
      stack: d.stack.frames.map((f) => ({ function: v.code(f.function) ?? null, returnTo: v.code(f.returnTo) ?? null })),
    },
  };
}

export function renderProcText(d: ProcessDetail, opts: ProcTextOptions = {}): string {
  const width = Math.max(40, opts.width ?? 100);
  const top = opts.top ?? 10;
  const r = d.record;
  const out: string[] = [];
  const v = viewer(opts.elixir);
  const s = (t: string | undefined, max = width) => sanitize(v.code(t) ?? '-', max);
  const cut = (t: string, indent: number) => sanitize(t, Math.max(20, width - indent));

  out.push(`Process ${s(d.pid)}${r.name ? ` (${s(r.name)})` : ''}`);
  out.push(`  State: ${s(r.state)}   Initial call: ${s(d.initialCall)}${d.initialCall !== r.spawnedAs && r.spawnedAs ? `   (spawned as ${s(r.spawnedAs)})` : ''}`);
  if (r.currentCall) out.push(`  Current call: ${s(r.currentCall)}`);
  out.push(`  Spawned by: ${s(r.spawnedBy)}   Ancestors: ${d.ancestors.length ? d.ancestors.map((a) => s(a, 60)).join(', ') : '-'}`);
  const mem = r.memoryBytes !== undefined ? formatBytes(r.memoryBytes) : '?';
  const field = (k: string) => r.fields.find((f) => f.key === k);
  const sh = field('Stack+heap')?.bytes;
  const oh = field('OldHeap')?.bytes;
  out.push(`  Memory: ${mem}   Stack+heap: ${sh !== undefined ? formatBytes(sh) : '?'}   Old heap: ${oh !== undefined ? formatBytes(oh) : '?'}   Reductions: ${r.reductions !== undefined ? formatCount(r.reductions) : '?'}`);
  // With their number when there are more than fit: a supervisor's 300,000 links.
  const related = (label: string, items: string[], count: number) => {
    const head = count > 1 ? `${label} (${formatCount(count)}): ` : `${label}: `;
    return `  ${head}${items.length ? cut(items.join(', '), head.length + 2) : '-'}`;
  };
  out.push(related('Links', r.links, r.counts.links));
  if (r.counts.monitors) out.push(related('Monitors', r.monitors, r.counts.monitors));
  if (r.counts.monitoredBy) out.push(related('Monitored by', r.monitoredBy, r.counts.monitoredBy));
  if (!d.deepDumped) out.push('  (no stack, heap or messages in the dump for this process: exiting, garbage collecting, sensitive or cut)');

  out.push('');
  const m = d.messages;
  out.push(`Messages: ${formatCount(m.queueLength)} queued${m.dumped !== m.queueLength ? ` (${formatCount(m.dumped)} in the dump)` : ''}`);
  if (m.shapes.length > 0) {
    const rows = m.shapes.slice(0, top).map((x) => [formatCount(x.count), formatBytes(x.estimatedBytes), x.binaryBytes > 0 ? formatBytes(x.binaryBytes) : '-', v.shape(x.shape)]);
    out.push(table([{ header: 'count', align: 'right' }, { header: 'heap', align: 'right' }, { header: 'refc refs', align: 'right' }, { header: 'shape', max: Math.max(30, width - 42) }], rows));
    if (m.shapes.length > top) out.push(`  ... ${m.shapes.length - top} more shapes`);
    out.push('');
    out.push('  Examples:');
    for (const x of m.shapes.slice(0, Math.min(top, 5))) out.push(`    ${cut(opts.elixir && x.exampleTerm ? v.term(x.exampleTerm, width) : x.example, 4)}`);
  }
  if (m.samples.length > 0) {
    out.push('');
    out.push(`  First ${m.samples.length} messages:`);
    for (const x of m.samples) out.push(`    ${String(x.index + 1).padStart(3)}. ${cut(opts.elixir ? v.term(x.term, width * 2) : x.text, 9)}`);
  }

  out.push('');
  out.push(`Dictionary: ${countOf(d.dictionarySize, 'entry', 'entries')}`);
  // A dictionary of thousands is a cache or a registry: what it holds, by shape.
  if (d.dictionarySize > top) {
    const sample = d.dictionarySampled < d.dictionarySize ? ` (the first ${formatCount(d.dictionarySampled)})` : '';
    out.push(`  shapes${sample}:`);
    for (const r of d.dictionaryShapes.slice(0, 3)) out.push(`    ${formatCount(r.count)} x ${cut(v.shape(r.shape), 4)}`);
  }
  for (const e of d.dictionary.slice(0, top)) out.push(`  ${cut(opts.elixir ? `${v.term(e.key, 300)} => ${v.term(e.value, 300)}` : `${e.keyText} => ${e.valueText}`, 2)}`);
  if (d.dictionarySize > top) out.push(`  ... ${formatCount(d.dictionarySize - Math.min(top, d.dictionary.length))} more`);
  if (d.timers) out.push('', ...timerLines(d.timers, cut, v.shape, opts.elixir !== undefined));

  out.push('');
  out.push(...stackLines(d.stack, { s, cut, term: (y) => (y.term ? v.term(y.term, width * 2) : (v.code(y.text) ?? '')) }));

  out.push('');
  const b = d.binaries;
  const cutOff = b.notInDumpBytes !== undefined ? `${formatBytes(b.notInDumpBytes)} cut off the dump, sized from the heap, holders not known` : '';
  const split = b.sharingComputed ? ` (exclusive ${formatBytes(b.exclusiveBytes)}, shared ${formatBytes(b.sharedBytes)}${cutOff ? `; ${cutOff}` : ''})` : cutOff ? ` (${cutOff})` : '';
  out.push(`Binaries held: ${countOf(b.count, 'refc binary', 'refc binaries')}, ${formatBytes(b.totalBytes)}${split}`);
  if (b.held.length > 0) {
    const rows = b.held.slice(0, top).map((h) => [h.address, Number.isFinite(h.sizeBytes) ? formatBytes(h.sizeBytes) : '?', formatCount(h.references),
      h.notInDump ? 'not in the dump' : h.shared === undefined ? '?' : h.shared ? `shared (${h.otherHolders ?? 0} other${h.literal ? ', literal' : ''})` : 'exclusive']);
    out.push(table([{ header: 'binary' }, { header: 'size', align: 'right' }, { header: 'refs', align: 'right' }, { header: 'held' }], rows));
    if (b.count > Math.min(top, b.held.length)) out.push(`  ... ${formatCount(b.count - Math.min(top, b.held.length))} more`);
  }

  if (d.warnings.length > 0) {
    out.push('');
    out.push('Warnings:');
    for (const w of d.warnings) out.push(`  - ${cut(w, 4)}`);
  }

  out.push('');
  out.push('=proc record:');
  // Sizes in words as the dump writes them, with bytes; `Memory` is written in bytes already.
  const rows = r.fields.map((f) => [f.key, f.bytes !== undefined ? `${f.value} words = ${formatBytes(f.bytes)}`
    : f.key === 'Memory' && /^\d+$/.test(f.value) ? `${f.value} bytes = ${formatBytes(Number(f.value))}` : f.value]);
  out.push(table([{ header: 'key' }, { header: 'value', max: Math.max(30, width - 28) }], rows));
  return out.join('\n');
}

/**
 * The stack: its depth, the functions most of a deep one is in, and the frames, a run of alike
 * frames (a recursion) as one line with its count and a gap where frames were only counted.
 */
function stackLines(st: ProcessStack, f: { s: (x: string) => string; cut: (x: string, indent: number) => string;
  term: (y: StackFrame['yRegisters'][number]) => string }): string[] {
  const out = [`Stack: ${countOf(st.depth, 'frame')}`];
  const deepest = st.functions[0];
  if (deepest && st.depth >= DEEP_STACK_FRAMES) {
    const rest = st.functions.slice(1, 4).map((x) => `${f.s(x.function)} (${formatCount(x.frames)})`).join(', ');
    out.push(`  ${formatCount(deepest.frames)} of them (${formatPercent(deepest.frames / st.depth)}) in ${f.s(deepest.function)}${rest ? `; the others in ${rest}${st.functions.length > 4 ? ', ...' : ''}` : ''}`);
  }
  for (const fr of st.frames) {
    if (fr.omittedBefore) out.push(`  ... ${countOf(fr.omittedBefore, 'frame')} not listed ...`);
    out.push(`  ${f.s(fr.function ?? '?')}${fr.returnTo ? `  -> returns to ${f.s(fr.returnTo)}` : ''}${fr.repeat ? `   x ${formatCount(fr.repeat)} frames in a row` : ''}`);
    for (const y of fr.yRegisters) out.push(`      ${f.cut(`${y.label} = ${f.term(y)}`, 6)}`);
  }
  if (st.entriesCut) out.push(`  (registers decoded for the first ${formatCount(st.entries.length)} lines of the stack)`);
  return out;
}
