/**
 * Who waits in a synchronous call for whom. A process in gen_server:call, gen_statem:call or
 * GenServer.call sits in `gen:do_call/4` with a monitor on the process it called: the dump writes
 * it in its `Link list` as `{to,PID,REF}`. Read for the first processes in such a call (and for
 * the ones they wait for that wait themselves, to follow chains), this names the process they
 * queue behind, and two that wait for each other.
 */
import { openData, closeData } from '../data-file.js';
import type { CallWaits } from '../analyze/report-types.js';
import { packPid } from '../section-index.js';
import { linesOfRange } from '../section-lines.js';
import { parseLinkList } from './link-list.js';
import { dataPath, type Dump } from '../types.js';

/** Where a process waits for the answer to a call it made (every gen:call path ends there). */
export const CALL_WAIT_FUNCTIONS: readonly string[] = ['gen:do_call/4'];

/** Reads at most this many callers' `=proc` sections (about 600 bytes each, 10-30 us apiece: a read call each). */
const MAX_CALLERS_READ = 1000;
/** A Link list longer than this is cut (a caller's is short; a supervisor's is not read for this). */
const MAX_LINE_BYTES = 64 << 10;

/**
 * The processes in a call and whom their one monitor names, for the first `maxCallers` of them in
 * the process table's order, and for the processes they name that are in a call too, and those
 * these name, CHAIN_ROUNDS deep. Undefined when no process is in one, or the dump cannot be re-read.
 */
export function readCallWaits(dump: Dump, maxCallers = MAX_CALLERS_READ): CallWaits | undefined {
  const p = dump.processes;
  if (!dump.source.seekable || p.count === 0) return undefined;
  // The cells of the two columns a current function comes from (code + 1; 0 for none).
  const cellsOf = (column: typeof p.currentCall) => new Set(CALL_WAIT_FUNCTIONS.map((f) => column.codeOf(f) + 1).filter((c) => c > 0));
  const calls = cellsOf(p.currentCall);
  const pcs = cellsOf(p.programCounter);
  // No row has the text when the column's dictionary lacks it: no pass over 3,000,000 rows then.
  if (calls.size === 0 && pcs.size === 0) return undefined;
  const callCodes = p.currentCall.codes;
  const pcCodes = p.programCounter.codes;
  /** Whether row i's current function (Current call, else Program counter) is a call wait. */
  const inCall = (i: number) => (callCodes[i] !== 0 ? calls.has(callCodes[i]) : pcs.has(pcCodes[i]));
  let waiting = 0;
  const first: number[] = [];
  for (let i = 0; i < p.count; i++) {
    if (!inCall(i)) continue;
    waiting++;
    if (first.length < maxCallers) first.push(i);
  }
  if (waiting === 0) return undefined;
  const byName = new Map<string, string>();
  const fd = openData(dataPath(dump.source));
  try {
    const edges: CallWaits['edges'] = [];
    const read = new Set<number>();
    const readOne = (i: number): void => {
      read.add(i);
      const pid = p.pid.at(i);
      const ref = dump.index.get('proc', pid);
      if (!ref) return;
      const target = monitoredOf(linesOfRange(fd, ref.offset, ref.offset + ref.length, { maxLineBytes: MAX_LINE_BYTES }));
      if (target !== undefined) edges.push({ caller: pid, target: localPid(target, p, byName) });
    };
    dump.index.prepare(first.map((i) => p.pid.at(i)));
    for (const i of first) readOne(i);
    // The ones waited for that wait themselves, and so on (chains and cycles are short): a pass
    // over the pids for the targets of each round.
    for (let round = 0, from = 0; round < CHAIN_ROUNDS && from < edges.length; round++) {
      const targets = new Set(edges.slice(from).map((e) => e.target));
      from = edges.length;
      for (const i of rowsOf(p, targets)) if (inCall(i) && !read.has(i)) readOne(i);
    }
    return { function: CALL_WAIT_FUNCTIONS[0], waiting, read: read.size, edges };
  } finally {
    closeData(fd);
  }
}

/** Rounds of following the processes waited for that wait themselves (a cycle of more is not seen). */
const CHAIN_ROUNDS = 4;

/** The rows of these pids (one pass over the packed pids). */
function rowsOf(p: Dump['processes'], pids: ReadonlySet<string>): number[] {
  const packed = new Set([...pids].map(packPid).filter((x) => !Number.isNaN(x)));
  const rows: number[] = [];
  if (packed.size === 0) return rows;
  for (let i = 0; i < p.count; i++) if (packed.has(p.pid.packedAt(i))) rows.push(i);
  return rows;
}

const LINK_LIST = Buffer.from('Link list: ', 'latin1');

/**
 * The one process a `=proc` section's Link list says it monitors (the call's monitor is the only
 * one a plain caller holds); undefined for none or several (whom it waits for is not told then).
 * Only the lines up to the Link list are looked at.
 */
function monitoredOf(lines: Iterable<Buffer>): string | undefined {
  for (const line of lines) {
    if (line.length < LINK_LIST.length || line.compare(LINK_LIST, 0, LINK_LIST.length, 0, LINK_LIST.length) !== 0) continue;
    // A line cut at MAX_LINE_BYTES may hide more: then not told either.
    const text = line.toString('latin1', LINK_LIST.length);
    if (!text.endsWith(']')) return undefined;
    const { monitors } = parseLinkList(text);
    return monitors.length === 1 ? monitors[0] : undefined;
  }
  return undefined;
}

/** A monitor's target as a pid when it is one or a registered name of this node, else as written (`{Name,Node}`). */
function localPid(target: string, p: Dump['processes'], byName: Map<string, string>): string {
  if (target.startsWith('<')) return target;
  if (byName.size === 0) {
    for (let i = 0; i < p.count; i++) {
      const name = p.name.at(i);
      if (name !== undefined) byName.set(name, p.pid.at(i));
    }
  }
  return byName.get(target) ?? target;
}
