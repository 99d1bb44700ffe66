import type { Dump } from '../../src/dump/index.js';
import { processAt } from '../../src/dump/process-table.js';
import { BinaryLocator } from '../../src/dump/terms/decoder.js';
import { BlockReader } from '../../src/dump/terms/heap-index.js';

/**
 * Every binary's body offset, found from the index's checkpoints: the checkpoints themselves
 * depend on how the dump was read (ranges), where each binary lies does not.
 */
function bodyOffsets(d: Dump): number[] {
  const locator = new BinaryLocator(d.binaries);
  const reader = new BlockReader(d.source.path);
  try {
    return Array.from(d.binaries.address, (a) => locator.section(a, reader)?.offset ?? -1);
  } finally {
    reader.close();
  }
}

/**
 * The model as plain data, for comparing two reads of one dump: rows as records, the index entry
 * by entry, typed arrays cut to their use; how it was read (threads, from a saved index) left out.
 */
export function plainModel(d: Dump): unknown {
  const { source, index, processes, binaries: { checkpoints: _cp, ...binaries }, ...rest } = d;
  const rows = Array.from({ length: processes.count }, (_, i) => processAt(processes, i));
  const entries = Array.from({ length: index.size }, (_, i) => index.at(i));
  return JSON.parse(JSON.stringify({ ...rest, binaries, bodyOffsets: bodyOffsets(d), rows, entries, source: { ...source, threads: 0, fromIndex: undefined } }, (_k, v) =>
    ArrayBuffer.isView(v) ? Array.from(v as Float64Array) : typeof v === 'number' && Number.isNaN(v) ? 'NaN' : v));
}
