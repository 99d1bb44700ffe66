/**
 * `$initial_call` and `$ancestors` read straight from a dictionary's heap lines, for the common
 * shape proc_lib writes: `{'$initial_call', {M, F, A}}` with A an integer (or []) and
 * `{'$ancestors', [Pid | Name, ...]}`. Triage, procs and leak look these up for every proc_lib
 * process: on class g (100,030 of them) the term decoder's objects and checks were most of 16 us a
 * process. Those two in any other shape (a value not in the tail, a literal, arguments as a list,
 * an odd element) are left to the term decoder, the entry alone.
 */
import { parseHexBytes } from '../bytes.js';
import { NIL, type Term } from './model.js';

const INITIAL_CALL = '$initial_call';
const ANCESTORS = '$ancestors';
/** Ancestors followed at most (a supervision tree is seldom ten deep). */
const MAX_ANCESTORS = 1_000;

/** Heap lines by address (a Map, or lines found on demand). */
export interface HeapLinesByAddress {
  get(address: number): Buffer | undefined;
}

/** What quickDictionary read of a dictionary. */
export interface QuickDictionary {
  /** The `$initial_call` and `$ancestors` entries read (other entries are left out). */
  entries: Array<{ key: Term; value: Term }>;
  /** Entries whose line is not among the heap lines given (a larger tail may hold one of the two). */
  missing: number;
  /** Dictionary lines of `$initial_call` or `$ancestors` entries in shapes not read here: for the term decoder. */
  odd: Buffer[];
}

/**
 * The dictionary's `$initial_call` and `$ancestors` entries, from its lines (`H<address>` each)
 * and the heap lines by address. Every other entry costs a lookup and a few byte compares: a
 * process dictionary used as a cache has millions, where decoding them all took 25 s.
 */
export function quickDictionary(dictLines: readonly Buffer[], heap: HeapLinesByAddress): QuickDictionary {
  const out: QuickDictionary = { entries: [], missing: 0, odd: [] };
  for (const line of dictLines) {
    if (line.length === 0) continue;
    const address = pointer(line, 0, line.length);
    // An immediate is no {Key, Value} entry, so none of the two.
    if (Number.isNaN(address)) continue;
    const entry = body(heap, address);
    if (!entry) {
      out.missing++;
      continue;
    }
    // {Key, Value}: `t2:` then two elements; a key that is no atom is none of the two.
    if (entry.b[entry.p] !== 0x74 || entry.b[entry.p + 1] !== 0x32 || entry.b[entry.p + 2] !== 0x3a) continue;
    const key = atomAt(entry.b, entry.p + 3);
    if (!key || (key.v !== INITIAL_CALL && key.v !== ANCESTORS)) continue;
    const value = entry.b[key.next] !== 0x2c ? undefined
      : key.v === INITIAL_CALL ? initialCall(heap, entry.b, key.next + 1) : ancestors(heap, entry.b, key.next + 1);
    if (value) out.entries.push({ key: { t: 'atom', v: key.v }, value });
    else out.odd.push(line);
  }
  return out;
}

/** `H<address>` → `{M, F, A}` with A `I<n>` or `N` (no arguments). */
function initialCall(heap: HeapLinesByAddress, b: Buffer, p: number): Term | undefined {
  const t = body(heap, pointer(b, p, elementEnd(b, p)));
  if (!t || t.b[t.p] !== 0x74 || t.b[t.p + 1] !== 0x33 || t.b[t.p + 2] !== 0x3a) return undefined;
  const m = atomAt(t.b, t.p + 3);
  if (!m || t.b[m.next] !== 0x2c) return undefined;
  const f = atomAt(t.b, m.next + 1);
  if (!f || t.b[f.next] !== 0x2c) return undefined;
  const a = f.next + 1;
  let arity: Term;
  if (t.b[a] === 0x4e && a + 1 === t.b.length) arity = NIL;
  else {
    const n = decimal(t.b, a + 1, t.b.length);
    if (t.b[a] !== 0x49 || n === undefined) return undefined;
    arity = { t: 'int', v: n };
  }
  return { t: 'tuple', v: [{ t: 'atom', v: m.v }, { t: 'atom', v: f.v }, arity] };
}

/** `N`, or `H<address>` → cons cells `l<Pid | Atom>|<N | H<address>>`. */
function ancestors(heap: HeapLinesByAddress, b: Buffer, p: number): Term | undefined {
  const items: Term[] = [];
  let cell = b;
  let at = p;
  for (let k = 0; k <= MAX_ANCESTORS; k++) {
    if (cell[at] === 0x4e && at + 1 === cell.length) return { t: 'list', v: items };
    const c = body(heap, pointer(cell, at, cell.length));
    if (!c || c.b[c.p] !== 0x6c) return undefined;
    const head = c.p + 1;
    let bar: number;
    if (c.b[head] === 0x41) {
      // A registered name: its text may hold `|` or `,`, so its end is where its length says.
      const name = atomAt(c.b, head);
      if (!name) return undefined;
      items.push({ t: 'atom', v: name.v });
      bar = name.next;
    } else {
      bar = elementEnd(c.b, head);
      if (c.b[head] !== 0x50 || c.b[head + 1] !== 0x3c || c.b[bar - 1] !== 0x3e) return undefined;
      items.push({ t: 'pid', v: c.b.toString('latin1', head + 1, bar) });
    }
    if (c.b[bar] !== 0x7c) return undefined;
    cell = c.b;
    at = bar + 1;
  }
  return undefined;
}

/** The address of `H<hex>` filling [p, end), or NaN. */
function pointer(b: Buffer, p: number, end: number): number {
  return b[p] === 0x48 ? parseHexBytes(b, p + 1, end) : NaN;
}

/** The heap line at this address, and where its body starts (after `ADDRESS:`). */
function body(heap: HeapLinesByAddress, address: number): { b: Buffer; p: number } | undefined {
  const line = Number.isNaN(address) ? undefined : heap.get(address);
  if (!line) return undefined;
  const colon = line.indexOf(0x3a);
  return colon > 0 ? { b: line, p: colon + 1 } : undefined;
}

/** `A<hex length>:<name>` at p: the name and where the element ends; undefined if it is no atom. */
function atomAt(b: Buffer, p: number): { v: string; next: number } | undefined {
  if (b[p] !== 0x41) return undefined;
  const colon = b.indexOf(0x3a, p + 1);
  if (colon < 0) return undefined;
  const len = parseHexBytes(b, p + 1, colon);
  if (Number.isNaN(len) || colon + 1 + len > b.length) return undefined;
  return { v: b.toString('utf8', colon + 1, colon + 1 + len), next: colon + 1 + len };
}

/** Where an element with no atom text in it (a pointer, pid, integer or nil) ends: the next `,` or `|`, or the line end. */
function elementEnd(b: Buffer, p: number): number {
  let e = p;
  while (e < b.length && b[e] !== 0x2c && b[e] !== 0x7c) e++;
  return e;
}

function decimal(b: Buffer, start: number, end: number): number | undefined {
  if (end <= start || end - start > 15) return undefined;
  let v = 0;
  for (let p = start; p < end; p++) {
    const d = b[p] - 0x30;
    if (d < 0 || d > 9) return undefined;
    v = v * 10 + d;
  }
  return v;
}
