/**
 * `beamscope collect`: snapshots from a live node over Erlang distribution, through the escript
 * shipped in the package (collect/beamscope_collect.escript). See docs/collect.md.
 */
export { collect, writeAllocJson, type CollectResult, type CollectSample, type CollectedFiles } from './run.js';
export { collectForCheck, type NodeSnapshot, type CheckCollectOptions } from './check.js';
export { parseNodeName, resolveOptions, escriptArgs, type CollectOptions, type CollectEvent, type NodeName, type ResolvedOptions } from './options.js';
export { findEscript, collectorScript } from './escript.js';
export { CollectError, type CollectErrorKind } from './errors.js';
