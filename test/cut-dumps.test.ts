/**
 * A dump cut by its writer's end (killed, ERL_CRASH_DUMP_SECONDS, a full disk) where a node died
 * with refc binaries queued: refc_mailbox.dump (the bench's class a made small by a real VM) cut at
 * two places found in its text, as a writer stopping there leaves it: inside log_writer's
 * =proc_messages (its heap not in the file), and between two =binary sections (half of them in
 * it). What the reports say is checked against the text: what was cut is said to be cut, never
 * taken for an empty heap, a binary of no known size, or binary memory no heap refers to.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { beamscope, expectOneLineError } from './helpers/cli.js';
import { FIXTURES } from './helpers/fixtures.js';

const text = readFileSync(FIXTURES.refcMailbox, 'latin1');
const dir = mkdtempSync(join(tmpdir(), 'beamscope-cut-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The file cut after `bytes` bytes of the fixture. */
function cutAt(name: string, bytes: number): string {
  const file = join(dir, name);
  writeFileSync(file, Buffer.from(text.slice(0, bytes), 'latin1'));
  return file;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a report's JSON, read by key in assertions
function json(args: string[]): any {
  const r = beamscope([...args, '--no-cache', '--format', 'json']);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout);
}

const writer = /^=proc:(<[^>]+>)\n(?:[^=\n][^\n]*\n)*?Name: log_writer\n/m.exec(text)![1];
const heapAt = text.indexOf(`\n=proc_heap:${writer}\n`) + 1;
const heap = text.slice(heapAt, text.indexOf('\n=', heapAt + 1));
/** log_writer's queued {log_line, I, Bin}: the tuples of its heap, and the Yc lines of their binaries. */
const tuples = heap.match(/^[0-9A-F]+:t3:A8:log_line,/gm)!.length;
const binaryLines = [...heap.matchAll(/^[0-9A-F]+:Yc([0-9A-F]+):[0-9A-F]+:([0-9A-F]+)$/gm)];
const binaryStarts = [...text.matchAll(/^=binary:/gm)].map((m) => m.index!);

describe('refc_mailbox.dump cut inside log_writer\'s =proc_messages (its heap not in the file)', () => {
  const at = text.indexOf(`\n=proc_messages:${writer}\n`) + 200;
  const file = cutAt('cut-messages.dump', at);

  it('triage: log_writer first, its message shapes said to be not in the dump; no binary finding made of the cut', () => {
    expect(heapAt).toBeGreaterThan(at);
    const r = json(['triage', file]);
    const top = r.mailboxOutliers[0];
    expect(top.name).toBe('log_writer');
    expect(top.messageShapes).toBeUndefined();
    expect(top.messageShapesMissing).toMatch(/^it stops after .*, without this process's heap$/);
    const finding = r.findings.find((f: { id: string; subject?: { id: string } }) => f.id === 'mailbox.outlier' && f.subject?.id === writer);
    expect(finding.evidence).toContainEqual(expect.stringMatching(/^message shapes: not in the dump \(it stops after/));
    expect(r.findings.map((f: { id: string }) => f.id)).not.toContain('memory.binary-not-in-heaps');
    const cut = r.findings.find((f: { id: string }) => f.id === 'dump.truncated');
    expect(cut.evidence).toContainEqual(expect.stringMatching(/^binaries read before the cut: 0 =binary sections, 0 B of =memory binary's /));
    const txt = beamscope(['triage', file, '--no-cache']).stdout;
    expect(txt).not.toMatch(/CDVIncompleteHeap/);
    expect(txt).toMatch(/message shapes: not in the dump \(it stops after/);
    // The HTML report says it by the outlier too.
    const page = join(dir, 'cut-messages.html');
    expect(beamscope(['report', file, '--no-cache', '-o', page]).code).toBe(0);
    const body = readFileSync(page, 'utf8');
    const attr = writer.replace('<', '&lt;').replace('>', '&gt;');
    expect(body).toMatch(new RegExp(`data-shapes-for="${attr}"><h3>[^<]*</h3>\\s*<p class="wrap">message shapes: not in the dump \\(it stops after`));
    expect(body).not.toMatch(/CDVIncompleteHeap/);
  });

  it('leak: the cut said first; no binary memory called held where the dump does not show it', () => {
    const r = json(['leak', file]);
    expect(r.findings[0].id).toBe('leak.dump-cut');
    expect(r.findings.map((f: { id: string }) => f.id)).not.toContain('leak.binary-not-in-dump');
    expect(r.truncation).toMatchObject({ binariesCut: true, bytesRead: at });
  });
});

describe('refc_mailbox.dump cut between two =binary sections (half of them in the file)', () => {
  const kept = binaryStarts.length >> 1;
  const at = binaryStarts[kept];
  const file = cutAt('cut-binaries.dump', at);
  const present = new Set([...text.slice(0, at).matchAll(/^=binary:([0-9A-F]+)$/gm)].map((m) => m[1]));
  const missing = binaryLines.filter((m) => !present.has(m[1]));

  it('triage: log_writer\'s shapes give every binary the size its heap line says, in the file or not', () => {
    // The cut leaves some of the queue's binaries out, and some in: the test is about both.
    expect(missing.length).toBeGreaterThan(0);
    expect(missing.length).toBeLessThan(binaryLines.length);
    const sizes = new Set(binaryLines.map((m) => parseInt(m[2], 16)));
    expect(sizes.size).toBe(1);
    const r = json(['triage', file]);
    const top = r.mailboxOutliers[0];
    expect(top.name).toBe('log_writer');
    expect(top.messageShapes).toEqual([expect.objectContaining({ shape: `{log_line, integer, binary(${[...sizes][0]})}`, count: tuples })]);
    expect(r.findings.map((f: { id: string }) => f.id)).not.toContain('memory.binary-not-in-heaps');
    const sectionBytes = [...text.slice(0, at).matchAll(/^=binary:[0-9A-F]+\n([0-9A-F]+):/gm)].reduce((n, m) => n + parseInt(m[1], 16), 0);
    expect(r.counts.binaries).toBe(kept);
    expect(r.memory.binarySectionsBytes).toBe(sectionBytes);
    const cut = r.findings.find((f: { id: string }) => f.id === 'dump.truncated');
    expect(cut.evidence).toContainEqual(expect.stringMatching(new RegExp(`^binaries read before the cut: ${kept.toLocaleString('en-US')} =binary sections, `)));
  });

  it('leak: the cut said first; the stale estimates are those of the whole dump, the sizes of binaries cut off taken from their Yc lines', () => {
    const whole = json(['leak', FIXTURES.refcMailbox, '--top', '50']);
    const r = json(['leak', file, '--top', '50']);
    expect(r.findings[0].id).toBe('leak.dump-cut');
    expect(r.truncation).toMatchObject({ binariesCut: true, reachUnknown: 0 });
    const stale = (j: typeof r) => j.staleEstimates.map((s: { pid: string; staleBytes: number; flagged: boolean }) => [s.pid, s.staleBytes, s.flagged]);
    expect(stale(r)).toEqual(stale(whole));
    // log_shipper, which holds stale references to what it sent, is named in both.
    expect(r.findings.find((f: { id: string }) => f.id === 'leak.stale-binaries').title).toMatch(/\(log_shipper\) holds/);
  });

  it('proc log_writer: the cut said first among the warnings; every queued message with its shape', () => {
    const r = json(['proc', file, 'log_writer']);
    expect(r.warnings[0]).toMatch(/^the dump is cut after .*, in =binary:[0-9A-F]+: what comes after that point \(binaries after the point where it stops, the atom table\) is not in it$/);
    expect(r.messageShapes).toEqual([expect.objectContaining({ count: tuples })]);
  });

  it('proc log_writer: the binaries it holds that are cut off are sized from its Yc lines, said to be cut, not 0 B', () => {
    const r = json(['proc', file, 'log_writer', '--top', '2000']);
    const sizeOf = (lines: RegExpMatchArray[]) => {
      const by = new Map(lines.map((m) => [m[1], parseInt(m[2], 16)]));
      return [...by.values()].reduce((n, x) => n + x, 0);
    };
    const whole = json(['proc', FIXTURES.refcMailbox, 'log_writer']);
    expect(r.binaries.count).toBe(whole.binaries.count);
    expect(r.binaries.totalBytes).toBe(whole.binaries.totalBytes);
    expect(r.binaries.totalBytes).toBe(sizeOf(binaryLines));
    expect(r.binaries.notInDumpBytes).toBe(sizeOf(missing));
    expect(r.binaries.exclusiveBytes + r.binaries.sharedBytes + r.binaries.notInDumpBytes).toBe(r.binaries.totalBytes);
    const cutOff = new Set(missing.map((m) => m[1]));
    for (const h of r.binaries.held) expect(h.notInDump === true, h.address).toBe(cutOff.has(h.address));
    expect(whole.binaries.notInDumpBytes).toBeUndefined();
  });
});

describe('refc_mailbox.dump cut inside log_writer\'s heap', () => {
  // After the first tenth of its tuples: the rest of its messages are not in the file.
  const tenth = [...heap.matchAll(/^[0-9A-F]+:t3:A8:log_line,/gm)][Math.floor(tuples / 10)].index!;
  const file = cutAt('cut-heap.dump', heapAt + tenth);

  it('proc: the messages past the cut have the shape "(not in the dump)", the cut said in this process\'s heap', () => {
    const r = json(['proc', file, 'log_writer']);
    expect(r.warnings[0]).toMatch(/^the dump is cut after .*, in this process's =proc_heap section: what comes after that point is not in it$/);
    const shapes = new Map<string, number>(r.messageShapes.map((s: { shape: string; count: number }) => [s.shape, s.count]));
    expect(shapes.get('(not in the dump)')).toBeGreaterThan(0);
    expect([...shapes.values()].reduce((a, b) => a + b, 0)).toBe(tuples);
  });

  it('leak: its stale estimate is an upper bound, never flagged', () => {
    const r = json(['leak', file, '--top', '50']);
    const w = r.staleEstimates.find((s: { pid: string }) => s.pid === writer);
    if (w) expect(w).toMatchObject({ reachableKnown: false, flagged: false });
    expect(r.truncation.reachUnknown).toBeGreaterThanOrEqual(1);
  });
});

describe('truncated.dump: a real VM\'s writer stopped by ERL_CRASH_DUMP_BYTES inside its =proc sections', () => {
  const cutText = readFileSync(FIXTURES.truncated, 'latin1');
  const procs = (cutText.match(/^=proc:/gm) ?? []).length;

  it('triage: the counts of sections past the cut are lower bounds or not known, never 0 of a limit', () => {
    expect(cutText).toMatch(/\n=abort:CRASH DUMP SIZE LIMIT REACHED\n?$/);
    const r = json(['triage', FIXTURES.truncated]);
    const limit = (id: string) => r.limits.find((u: { id: string }) => u.id === id);
    // The last =proc section is cut in its middle, and counted.
    expect(limit('processes')).toMatchObject({ count: procs, cut: 'at least' });
    for (const id of ['ports', 'ets', 'timers']) {
      expect(cutText).not.toMatch(new RegExp(`^=${id === 'ets' ? 'ets' : id === 'ports' ? 'port' : 'timer'}:`, 'm'));
      expect(limit(id).cut).toBe('not in the file');
      expect(limit(id).share).toBeUndefined();
    }
    const txt = beamscope(['triage', FIXTURES.truncated, '--no-cache']).stdout;
    expect(txt).toMatch(new RegExp(`\\n  processes +at least ${procs.toLocaleString('en-US')} +262,144 \\(default\\) +at least `));
    expect(txt).toMatch(/\n {2}ports +not in the file +65,536 \(default\) +-\n/);
  });

  it('proc of a process it does not have: the one line says the dump is cut before the end of its processes', () => {
    const pids = new Set([...cutText.matchAll(/^=proc:(<[^>]+>)$/gm)].map((m) => m[1]));
    const absent = '<0.9999.0>';
    expect(pids.has(absent)).toBe(false);
    const r = beamscope(['proc', FIXTURES.truncated, absent, '--no-cache']);
    expect(r.code).toBe(1);
    expectOneLineError(r.stderr, /^beamscope: no process <0\.9999\.0> in .*truncated\.dump \(the dump is cut after .*, before the end of its processes\)$/);
    // A whole dump says only that it has none.
    expectOneLineError(beamscope(['proc', FIXTURES.oom, absent, '--no-cache']).stderr, /^beamscope: no process <0\.9999\.0> in .*oom\.dump$/);
  });

  it('triage: the processes =memory counts and the dump does not have are said to be past the cut', () => {
    const r = json(['triage', FIXTURES.truncated]);
    const dominant = r.findings.find((f: { id: string }) => f.id === 'memory.dominant-kind');
    expect(dominant.explanation).toMatch(/^=memory says processes use .*, but the processes the dump has before its cut sum to .*: the others are past the cut/);
    const group = r.findings.find((f: { id: string }) => f.id === 'process.dominant-group');
    expect(group.title).toMatch(new RegExp(`of the ${procs.toLocaleString('en-US')} processes before the dump's cut\\)$`));
  });
});

describe('alloc on refc_mailbox.dump cut', () => {
  const allocators = [...text.matchAll(/^=allocator:(\S+)$/gm)];

  it('inside its =allocator sections: the cut said first, no verdict on the node from some of its allocators', () => {
    const k = allocators.length >> 1;
    const at = allocators[k].index! + 40;
    const file = cutAt('cut-allocators.dump', at);
    const r = json(['alloc', file]);
    expect(r.findings[0].id).toBe('alloc.dump-cut');
    expect(r.findings.map((f: { id: string }) => f.id)).not.toContain('alloc.not-fragmented');
    expect(r.model.cut).toEqual({ bytesRead: at, lastSection: `allocator:${allocators[k][1]}` });
    const instances = r.model.allocators.length;
    expect(instances).toBeGreaterThan(0);
    expect(instances).toBeLessThanOrEqual(k + 1);
  });

  it('after them (in its =binary sections): the allocators are whole, the findings those of the whole dump', () => {
    const at = binaryStarts[binaryStarts.length >> 1];
    const r = json(['alloc', cutAt('cut-binaries-alloc.dump', at)]);
    expect(r.model.cut).toBeUndefined();
    expect(r.findings).toEqual(json(['alloc', FIXTURES.refcMailbox]).findings);
  });
});

describe('diff from a dump A cut before its processes and ETS tables end', () => {
  it('says nothing grew of the kinds past A\'s cut (its counts there are the cut\'s), and why', () => {
    const cutText = readFileSync(FIXTURES.truncated, 'latin1');
    expect(cutText).not.toMatch(/^=ets:/m);
    const r = json(['diff', FIXTURES.truncated, FIXTURES.mailbox]);
    const ids = r.findings.map((f: { id: string }) => f.id);
    expect(ids).not.toContain('diff.group-grew');
    expect(ids).not.toContain('diff.ets-grew');
    expect(r.notes).toContain('dump A is cut before the end of its =proc sections: no group of processes is said to have grown');
    expect(r.notes).toContain('dump A is cut before the end of its =ets sections: no ETS table is said to have grown');
    // The other way round, B's cut counts are lower bounds, and growth to them still holds.
    expect(json(['diff', FIXTURES.mailbox, FIXTURES.truncated]).notes.filter((n: string) => n.startsWith('dump A is cut'))).toEqual([]);
  });
});
