/**
 * Erlang term text -> allocator model: recon_alloc snapshot files (`snapshot_save/1`), recon's "raw"
 * snapshot format, and printed `erlang:system_info({allocator, A})` output.
 *
 * Accepted shapes (one or more `.`-terminated terms; the last dot may be missing, as in shell output):
 * - `{ErlangMemory, [{{Alloc, N}, Props}, ...]}`: a recon snapshot (blocks already flattened by
 *   recon's `format_blocks`, or not: both are read).
 * - `{ErlangMemory, [{Alloc, [{instance, N, Props}] | false}, ...]}`: recon's raw format.
 * - `{Alloc, [{instance, N, Props}, ...]}` or a list of such tuples.
 * - `[{instance, N, Props}, ...]`: one allocator's `system_info` output; its name is inferred from
 *   the props (the `<name>_alloc` call counter, `memkind` for mseg_alloc, `option m` for sys_alloc).
 * - `[{default_mmap, ...}, {literal_mmap, ...}]`: `system_info({allocator, erts_mmap})`.
 */
import { InputError } from '../errors.js';
import {
  type AllocatorInstance,
  type AllocatorModel,
  type CarrierStats,
  type Column,
  type MmapArea,
  type MsegInstance,
  type OptionValue,
  type PoolStats,
  emptyColumn,
  newModel,
} from './model.js';
import { type Term, type TermTuple, formatTerm, isAtom, parseTerms, termNumber } from '../term-text/term-text.js';

/** Parses term text and builds the model. Throws TermSyntaxError / InputError. */
export function allocatorModelFromTermText(text: string, path?: string): AllocatorModel {
  const terms = parseTerms(text, { path });
  if (terms.length === 0) throw new InputError(`${path ?? 'input'}: no Erlang term found`, path);
  return allocatorModelFromTerms(terms, path);
}

export function allocatorModelFromTerms(terms: Term[], path?: string): AllocatorModel {
  let model: AllocatorModel | undefined;
  const bad = (why: string) => new InputError(`${path ?? 'input'}: not allocator data: ${why}`, path);
  for (const t of terms) {
    // {Memory, Allocs}: recon snapshot, recon format or raw format.
    if (t.kind === 'tuple' && t.items.length === 2 && t.items[0].kind === 'list' && t.items[1].kind === 'list' && looksLikeMemory(t.items[0])) {
      const allocs = t.items[1].items;
      const first = allocs[0];
      const raw = first && first.kind === 'tuple' && isAtom(first.items[0]);
      model ??= newModel(raw ? 'raw-snapshot' : 'recon-snapshot');
      model.erlangMemory = readMemory(t.items[0]);
      for (const a of allocs) {
        if (a.kind !== 'tuple' || a.items.length !== 2) throw bad(`expected {{Allocator, N}, Props} or {Allocator, Info}, found ${short(a)}`);
        const key = a.items[0];
        if (key.kind === 'tuple' && key.items.length === 2 && isAtom(key.items[0]) && key.items[1].kind === 'integer') {
          addInstance(model, key.items[0].name, Number(key.items[1].value), a.items[1], path);
        } else if (isAtom(key)) {
          addAllocatorInfo(model, key.name, a.items[1], path);
        } else throw bad(`unexpected allocator key ${short(key)}`);
      }
      continue;
    }
    model ??= newModel('system-info');
    if (t.kind === 'tuple' && t.items.length === 2 && isAtom(t.items[0])) {
      addAllocatorInfo(model, t.items[0].name, t.items[1], path);
      continue;
    }
    if (t.kind === 'list') {
      const items = t.items;
      if (items.length > 0 && items.every((i) => i.kind === 'tuple' && i.items.length === 3 && isAtom(i.items[0], 'instance'))) {
        const name = inferName(items as TermTuple[]);
        if (!name) throw bad('cannot tell which allocator this system_info output belongs to; print it as {Allocator, Info}');
        addAllocatorInfo(model, name!, t, path);
        continue;
      }
      if (items.length > 0 && items.every((i) => i.kind === 'tuple' && i.items.length === 2 && isAtom(i.items[0]) && i.items[0].name.endsWith('_mmap'))) {
        addAllocatorInfo(model, 'erts_mmap', t, path);
        continue;
      }
      if (items.every((i) => i.kind === 'tuple' && i.items.length === 2 && isAtom(i.items[0]))) {
        for (const i of items as TermTuple[]) addAllocatorInfo(model, (i.items[0] as { name: string }).name, i.items[1], path);
        continue;
      }
    }
    throw bad(`unrecognised term ${short(t)}`);
  }
  const m = model!;
  m.blockShape = m.allocators.some((a) => a.mbcs?.byOrigin) ? 'per-origin' : m.allocators.some((a) => a.mbcs) ? 'flat' : 'unknown';
  return m;
}

function short(t: Term): string {
  const s = formatTerm(t);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

function looksLikeMemory(list: Term): boolean {
  return list.kind === 'list' && list.items.length > 0 && list.items.every((i) => i.kind === 'tuple' && i.items.length === 2 && isAtom(i.items[0]) && i.items[1].kind === 'integer');
}

function readMemory(list: Term): Record<string, number> {
  const out: Record<string, number> = {};
  if (list.kind === 'list') for (const i of list.items) if (i.kind === 'tuple' && isAtom(i.items[0])) out[i.items[0].name] = termNumber(i.items[1]) ?? NaN;
  return out;
}

/** Props proplist -> Map of key -> the tuple's remaining elements. Non-2+-tuples are skipped. */
function proplist(t: Term | undefined): Map<string, Term[]> {
  const out = new Map<string, Term[]>();
  if (!t || t.kind !== 'list') return out;
  for (const i of t.items) {
    if (i.kind === 'tuple' && i.items.length >= 2 && isAtom(i.items[0])) {
      if (!out.has(i.items[0].name)) out.set(i.items[0].name, i.items.slice(1));
    }
  }
  return out;
}

function inferName(instances: TermTuple[]): string | undefined {
  const props = proplist(instances[0].items[2]);
  if (props.has('memkind')) return 'mseg_alloc';
  const calls = proplist(props.get('calls')?.[0]);
  for (const k of calls.keys()) if (k.endsWith('_alloc') && k !== 'mseg_alloc' && k !== 'sys_alloc') return k;
  const opts = proplist(props.get('options')?.[0]);
  if (opts.has('m') && !props.has('mbcs')) return 'sys_alloc';
  return undefined;
}

/** `system_info({allocator, Name})` result: `false`, `[{instance, N, Props}]`, or erts_mmap's proplist. */
function addAllocatorInfo(model: AllocatorModel, name: string, info: Term, path?: string): void {
  if (isAtom(info, 'false')) {
    model.notes.push(`${name}: disabled (system_info returned false)`);
    return;
  }
  if (name === 'erts_mmap') {
    addMmap(model, info);
    return;
  }
  if (info.kind !== 'list') throw new InputError(`${path ?? 'input'}: not allocator data: ${name}: expected a list of {instance, N, Props}, found ${short(info)}`, path);
  // Older sys_alloc returned a bare [{options, ...}] list without instances.
  if (info.items.length > 0 && info.items.every((i) => !(i.kind === 'tuple' && isAtom(i.items[0], 'instance')))) {
    addInstance(model, name, 0, info, path);
    return;
  }
  for (const i of info.items) {
    if (i.kind === 'tuple' && i.items.length === 3 && isAtom(i.items[0], 'instance') && i.items[1].kind === 'integer') {
      addInstance(model, name, Number(i.items[1].value), i.items[2], path);
    }
  }
}

function addInstance(model: AllocatorModel, name: string, instance: number, propsTerm: Term, path?: string): void {
  if (name === 'erts_mmap') {
    addMmap(model, propsTerm);
    return;
  }
  if (propsTerm.kind !== 'list') throw new InputError(`${path ?? 'input'}: {${name},${instance}}: expected a property list, found ${short(propsTerm)}`, path);
  const props = proplist(propsTerm);
  if (name === 'sys_alloc') {
    model.sysAllocOptions = readOptions(props.get('options')?.[0]);
    return;
  }
  if (name === 'mseg_alloc') {
    model.mseg.push(readMseg(props, instance));
    return;
  }
  if (name === 'alloc_util') {
    model.allocUtilOptions = readOptions(props.get('options')?.[0]);
    return;
  }
  const inst: AllocatorInstance = { allocator: name, instance, enabled: true, options: readOptions(props.get('options')?.[0]), calls: readCalls(props.get('calls')?.[0]) };
  if (inst.options.e === false) inst.enabled = false;
  const mbcs = props.get('mbcs')?.[0];
  const sbcs = props.get('sbcs')?.[0];
  const pool = props.get('mbcs_pool')?.[0];
  if (mbcs) inst.mbcs = readCarriers(mbcs);
  if (sbcs) inst.sbcs = readCarriers(sbcs);
  if (pool) inst.mbcsPool = readPool(pool);
  model.allocators.push(inst);
}

function optionFromTerm(t: Term): OptionValue {
  if (t.kind === 'atom') return t.name === 'true' ? true : t.name === 'false' ? false : t.name;
  if (t.kind === 'integer') return typeof t.value === 'bigint' ? t.value.toString() : t.value;
  if (t.kind === 'float') return t.value;
  if (t.kind === 'string') return t.value;
  return formatTerm(t);
}

function readOptions(t: Term | undefined): Record<string, OptionValue> {
  const out: Record<string, OptionValue> = {};
  for (const [k, v] of proplist(t)) out[k] = v.length === 1 ? optionFromTerm(v[0]) : v.map(formatTerm).join(' ');
  return out;
}

/** `{Name, Giga, Count}` call counters -> Giga * 10^9 + Count; `{Name, Count}` as is. */
function readCalls(t: Term | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of proplist(t)) {
    if (v.length === 2) out[k] = (termNumber(v[0]) ?? NaN) * 1e9 + (termNumber(v[1]) ?? NaN);
    else if (v.length === 1) out[k] = termNumber(v[0]) ?? NaN;
  }
  return out;
}

function col(v: Term[] | undefined): Column | undefined {
  if (!v) return undefined;
  if (v.length === 3) return { current: termNumber(v[0]) ?? NaN, lastMax: termNumber(v[1]) ?? NaN, max: termNumber(v[2]) ?? NaN };
  if (v.length === 1 && v[0].kind === 'integer') {
    const n = Number(v[0].value);
    return { current: n, lastMax: n, max: n };
  }
  return undefined;
}

/**
 * OTP 23+ raw `{blocks, [{Origin, [{count,C,L,M}, {size,C,L,M}]}]}` -> per-origin columns. recon's
 * flattened snapshots keep the same list as `raw_blocks`.
 */
function readOrigins(list: Term | undefined): Array<{ origin: string; blocks: Column; blocksBytes: Column }> | undefined {
  if (!list || list.kind !== 'list') return undefined;
  const out: Array<{ origin: string; blocks: Column; blocksBytes: Column }> = [];
  for (const e of list.items) {
    if (e.kind !== 'tuple' || e.items.length !== 2 || !isAtom(e.items[0])) continue;
    const p = proplist(e.items[1]);
    out.push({ origin: e.items[0].name, blocks: col(p.get('count')) ?? emptyColumn(), blocksBytes: col(p.get('size')) ?? emptyColumn() });
  }
  return out;
}

function sumOrigins(origins: Array<{ blocks: Column; blocksBytes: Column }>): { blocks: Column; blocksBytes: Column } {
  const blocks = emptyColumn();
  const bytes = emptyColumn();
  for (const o of origins) {
    blocks.current += o.blocks.current;
    blocks.lastMax += o.blocks.lastMax;
    blocks.max += o.blocks.max;
    bytes.current += o.blocksBytes.current;
    bytes.lastMax += o.blocksBytes.lastMax;
    bytes.max += o.blocksBytes.max;
  }
  return { blocks, blocksBytes: bytes };
}

function readCarriers(t: Term): CarrierStats {
  const p = proplist(t);
  const blocksEntry = p.get('blocks');
  let blocks = col(blocksEntry);
  let blocksBytes = col(p.get('blocks_size'));
  let byOrigin = readOrigins(p.get('raw_blocks')?.[0]);
  if (blocksEntry && blocksEntry.length === 1 && blocksEntry[0].kind === 'list') {
    // Raw OTP 23+ system_info: the blocks list replaces both tuples.
    byOrigin = readOrigins(blocksEntry[0]);
    blocks = undefined;
    blocksBytes = undefined;
  }
  if ((!blocks || !blocksBytes) && byOrigin) {
    const s = sumOrigins(byOrigin);
    blocks ??= s.blocks;
    blocksBytes ??= s.blocksBytes;
  }
  const stats: CarrierStats = {
    blocks: blocks ?? emptyColumn(),
    blocksBytes: blocksBytes ?? emptyColumn(),
    carriers: col(p.get('carriers')) ?? emptyColumn(),
    carriersBytes: col(p.get('carriers_size')) ?? emptyColumn(),
  };
  const single = (k: string) => termNumber(p.get(k)?.[0]);
  const mc = single('mseg_alloc_carriers');
  if (mc !== undefined) stats.msegCarriers = mc;
  const sc = single('sys_alloc_carriers');
  if (sc !== undefined) stats.sysAllocCarriers = sc;
  const mcs = single('mseg_alloc_carriers_size');
  if (mcs !== undefined) stats.msegCarriersBytes = mcs;
  const scs = single('sys_alloc_carriers_size');
  if (scs !== undefined) stats.sysAllocCarriersBytes = scs;
  if (byOrigin && byOrigin.length > 0) stats.byOrigin = byOrigin;
  return stats;
}

function readPool(t: Term): PoolStats {
  const p = proplist(t);
  const one = (k: string) => {
    const v = p.get(k);
    return v && v.length === 1 ? termNumber(v[0]) : undefined;
  };
  const blocksEntry = p.get('blocks');
  let origins: Array<{ origin: string; blocks: number; blocksBytes: number }> | undefined;
  const originList = blocksEntry && blocksEntry[0]?.kind === 'list' ? blocksEntry[0] : p.get('raw_blocks')?.[0];
  if (originList && originList.kind === 'list') {
    origins = [];
    for (const e of originList.items) {
      if (e.kind !== 'tuple' || e.items.length !== 2 || !isAtom(e.items[0])) continue;
      const q = proplist(e.items[1]);
      origins.push({ origin: e.items[0].name, blocks: termNumber(q.get('count')?.[0]) ?? 0, blocksBytes: termNumber(q.get('size')?.[0]) ?? 0 });
    }
  }
  let blocks = one('blocks');
  let blocksBytes = one('blocks_size');
  if (blocks === undefined && origins) blocks = origins.reduce((s, o) => s + o.blocks, 0);
  if (blocksBytes === undefined && origins) blocksBytes = origins.reduce((s, o) => s + o.blocksBytes, 0);
  const pool: PoolStats = { blocks: blocks ?? 0, blocksBytes: blocksBytes ?? 0, carriers: one('carriers') ?? 0, carriersBytes: one('carriers_size') ?? 0 };
  if (origins && origins.length > 0) pool.byOrigin = origins;
  const counters: Record<string, number> = {};
  for (const [k, v] of p) if (v.length === 2 && v.every((x) => x.kind === 'integer')) counters[k] = Number(v[0].kind === 'integer' ? v[0].value : 0) * 1e9 + Number(v[1].kind === 'integer' ? v[1].value : 0);
  if (Object.keys(counters).length > 0) pool.counters = counters;
  return pool;
}

function readMseg(props: Map<string, Term[]>, instance: number): MsegInstance {
  const m: MsegInstance = { instance, options: readOptions(props.get('options')?.[0]), calls: {} };
  // OTP 17+: everything under {memkind, [...]}; older releases put status and calls at the top level.
  const mk = props.get('memkind')?.[0];
  const inner = mk ? proplist(mk) : props;
  const status = inner.has('status') ? proplist(inner.get('status')?.[0]) : inner;
  m.calls = readCalls(inner.get('calls')?.[0]);
  const n = (k: string) => termNumber(status.get(k)?.[0]);
  m.cachedSegments = n('cached_segments');
  m.cacheHits = n('cache_hits');
  m.segments = col(status.get('segments'));
  m.segmentsBytes = col(status.get('segments_size'));
  m.segmentsWatermark = n('segments_watermark');
  for (const k of Object.keys(m) as Array<keyof MsegInstance>) if (m[k] === undefined) delete m[k];
  return m;
}

/** erts_mmap's nested proplist, flattened to the same value names the dump reader uses. */
function addMmap(model: AllocatorModel, info: Term): void {
  for (const [name, v] of proplist(info)) {
    const area: MmapArea = { name, options: {}, values: {} };
    const p = proplist(v[0]);
    area.options = readOptions(p.get('options')?.[0]);
    const os = proplist(p.get('os')?.[0]);
    for (const [k, x] of proplist(os.get('sizes')?.[0])) area.values[`os.${k}`] = termNumber(x[0]) ?? NaN;
    const sc = proplist(p.get('supercarrier')?.[0]);
    for (const [k, x] of proplist(sc.get('sizes')?.[0])) area.values[`supercarrier.${k}`] = termNumber(x[0]) ?? NaN;
    for (const [k, x] of proplist(sc.get('free_segs')?.[0])) area.values[`free_segs.${k}`] = termNumber(x[0]) ?? NaN;
    model.mmap.push(area);
  }
}
