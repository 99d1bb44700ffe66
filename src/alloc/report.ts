/**
 * Everything `beamscope alloc` shows, computed once: the renderer (src/report/alloc-text.ts) and the
 * JSON output only format this object.
 */
import { type Finding, sortFindings } from '../findings.js';
import type { AllocatorModel } from './model.js';
import { type ReconReport, reconReport } from './recon.js';
import {
  type InstanceSummary,
  type MemoryTotalCheck,
  type TypeSummary,
  allocatorFindings,
  blocksAgainstMemoryTotal,
  summarizeByType,
  summarizeInstances,
} from './verdict.js';

export interface AllocReport {
  /** The version of this JSON shape, the same field in every beamscope JSON output (docs/json.md). */
  schemaVersion: 1;
  source: AllocatorModel['source'];
  blockShape: AllocatorModel['blockShape'];
  /** Most important first. */
  findings: Finding[];
  /** All allocator types with carrier statistics, most unused bytes first. */
  types: TypeSummary[];
  /** The `top` instances with the most unused carrier bytes. */
  worstInstances: InstanceSummary[];
  /** Σ current blocks against `erlang:memory(total)`, when the source has both. */
  memoryTotal?: MemoryTotalCheck;
  /** Cached mseg segments: carrier memory kept for reuse, outside recon's `allocated`. */
  msegCachedSegments: number;
  /** recon_alloc's numbers, in the keys and shapes of its recorded answers. */
  recon: ReconReport;
  model: AllocatorModel;
}

export function allocReport(model: AllocatorModel, opts: { top?: number } = {}): AllocReport {
  const top = opts.top ?? 10;
  const memoryTotal = blocksAgainstMemoryTotal(model);
  return {
    schemaVersion: 1,
    source: model.source,
    blockShape: model.blockShape,
    findings: sortFindings(allocatorFindings(model)),
    types: summarizeByType(model),
    worstInstances: summarizeInstances(model)
      .filter((i) => i.carriersBytes > 0)
      .slice(0, Math.max(0, top)),
    ...(memoryTotal ? { memoryTotal } : {}),
    msegCachedSegments: model.mseg.reduce((s, m) => s + (m.cachedSegments ?? 0), 0),
    recon: reconReport(model),
    model,
  };
}
