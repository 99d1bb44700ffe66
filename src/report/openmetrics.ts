/**
 * OpenMetrics text for Prometheus: `check`, `alloc` and `collect --format openmetrics`, and the
 * exporter's `/metrics`. A renderer only: every value is a field of the objects `--format json`
 * prints (AllocReport, check's InputResult, the process figures), written under Prometheus's naming
 * conventions (`beamscope_` prefix, base units: bytes, ratios 0-1; counters end in `_total`).
 *
 * The text is the subset that both parsers Prometheus users meet read the same way: OpenMetrics
 * 1.0 (Prometheus's scraper, `# EOF` at the end) and the 0.0.4 text format (node_exporter's textfile
 * collector, `promtool check metrics`, which take `# EOF` for a comment). So a counter's HELP and
 * TYPE name it with its `_total` suffix, as 0.0.4 wants.
 *
 * Label values come from untrusted input (node names from a dump, allocator names from a snapshot):
 * they are escaped (`\`, `"`, line feed) and made well-formed UTF-16 before they are written.
 */
import type { AllocReport } from '../alloc/report.js';
import type { InputResult } from '../check/evaluate.js';
import type { DumpFigures } from '../check/input.js';

/** Everything known about one node (or one input) at one time. */
export interface NodeMetrics {
  /** The `node` label: the node's name, or the input's name when the input does not say. */
  node: string;
  /** Exporter only: 1 when the node answered this scrape, 0 when collecting from it failed. */
  up?: 0 | 1;
  /** Exporter only: how long collecting from the node took, in seconds. */
  collectSeconds?: number;
  alloc?: AllocReport;
  /** Largest mailbox and counts against limits (crash dumps, process snapshots). */
  figures?: DumpFigures;
  /** check's results on this node's inputs: one state per rule and subject. */
  check?: InputResult[];
}

export interface OpenMetricsOptions {
  /**
   * Per allocator instance series (`beamscope_allocator_instance_*`, one per instance and carrier
   * kind: 4 x schedulers x 9 allocators a node). Default true.
   */
  perInstance?: boolean;
}

type Labels = Record<string, string>;
interface Family {
  name: string;
  type: 'gauge' | 'counter';
  help: string;
}

/** Every family, in output order; HELP says where each number comes from. */
const F = {
  up: { name: 'beamscope_up', type: 'gauge', help: '1 when beamscope collected from the node in this scrape, 0 when that failed (the reason is logged by the exporter).' },
  collectSeconds: { name: 'beamscope_collect_duration_seconds', type: 'gauge', help: 'Seconds collecting from the node took in this scrape.' },
  used: { name: 'beamscope_alloc_used_bytes', type: 'gauge', help: 'Bytes in blocks of the nine util allocators, current (recon_alloc:memory(used)).' },
  allocated: { name: 'beamscope_alloc_allocated_bytes', type: 'gauge', help: 'Bytes of carriers of the nine util allocators, current (recon_alloc:memory(allocated)).' },
  usage: { name: 'beamscope_alloc_usage_ratio', type: 'gauge', help: 'used / allocated bytes of the nine util allocators, 0-1 (recon_alloc:memory(usage)).' },
  carriers: { name: 'beamscope_allocator_carriers_bytes', type: 'gauge', help: 'Carrier bytes of an allocator type now, summed over its instances, by carrier kind (mbcs, sbcs, pool: mbcs_pool).' },
  blocks: { name: 'beamscope_allocator_blocks_bytes', type: 'gauge', help: 'Bytes of blocks in the carriers of an allocator type now, by carrier kind.' },
  peakCarriers: { name: 'beamscope_allocator_peak_carriers_bytes', type: 'gauge', help: 'Carrier bytes of an allocator type at its peak: the sum of per-instance max-ever values (an upper bound), mbcs and sbcs.' },
  peakBlocks: { name: 'beamscope_allocator_peak_blocks_bytes', type: 'gauge', help: 'Block bytes of an allocator type at its peak: the sum of per-instance max-ever values, mbcs and sbcs.' },
  typeUsage: { name: 'beamscope_allocator_usage_ratio', type: 'gauge', help: 'Blocks / carriers bytes of an allocator type now (mbcs, pool and sbcs), 0-1.' },
  typePeakUsage: { name: 'beamscope_allocator_peak_usage_ratio', type: 'gauge', help: 'Blocks / carriers bytes of an allocator type at the peak (sums of per-instance maxima), 0-1.' },
  instCarriers: { name: 'beamscope_allocator_instance_carriers_bytes', type: 'gauge', help: 'Carrier bytes of one allocator instance now, mbcs (with its pool carriers) and sbcs (recon_alloc:fragmentation(current)).' },
  instBlocks: { name: 'beamscope_allocator_instance_blocks_bytes', type: 'gauge', help: 'Block bytes of one allocator instance now, mbcs (with its pool) and sbcs (recon_alloc:fragmentation(current)).' },
  msegHitRatio: { name: 'beamscope_mseg_cache_hit_ratio', type: 'gauge', help: 'mseg_alloc segment cache hits / mseg_alloc calls of one instance, 0-1 (recon_alloc:cache_hit_rates()).' },
  msegHits: { name: 'beamscope_mseg_cache_hits_total', type: 'counter', help: 'mseg_alloc segment cache hits of one instance since the node started.' },
  msegCalls: { name: 'beamscope_mseg_alloc_calls_total', type: 'counter', help: 'mseg_alloc calls of one instance since the node started.' },
  memory: { name: 'beamscope_memory_bytes', type: 'gauge', help: 'erlang:memory() (or a crash dump\'s =memory) by kind, bytes.' },
  mailbox: { name: 'beamscope_largest_mailbox_messages', type: 'gauge', help: 'Messages queued in the process with the longest message queue.' },
  processes: { name: 'beamscope_processes', type: 'gauge', help: 'Processes on the node.' },
  processesLimit: { name: 'beamscope_processes_limit', type: 'gauge', help: 'The process limit (+P; when the input does not say: the VM default 262144, or the least table the live pids prove).' },
  ports: { name: 'beamscope_ports', type: 'gauge', help: 'Ports on the node (crash dumps).' },
  portsLimit: { name: 'beamscope_ports_limit', type: 'gauge', help: 'The port limit (crash dumps; the VM default 65536 when the dump does not say).' },
  atoms: { name: 'beamscope_atoms', type: 'gauge', help: 'Atoms in the atom table (crash dumps).' },
  atomsLimit: { name: 'beamscope_atoms_limit', type: 'gauge', help: 'The atom table limit (crash dumps).' },
  checkState: { name: 'beamscope_check_state', type: 'gauge', help: 'State of a beamscope check rule on a subject: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN (the plugin exit codes).' },
  checkValue: { name: 'beamscope_check_value', type: 'gauge', help: 'The value a beamscope check rule judged: a ratio 0-1 for usage and share-of-limit rules, messages for mailbox.' },
} as const satisfies Record<string, Family>;

const LIMIT_FAMILIES: Record<string, [Family, Family]> = {
  processes: [F.processes, F.processesLimit],
  ports: [F.ports, F.portsLimit],
  atoms: [F.atoms, F.atomsLimit],
};

const STATE_VALUE = { OK: 0, WARNING: 1, CRITICAL: 2, UNKNOWN: 3 } as const;

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** A label value as the exposition formats want it: well-formed, `\`, `"` and line feeds escaped. */
export function escapeLabelValue(v: string): string {
  return v.replace(LONE_SURROGATE, '\uFFFD').replace(/[\\"\n]/g, (c) => (c === '\n' ? '\\n' : `\\${c}`));
}

/** A number as both formats read it: NaN, +Inf, -Inf, else the shortest round-trip text. */
export function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

function escapeHelp(s: string): string {
  return s.replace(/[\\\n]/g, (c) => (c === '\n' ? '\\n' : '\\\\'));
}

export function renderOpenMetrics(nodes: NodeMetrics[], opts: OpenMetricsOptions = {}): string {
  const perInstance = opts.perInstance ?? true;
  const samples = new Map<Family, Array<{ labels: Labels; value: number }>>();
  const add = (f: Family, labels: Labels, value: number | undefined) => {
    if (value === undefined) return;
    let list = samples.get(f);
    if (!list) samples.set(f, (list = []));
    list.push({ labels, value });
  };
  for (const n of nodes) {
    const node = { node: n.node };
    add(F.up, node, n.up);
    add(F.collectSeconds, node, n.collectSeconds);
    const a = n.alloc;
    if (a) {
      const m = a.recon.memory;
      if (m.allocated > 0 || m.used > 0) {
        add(F.used, node, m.used);
        add(F.allocated, node, m.allocated);
        add(F.usage, node, m.usage);
      }
      for (const t of a.types) {
        const l = { ...node, allocator: t.type };
        add(F.carriers, { ...l, carrier: 'mbcs' }, t.mbcsCarriersBytes);
        add(F.carriers, { ...l, carrier: 'sbcs' }, t.sbcsCarriersBytes);
        add(F.carriers, { ...l, carrier: 'pool' }, t.poolCarriersBytes);
        add(F.blocks, { ...l, carrier: 'mbcs' }, t.mbcsBlocksBytes);
        add(F.blocks, { ...l, carrier: 'sbcs' }, t.sbcsBlocksBytes);
        add(F.blocks, { ...l, carrier: 'pool' }, t.poolBlocksBytes);
        add(F.peakCarriers, { ...l, carrier: 'mbcs' }, t.mbcsMaxCarriersBytes);
        add(F.peakCarriers, { ...l, carrier: 'sbcs' }, t.sbcsMaxCarriersBytes);
        add(F.peakBlocks, { ...l, carrier: 'mbcs' }, t.mbcsMaxBlocksBytes);
        add(F.peakBlocks, { ...l, carrier: 'sbcs' }, t.sbcsMaxBlocksBytes);
        add(F.typeUsage, l, t.usage);
        add(F.typePeakUsage, l, t.maxUsage);
      }
      if (perInstance) {
        for (const e of a.recon.fragmentation.current) {
          // `alloc_instance`, not `instance`: Prometheus gives every scraped series the target's
          // `instance` label, and would rename ours to `exported_instance`.
          const l = { ...node, allocator: e.allocator, alloc_instance: String(e.instance) };
          add(F.instCarriers, { ...l, carrier: 'mbcs' }, e.mbcs_carriers_size);
          add(F.instCarriers, { ...l, carrier: 'sbcs' }, e.sbcs_carriers_size);
          add(F.instBlocks, { ...l, carrier: 'mbcs' }, e.mbcs_block_size);
          add(F.instBlocks, { ...l, carrier: 'sbcs' }, e.sbcs_block_size);
        }
      }
      for (const c of a.recon.cache_hit_rates) {
        const l = { ...node, alloc_instance: String(c.instance) };
        add(F.msegHitRatio, l, c.hit_rate);
        add(F.msegHits, l, c.hits);
        add(F.msegCalls, l, c.calls);
      }
      for (const [kind, bytes] of Object.entries(a.model.erlangMemory ?? {})) add(F.memory, { ...node, kind }, bytes);
    }
    const fig = n.figures;
    if (fig) {
      add(F.mailbox, node, fig.largestMailbox?.messages);
      for (const l of fig.limits) {
        const fams = LIMIT_FAMILIES[l.id];
        if (!fams) continue;
        add(fams[0], node, l.count);
        add(fams[1], node, l.limit);
      }
    }
    for (const r of n.check ?? []) {
      for (const m of r.metrics) {
        // A series per rule and stable subject: the largest mailbox's pid and the worst mseg
        // instance change from scrape to scrape, and would start a new series each time.
        const l = { ...node, rule: m.rule, subject: m.rule === 'mailbox' || m.rule === 'mseg-hit-rate' ? 'node' : m.subject };
        add(F.checkState, l, STATE_VALUE[m.state]);
        add(F.checkValue, l, m.unit === '%' ? m.value / 100 : m.value);
      }
    }
  }
  const out: string[] = [];
  for (const f of Object.values(F) as Family[]) {
    const list = samples.get(f);
    if (!list) continue;
    out.push(`# HELP ${f.name} ${escapeHelp(f.help)}`, `# TYPE ${f.name} ${f.type}`);
    // One series per label set: a later duplicate (the same node given twice) is dropped, since
    // an exposition with two equal series is refused whole.
    const seen = new Set<string>();
    for (const s of list) {
      const labels = Object.entries(s.labels)
        .map(([k, v]) => `${k}="${escapeLabelValue(v)}"`)
        .join(',');
      if (seen.has(labels)) continue;
      seen.add(labels);
      out.push(`${f.name}${labels ? `{${labels}}` : ''} ${formatValue(s.value)}`);
    }
  }
  out.push('# EOF');
  return out.join('\n') + '\n';
}

/** The media type of the text above, for an HTTP response. */
export const OPENMETRICS_CONTENT_TYPE = 'application/openmetrics-text; version=1.0.0; charset=utf-8';
/** The same text offered as the 0.0.4 format to a client that does not ask for OpenMetrics. */
export const PROMETHEUS_TEXT_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';
