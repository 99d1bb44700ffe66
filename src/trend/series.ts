/**
 * Snapshots over time: ordering by the time each was taken, and per allocator type the series of
 * allocated (carrier) bytes, used (block) bytes and usage. Pure: takes loaded inputs, no I/O.
 */
import { reconMemory, usage as ratio } from '../alloc/recon.js';
import { summarizeByType } from '../alloc/verdict.js';
import type { LoadedInput, TimeSource } from '../check/input.js';
import { InputError } from '../errors.js';

export interface SeriesPoint {
  /** Carrier bytes: mbcs + mbcs_pool + sbcs. */
  allocatedBytes: number;
  /** Block bytes in those carriers. */
  usedBytes: number;
  /** used / allocated (1 when both are 0, as recon). */
  usage: number;
}

export interface Snapshot {
  name: string;
  /** ISO time, when known. */
  takenAt?: string;
  takenAtMs?: number;
  timeSource?: TimeSource;
}

export interface TypeSeries {
  type: string;
  peakAllocatedBytes: number;
  points: SeriesPoint[];
}

export interface TrendSeries {
  /** In time order. */
  snapshots: Snapshot[];
  /** How the order was decided. */
  ordering: 'time' | 'as-given';
  /** Why `as-given`, or which time sources were used. */
  orderingNote: string;
  /** recon_alloc memory(used/allocated/usage) of the nine util allocators. */
  node: SeriesPoint[];
  /** Every allocator type with carrier statistics, largest peak first. */
  types: TypeSeries[];
}

/** Orders inputs by the time they were taken: content, else dump header, else file mtime. */
export function orderByTime<T extends Pick<LoadedInput, 'takenAt'>>(inputs: T[]): { ordered: T[]; ordering: 'time' | 'as-given'; note: string } {
  const missing = inputs.filter((i) => !i.takenAt).length;
  if (missing > 0) return { ordered: [...inputs], ordering: 'as-given', note: `${missing} input${missing === 1 ? ' has' : 's have'} no time (stdin); kept in the order given` };
  const ordered = inputs
    .map((x, i) => ({ x, i }))
    .sort((a, b) => a.x.takenAt!.ms - b.x.takenAt!.ms || a.i - b.i)
    .map((o) => o.x);
  const counts = new Map<string, number>();
  for (const i of inputs) counts.set(i.takenAt!.source, (counts.get(i.takenAt!.source) ?? 0) + 1);
  const what: Record<string, string> = { content: 'the time written in the snapshot', 'dump-header': 'the crash dump header time', mtime: 'file modification time' };
  const note = `ordered by ${[...counts].map(([s, n]) => (counts.size > 1 ? `${what[s]} (${n})` : what[s])).join(', ')}`;
  return { ordered, ordering: 'time', note };
}

export function buildSeries(inputs: LoadedInput[]): TrendSeries {
  const usable = inputs.filter((i) => i.model);
  if (usable.length === 0) throw new InputError('no input has allocator statistics to chart');
  const { ordered, ordering, note } = orderByTime(usable);
  const byType = new Map<string, SeriesPoint[]>();
  const node: SeriesPoint[] = [];
  ordered.forEach((inp, n) => {
    const m = reconMemory(inp.model!);
    node.push({ allocatedBytes: m.allocated, usedBytes: m.used, usage: ratio(m.used, m.allocated) });
    for (const t of summarizeByType(inp.model!)) {
      let s = byType.get(t.type);
      if (!s) {
        // A type missing from earlier snapshots had nothing then.
        s = Array.from({ length: n }, () => ({ allocatedBytes: 0, usedBytes: 0, usage: 1 }));
        byType.set(t.type, s);
      }
      s.push({ allocatedBytes: t.carriersBytes, usedBytes: t.blocksBytes, usage: t.usage });
    }
    for (const s of byType.values()) if (s.length < n + 1) s.push({ allocatedBytes: 0, usedBytes: 0, usage: 1 });
  });
  const types = [...byType]
    .map(([type, points]) => ({ type, points, peakAllocatedBytes: Math.max(0, ...points.map((p) => p.allocatedBytes)) }))
    .sort((a, b) => b.peakAllocatedBytes - a.peakAllocatedBytes || (a.type < b.type ? -1 : 1));
  return {
    snapshots: ordered.map((i) => ({
      name: i.name,
      ...(i.takenAt ? { takenAt: new Date(i.takenAt.ms).toISOString(), takenAtMs: i.takenAt.ms, timeSource: i.takenAt.source } : {}),
    })),
    ordering,
    orderingNote: note,
    node,
    types,
  };
}
