import { UsageError } from '../errors.js';
import { GiB, KiB, MiB } from '../text/units.js';

const UNIT: Record<string, number> = { '': 1, b: 1, k: KiB, kb: KiB, kib: KiB, m: MiB, mb: MiB, mib: MiB, g: GiB, gb: GiB, gib: GiB };

/** `8388608`, `8M`, `8MiB`, `512k` -> bytes (binary multiples). */
export function parseByteSize(text: string | number, option: string): number {
  if (typeof text === 'number') {
    if (Number.isFinite(text) && text >= 0) return text;
    throw new UsageError(`${option} must be a size in bytes, e.g. 8MiB (got ${String(text)})`);
  }
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  const mult = m ? UNIT[m[2].toLowerCase()] : undefined;
  if (!m || mult === undefined) throw new UsageError(`${option} must be a size in bytes, e.g. 8MiB or 512K (got ${JSON.stringify(text)})`);
  return Math.round(Number(m[1]) * mult);
}
