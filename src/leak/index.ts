/**
 * `beamscope/leak`: refc-binary leaks. Holders and stale-reference estimates from a crash dump,
 * recon bin_leak deltas and growth between process snapshots, and what grew between two dumps.
 */
export type * from './types.js';
export { scanHeapBinaries, type HeapBinaryScan, type HeapScanOptions } from './heap-scan.js';
export {
  analyzeDumpLeak, dumpLeakReport, staleBytesOf, portQueuesByOwner, DEFAULT_LEAK_THRESHOLDS,
  type DumpLeakOptions, type DumpLeakReportOptions, type PortQueues,
} from './dump-leak.js';
export {
  openSnapshot, summarizeProcessRecord, PROCESS_SNAPSHOT_SCHEMA,
  type ProcessSnapshotRecord, type SnapshotStream,
} from './snapshot.js';
export { compareSnapshots, type CompareOptions } from './compare.js';
export { diffDumps, type DiffOptions } from './diff.js';
export { procLibInitialCalls, type InitialCalls } from './identity.js';
export { snapshotHolders } from './holders.js';
