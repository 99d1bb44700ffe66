/**
 * One process snapshot: who references the most refc binary bytes and references (recon's
 * `proc_count(binary_memory, N)` and the candidates of `bin_leak`), alone and by initial call.
 * Pure over an (async) iterable of summaries; keeps only the top N rows and one entry per group.
 */
import type { Finding } from '../findings.js';
import type { SnapshotHolder, SnapshotHoldersReport, SnapshotMeta, SnapshotSource } from './types.js';


/** Keeps the n largest by a key, in a small sorted array (n is a screenful). */
class TopN<T> {
  readonly items: T[] = [];
  constructor(private readonly n: number, private readonly key: (x: T) => number) {}
  add(x: T): void {
    if (this.n === 0) return;
    const k = this.key(x);
    if (this.items.length === this.n && k <= this.key(this.items[this.items.length - 1])) return;
    let i = this.items.length;
    while (i > 0 && this.key(this.items[i - 1]) < k) i--;
    this.items.splice(i, 0, x);
    if (this.items.length > this.n) this.items.pop();
  }
}

export async function snapshotHolders(source: SnapshotSource, opts: { top?: number } = {}): Promise<SnapshotHoldersReport> {
  const top = Math.max(0, opts.top ?? 10);
  const byBytes = new TopN<SnapshotHolder>(top, (h) => h.bytes);
  const byRefs = new TopN<SnapshotHolder>(top, (h) => h.refs);
  const groups = new Map<string, { key: string; count: number; refs: number; bytes: number }>();
  const counted = { processes: 0, refs: 0, bytes: 0 };
  for await (const s of source) {
    counted.processes++;
    counted.refs += s.refs;
    counted.bytes += s.bytes;
    const h: SnapshotHolder = { pid: s.pid, name: s.name ?? null, initialCall: s.initialCall ?? null, refs: s.refs, bytes: s.bytes, memoryBytes: s.memoryBytes ?? null };
    byBytes.add(h);
    byRefs.add(h);
    const key = s.initialCall ?? 'unknown';
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { key, count: 0, refs: 0, bytes: 0 }));
    g.count++;
    g.refs += s.refs;
    g.bytes += s.bytes;
  }
  const m = (source as { meta?: SnapshotMeta }).meta;
  const snapshot: SnapshotMeta = { path: m?.path ?? 'snapshot', format: m?.format ?? 'jsonl', ...counted, ...(m?.meta !== undefined ? { meta: m.meta } : {}) };
  const findings: Finding[] = [];
  return {
    schemaVersion: 1,
    kind: 'snapshot',
    snapshot,
    holders: byBytes.items,
    byRefs: byRefs.items,
    groups: [...groups.values()].sort((a, b) => b.bytes - a.bytes || b.refs - a.refs).slice(0, top),
    notes: ['one snapshot shows who references binaries, not what a GC would free: compare it with one taken after garbage_collect/1 (beamscope leak <before> <after>)'],
    findings,
  };
}
