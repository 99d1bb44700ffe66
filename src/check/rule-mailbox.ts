/**
 * Check rule `mailbox`: the largest message queue of any process.
 */
import { countOf } from '../text/format.js';
import type { CheckRule, Measurement } from './metric.js';
import { defaultThresholds, ruleById } from './rules.js';

export const mailboxRule: CheckRule = {
  id: 'mailbox',
  title: ruleById('mailbox')!.title,
  needs: ['processes (a crash dump or a process snapshot)'],
  thresholds: defaultThresholds('mailbox'),
  evaluate({ input, label }) {
    const out: Measurement[] = [];
    const mb = input.dump!.largestMailbox;
    if (!mb) {
      return [{ notChecked: input.kind === 'crash-dump' ? 'the dump lists no process' : 'no process record has messageQueueLen' }];
    }
    out.push({ metric: {
      subject: mb.pid,
      label: label('mailbox_max'),
      value: mb.messages,
      perf: { value: mb.messages, uom: '', scale: 1, min: 0 },
      text: `largest mailbox ${countOf(mb.messages, 'message')}: ${mb.pid}${mb.name ? ` (${mb.name})` : ''}`,
      short: `mailbox ${countOf(mb.messages, 'message')} (${mb.name ?? mb.pid})`,
    } });
    return out;
  },
};
