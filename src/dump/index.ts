/** `beamscope/dump`: the crash-dump reader, its model, and the analyzers over it. */
export { readDump, type ReadOptions } from './reader.js';
export type { ParallelGate } from './parallel-gate.js';
export { detectCompression, type Compression } from '../input/magic.js';
export { releaseSpool } from './spool.js';
export { processAt, findProcess, NumberColumn, PidColumn, TextColumn, type Cells } from './process-table.js';
export { SectionIndex, type SectionIndexPart, type SectionIndexSource } from './section-index.js';
export { sectionLines, type SectionLinesOptions } from './section-lines.js';
export { parseSystemVersion } from './sections/header.js';
export type * from './types.js';
export { triage, type TriageOptions, type ProcessDetails } from './analyze/triage.js';
export { decodeSlogan, type SloganCause, type ConfigFileError } from './analyze/slogan.js';
export type * from './analyze/report-types.js';
