/**
 * The JSON form of the allocator model (docs/alloc.md), from values already parsed (JSON.parse, or
 * stream-json in the Node reader): one AllocatorModel object, or the output of
 * `beamscope alloc --format json` (its `model`), or several values (JSON lines) each holding part of
 * a model, whose arrays are appended in order. Checked field by field: a wrong one is an InputError
 * naming it. No file or stream access: this runs in a browser too.
 */
import { InputError } from '../errors.js';
import type { AllocatorModel } from './model.js';

export function allocatorModelFromJsonValues(values: unknown[], path = 'input'): AllocatorModel {
  if (values.length === 0) throw new InputError(`${path}: no JSON value`, path);
  let model: AllocatorModel | undefined;
  values.forEach((v, n) => {
    const where = values.length > 1 ? `${path} value ${n + 1}` : path;
    if (!v || typeof v !== 'object' || Array.isArray(v)) throw new InputError(`${where}: expected a JSON object`, path);
    const o = (v as Record<string, unknown>).model && typeof (v as Record<string, unknown>).model === 'object' ? ((v as Record<string, unknown>).model as Record<string, unknown>) : (v as Record<string, unknown>);
    const part = validateModel(o, where, model === undefined);
    if (!model) model = part;
    else {
      model.allocators.push(...part.allocators);
      model.mseg.push(...part.mseg);
      model.mmap.push(...part.mmap);
      model.notes.push(...part.notes);
      if (part.erlangMemory) model.erlangMemory = part.erlangMemory;
      if (part.sysAllocOptions) model.sysAllocOptions = part.sysAllocOptions;
      if (part.allocUtilOptions) model.allocUtilOptions = part.allocUtilOptions;
    }
  });
  const m = model!;
  if (m.blockShape === 'unknown') m.blockShape = m.allocators.some((a) => a.mbcs?.byOrigin) ? 'per-origin' : m.allocators.some((a) => a.mbcs) ? 'flat' : 'unknown';
  return m;
}

function fail(where: string, field: string, what: string): never {
  throw new InputError(`${where}: ${field}: ${what}`);
}

function isNum(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

function checkColumn(v: unknown, where: string, field: string): void {
  if (!v || typeof v !== 'object') fail(where, field, 'expected {current, lastMax, max}');
  const c = v as Record<string, unknown>;
  for (const k of ['current', 'lastMax', 'max']) if (!isNum(c[k])) fail(where, `${field}.${k}`, 'expected a number');
}

/** An object of numbers (`numbers`) or of option values (numbers, strings, booleans). */
function checkRecord(v: unknown, where: string, field: string, numbers: boolean): void {
  if (!v || typeof v !== 'object' || Array.isArray(v)) fail(where, field, 'expected an object');
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
    if (numbers ? !isNum(x) : !(isNum(x) || typeof x === 'string' || typeof x === 'boolean')) fail(where, `${field}.${k}`, numbers ? 'expected a number' : 'expected a number, string or boolean');
  }
}

function checkCarriers(v: unknown, where: string, field: string): void {
  if (v === undefined) return;
  if (!v || typeof v !== 'object') fail(where, field, 'expected an object');
  const c = v as Record<string, unknown>;
  for (const k of ['blocks', 'blocksBytes', 'carriers', 'carriersBytes']) checkColumn(c[k], where, `${field}.${k}`);
}

/** Checks the fields the analyzers read; `first` is false for JSONL continuation parts, which may omit the header. */
function validateModel(o: Record<string, unknown>, where: string, first: boolean): AllocatorModel {
  if (o.schema !== undefined && o.schema !== 'beamscope.alloc/1') fail(where, 'schema', `unsupported ${JSON.stringify(o.schema)} (expected "beamscope.alloc/1")`);
  if (first && o.schema === undefined) fail(where, 'schema', 'missing; this is not a beamscope allocator model (see docs/alloc.md)');
  const arr = (k: string): unknown[] => {
    const v = o[k];
    if (v === undefined) return [];
    if (!Array.isArray(v)) fail(where, k, 'expected an array');
    return v;
  };
  const allocators = arr('allocators');
  allocators.forEach((a, i) => {
    const f = `allocators[${i}]`;
    if (!a || typeof a !== 'object') fail(where, f, 'expected an object');
    const x = a as Record<string, unknown>;
    if (typeof x.allocator !== 'string') fail(where, `${f}.allocator`, 'expected a string');
    if (!isNum(x.instance)) fail(where, `${f}.instance`, 'expected a number');
    checkCarriers(x.mbcs, where, `${f}.mbcs`);
    checkCarriers(x.sbcs, where, `${f}.sbcs`);
    if (x.mbcsPool !== undefined) {
      const p = x.mbcsPool as Record<string, unknown>;
      for (const k of ['blocks', 'blocksBytes', 'carriers', 'carriersBytes']) if (!isNum(p?.[k])) fail(where, `${f}.mbcsPool.${k}`, 'expected a number');
    }
    x.enabled ??= true;
    x.options ??= {};
    x.calls ??= {};
    if (typeof x.enabled !== 'boolean') fail(where, `${f}.enabled`, 'expected true or false');
    checkRecord(x.options, where, `${f}.options`, false);
    checkRecord(x.calls, where, `${f}.calls`, true);
  });
  const mseg = arr('mseg');
  mseg.forEach((m, i) => {
    const x = m as Record<string, unknown>;
    if (!x || typeof x !== 'object' || !isNum(x.instance)) fail(where, `mseg[${i}].instance`, 'expected a number');
    x.options ??= {};
    x.calls ??= {};
    checkRecord(x.options, where, `mseg[${i}].options`, false);
    checkRecord(x.calls, where, `mseg[${i}].calls`, true);
    for (const k of ['cachedSegments', 'cacheHits', 'segmentsWatermark']) if (x[k] !== undefined && !isNum(x[k])) fail(where, `mseg[${i}].${k}`, 'expected a number');
  });
  const mem = o.erlangMemory;
  if (mem !== undefined && (typeof mem !== 'object' || mem === null || Object.values(mem).some((v) => !isNum(v)))) fail(where, 'erlangMemory', 'expected an object of numbers (bytes)');
  return {
    schema: 'beamscope.alloc/1',
    source: 'json',
    blockShape: o.blockShape === 'per-origin' || o.blockShape === 'flat' ? o.blockShape : 'unknown',
    ...(mem ? { erlangMemory: mem as Record<string, number> } : {}),
    allocators: allocators as AllocatorModel['allocators'],
    mseg: mseg as AllocatorModel['mseg'],
    ...(o.sysAllocOptions ? { sysAllocOptions: o.sysAllocOptions as AllocatorModel['sysAllocOptions'] } : {}),
    ...(o.allocUtilOptions ? { allocUtilOptions: o.allocUtilOptions as AllocatorModel['allocUtilOptions'] } : {}),
    mmap: arr('mmap') as AllocatorModel['mmap'],
    notes: (arr('notes') as unknown[]).map(String),
  };
}
