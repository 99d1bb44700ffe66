/**
 * beamscope: memory and crash-dump diagnostics for the Erlang VM.
 *
 * The entry points by area are `beamscope/dump` (the crash-dump reader, its model and triage),
 * `beamscope/alloc` (allocator analysis) and `beamscope/leak` (refc-binary leaks); this module
 * re-exports the most used parts and the shared types.
 */
export { readDump, processAt, findProcess, type Dump, type ParallelGate, type ReadOptions } from './dump/index.js';
export { triage, type BinaryReach, type MailboxRows, type TopRows, type TriageOptions } from './dump/analyze/triage.js';
export { triageDump, type TriageDumpOptions } from './usecases/triage.js';
export { procsReport, type ProcsOptions, type ProcsReport } from './usecases/procs.js';
export type { GroupBy, SortKey } from './dump/analyze/processes.js';
export type * from './dump/analyze/report-types.js';
export { decodeSlogan, type SloganCause, type ConfigFileError } from './dump/analyze/slogan.js';
export { sortFindings, type Finding, type Severity } from './findings.js';
export { InputError, UsageError } from './errors.js';
