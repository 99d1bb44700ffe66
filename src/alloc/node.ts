/**
 * `beamscope/alloc/node`: the allocator readers that open files and streams (Node only): any input
 * by its first bytes (crash dump, plain or gzip; recon_alloc snapshot; printed system_info; JSON;
 * `-` for stdin), and JSON from a stream. Everything else is in `beamscope/alloc`.
 */
export { allocatorModelFromJson, readAllocatorInput, sniffInput, type InputKind } from './read.js';
