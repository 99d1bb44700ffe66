/**
 * Rule: unused carrier memory of an allocator type. A type with enough unused bytes and a low usage
 * gets one verdict: the unused memory is mostly in single-block carriers (alloc.sbcs-unused), it
 * is left over from a peak (alloc.logplex-pattern), or the carriers are mostly empty
 * (alloc.fragmented); each with advice that names the options in force.
 */
import type { Finding } from '../findings.js';
import { threshold, type Rule } from '../rules/rule.js';
import { formatBytes, formatCount, formatPercent } from '../text/format.js';
import { MiB } from '../text/units.js';
import { ALLOCATOR_FLAG } from './model.js';
import { type AllocatorFacts, opt, optionsInForce, type TypeSummary } from './summary.js';
import { ADDRESS_ORDER, DEFAULT_SBCT, THRESHOLDS, wasteSeverity } from './thresholds.js';

/**
 * What the rule says of a type: `sbcs-unused` when its unused memory is mostly in single-block
 * carriers (each block over sbct has one of its own; not the pool nor the multiblock carriers),
 * `waste` for the other two verdicts (fragmented, or the Logplex pattern), undefined when the type
 * is not judged (too few unused bytes, or usage not low). alloc.sbcs-heavy and alloc.not-fragmented
 * ask it, so that they never say the opposite of this rule.
 */
export function unusedVerdict(t: TypeSummary): 'sbcs-unused' | 'waste' | undefined {
  const T = THRESHOLDS;
  const blocksDrop = t.maxBlocksBytes > 0 ? t.blocksBytes / t.maxBlocksBytes : 1;
  const lowUsage = t.usage < T.fragmentedUsage || (t.usage <= T.logplexCurrentUsage && blocksDrop <= T.logplexBlocksDrop);
  if (t.unusedBytes < T.minUnusedBytes || !lowUsage) return undefined;
  const unusedSbcs = Math.max(0, t.sbcsCarriersBytes - t.sbcsBlocksBytes);
  const mostly = unusedSbcs >= t.unusedBytes / 2 && unusedSbcs >= t.poolCarriersBytes - t.poolBlocksBytes
    && unusedSbcs >= t.mbcsCarriersBytes - t.mbcsBlocksBytes;
  return mostly ? 'sbcs-unused' : 'waste';
}

/**
 * Unused carrier memory that is mostly in single-block carriers: blocks over the single-block
 * carrier threshold each get a carrier of their own, rounded up, and the setting that put them
 * there is sbct (a VM started with +MBsbct 4 had 3.6 GiB of carriers for 34 MiB of blocks). Smaller
 * multiblock carriers, the fix for fragmentation, would change nothing here.
 */
function sbcsCulpritFinding(t: TypeSummary, unusedSbcs: number, sbct: number, flag: string, total: number, opts: string, worstText: string[]): Finding {
  const lowSbct = Number.isFinite(sbct) && sbct < DEFAULT_SBCT;
  const share = total > 0 ? t.unusedBytes / total : 0;
  return {
    id: 'alloc.sbcs-unused',
    severity: wasteSeverity(t.unusedBytes, total) ?? 'info',
    title: `${t.type}: ${formatBytes(unusedSbcs)} unused in single-block carriers (${formatBytes(t.sbcsBlocksBytes)} of blocks in ${formatBytes(t.sbcsCarriersBytes)})` +
      (lowSbct ? `: sbct is ${formatBytes(sbct)}` : ''),
    explanation:
      `Of ${formatBytes(t.unusedBytes)} of ${t.type} carrier memory not in use, ${formatPercent(unusedSbcs / Math.max(1, t.unusedBytes), 0)} is in single-block carriers: ` +
      `every block over the single-block carrier threshold (sbct${Number.isFinite(sbct) ? `, now ${formatBytes(sbct)}` : ''}) gets a carrier of its own, rounded up to whole pages or segments, and ${formatCount(t.sbcsBlocks)} blocks have one. ` +
      (lowSbct
        ? `Raise +M${flag}sbct back towards the default (${formatBytes(DEFAULT_SBCT)}), so that these blocks share multiblock carriers; keep +M${flag}lmbcs above the new sbct. Smaller multiblock carriers would not help: the memory is not in them.`
        : `If such large blocks are common, raise +M${flag}sbct and +M${flag}lmbcs so they fit in multiblock carriers (recon_alloc:sbcs_to_mbcs says how many would).`),
    evidence: [
      `single-block carriers: ${formatCount(t.sbcsBlocks)} blocks, ${formatBytes(t.sbcsBlocksBytes)} in ${formatBytes(t.sbcsCarriersBytes)}`,
      `multiblock carriers: ${formatBytes(t.mbcsBlocksBytes)} in ${formatBytes(t.mbcsCarriersBytes)}; pool: ${formatBytes(t.poolBlocksBytes)} in ${formatBytes(t.poolCarriersBytes)}`,
      ...worstText,
      ...(opts ? [`options in force: ${opts}`] : []),
    ],
    subject: { kind: 'allocator', id: t.type },
    metrics: { unusedBytes: t.unusedBytes, unusedInSbcsBytes: unusedSbcs, sbcsCarriersBytes: t.sbcsCarriersBytes, sbcsBlocksBytes: t.sbcsBlocksBytes, sbcsBlocks: t.sbcsBlocks, ...(Number.isFinite(sbct) ? { sbctBytes: sbct } : {}), shareOfAllocated: share },
  };
}

export const unusedCarriersRule: Rule<AllocatorFacts> = {
  id: 'alloc.unused-carriers',
  title: 'unused carrier memory of an allocator type: in single-block carriers, left over from a peak, or fragmented',
  gives: ['alloc.sbcs-unused', 'alloc.logplex-pattern', 'alloc.fragmented'],
  needs: ['allocator types (current and max-ever carriers and blocks)', 'allocator options in force'],
  thresholds: {
    fragmentedUsage: threshold(THRESHOLDS.fragmentedUsage, 'ratio', 'a type counts as fragmented below this mbcs+sbcs usage...'),
    minUnusedBytes: threshold(THRESHOLDS.minUnusedBytes, 'bytes', '...with at least this many unused carrier bytes'),
    logplexBlocksDrop: threshold(THRESHOLDS.logplexBlocksDrop, 'ratio', 'Logplex pattern: current blocks at most this share of the peak blocks,'),
    logplexCarriersKept: threshold(THRESHOLDS.logplexCarriersKept, 'ratio', 'while carriers stayed at least at this share of the peak carriers,'),
    logplexPeakUsage: threshold(THRESHOLDS.logplexPeakUsage, 'ratio', 'the peak usage was at least this,'),
    logplexCurrentUsage: threshold(THRESHOLDS.logplexCurrentUsage, 'ratio', 'and the current usage is at most this'),
  },
  evaluate(facts) {
    const out: Finding[] = [];
    const { model, types, instances, carriersBytes: total } = facts;
    const T = THRESHOLDS;
    for (const t of types) {
      const flag = ALLOCATOR_FLAG[t.type] ?? '?';
      const { text: opts, first } = optionsInForce(model, t.type, ['as', 'lmbcs', 'smbcs', 'mbcgs', 'sbct', 'acul']);
      const blocksDrop = t.maxBlocksBytes > 0 ? t.blocksBytes / t.maxBlocksBytes : 1;
      const carriersKept = t.maxCarriersBytes > 0 ? t.carriersBytes / t.maxCarriersBytes : 1;
      const worst = instances.filter((i) => i.allocator === t.type && i.carriersBytes > 0).slice(0, 3);
      const worstText = worst.map((i) => `${t.type}[${i.instance}]: ${formatBytes(i.blocksBytes)} of ${formatBytes(i.carriersBytes)} used (${formatPercent(i.usage)})`);
      const verdict = unusedVerdict(t);
      if (!verdict) continue;

      const as = String(opt(first, 'as') ?? '');
      const lmbcs = Number(opt(first, 'lmbcs'));
      const sbct = Number(opt(first, 'sbct'));
      // Where the unused memory is decides the culprit: when it is mostly in single-block carriers
      // (each block over sbct has one of its own), not the pool nor the multiblock carriers.
      const unusedSbcs = Math.max(0, t.sbcsCarriersBytes - t.sbcsBlocksBytes);
      if (verdict === 'sbcs-unused') {
        out.push(sbcsCulpritFinding(t, unusedSbcs, sbct, flag, total, opts, worstText));
        continue;
      }
      const advice: string[] = [];
      const addressOrder = ADDRESS_ORDER.has(as);
      const bigCarriers = Number.isFinite(lmbcs) && lmbcs > MiB;
      if (as && !addressOrder) advice.push(`switch to an address-order strategy (+M${flag}as aobf or aoffcaobf; now ${as}) so new blocks pack into the oldest carriers and the others can empty and be returned`);
      if (bigCarriers) advice.push(`use smaller multiblock carriers (+M${flag}lmbcs, now ${formatBytes(lmbcs)}; the Logplex fix went to 512 KiB) so a few live blocks pin less memory`);
      if (addressOrder && !bigCarriers) {
        // Never advise what is set already: say so, and what is left.
        const acul = opt(first, 'acul');
        const inForce = [`address-order strategy (${as})`, ...(Number.isFinite(lmbcs) ? [`multiblock carriers of ${formatBytes(lmbcs)}`] : [])];
        const left = [
          ...(acul === undefined || Number(acul) === 0 ? [`let nearly empty carriers migrate to the pool for other instances to fill (+M${flag}acul de, or 50; now ${acul === undefined ? 'not shown' : String(acul)})`] : []),
          ...(as === 'aobf' ? [`+M${flag}as aoffcbf (address order among carriers, best fit within one), which keeps new blocks out of the emptiest carriers`] : []),
          `fewer instances (+M${flag}t false), so that remnants of all schedulers share carriers`,
        ];
        const small = total > 0 && t.unusedBytes / total < 0.1;
        advice.push(`the usual fixes are in force (${inForce.join(', ')}); what is left: ${left.join('; ')}${small ? `; or nothing: the unused ${formatBytes(t.unusedBytes)} is under a tenth of the node's carriers` : ''}`);
      }
      if (t.poolCarriersBytes > 0 && opt(first, 'acul') !== undefined) advice.push(`carriers abandoned to the pool (acul=${String(opt(first, 'acul'))}) hold ${formatBytes(t.poolCarriersBytes)}`);

      const logplex =
        t.maxBlocksBytes > 0 &&
        blocksDrop <= T.logplexBlocksDrop &&
        carriersKept >= T.logplexCarriersKept &&
        t.maxUsage >= T.logplexPeakUsage &&
        t.usage <= T.logplexCurrentUsage;
      const metrics = {
        carriersBytes: t.carriersBytes,
        blocksBytes: t.blocksBytes,
        unusedBytes: t.unusedBytes,
        usage: t.usage,
        maxCarriersBytes: t.maxCarriersBytes,
        maxBlocksBytes: t.maxBlocksBytes,
        maxUsage: t.maxUsage,
        shareOfAllocated: total > 0 ? t.unusedBytes / total : 0,
        thresholdUsage: logplex ? T.logplexCurrentUsage : T.fragmentedUsage,
        thresholdUnusedBytes: T.minUnusedBytes,
      };
      const evidence = [
        `${t.type}: ${formatBytes(t.blocksBytes)} of blocks in ${formatBytes(t.carriersBytes)} of carriers (${formatPercent(t.usage)} used, ${formatBytes(t.unusedBytes)} unused) over ${t.instances} instances`,
        `peak (sum of per-instance max): ${formatBytes(t.maxBlocksBytes)} of blocks in ${formatBytes(t.maxCarriersBytes)} of carriers (${formatPercent(t.maxUsage)})`,
        ...worstText,
        ...(opts ? [`options in force: ${opts}`] : []),
      ];
      const severity = wasteSeverity(t.unusedBytes, total) ?? 'info';
      if (logplex) {
        out.push({
          id: 'alloc.logplex-pattern',
          // The pattern is worth a look at any size; how urgent it is follows the waste.
          severity: severity === 'info' ? 'warning' : severity,
          title: `${t.type}: carriers filled at a peak are kept alive by remnants (${formatPercent(t.usage)} used now, ${formatPercent(t.maxUsage)} at peak)`,
          explanation:
            `Blocks fell to ${formatPercent(blocksDrop, 0)} of their peak while carriers stayed at ${formatPercent(carriersKept, 0)}: ` +
            `a few long-lived blocks scattered over many carriers keep them from being returned to the OS (the pattern Heroku's Logplex hit). ` +
            (advice.length ? `What to try: ${advice.join('; ')}.` : ''),
          evidence,
          subject: { kind: 'allocator', id: t.type },
          metrics: { ...metrics, blocksShareOfPeak: blocksDrop, carriersShareOfPeak: carriersKept },
        });
      } else {
        out.push({
          id: 'alloc.fragmented',
          severity,
          title: `${t.type}: ${formatBytes(t.unusedBytes)} of carrier memory unused (${formatPercent(t.usage)} used)`,
          explanation:
            `Carriers of ${t.type} are mostly empty: memory the VM holds from the OS but does not use for data. ` +
            (t.maxUsage - t.usage > 0.2 ? `Usage was ${formatPercent(t.maxUsage)} at peak, so this is left over from a spike. ` : '') +
            (advice.length ? `What to try: ${advice.join('; ')}.` : ''),
          evidence,
          subject: { kind: 'allocator', id: t.type },
          metrics,
        });
      }
    }

    return out;
  },
};
