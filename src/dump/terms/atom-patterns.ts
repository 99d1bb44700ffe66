/**
 * What a full atom table is full of: the `=atoms` section (newest atom first) read again and its
 * atoms grouped by shape, numbers as `N`: runs of digits, and of hex digits with a digit among
 * four or more (`session_8250383` -> `session_N`, an address `'0x00007f411c6f2fc0'` -> `'NxN'`,
 * as crashdump_viewer makes of every stack line it shows). An atom table filled by list_to_atom/1
 * on input is a million atoms of one or two shapes; the first pass keeps only the newest 20 and
 * the count. Read by triage only when the table is near its limit.
 */
import type { AtomPattern } from '../analyze/report-types.js';
import { dataPath, type Dump } from '../types.js';
import { forEachLine } from './lines.js';

/** Patterns reported, most atoms first. */
const PATTERNS_LISTED = 5;
/** Distinct patterns counted at most: past it, atoms of new shapes are counted as `other`. */
const MAX_PATTERNS = 100_000;
const MAX_LINE = 64 * 1024;

/** The atoms of the dump's `=atoms` section by shape, most first; undefined when it has none or cannot be re-read. */
export function atomPatterns(dump: Dump): AtomPattern[] | undefined {
  const ref = dump.index.get('atoms');
  if (!ref || !dump.source.seekable) return undefined;
  const rows = new Map<string, AtomPattern>();
  forEachLine(dataPath(dump.source), ref.offset, ref.length, MAX_LINE, (b, s, e) => {
    if (e <= s) return;
    const text = b.toString('utf8', s, e);
    const pattern = shapeOf(text);
    const row = rows.get(pattern);
    if (row) row.count++;
    else if (rows.size < MAX_PATTERNS) rows.set(pattern, { pattern, count: 1, newest: text });
  });
  return [...rows.values()].sort((a, b) => b.count - a.count || (a.pattern < b.pattern ? -1 : 1)).slice(0, PATTERNS_LISTED);
}

/** An atom's shape: `session_N`, `'NxN'`, `worker_N_N`. */
export function shapeOf(atom: string): string {
  return atom.replace(/[0-9a-fA-F]*[0-9][0-9a-fA-F]*/g, (m) => (m.length >= 4 || /^[0-9]+$/.test(m) ? 'N' : m));
}
