/** `beamscope/dump`: the crash-dump reader, its model, and the analyzers over it. */
export { readDump, type ReadOptions } from './reader.js';
export { processAt, findProcess } from './process-table.js';
export { SectionIndex } from './section-index.js';
export { sectionLines } from './section-lines.js';
export { parseSystemVersion } from './sections/header.js';
export type * from './types.js';
