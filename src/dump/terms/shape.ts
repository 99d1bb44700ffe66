/**
 * Message shapes: a short type-level description of a term (`{log_line, integer, binary(90)}`),
 * a histogram of them, and a size estimate in bytes. Binary sizes are kept per position, so a
 * mailbox of log lines of varying length is one shape, `binary(40..200)`, not thousands.
 */
import type { Term } from './model.js';
import { printTerm, writeAtom } from './printer.js';

const SLOT = '\u0001';
const atomText = new Map<string, string>();
function atomLiteral(a: string): string {
  let t = atomText.get(a);
  if (t === undefined) {
    t = writeAtom(a);
    if (atomText.size < 10_000) atomText.set(a, t);
  }
  return t;
}
const MAX_SHAPE_DEPTH = 4;
/** The shape of a term, or a part of one, that points to heap lines the dump does not have. */
export const NOT_IN_DUMP = '(not in the dump)';

export interface ShapeInfo {
  /** Skeleton with a slot per binary size. */
  key: string;
  sizes: number[];
  /** Estimated heap bytes: flat size in words x word size (off-heap payloads not included). */
  bytes: number;
  /** Bytes of refc binary payload referenced (shared payloads count once per reference). */
  binaryBytes: number;
}

export function shapeOf(term: Term, wordSize: 4 | 8 = 8): ShapeInfo {
  const sizes: number[] = [];
  let budget = 2000;
  const skel = (t: Term, depth: number, tagPos: boolean): string => {
    if (--budget < 0) return '...';
    switch (t.t) {
      case 'atom': return tagPos || depth === 0 ? atomLiteral(t.v) : 'atom';
      case 'int': return 'integer';
      case 'float': return 'float';
      case 'nil': return '[]';
      case 'tuple': {
        if (depth >= MAX_SHAPE_DEPTH) return `tuple(${t.v.length})`;
        if (t.v.length > 10) return `tuple(${t.v.length})`;
        return `{${t.v.map((x, i) => skel(x, depth + 1, i === 0)).join(', ')}}`;
      }
      case 'list': {
        if (!t.tail && t.v.every((x) => x.t === 'int' && typeof x.v === 'number' && x.v >= 0 && x.v <= 0x10ffff) && t.v.length > 0) return 'string';
        if (depth >= MAX_SHAPE_DEPTH) return 'list';
        const n = Math.min(t.v.length, 8);
        const save = sizes.length;
        const first = skel(t.v[0], depth + 1, false);
        let same = true;
        for (let i = 1; i < n && same; i++) {
          const mark = sizes.length;
          if (skel(t.v[i], depth + 1, false) !== first) same = false;
          sizes.length = mark;
        }
        if (!same) {
          sizes.length = save;
          return t.tail ? 'improper_list' : 'list';
        }
        return t.tail ? `[${first}|${skel(t.tail, depth + 1, false)}]` : `[${first}]`;
      }
      case 'map': {
        if (depth >= MAX_SHAPE_DEPTH || t.v.length > 8 || !t.v.every(([k]) => k.t === 'atom')) return 'map';
        // An Elixir struct's name (`__struct__ => 'Elixir.Foo'`) is part of its shape, like a tag.
        return `#{${t.v.map(([k, v]) => `${atomLiteral((k as { v: string }).v)} => ${skel(v, depth + 1, (k as { v: string }).v === '__struct__')}`).join(', ')}}`;
      }
      case 'binary':
        if (depth > MAX_SHAPE_DEPTH) return 'binary';
        sizes.push(t.size);
        return `binary${SLOT}`;
      case 'pid': return 'pid';
      case 'port': return 'port';
      case 'ref': return 'ref';
      case 'fun': case 'export': return 'fun';
      case 'marker':
        // A refc binary whose =binary section is not in the dump (one cut before it) is still a
        // binary of the size its heap line says; a part of the heap not in the dump has no shape.
        if (t.kind === 'nonexisting-binary' && t.size !== undefined) {
          if (depth > MAX_SHAPE_DEPTH) return 'binary';
          sizes.push(t.size);
          return `binary${SLOT}`;
        }
        return t.kind === 'incomplete' ? NOT_IN_DUMP : printTerm(t);
    }
  };
  const key = skel(term, 0, false);
  const est = estimateSize(term, wordSize);
  return { key, sizes, bytes: est.heapBytes, binaryBytes: est.binaryBytes };
}

/** Flat heap size (like erts_debug:flat_size/1) x word size; off-heap binary payloads excluded. */
export function estimateBytes(term: Term, wordSize: 4 | 8 = 8): number {
  return estimateSize(term, wordSize).heapBytes;
}

/** Heap bytes (flat size x word size) and referenced refc payload bytes of a term. */
export function estimateSize(term: Term, wordSize: 4 | 8 = 8): { heapBytes: number; binaryBytes: number } {
  let words = 0;
  let offHeap = 0;
  let budget = 200_000;
  const stack: Term[] = [term];
  while (stack.length > 0 && --budget > 0) {
    const t = stack.pop()!;
    switch (t.t) {
      case 'tuple': words += 1 + t.v.length; for (const x of t.v) stack.push(x); break;
      case 'list': words += 2 * t.v.length; for (const x of t.v) stack.push(x); if (t.tail) stack.push(t.tail); break;
      case 'float': words += wordSize === 8 ? 2 : 3; break;
      case 'int':
        if (typeof t.v === 'bigint') {
          const bits = (t.v < 0n ? -t.v : t.v).toString(16).length * 4;
          words += 1 + Math.ceil(bits / (wordSize * 8));
        } else if (Math.abs(t.v) >= (wordSize === 8 ? 2 ** 59 : 2 ** 27)) words += 2;
        break;
      case 'map':
        words += t.v.length <= 32 ? 3 + t.v.length + 1 + t.v.length : 4 * t.v.length;
        for (const [k, v] of t.v) stack.push(k, v);
        break;
      case 'binary':
        if (t.kind === 'heap') words += 2 + Math.ceil(t.size / wordSize);
        else {
          words += t.kind === 'refc' ? 6 : 5;
          offHeap += t.size;
        }
        break;
      case 'fun': words += 5; break;
      case 'export': words += 2; break;
      case 'marker':
        if (t.kind === 'nonexisting-binary' && t.size !== undefined) {
          words += 6;
          offHeap += t.size;
        }
        break;
      case 'ref': words += wordSize === 8 ? 4 : 5; break;
      case 'pid': case 'port': if (!/^<0\.|^#Port<0\./.test(t.v)) words += 4; break;
      default: break;
    }
  }
  return { heapBytes: words * wordSize, binaryBytes: offHeap };
}

export interface ShapeRow {
  shape: string;
  count: number;
  example: string;
  /** The example's term (for printing it in another syntax, src/elixir). */
  exampleTerm?: Term;
  /** Heap bytes of these messages (flat size x word size), without off-heap binary payloads. */
  estimatedBytes: number;
  /** Refc binary payload bytes they reference (a payload shared by many counts each time). */
  binaryBytes: number;
}

/**
 * The example's term, not enumerable: a Term is not JSON (bigints, byte arrays), and rows are
 * serialised and compared as they are.
 */
function withExampleTerm(row: ShapeRow, term: Term | undefined): ShapeRow {
  if (term !== undefined) Object.defineProperty(row, 'exampleTerm', { value: term, enumerable: false });
  return row;
}

/** A row of a ShapeHistogram, as handed out by `rowRef` (opaque outside this module). */
export interface ShapeRowRef { count: number; bytes: number; bin: number; ranges: number[]; example: string; exampleTerm?: Term }

/** Counts shapes; bounded to `maxShapes` distinct skeletons (the rest go to one row). */
export class ShapeHistogram {
  private rows = new Map<string, ShapeRowRef>();
  private other: ShapeRowRef = { count: 0, bytes: 0, bin: 0, ranges: [], example: '' };
  total = 0;
  constructor(private readonly exampleWidth = 120, private readonly maxShapes = 5000) {}

  /**
   * Counts one message. `exampleTerm`, when given, is called for the first message of a new shape
   * (e.g. to decode it again with binary payloads for the printed example).
   */
  add(term: Term, wordSize: 4 | 8 = 8, exampleTerm?: () => Term): void {
    const s = shapeOf(term, wordSize);
    this.total++;
    let row = this.rows.get(s.key);
    if (!row) {
      if (this.rows.size >= this.maxShapes) {
        this.other.count++;
        this.other.bytes += s.bytes;
        this.other.bin += s.binaryBytes;
        if (!this.other.example) {
          this.other.exampleTerm = exampleTerm ? exampleTerm() : term;
          this.other.example = printTerm(this.other.exampleTerm, { maxChars: this.exampleWidth });
        }
        return;
      }
      const example = exampleTerm ? exampleTerm() : term;
      row = { count: 0, bytes: 0, bin: 0, ranges: s.sizes.flatMap((n) => [n, n]), example: printTerm(example, { maxChars: this.exampleWidth }), exampleTerm: example };
      this.rows.set(s.key, row);
    }
    row.count++;
    row.bytes += s.bytes;
    row.bin += s.binaryBytes;
    for (let i = 0; i < s.sizes.length; i++) {
      const n = s.sizes[i];
      if (n < row.ranges[2 * i]) row.ranges[2 * i] = n;
      if (n > row.ranges[2 * i + 1]) row.ranges[2 * i + 1] = n;
    }
  }

  /**
   * The row messages of this shape key count into (after one was added with `add`): its own row,
   * or the "other shapes" row when the histogram was full.
   */
  rowRef(key: string): ShapeRowRef {
    return this.rows.get(key) ?? this.other;
  }

  /**
   * Counts one message of a known row, as `add` would: `sizes[pick[j]]` is the size of the
   * shape's j-th binary slot.
   */
  addKnown(row: ShapeRowRef, sizes: ArrayLike<number>, pick: ArrayLike<number>, bytes: number, binaryBytes: number): void {
    this.total++;
    row.count++;
    row.bytes += bytes;
    row.bin += binaryBytes;
    if (row === this.other) return;
    const ranges = row.ranges;
    for (let j = 0; j < pick.length; j++) {
      const n = sizes[pick[j]];
      if (n < ranges[2 * j]) ranges[2 * j] = n;
      if (n > ranges[2 * j + 1]) ranges[2 * j + 1] = n;
    }
  }

  /** Rows, largest count first (ties: more bytes first). */
  result(): ShapeRow[] {
    const out: ShapeRow[] = [];
    for (const [key, r] of this.rows) {
      let i = 0;
      // eslint-disable-next-line no-control-regex -- \u0001 is the placeholder this class writes into keys
      const shape = key.replace(/\u0001/g, () => {
        const lo = r.ranges[2 * i];
        const hi = r.ranges[2 * i + 1];
        i++;
        return lo === hi ? `(${lo})` : `(${lo}..${hi})`;
      });
      out.push(withExampleTerm({ shape, count: r.count, example: r.example, estimatedBytes: r.bytes, binaryBytes: r.bin }, r.exampleTerm));
    }
    if (this.other.count > 0) out.push(withExampleTerm({ shape: '(other shapes)', count: this.other.count, example: this.other.example, estimatedBytes: this.other.bytes, binaryBytes: this.other.bin }, this.other.exampleTerm));
    return out.sort((a, b) => b.count - a.count || b.estimatedBytes - a.estimatedBytes || (a.shape < b.shape ? -1 : 1));
  }
}
