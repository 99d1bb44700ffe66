/**
 * Check rules `processes`, `ports` and `atoms`: a count as a share of its limit, as triage computes
 * them (one file: the three differ only in which limit they read).
 */
import { formatCount } from '../text/format.js';
import { type CheckRule, type Measurement, pct } from './metric.js';
import { defaultThresholds, ruleById } from './rules.js';

function limitRule(id: 'processes' | 'ports' | 'atoms', needs: string): CheckRule {
  return {
    id,
    title: ruleById(id)!.title,
    needs: [needs],
    thresholds: defaultThresholds(id),
    evaluate({ input, label }) {
      const out: Measurement[] = [];
        const u = input.dump!.limits.find((l) => l.id === id);
        if (!u || u.limit === undefined || !(u.limit > 0)) {
          return [{ notChecked: u?.limitSource === 'raised' ? `${formatCount(u.count)} ${id}, over the VM's default limit: the node ran with a higher one, which the input does not say` : `the input does not say the ${id} limit` }];
        }
        const share = (u.count / u.limit) * 100;
        out.push({ metric: {
          subject: id,
          label: label(id),
          value: share,
          perf: { value: u.count, uom: '', scale: u.limit / 100, min: 0, max: u.limit },
          text: `${id} ${formatCount(u.count)} of ${formatCount(u.limit)} (${pct(share)})${u.limitSource === 'default' ? ', limit assumed: the VM default' : u.limitSource === 'pids' ? ', limit: the least the pids prove' : ''}`,
          short: `${id} ${pct(share)} of limit`,
        } });
        return out;
    },
  };
}

export const processesRule = limitRule('processes', 'processes (a crash dump or a process snapshot)');
export const portsRule = limitRule('ports', 'ports and their limit (a crash dump)');
export const atomsRule = limitRule('atoms', 'atoms and the atom table limit (a crash dump)');
