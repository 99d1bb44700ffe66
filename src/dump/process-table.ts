import type { ProcessRecord, ProcessTable } from './types.js';

const NUMERIC = [
  'messageQueueLength', 'reductions', 'memoryBytes', 'stackHeapBytes', 'oldHeapBytes', 'heapUnusedBytes',
  'oldHeapUnusedBytes', 'binVHeapBytes', 'oldBinVHeapBytes', 'heapFragments', 'heapFragmentBytes', 'links',
  'monitors', 'monitoredBy',
] as const;
const TEXT = ['pid', 'state', 'name', 'spawnedAs', 'spawnedBy', 'currentCall', 'programCounter', 'internalState'] as const;

export type NumericColumn = (typeof NUMERIC)[number];
export type TextColumn = (typeof TEXT)[number];

/** Builds the columnar process table row by row; numeric columns are typed arrays grown by doubling. */
export class ProcessTableBuilder {
  readonly table: ProcessTable;

  constructor(capacity = 256) {
    const t = { count: 0, memoryDerived: new Uint8Array(capacity) } as unknown as ProcessTable;
    for (const k of NUMERIC) t[k] = new Float64Array(capacity);
    for (const k of TEXT) (t as unknown as Record<string, unknown[]>)[k] = [];
    this.table = t;
  }

  /** Starts a new row; every numeric field starts as NaN (not in the dump). */
  add(pid: string): number {
    const t = this.table;
    if (t.count === t.messageQueueLength.length) this.grow();
    const i = t.count++;
    for (const k of NUMERIC) t[k][i] = NaN;
    t.memoryDerived[i] = 0;
    t.pid.push(pid);
    for (const k of TEXT) if (k !== 'pid') t[k].push(undefined as unknown as string);
    return i;
  }

  setText(col: Exclude<TextColumn, 'pid'>, i: number, value: string): void {
    (this.table[col] as Array<string | undefined>)[i] = value;
  }

  private grow(): void {
    const t = this.table;
    const n = Math.ceil(t.messageQueueLength.length * 1.5);
    for (const k of NUMERIC) {
      const a = new Float64Array(n);
      a.set(t[k]);
      t[k] = a;
    }
    const d = new Uint8Array(n);
    d.set(t.memoryDerived);
    t.memoryDerived = d;
  }
}

/** Row i of the table as an object. */
export function processAt(t: ProcessTable, i: number): ProcessRecord {
  const rec: ProcessRecord = {
    pid: t.pid[i],
    state: t.state[i] ?? 'unknown',
    messageQueueLength: t.messageQueueLength[i],
    reductions: t.reductions[i],
    memoryBytes: t.memoryBytes[i],
    memoryDerived: t.memoryDerived[i] === 1,
    stackHeapBytes: t.stackHeapBytes[i],
    oldHeapBytes: t.oldHeapBytes[i],
    heapUnusedBytes: t.heapUnusedBytes[i],
    oldHeapUnusedBytes: t.oldHeapUnusedBytes[i],
    binVHeapBytes: t.binVHeapBytes[i],
    oldBinVHeapBytes: t.oldBinVHeapBytes[i],
    heapFragments: t.heapFragments[i],
    heapFragmentBytes: t.heapFragmentBytes[i],
    links: t.links[i],
    monitors: t.monitors[i],
    monitoredBy: t.monitoredBy[i],
  };
  const opt = { name: t.name[i], spawnedAs: t.spawnedAs[i], spawnedBy: t.spawnedBy[i], currentCall: t.currentCall[i],
    programCounter: t.programCounter[i], internalState: t.internalState[i] };
  for (const [k, v] of Object.entries(opt)) if (v !== undefined) (rec as unknown as Record<string, unknown>)[k] = v;
  return rec;
}

/** The row of a pid or registered name, or -1. */
export function findProcess(t: ProcessTable, pidOrName: string): number {
  for (let i = 0; i < t.count; i++) if (t.pid[i] === pidOrName) return i;
  for (let i = 0; i < t.count; i++) if (t.name[i] === pidOrName) return i;
  return -1;
}
