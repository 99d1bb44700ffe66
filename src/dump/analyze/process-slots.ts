import { packPid } from '../section-index.js';
import type { ProcessTable } from '../types.js';

/**
 * What the live processes' pids prove about the size of the node's process table, which no dump
 * records (+P). The VM's table has a power of two of slots (the limit: `+P 300000` gives 524,288)
 * and a local pid `<0.N.S>` carries its slot in the low bits of its data S * 2^15 + N: two live
 * processes never share those bits. Two that share the low k bits show a table of more than 2^k
 * slots. A node that has run a while has spawned past its first slots, so on a node whose +P
 * was raised (RabbitMQ's scripts raise it to 1,048,576) its pids show it: 250,000 processes are
 * then not 95% of the default 262,144. A fresh node's pids (numbered from 0) show nothing.
 *
 * Returns the smallest table the pids prove, 2^(k+1) for the largest k from `fromBits` on at
 * which two share their low bits; undefined when none do at `fromBits`, or when more than 2^k
 * processes live: then two must share them whatever the table (1,000,000 processes share low 19
 * bits in a table of 2^20 or of 2^22, and 1,000,000 of at least 1,048,576 would be a false
 * alarm). So a table proven is always more than twice the processes: the proof keeps a node whose
 * +P was raised from being judged against the default, and never makes a finding of its own.
 */
export function provenProcessTable(p: ProcessTable, fromBits: number): number | undefined {
  const data = new PidData(p.count);
  for (let i = 0; i < p.count; i++) data.add(p.pid.packedAt(i));
  return provenTable(data, p.count, fromBits);
}

/** The same for pids as text (a process snapshot's): `count` processes, the local pids among `pids`. */
export function provenTableOfPids(pids: readonly string[], count: number, fromBits: number): number | undefined {
  const data = new PidData(pids.length);
  for (const pid of pids) data.add(packPid(pid));
  return provenTable(data, count, fromBits);
}

/** The data S * 2^15 + N of local pids `<0.N.S>`, in a typed array (250,000 of them in a number[]: 20-50 ms). */
class PidData {
  readonly values: Uint32Array;
  length = 0;

  constructor(most: number) {
    this.values = new Uint32Array(most);
  }

  /** A pid packed by packPid (0 * 2^43 + N * 2^15 + S), kept when it is local and its parts fit. */
  add(packed: number): void {
    if (!(packed < 2 ** 43)) return;
    const n = Math.floor(packed / NUMBER_BITS);
    const serial = packed % NUMBER_BITS;
    if (n < NUMBER_BITS && serial < 2 ** 13) this.values[this.length++] = serial * NUMBER_BITS + n;
  }
}

/** provenProcessTable over pid data (S * 2^15 + N) of `count` processes. */
function provenTable(data: PidData, count: number, fromBits: number): number | undefined {
  let shared = -1;
  // Shared low k bits are shared low k - 1 bits too: one more bit at a time, until none share.
  for (let k = fromBits; k <= MAX_BITS && sharedLowBits(data, k); k++) shared = k;
  return shared >= 0 && count <= 2 ** shared ? 2 ** (shared + 1) : undefined;
}

/** The pid data of 28 bits (`<0.N.S>`: N of 15 bits, S of 13) bound the table at 2^27 slots. */
const MAX_BITS = 27;
const NUMBER_BITS = 2 ** 15;

/** Whether two of the pid data share their low k bits (a bit per value: 2^k / 8 bytes). */
function sharedLowBits(data: PidData, k: number): boolean {
  const seen = new Uint32Array(2 ** Math.max(0, k - 5));
  const mask = 2 ** k - 1;
  const values = data.values;
  for (let i = 0; i < data.length; i++) {
    const low = values[i] & mask;
    const word = low >>> 5;
    const bit = 1 << (low & 31);
    if (seen[word] & bit) return true;
    seen[word] |= bit;
  }
  return false;
}
