/**
 * Text rendering of `beamscope alloc`: formats an AllocReport (src/alloc/report.ts); it computes
 * nothing. One view per recon function (`--view`), or the default report: verdict, per-type table,
 * worst instances.
 */
import type { AllocReport } from '../alloc/report.js';
import { renderFinding } from './finding-text.js';
import { formatBytes, formatCount, formatPercent, sanitize, table } from '../text/format.js';

export type AllocView = 'memory' | 'fragmentation' | 'cache' | 'blocks' | 'sbcs';

export interface AllocTextOptions {
  view?: AllocView;
  top?: number;
  color?: boolean;
}

const SOURCE_NAME: Record<AllocReport['source'], string> = {
  'crash-dump': 'crash dump =allocator sections',
  'recon-snapshot': 'recon_alloc snapshot',
  'raw-snapshot': 'recon_alloc raw snapshot',
  'system-info': 'erlang:system_info({allocator, A}) output',
  json: 'beamscope JSON',
};

function num(v: number | null | 'infinity', digits = 3): string {
  if (v === 'infinity') return 'infinity';
  if (v === null || !Number.isFinite(v)) return '?';
  return Number.isInteger(v) ? formatCount(v) : v.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}


export function renderAllocText(r: AllocReport, opts: AllocTextOptions = {}): string {
  const top = opts.top ?? 10;
  const out: string[] = [];
  const header = `Allocators from ${SOURCE_NAME[r.source]} (${r.blockShape === 'per-origin' ? 'OTP 23+ per-origin blocks' : r.blockShape === 'flat' ? 'OTP <= 22 block counters' : 'no util allocators'})`;
  switch (opts.view) {
    case 'memory':
      return [header, '', renderMemory(r)].join('\n');
    case 'fragmentation':
      return [header, '', renderFragmentation(r, 'current', top), '', renderFragmentation(r, 'max', top)].join('\n');
    case 'cache':
      return [header, '', renderCache(r)].join('\n');
    case 'blocks':
      return [header, '', renderBlocks(r)].join('\n');
    case 'sbcs':
      return [header, '', renderSbcs(r, 'current', top), '', renderSbcs(r, 'max', top)].join('\n');
  }
  out.push(header, '');
  if (r.findings.length === 0) out.push('Verdict: nothing stands out in the allocator numbers.');
  else {
    out.push('Verdict:');
    for (const f of r.findings) out.push(renderFinding(f, { color: opts.color, withId: true }));
  }
  out.push('', renderMemory(r), '');
  out.push('By allocator type (current; "peak" sums each instance\'s max-ever, an upper bound):');
  out.push(
    table(
      [
        { header: 'type' },
        { header: 'inst', align: 'right' },
        { header: 'carriers', align: 'right' },
        { header: 'blocks', align: 'right' },
        { header: 'unused', align: 'right' },
        { header: 'usage', align: 'right' },
        { header: 'pool', align: 'right' },
        { header: 'sbcs', align: 'right' },
        { header: 'peak carriers', align: 'right' },
        { header: 'peak usage', align: 'right' },
      ],
      r.types.slice(0, Math.max(top, 0) || r.types.length).map((t) => [
        `${t.type}${t.inReconScope ? '' : '*'}`,
        t.instances,
        formatBytes(t.carriersBytes),
        formatBytes(t.blocksBytes),
        formatBytes(t.unusedBytes),
        formatPercent(t.usage),
        formatBytes(t.poolCarriersBytes),
        formatBytes(t.sbcsCarriersBytes),
        formatBytes(t.maxCarriersBytes),
        formatPercent(t.maxUsage),
      ]),
    ),
  );
  if (r.types.some((t) => !t.inReconScope)) out.push('  * not counted by recon_alloc (outside its nine util allocators)');
  if (r.worstInstances.length > 0) {
    out.push('', `Instances with the most unused carrier bytes (top ${r.worstInstances.length}):`);
    out.push(
      table(
        [
          { header: 'instance' },
          { header: 'carriers', align: 'right' },
          { header: 'blocks', align: 'right' },
          { header: 'unused', align: 'right' },
          { header: 'usage', align: 'right' },
          { header: 'peak usage', align: 'right' },
        ],
        r.worstInstances.map((i) => [`${i.allocator}[${i.instance}]`, formatBytes(i.carriersBytes), formatBytes(i.blocksBytes), formatBytes(i.unusedBytes), formatPercent(i.usage), formatPercent(i.maxUsage)]),
      ),
    );
  }
  if (r.memoryTotal) {
    out.push(
      '',
      `Blocks in all allocators: ${formatBytes(r.memoryTotal.blocksBytes)}; erlang:memory(total): ${formatBytes(r.memoryTotal.memoryTotalBytes)} (difference ${formatCount(r.memoryTotal.differenceBytes)} bytes)`,
    );
  }
  for (const a of r.model.mmap) {
    const v = a.values;
    if (v['supercarrier.total'] !== undefined && v['supercarrier.total'] > 0)
      out.push(`erts_mmap ${sanitize(a.name)}: super carrier ${formatBytes(v['supercarrier.used'])} used of ${formatBytes(v['supercarrier.total'])} reserved.`);
    else if (v['os.used'] !== undefined) out.push(`erts_mmap ${sanitize(a.name)}: ${formatBytes(v['os.used'])} mapped from the OS.`);
  }
  if (r.msegCachedSegments > 0) out.push(`mseg_alloc keeps ${formatCount(r.msegCachedSegments)} cached segments (memory outside recon's "allocated").`);
  return out.join('\n');
}

function renderMemory(r: AllocReport): string {
  const m = r.recon.memory;
  const lines = [
    'recon_alloc:memory/1 (current):',
    `  used       ${formatBytes(m.used).padStart(10)}  (${formatCount(m.used)} bytes)`,
    `  allocated  ${formatBytes(m.allocated).padStart(10)}  (${formatCount(m.allocated)} bytes)`,
    `  unused     ${formatBytes(m.unused).padStart(10)}  (${formatCount(m.unused)} bytes)`,
    `  usage      ${formatPercent(m.usage).padStart(10)}`,
    '  allocated_types:',
    table(
      [{ header: 'type' }, { header: 'allocated', align: 'right' }],
      Object.entries(m.allocated_types).map(([k, v]) => [k, formatBytes(v)]),
      '    ',
    ),
    '  allocated_instances:',
    table(
      [{ header: 'instance', align: 'right' }, { header: 'allocated', align: 'right' }],
      Object.entries(m.allocated_instances).map(([k, v]) => [k, formatBytes(v)]),
      '    ',
    ),
  ];
  return lines.join('\n');
}

function renderFragmentation(r: AllocReport, kw: 'current' | 'max', top: number): string {
  const rows = r.recon.fragmentation[kw];
  return [
    `recon_alloc:fragmentation(${kw}) (most unused bytes first${rows.length > top ? `, top ${top} of ${rows.length}` : ''}):`,
    table(
      [
        { header: 'instance' },
        { header: 'mbcs usage', align: 'right' },
        { header: 'mbcs blocks', align: 'right' },
        { header: 'mbcs carriers', align: 'right' },
        { header: 'sbcs usage', align: 'right' },
        { header: 'sbcs blocks', align: 'right' },
        { header: 'sbcs carriers', align: 'right' },
      ],
      rows.slice(0, top).map((e) => [
        `${e.allocator}[${e.instance}]`,
        formatPercent(e.mbcs_usage),
        formatBytes(e.mbcs_block_size),
        formatBytes(e.mbcs_carriers_size),
        formatPercent(e.sbcs_usage),
        formatBytes(e.sbcs_block_size),
        formatBytes(e.sbcs_carriers_size),
      ]),
    ),
  ].join('\n');
}

function renderCache(r: AllocReport): string {
  if (r.recon.cache_hit_rates.length === 0) return 'recon_alloc:cache_hit_rates(): no mseg_alloc in this input (Windows builds have none).';
  return [
    'recon_alloc:cache_hit_rates() (most misses first; recon: usually above 80%):',
    table(
      [{ header: 'mseg_alloc' }, { header: 'hit rate', align: 'right' }, { header: 'hits', align: 'right' }, { header: 'calls', align: 'right' }],
      r.recon.cache_hit_rates.map((c) => [`instance ${c.instance}`, formatPercent(c.hit_rate), formatCount(c.hits), formatCount(c.calls)]),
    ),
  ].join('\n');
}

function renderBlocks(r: AllocReport): string {
  const cur = r.recon.average_block_sizes.current;
  const max = r.recon.average_block_sizes.max;
  return [
    'recon_alloc:average_block_sizes(current | max) (bytes per block):',
    table(
      [
        { header: 'type' },
        { header: 'mbcs current', align: 'right' },
        { header: 'sbcs current', align: 'right' },
        { header: 'mbcs max', align: 'right' },
        { header: 'sbcs max', align: 'right' },
      ],
      Object.keys(cur).map((k) => [k, num(cur[k].mbcs, 1), num(cur[k].sbcs, 1), num(max[k]?.mbcs ?? null, 1), num(max[k]?.sbcs ?? null, 1)]),
    ),
  ].join('\n');
}

function renderSbcs(r: AllocReport, kw: 'current' | 'max', top: number): string {
  const rows = r.recon.sbcs_to_mbcs[kw];
  return [
    `recon_alloc:sbcs_to_mbcs(${kw}) (single-block / multiblock block counts, worst first${rows.length > top ? `, top ${top} of ${rows.length}` : ''}):`,
    table([{ header: 'instance' }, { header: 'ratio', align: 'right' }], rows.slice(0, top).map((e) => [`${e.allocator}[${e.instance}]`, num(e.ratio, 4)])),
  ].join('\n');
}
