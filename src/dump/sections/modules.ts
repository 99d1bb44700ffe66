import { KeyMatcher, parseDecimal } from '../bytes.js';
import type { LineHandler } from '../scanner.js';
import type { ModuleRecord } from '../types.js';
import { kvHandler, type ParseContext } from './context.js';

const LOADED = new KeyMatcher(['Current code', 'Old code']);
export function loadedModulesHandler(out: { currentCodeBytes?: number; oldCodeBytes?: number }, ctx: ParseContext): LineHandler {
  return kvHandler('loaded_modules', LOADED, ctx, (k, buf, v, end) => {
    if (k === 0) out.currentCodeBytes = parseDecimal(buf, v, end);
    else out.oldCodeBytes = parseDecimal(buf, v, end);
  });
}

const MOD = new KeyMatcher(['Current size', 'Old size', 'Current attributes', 'Current compilation info', 'Old attributes', 'Old compilation info']);
/** `=mod:NAME`: sizes in bytes; the attribute blobs (external term format) are not decoded here. */
export function modHandler(name: string, out: ModuleRecord[], ctx: ParseContext): LineHandler {
  const m: ModuleRecord = { name, currentSizeBytes: NaN, oldSizeBytes: 0 };
  out.push(m);
  return kvHandler('mod', MOD, ctx, (k, buf, v, end) => {
    if (k === 0) m.currentSizeBytes = parseDecimal(buf, v, end);
    else if (k === 1) m.oldSizeBytes = parseDecimal(buf, v, end);
  });
}
