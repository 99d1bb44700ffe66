/**
 * Crash-dump `=allocator:NAME[N]` sections -> allocator model.
 *
 * The dump reader (src/dump) keeps these sections close to the text (`key: values`); the meaning of
 * the keys lives here, next to the snapshot reader, so that both feed the same model. Both block
 * shapes are read: OTP <= 22 (`mbcs blocks: c l m`, `mbcs blocks size: c l m`) and OTP 23+
 * (`mbcs blocks[TYPE] count: c l m` / `size: c l m`, one pair per origin type, summed here exactly as
 * recon's `format_blocks` sums them).
 */
import type { RawAllocatorSection } from '../dump/types.js';
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

/** `option X` text value -> typed value (see OptionValue). */
export function optionValue(text: string): OptionValue {
  if (text === 'true') return true;
  if (text === 'false') return false;
  if (/^-?\d+$/.test(text)) {
    const n = Number(text);
    return Number.isSafeInteger(n) ? n : text;
  }
  return text;
}

function num(v: string | undefined): number {
  if (v === undefined) return NaN;
  return /^-?\d+$/.test(v) ? Number(v) : NaN;
}

/** `c l m` -> Column; a single number (old mseg `segments: N`) fills all three columns. */
function column(values: string[]): Column {
  const c = num(values[0]);
  if (values.length < 3) return { current: c, lastMax: c, max: c };
  return { current: c, lastMax: num(values[1]), max: num(values[2]) };
}

const CARRIER_KEY = /^(mbcs|sbcs|mbcs_pool|sbmbcs) (blocks|blocks size|blocks\[([^\]]+)\] (count|size)|carriers|carriers size|mseg carriers|mseg carriers size|sys_alloc carriers|sys_alloc carriers size)$/;

const MMAP_KEYS: Record<string, string> = {
  'os mmap size used': 'os.used',
  'supercarrier total size': 'supercarrier.total',
  'supercarrier total sa size': 'supercarrier.total_sa',
  'supercarrier total sua size': 'supercarrier.total_sua',
  'supercarrier used size': 'supercarrier.used',
  'supercarrier used sa size': 'supercarrier.used_sa',
  'supercarrier used sua size': 'supercarrier.used_sua',
  'supercarrier used free segs': 'free_segs.used',
  'supercarrier max free segs': 'free_segs.max',
  'supercarrier allocated free segs': 'free_segs.allocated',
  'supercarrier reserved free segs': 'free_segs.reserved',
  'supercarrier sa free segs': 'free_segs.used_sa',
  'supercarrier sua free segs': 'free_segs.used_sua',
};

interface CarrierAcc {
  stats: CarrierStats;
  origins: Map<string, { blocks: Column; blocksBytes: Column }>;
}

function newCarrierAcc(): CarrierAcc {
  return {
    stats: { blocks: emptyColumn(), blocksBytes: emptyColumn(), carriers: emptyColumn(), carriersBytes: emptyColumn() },
    origins: new Map(),
  };
}

/**
 * Builds the allocator model from a dump's `=allocator` sections. `erlangMemory` (the dump's
 * `=memory`) is carried along for the checks that compare with it.
 */
export function allocatorModelFromDump(sections: RawAllocatorSection[], erlangMemory?: Record<string, number>): AllocatorModel {
  const model = newModel('crash-dump');
  if (erlangMemory && Object.keys(erlangMemory).length > 0) model.erlangMemory = { ...erlangMemory };
  let perOrigin = false;
  let flat = false;
  const unknownKeys = new Set<string>();

  for (const sec of sections) {
    const name = sec.name;
    const instanceNo = sec.instance ?? 0;

    if (name === 'sys_alloc') {
      model.sysAllocOptions = readOptions(sec);
      continue;
    }
    if (name === 'alloc_util') {
      model.allocUtilOptions = readOptions(sec);
      continue;
    }
    if (name === 'instr') continue;
    if (name === 'mseg_alloc') {
      model.mseg.push(readMseg(sec, instanceNo));
      continue;
    }
    if (name.startsWith('erts_mmap.') || name === 'mseg_alloc.erts_mmap') {
      model.mmap.push(readMmap(sec, name === 'mseg_alloc.erts_mmap' ? 'default_mmap' : name.slice('erts_mmap.'.length)));
      continue;
    }

    const inst: AllocatorInstance = { allocator: name, instance: instanceNo, enabled: true, options: {}, calls: {} };
    const mbcs = newCarrierAcc();
    const sbcs = newCarrierAcc();
    const pool = newCarrierAcc();
    const seen = { mbcs: false, sbcs: false, pool: false };
    let fixLines = 0;
    for (const { key, values } of sec.entries) {
      if (key === 'versions') continue;
      if (key.startsWith('option ')) {
        inst.options[key.slice(7)] = optionValue(values.join(' '));
        continue;
      }
      if (key.endsWith(' calls')) {
        inst.calls[key.slice(0, -6)] = num(values[0]);
        continue;
      }
      const m = CARRIER_KEY.exec(key);
      if (m) {
        const kind = m[1];
        if (kind === 'sbmbcs') continue; // R14-R15 small-block carriers; always empty in practice, recon ignores them
        const acc = kind === 'mbcs' ? mbcs : kind === 'sbcs' ? sbcs : pool;
        if (kind === 'mbcs') seen.mbcs = true;
        else if (kind === 'sbcs') seen.sbcs = true;
        else seen.pool = true;
        const col = column(values);
        const what = m[2];
        if (m[3] !== undefined) {
          perOrigin = true;
          const o = acc.origins.get(m[3]) ?? { blocks: emptyColumn(), blocksBytes: emptyColumn() };
          if (m[4] === 'count') o.blocks = col;
          else o.blocksBytes = col;
          acc.origins.set(m[3], o);
        } else if (what === 'blocks') {
          flat = true;
          acc.stats.blocks = col;
        } else if (what === 'blocks size') acc.stats.blocksBytes = col;
        else if (what === 'carriers') acc.stats.carriers = col;
        else if (what === 'carriers size') acc.stats.carriersBytes = col;
        else if (what === 'mseg carriers') acc.stats.msegCarriers = col.current;
        else if (what === 'mseg carriers size') acc.stats.msegCarriersBytes = col.current;
        else if (what === 'sys_alloc carriers') acc.stats.sysAllocCarriers = col.current;
        else if (what === 'sys_alloc carriers size') acc.stats.sysAllocCarriersBytes = col.current;
        continue;
      }
      if (key === 'fix type') continue; // fix_alloc's per-type usage; not part of carrier accounting
      // R10B-R13 fix_alloc prints `TYPE: allocated used` pairs and nothing else.
      if (values.length === 2 && /^[a-z_]+$/.test(key)) {
        fixLines++;
        continue;
      }
      unknownKeys.add(key);
    }
    if (inst.options.e === false) inst.enabled = false;
    if (seen.mbcs) inst.mbcs = finishCarriers(mbcs);
    if (seen.sbcs) inst.sbcs = finishCarriers(sbcs);
    if (seen.pool) inst.mbcsPool = finishPool(pool);
    if (fixLines > 0 && !seen.mbcs) model.notes.push(`${sec.id}: ${fixLines} fixed-size type lines (pre-alloc_util fix_alloc) not modelled`);
    model.allocators.push(inst);
  }
  model.blockShape = perOrigin ? 'per-origin' : flat ? 'flat' : 'unknown';
  if (unknownKeys.size > 0) model.notes.push(`unrecognised allocator keys: ${[...unknownKeys].slice(0, 20).join(', ')}`);
  return model;
}

function finishCarriers(acc: CarrierAcc): CarrierStats {
  const s = acc.stats;
  if (acc.origins.size > 0) {
    let blocks = emptyColumn();
    let bytes = emptyColumn();
    s.byOrigin = [];
    for (const [origin, o] of acc.origins) {
      blocks = addCol(blocks, o.blocks);
      bytes = addCol(bytes, o.blocksBytes);
      s.byOrigin.push({ origin, blocks: o.blocks, blocksBytes: o.blocksBytes });
    }
    s.blocks = blocks;
    s.blocksBytes = bytes;
  }
  return s;
}

function addCol(a: Column, b: Column): Column {
  return { current: a.current + b.current, lastMax: a.lastMax + b.lastMax, max: a.max + b.max };
}

function finishPool(acc: CarrierAcc): PoolStats {
  const s = finishCarriers(acc);
  const pool: PoolStats = {
    blocks: s.blocks.current,
    blocksBytes: s.blocksBytes.current,
    carriers: s.carriers.current,
    carriersBytes: s.carriersBytes.current,
  };
  if (s.byOrigin) pool.byOrigin = s.byOrigin.map((o) => ({ origin: o.origin, blocks: o.blocks.current, blocksBytes: o.blocksBytes.current }));
  return pool;
}

function readOptions(sec: RawAllocatorSection): Record<string, OptionValue> {
  const out: Record<string, OptionValue> = {};
  for (const { key, values } of sec.entries) if (key.startsWith('option ')) out[key.slice(7)] = optionValue(values.join(' '));
  return out;
}

function readMseg(sec: RawAllocatorSection, instance: number): MsegInstance {
  const m: MsegInstance = { instance, options: {}, calls: {} };
  for (const { key, values } of sec.entries) {
    if (key.startsWith('option ')) m.options[key.slice(7)] = optionValue(values.join(' '));
    else if (key.endsWith(' calls')) m.calls[key.slice(0, -6)] = num(values[0]);
    else if (key === 'cached_segments') m.cachedSegments = num(values[0]);
    else if (key === 'cache_hits') m.cacheHits = num(values[0]);
    else if (key === 'segments') m.segments = column(values);
    else if (key === 'segments_size') m.segmentsBytes = column(values);
    else if (key === 'segments_watermark') m.segmentsWatermark = num(values[0]);
  }
  return m;
}

function readMmap(sec: RawAllocatorSection, name: string): MmapArea {
  const area: MmapArea = { name, options: {}, values: {} };
  for (const { key, values } of sec.entries) {
    if (key.startsWith('option ')) area.options[key.slice(7)] = optionValue(values.join(' '));
    else area.values[MMAP_KEYS[key] ?? key] = num(values[0]);
  }
  return area;
}
