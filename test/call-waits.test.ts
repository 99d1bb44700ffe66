/**
 * Processes waiting in calls (fixtures/call_waits.dump, made by a real VM: ledger and audit each
 * in a call to the other from their handle_call, 300 processes calling ledger, 150 waiting to
 * check out of pool, which keeps their From and never answers). Expected values come from the
 * `=proc` sections' text, read here with regular expressions: a process whose Program counter is
 * in gen:do_call/4 and whose Link list has one `{to,PID,REF}`, a monitor, waits for PID.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readDump } from '../src/dump/index.js';
import { readCallWaits } from '../src/dump/terms/call-waits.js';
import { triageDump } from '../src/usecases/triage.js';
import { callWaitFindings } from '../src/dump/analyze/call-waits.js';
import { FIXTURES } from './helpers/dumps.js';

const PATH = join(FIXTURES, 'call_waits.dump');

/** Who waits for whom, from the text. */
function waitsFromText(): { edges: Map<string, string>; names: Map<string, string>; queues: Map<string, number>; inCall: number } {
  const edges = new Map<string, string>();
  const names = new Map<string, string>();
  const queues = new Map<string, number>();
  let inCall = 0;
  for (const [, pid, body] of readFileSync(PATH, 'latin1').matchAll(/^=proc:(<[^>]+>)\n((?:[^=].*\n)*)/gm)) {
    const name = /^Name: (.*)$/m.exec(body)?.[1];
    if (name) names.set(name, pid);
    queues.set(pid, Number(/^Message queue length: (\d+)$/m.exec(body)![1]));
    if (!/^Program counter: .*\(gen:do_call\/4 /m.test(body)) continue;
    inCall++;
    const to = [...(/^Link list: (.*)$/m.exec(body)?.[1] ?? '').matchAll(/\{to,(<[^>]+>),/g)].map((m) => m[1]);
    if (to.length === 1) edges.set(pid, to[0]);
  }
  return { edges, names, queues, inCall };
}

/** n callers (pids from `from` on) waiting for `target`. */
const edges = (n: number, target: string, from = 0) => Array.from({ length: n }, (_, i) => ({ caller: `<0.${from + i}.1>`, target }));

describe('processes waiting in calls', () => {
  it('reads who waits for whom as the text says', async () => {
    const t = waitsFromText();
    const w = readCallWaits(await readDump(PATH, { cache: false }))!;
    expect(w).toMatchObject({ function: 'gen:do_call/4', waiting: t.inCall, read: t.inCall });
    expect(new Map(w.edges.map((e) => [e.caller, e.target]))).toEqual(t.edges);
    // The VM did what the workload meant: ledger and audit call each other, 450 more wait.
    const ledger = t.names.get('ledger')!;
    const audit = t.names.get('audit')!;
    expect(t.edges.get(ledger)).toBe(audit);
    expect(t.edges.get(audit)).toBe(ledger);
    expect(t.inCall).toBeGreaterThanOrEqual(452);
  });

  it('follows the processes waited for that wait themselves, from fewer callers read', async () => {
    const t = waitsFromText();
    const ledger = t.names.get('ledger')!;
    const audit = t.names.get('audit')!;
    const w = readCallWaits(await readDump(PATH, { cache: false }), 1)!;
    expect(w.waiting).toBe(t.inCall);
    expect(w.read).toBe(2);
    expect(new Map(w.edges.map((e) => [e.caller, e.target]))).toEqual(new Map([[ledger, audit], [audit, ledger]]));
  });

  it('triage: the deadlock, and the pool everyone waits for, each one finding', async () => {
    const t = waitsFromText();
    const ledger = t.names.get('ledger')!;
    const audit = t.names.get('audit')!;
    const pool = t.names.get('pool')!;
    const behind = [...t.edges].filter(([caller, target]) => (target === ledger || target === audit) && caller !== ledger && caller !== audit).length;
    const atPool = [...t.edges.values()].filter((target) => target === pool).length;
    expect(atPool).toBe(150);
    const r = triageDump(await readDump(PATH, { cache: false }));
    const dead = r.findings.filter((f) => f.id === 'process.call-deadlock');
    expect(dead).toHaveLength(1);
    expect(dead[0]).toMatchObject({ severity: 'critical', subject: { kind: 'process', id: ledger, name: 'ledger' }, metrics: { processes: 2, waiting: behind } });
    expect(dead[0].evidence).toContain(`${behind} other processes wait in gen:do_call/4 for them`);
    expect(dead[0].title).toBe(`${ledger} (ledger) and ${audit} (audit) wait in gen:do_call/4 for each other: a deadlock`);
    expect(dead[0].evidence).toContain(`${ledger} (ledger) calls ${audit} (audit); its queue: ${t.queues.get(ledger)!.toLocaleString('en-US')} messages`);
    const neck = r.findings.filter((f) => f.id === 'process.call-bottleneck');
    expect(neck).toHaveLength(1);
    expect(neck[0]).toMatchObject({ severity: 'warning', subject: { kind: 'process', id: pool, name: 'pool' }, metrics: { waiting: 150 } });
    expect(neck[0].title).toBe(`150 processes wait in a call (gen:do_call/4) for ${pool} (pool)`);
    // ledger's queue is a mailbox finding of its own; being in the deadlock, it gets no line about its callers.
    expect(r.findings.find((f) => f.id === 'mailbox.outlier' && f.subject?.id === ledger)?.evidence.join('\n')).not.toMatch(/wait in gen:do_call/);
  });

  it('when only the first callers were read: as many as their share of all callers in a call, or at least those read', () => {
    // A server 300,000 processes call (bench/shapes call_storm): the first 1,000 read all name it.
    const all = callWaitFindings({ function: 'gen:do_call/4', waiting: 300_001, read: 1000, edges: edges(1000, '<0.79.0>') }, () => undefined, new Set());
    expect(all.findings[0]).toMatchObject({ id: 'process.call-bottleneck', title: 'likely about 300,001 processes wait in a call (gen:do_call/4) for <0.79.0>' });
    expect(all.findings[0].evidence[0]).toBe("all 1,000 callers read (the first of the 300,001 processes in gen:do_call/4) name it in their calls' monitors");
    // A tenth of those read: no more is said than what was read.
    const some = callWaitFindings({ function: 'gen:do_call/4', waiting: 300_001, read: 1000, edges: [...edges(100, '<0.79.0>'), ...edges(900, '<0.80.0>', 100)] }, () => undefined, new Set(['<0.80.0>']));
    expect(some.findings.map((f) => f.title)).toEqual(['at least 100 processes wait in a call (gen:do_call/4) for <0.79.0>']);
    expect(some.mailboxEvidence.get('<0.80.0>')).toEqual(["likely about 270,001 processes wait in gen:do_call/4 for it: 900 of the 1,000 callers read (the first of the 300,001 processes in gen:do_call/4) name it in their calls' monitors"]);
  });

  it("when only the first callers were read, the process's monitors bound them: a caller monitors the process it calls", () => {
    const w = { function: 'gen:do_call/4', waiting: 300_001, read: 1000, edges: [...edges(100, '<0.79.0>'), ...edges(900, '<0.80.0>', 100)] };
    const monitors = new Map([['<0.79.0>', 5_000], ['<0.80.0>', 250_000]]);
    const r = callWaitFindings(w, () => undefined, new Set(['<0.80.0>']), (pid) => monitors.get(pid));
    // 900 of 1,000 read would be about 270,001, but only 250,000 monitor it.
    expect(r.mailboxEvidence.get('<0.80.0>')).toEqual([
      "likely about 250,000 processes wait in gen:do_call/4 for it: 900 of the 1,000 callers read (the first of the 300,001 processes in gen:do_call/4) name it in their calls' monitors",
      '250,000 processes monitor it, and a caller monitors the process it calls: no more wait for it',
    ]);
    // A tenth read: still at least those, with the bound beside it.
    expect(r.findings[0].title).toBe('at least 100 processes wait in a call (gen:do_call/4) for <0.79.0>');
    expect(r.findings[0].evidence[1]).toBe('5,000 processes monitor it, and a caller monitors the process it calls: no more wait for it');
    // Fewer monitors than callers read (not a count to trust), or none known: no bound.
    const few = callWaitFindings(w, () => undefined, new Set(['<0.80.0>']), (pid) => (pid === '<0.80.0>' ? 10 : Number.NaN));
    expect(few.mailboxEvidence.get('<0.80.0>')).toHaveLength(1);
    expect(few.mailboxEvidence.get('<0.80.0>')![0]).toMatch(/^likely about 270,001 /);
    expect(few.findings[0].evidence.some((e) => e.includes('monitor it'))).toBe(false);
    // All callers read: the count is exact, and needs no bound.
    const exact = callWaitFindings({ ...w, waiting: 1000 }, () => undefined, new Set(), (pid) => monitors.get(pid));
    expect(exact.findings.map((f) => f.title)).toEqual(['100 processes wait in a call (gen:do_call/4) for <0.79.0>', '900 processes wait in a call (gen:do_call/4) for <0.80.0>']);
    expect(exact.findings.flatMap((f) => f.evidence).some((e) => e.includes('monitor it'))).toBe(false);
  });

  it('no finding on dumps without calls waiting', async () => {
    for (const name of ['mailbox.dump', 'many.dump', 'timer_leak.dump']) {
      const r = triageDump(await readDump(join(FIXTURES, name), { cache: false }));
      expect(r.findings.filter((f) => f.id.startsWith('process.call-'))).toEqual([]);
    }
  });
});
