import { keyEnd, KeyMatcher, parseDecimal, text, valueStart } from '../bytes.js';
import type { LineHandler } from '../scanner.js';
import type { AllocatedAreaRecord, HashTableRecord, IndexTableRecord, RawAllocatorSection } from '../types.js';
import { kvHandler, type ParseContext } from './context.js';

/** `=memory`: `kind: bytes` lines, kept by kind. */
export function memoryHandler(memory: Record<string, number>, ctx: ParseContext): LineHandler {
  return {
    line(buf, start, end) {
      const k = keyEnd(buf, start, end);
      if (k < 0) return;
      const key = buf.toString('latin1', start, k);
      const v = parseDecimal(buf, valueStart(buf, k, end), end);
      memory[key] = plausibleBytes(v) ? v : NaN;
      if (!Number.isNaN(v) && !plausibleBytes(v)) ctx.corrupt('=memory', key, buf.toString('latin1', valueStart(buf, k, end), end));
    },
  };
}

/** Byte counts a VM can write: not negative, under a pebibyte. */
export function plausibleBytes(v: number): boolean {
  return v >= 0 && v < 2 ** 50;
}

const HASH = new KeyMatcher(['size', 'used', 'objs', 'depth']);
export function hashTableHandler(name: string, out: HashTableRecord[], ctx: ParseContext): LineHandler {
  const r: HashTableRecord = { name, size: NaN, used: NaN, objs: NaN, depth: NaN };
  out.push(r);
  const fields = ['size', 'used', 'objs', 'depth'] as const;
  return kvHandler('hash_table', HASH, ctx, (k, buf, v, end) => { r[fields[k]] = parseDecimal(buf, v, end); });
}

const INDEX = new KeyMatcher(['size', 'limit', 'entries', 'used', 'rate']);
/** `=index_table`: R10B wrote `used`/`rate` where later releases write `entries`. */
export function indexTableHandler(name: string, out: IndexTableRecord[], ctx: ParseContext): LineHandler {
  const r: IndexTableRecord = { name, size: NaN, limit: NaN, entries: NaN };
  out.push(r);
  return kvHandler('index_table', INDEX, ctx, (k, buf, v, end) => {
    const n = parseDecimal(buf, v, end);
    if (k === 0) r.size = n;
    else if (k === 1) r.limit = n;
    else if (k === 2 || (k === 3 && Number.isNaN(r.entries))) r.entries = n;
  });
}

/** `=allocated_areas`: `name: allocated [used]`, bytes. */
export function allocatedAreasHandler(out: AllocatedAreaRecord[]): LineHandler {
  return {
    line(buf, start, end) {
      const k = keyEnd(buf, start, end);
      if (k < 0) return;
      const v = valueStart(buf, k, end);
      const [a, u] = buf.toString('latin1', v, end).trim().split(/\s+/);
      const r: AllocatedAreaRecord = { name: buf.toString('latin1', start, k), allocatedBytes: Number(a) };
      if (u !== undefined && u !== '') r.usedBytes = Number(u);
      out.push(r);
    },
  };
}

/** `=allocator:ID`: kept as key and value tokens; src/alloc makes the allocator model from them. */
export function allocatorHandler(id: string, out: RawAllocatorSection[]): LineHandler {
  const m = /^(.*?)\[(\d+)\]$/.exec(id);
  const sec: RawAllocatorSection = { id, name: m ? m[1] : id, instance: m ? Number(m[2]) : null, entries: [] };
  out.push(sec);
  return {
    line(buf, start, end) {
      const k = keyEnd(buf, start, end);
      if (k < 0) return;
      const v = valueStart(buf, k, end);
      const raw = buf.toString('latin1', v, end).trim();
      sec.entries.push({ key: buf.toString('latin1', start, k), values: raw === '' ? [] : raw.split(/\s+/) });
    },
  };
}

/** Counts body lines, keeping the first `keep` of them (`=atoms` lists the newest atom first). */
export function lineCounter(keep: number, onCount: (n: number) => void, kept?: string[]): LineHandler {
  let n = 0;
  return {
    line(buf, start, end) {
      if (end === start) return;
      n++;
      onCount(n);
      if (kept && kept.length < keep) kept.push(text(buf, start, Math.min(end, start + 256)));
    },
  };
}

export { text };
