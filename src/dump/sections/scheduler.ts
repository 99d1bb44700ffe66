import { KeyMatcher, parseDecimal, text } from '../bytes.js';
import type { LineHandler } from '../scanner.js';
import type { RunQueueRecord, SchedulerRecord } from '../types.js';
import { kvHandler, type ParseContext } from './context.js';
import { functionOf } from './proc.js';

const KEYS = [
  'Scheduler Sleep Info Flags', 'Scheduler Sleep Info Aux Work', 'Current Port', 'Run Queue Max Length',
  'Run Queue High Length', 'Run Queue Normal Length', 'Run Queue Low Length', 'Run Queue Port Length',
  'Run Queue Flags', 'Current Process', 'Current Process State', 'Current Process Internal State',
  'Current Process Program counter', 'Current Process CP', 'Current Process Limited Stack Trace',
] as const;
const matcher = new KeyMatcher(KEYS);
const enum K { Sleep, Aux, Port, RqMax, RqHigh, RqNormal, RqLow, RqPort, RqFlags, Proc, ProcState, ProcInt, ProcPc, ProcCp, Stack }
const STACK_LINES_KEPT = 12;

/** `=scheduler:N` and the dirty ones; `=dirty_*_run_queue` use the same keys. */
export function schedulerHandler(type: SchedulerRecord['type'], id: number, out: SchedulerRecord[], ctx: ParseContext): LineHandler {
  const s: SchedulerRecord = { type, id, runQueueProcesses: 0, runQueuePorts: 0, currentProcessStack: [], crashed: false };
  out.push(s);
  return kvHandler('scheduler', matcher, ctx, (k, buf, v, end) => {
    const n = () => parseDecimal(buf, v, end) || 0;
    switch (k) {
      case K.Sleep: s.sleepFlags = text(buf, v, end); break;
      case K.Aux: s.sleepAuxWork = text(buf, v, end); break;
      case K.Port: if (end > v) s.currentPort = text(buf, v, end); break;
      case K.RqMax: case K.RqHigh: case K.RqNormal: case K.RqLow: s.runQueueProcesses += n(); break;
      case K.RqPort: s.runQueuePorts = n(); break;
      case K.RqFlags: s.runQueueFlags = text(buf, v, end); break;
      case K.Proc: if (end > v) s.currentProcess = text(buf, v, end); break;
      case K.ProcState: s.currentProcessState = text(buf, v, end); break;
      case K.ProcPc: s.currentProcessStack.push(functionOf(text(buf, v, end))); break;
      default: break;
    }
  }, (buf, start, end) => {
    const line = text(buf, start, end);
    if (/crashed/.test(line)) s.crashed = true;
    else if (s.currentProcessStack.length < STACK_LINES_KEPT) {
      const m = /\(([^()]+)\)\s*$/.exec(line);
      s.currentProcessStack.push(m ? m[1] : line);
    }
  });
}

export function runQueueHandler(type: RunQueueRecord['type'], out: RunQueueRecord[], ctx: ParseContext): LineHandler {
  const r: RunQueueRecord = { type, processes: 0 };
  out.push(r);
  return kvHandler('run_queue', matcher, ctx, (k, buf, v, end) => {
    if (k >= K.RqMax && k <= K.RqLow) r.processes += parseDecimal(buf, v, end) || 0;
    else if (k === K.RqFlags) r.flags = text(buf, v, end);
  });
}
