/**
 * Pending BIF timers (`=timer:OWNER` sections, one per erlang:send_after/3 or start_timer/3 not
 * fired yet): what the timers of one owner will deliver, by message shape, and when.
 *
 * A timer keeps its message outside every process heap until it fires or is cancelled, counted
 * under `=memory processes` and in no process's Memory figure: a process that starts a timer per
 * request and never cancels it leaks them (a dump of a million such timers, made by OTP 25: 170
 * bytes each with an atom for message, plus the message).
 */
import { parseTerm, type Term as TextTerm } from '../../term-text/term-text.js';
import { linesOfRange } from '../section-lines.js';
import { packPid, type SectionIndex } from '../section-index.js';
import { dataPath, type DumpHeader, type DumpSource } from '../types.js';
import { openData, closeData } from '../data-file.js';
import { atom, marker, NIL, type Term } from './model.js';
import { ShapeHistogram, type ShapeRow } from './shape.js';
import type { MessageShape, TimerSample } from '../analyze/report-types.js';

/** A timer's Message line longer than this is counted, not parsed (its shape is unknown). */
const MESSAGE_BYTES = 64 << 10;

/**
 * The timers of an owner (`keys`: its pid, and the registered name timers can be keyed by), all
 * counted and the first `maxTimers` read, their messages by shape. Reads only their sections (found
 * in the index by the packed pid: no object per timer of the dump).
 */
export function timerSample(dump: { index: SectionIndex; source: Pick<DumpSource, 'path' | 'spool'>; header: Pick<DumpHeader, 'wordSize'> }, keys: readonly string[], maxTimers = 1000, exampleWidth = 120,
  /** A shape's rendering in another syntax (Elixir's: the usecase passes it, from the example's term). */
  otherSyntax?: (row: ShapeRow) => MessageShape['elixir']): TimerSample {
  const places: Array<[number, number]> = [];
  let timers = 0;
  const take = (offset: number, length: number) => {
    timers++;
    if (places.length < maxTimers) places.push([offset, length]);
  };
  const pids = new Set(keys.map(packPid).filter((p) => !Number.isNaN(p)));
  if (pids.size) dump.index.each('timer', (_row, id, offset, length) => { if (pids.has(id)) take(offset, length); });
  for (const name of keys.filter((k) => Number.isNaN(packPid(k)))) for (const ref of dump.index.find('timer', name)) take(ref.offset, ref.length);
  const shapes = new ShapeHistogram(exampleWidth, 100);
  let unreadable = 0;
  let min = Infinity;
  let max = -Infinity;
  if (!places.length) return { owner: keys[0] ?? '', timers, sampled: 0, shapes: [], unreadable: 0 };
  const fd = openData(dataPath(dump.source));
  try {
    for (const [offset, length] of places) {
      let message: Term | undefined;
      for (const line of linesOfRange(fd, offset, offset + length, { maxLineBytes: MESSAGE_BYTES + 16 })) {
        const text = line.toString('utf8');
        if (text.startsWith('Message: ')) message = line.length <= MESSAGE_BYTES ? messageTerm(text.slice(9)) : undefined;
        else if (text.startsWith('Time left: ')) {
          const ms = Number.parseInt(text.slice(11), 10);
          if (Number.isFinite(ms)) {
            min = Math.min(min, ms);
            max = Math.max(max, ms);
          }
        }
      }
      if (message) shapes.add(message, dump.header.wordSize);
      else unreadable++;
    }
  } finally {
    closeData(fd);
  }
  const rows = shapes.result().map((r) => ({ shape: r.shape, count: r.count, example: r.example, estimatedBytes: r.estimatedBytes, ...(otherSyntax ? { elixir: otherSyntax(r) } : {}) }));
  return { owner: keys[0] ?? '', timers, sampled: places.length, shapes: rows, unreadable, ...(min <= max ? { timeLeftMs: { min, max } } : {}) };
}

/** A Message line's term, in the model the heap decoder makes, or undefined when it does not parse. */
export function messageTerm(text: string): Term | undefined {
  try {
    return fromText(parseTerm(text));
  } catch {
    return undefined;
  }
}

/** Term text (as `%T` printed it) to the heap decoder's model, for shapes and printing. */
function fromText(t: TextTerm): Term {
  switch (t.kind) {
    case 'atom': return atom(t.name);
    case 'integer': return { t: 'int', v: t.value };
    case 'float': return { t: 'float', v: t.value };
    case 'string': {
      const codes = [...t.value].map((c): Term => ({ t: 'int', v: c.codePointAt(0)! }));
      return codes.length ? { t: 'list', v: codes } : NIL;
    }
    case 'tuple': return { t: 'tuple', v: t.items.map(fromText) };
    case 'list': return t.items.length ? { t: 'list', v: t.items.map(fromText), ...(t.tail ? { tail: fromText(t.tail) } : {}) } : t.tail ? fromText(t.tail) : NIL;
    case 'map': return { t: 'map', v: t.entries.map(([k, v]): [Term, Term] => [fromText(k), fromText(v)]) };
    case 'binary': {
      // Printed in full by the writer: a heap binary to the shape, whatever it was in memory.
      const bytes = t.bytes ?? new Uint8Array(0);
      return { t: 'binary', kind: 'heap', size: bytes.length, bytes, complete: t.bytes !== undefined };
    }
    case 'pid': return { t: 'pid', v: t.text };
    case 'port': return { t: 'port', v: t.text };
    case 'reference': return { t: 'ref', v: t.text };
    case 'fun': return funTerm(t.text);
  }
}

/** `#Fun<Module.Index.Uniq>` as the heap decoder has it; anything else as written, unknown. */
function funTerm(text: string): Term {
  const m = /^#Fun<(.+)\.(\d+)\.(\d+)>$/.exec(text);
  return m ? { t: 'fun', module: m[1], index: Number(m[2]), uniq: Number(m[3]) } : marker('unknown', text);
}
