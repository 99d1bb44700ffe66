/** The heap term decoder: decode one process of a dump on demand, in bounded memory. */
export { decodeProcess, heapBinaryTotals, mailboxShapes, messagePage, processIdentity, resolvePid } from './process.js';
export { messageTerm, timerSample } from './timers.js';
export type { DecodeProcessOptions, MailboxShapes, PagedMessage, TermDump } from './process.js';
export { TermDecoder, BinaryLocator, Warnings, type DecodeLimits, type DecoderSources } from './decoder.js';
export { HeapIndex, BlockReader } from './heap-index.js';
export { SequentialHeap, type HeapLines } from './sequential-heap.js';
export { decodeEtf, type EtfOptions } from './etf.js';
export { printTerm, formatFloat, writeAtom, writeString, PRINT_MAX_DEPTH, type PrintOptions } from './printer.js';
export { shapeOf, estimateBytes, estimateSize, ShapeHistogram, type ShapeRow, type ShapeInfo } from './shape.js';
export * from './model.js';
export type * from './process-detail.js';
