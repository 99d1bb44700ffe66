/**
 * `beamscope/alloc`: the allocator model, built from text or values you already have (a crash
 * dump's allocator sections, a recon_alloc snapshot or printed `system_info({allocator, A})` as
 * text, JSON values), recon_alloc parity functions, and the verdict. Nothing here reads a file or
 * uses Node's APIs: it bundles for the browser. The file and stdin readers are in
 * `beamscope/alloc/node`.
 */
export type * from './model.js';
export { RECON_UTIL_ALLOCATORS, ALLOCATOR_FLAG } from './model.js';
export {
  parseTerm,
  parseTerms,
  decodeTermText,
  formatTerm,
  TermSyntaxError,
  type Term,
  type TermInteger,
  type TermFloat,
  type TermAtom,
  type TermString,
  type TermTuple,
  type TermList,
  type TermBinary,
  type TermMap,
  type TermOpaque,
  type BinarySegment,
  type ParseTermsOptions,
} from '../term-text/term-text.js';
export { allocatorModelFromDump } from './from-dump.js';
export { allocatorModelFromTerms, allocatorModelFromTermText } from './from-terms.js';
export { allocatorModelFromJsonValues } from './from-json.js';
export {
  reconReport,
  reconMemory,
  memory,
  fragmentation,
  cacheHitRates,
  averageBlockSizes,
  sbcsToMbcs,
  containerValue,
  usage,
  type Keyword,
  type ContainerKey,
  type ReconReport,
  type ReconMemory,
  type FragmentationEntry,
  type CacheHitRateEntry,
  type SbcsToMbcsEntry,
} from './recon.js';
export {
  allocatorFindings,
  summarizeByType,
  summarizeInstances,
  blocksAgainstMemoryTotal,
  THRESHOLDS,
  type TypeSummary,
  type InstanceSummary,
  type MemoryTotalCheck,
} from './verdict.js';
export { allocReport, type AllocReport } from './report.js';
