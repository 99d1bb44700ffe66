/** `beamscope/dump`: the crash-dump reader, its model, and the analyzers over it. */
export { readDump, type ReadOptions } from './reader.js';
export { detectCompression, type Compression } from './compression.js';
export { releaseSpool } from './spool.js';
export { processAt, findProcess } from './process-table.js';
export { SectionIndex } from './section-index.js';
export { sectionLines } from './section-lines.js';
export { parseSystemVersion } from './sections/header.js';
export type * from './types.js';
export { triage, type TriageOptions, type ProcessDetails } from './analyze/triage.js';
export { triageDump, type TriageDumpOptions } from './triage-dump.js';
export { decodeSlogan, type SloganCause } from './analyze/slogan.js';
export type * from './analyze/report-types.js';
