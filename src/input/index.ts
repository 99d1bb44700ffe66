/**
 * The one input module: what a path or stream is (detect.ts, on the magic bytes of magic.ts) and
 * how it is opened to find out (open.ts). It sits below dump, alloc, leak and check, and imports
 * none of them.
 */
export {
  detectInput,
  isDumpFormat,
  isProcessSnapshot,
  utf16Bom,
  HEAD_BYTES,
  type InputFacts,
  type InputFormat,
} from './detect.js';
export { peekFile, peekStdin, peekStream, type FileHead } from './open.js';
export {
  detectCompression,
  dumpMagic,
  DUMP_MAGIC,
  OLD_DUMP_MAGIC,
  MAGIC_BYTES,
  type Compression,
  type DumpMagic,
} from './magic.js';
