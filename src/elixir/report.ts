/**
 * Elixir renderings added to the reports of an Elixir node (`--syntax elixir`, or `auto` on a dump
 * detect.ts recognises): each name, group key, message shape and finding keeps its raw Erlang value
 * and gains an `elixir` field with the same thing as Elixir writes it, plus advice in Elixir's own
 * idioms where it has them. The text renderers print those fields; JSON carries both.
 */
import type { MessageShape, ProcessGroup, ProcessSummary, TriageReport } from '../dump/analyze/report-types.js';
import { timerShapeEvidence } from '../dump/analyze/triage.js';
import type { Term } from '../dump/terms/model.js';
import type { Finding } from '../findings.js';
import type { DumpLeakReport } from '../leak/types.js';
import { inspectTerm } from './inspect.js';
import { elixirCode, elixirExample, elixirShape, elixirText, unquoteAtom } from './names.js';
import { elixirGroupRole, elixirRole } from './suspects.js';

/** Names, group keys and texts of the reports in Elixir syntax, or as they are (Erlang). */
export type Syntax = 'elixir' | 'erlang';
export type SyntaxChoice = Syntax | 'auto';
export { elixirText };

/** A process summary's names in Elixir syntax, and its role among Elixir's usual suspects (suspects.ts). */
export function elixirSummary(p: ProcessSummary): NonNullable<ProcessSummary['elixir']> {
  const role = elixirRole(p);
  return {
    ...(role ? { role } : {}),
    ...(p.name !== undefined ? { name: elixirCode(p.name) } : {}),
    ...(p.initialCall !== undefined ? { initialCall: elixirCode(p.initialCall) } : {}),
    ...(p.currentFunction !== undefined ? { currentFunction: elixirCode(p.currentFunction) } : {}),
  };
}

/** A message shape row in Elixir syntax; the example from its term when there is one. */
export function elixirShapeRow(s: { shape: string; example: string; exampleTerm?: Term }, exampleWidth: number,
  isStruct?: (m: string) => boolean): NonNullable<MessageShape['elixir']> {
  return {
    shape: s.shape === '(other shapes)' ? s.shape : elixirShape(s.shape),
    example: s.exampleTerm ? inspectTerm(s.exampleTerm, { maxChars: exampleWidth, ...(isStruct ? { isStruct } : {}) }) : elixirText(s.example),
  };
}

export function elixirGroup(g: ProcessGroup): NonNullable<ProcessGroup['elixir']> {
  const role = elixirGroupRole(g);
  return { key: elixirText(g.key), ...(role ? { role } : {}) };
}

/** Adds the Elixir renderings to a triage report (in place) and returns it. */
export function addElixirToTriage(r: TriageReport, reason: string): TriageReport {
  r.syntax = { name: 'elixir', reason };
  const all = [...r.mailboxOutliers, ...r.topProcesses.byMemory, ...r.topProcesses.byBinary, ...r.topProcesses.byReductions];
  for (const p of all) p.elixir = elixirSummary(p);
  for (const o of r.mailboxOutliers) {
    for (const s of o.messageShapes ?? []) s.elixir ??= elixirShapeRow(s, 120);
  }
  for (const s of r.timers.sample?.shapes ?? []) s.elixir ??= elixirShapeRow(s, 120);
  for (const g of r.groups) g.elixir = elixirGroup(g);
  for (const f of r.findings) f.elixir = elixirFinding(f, r);
  return r;
}

const SHAPE_LINE = /^([\d,]+ x )(.*)$/;

function elixirFinding(f: Finding, r: TriageReport): NonNullable<Finding['elixir']> {
  // The timers' shapes and example, from the sample's Elixir renderings (the example from its term).
  const timers = new Map<string, string>();
  const t = f.id === 'timers.pending' ? r.timers.sample : undefined;
  if (t) {
    const erlang = timerShapeEvidence(t, (x) => x.shape, (x) => x.example);
    const elixir = timerShapeEvidence(t, (x) => x.elixir?.shape ?? elixirShape(x.shape), elixirExample);
    erlang.forEach((line, k) => timers.set(line, elixir[k]));
  }
  return {
    title: elixirText(f.title),
    evidence: f.evidence.map((e) => {
      const m = f.id === 'mailbox.outlier' ? SHAPE_LINE.exec(e) : null;
      return m ? `${m[1]}${elixirShape(m[2])}` : timers.get(e) ?? elixirText(e);
    }),
    advice: elixirAdvice(f, r),
  };
}

/**
 * Advice where Elixir has its own idiom. Data, not text decoration: the rules that pick it are here,
 * the renderers only print it.
 */
export function elixirAdvice(f: Finding, r: TriageReport): string[] {
  if (f.id === 'timers.pending') {
    return ['Process.send_after/3 and :erlang.start_timer/3 return a reference: keep it (in the state, by request) and '
      + 'Process.cancel_timer/1 it when the reply comes or the work is done; for periodic work, one timer re-armed in '
      + 'handle_info/2, not one per event. GenServer.call/3 timeouts do not use these timers.'];
  }
  if (f.id !== 'mailbox.outlier' || f.subject?.kind !== 'process') return [];
  const o = r.mailboxOutliers.find((x) => x.pid === f.subject!.id);
  if (!o) return [];
  const out: string[] = [];
  const name = o.name ? unquoteAtom(o.name) : '';
  const calls = [o.initialCall, o.currentFunction].join(' ');
  const shapes = (o.messageShapes ?? []).map((s) => s.shape).join(' ');
  if (name === 'Elixir.Logger' || /^Elixir\.Logger\./.test(name) || /'Elixir\.Logger/.test(calls)) {
    out.push('Logger: past :sync_threshold (default 20) queued messages every Logger call waits for the handler; past '
      + ':discard_threshold (default 500) new log events are dropped. A queue this long means a backend (console, file) '
      + 'cannot keep up: raise the level (Logger.configure(level: :warning)), silence chatty modules, or give the backend '
      + 'its own buffer; :discard_threshold can be lowered to shed load sooner.');
    return out;
  }
  // Elixir GenServers are proc_lib processes whose real initial call is Mod:init/1.
  const genServer = /gen_server|'Elixir\.GenServer'/.test(calls) || /:init\/1$/.test(o.initialCall ?? '') || /\$gen_call|\$gen_cast/.test(shapes);
  if (genServer) {
    out.push('GenServer: each GenServer.call/3 waits 5 s by default (:timeout), then the caller exits while its request '
      + 'stays queued here and is still handled later; callers that retry add more. Look for call timeouts in the logs, '
      + 'reply sooner (GenServer.reply/2 from a Task) or use cast for work nobody waits on.');
    out.push('A handle_info/2 without a catch-all clause (def handle_info(_msg, state), do: {:noreply, state}) crashes on '
      + 'unexpected messages, and a selective receive in a callback skips them: either way stray messages (monitor '
      + ':DOWN, timer, late call replies) pile up. Check the message shapes against the clauses.');
  }
  return out;
}

/** Adds the Elixir renderings to `leak <dump>`'s report (in place) and returns it. */
export function addElixirToDumpLeak(r: DumpLeakReport, reason: string): DumpLeakReport {
  r.syntax = { name: 'elixir', reason };
  const names = (p: { name: string | null; initialCall: string | null }) => ({
    ...(p.name !== null ? { name: elixirCode(p.name) } : {}),
    ...(p.initialCall !== null ? { initialCall: elixirCode(p.initialCall) } : {}),
  });
  for (const h of r.holders) h.elixir = names(h);
  for (const s of r.staleEstimates) s.elixir = names(s);
  for (const g of r.groups) g.elixir = { key: elixirText(g.key), ...(g.largest.name !== null ? { largestName: elixirCode(g.largest.name) } : {}) };
  for (const f of r.findings) f.elixir = { title: elixirText(f.title), evidence: f.evidence.map(elixirText), advice: [] };
  return r;
}

/** Which syntax a report uses: `auto` asks detect.ts. */
export function resolveSyntax(choice: SyntaxChoice, detected: () => { elixir: boolean; reason: string }): { syntax: Syntax; reason: string } {
  if (choice === 'elixir') return { syntax: 'elixir', reason: '--syntax elixir' };
  if (choice === 'erlang') return { syntax: 'erlang', reason: '--syntax erlang' };
  const d = detected();
  return { syntax: d.elixir ? 'elixir' : 'erlang', reason: d.reason };
}
