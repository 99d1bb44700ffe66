/**
 * `beamscope diff <dumpA> <dumpB>`: what grew between leak-a.dump and leak-b.dump, the same
 * workload made by fixtures/leak/make-leak.sh at two sizes. Expected values come from the
 * `*.planted.json` files of the generator.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readDump } from '../src/dump/index.js';
import { diffDumps, procLibInitialCalls, type DumpDiffReport } from '../src/leak/index.js';
import { CLI } from './helpers/cli.js';

const ROOT = join(import.meta.dirname, '..');
const A = join(ROOT, 'fixtures', 'leak', 'leak-a.dump');
const B = join(ROOT, 'fixtures', 'leak', 'leak-b.dump');
interface Planted { smallLeakers: { initialCall: string; count: number; bytes: number }; ets: { name: string; objects: number }; atomsAdded: number; queue: { messages: number } }
const pa = JSON.parse(readFileSync(`${A}.planted.json`, 'utf8')) as Planted;
const pb = JSON.parse(readFileSync(`${B}.planted.json`, 'utf8')) as Planted;

describe('diffDumps(leak-a, leak-b)', () => {
  let r: DumpDiffReport;
  beforeAll(async () => {
    r = diffDumps(await readDump(A), await readDump(B), { top: 10 });
  });

  it('process groups: the planted group grew by the planted count', () => {
    const g = r.groups.find((x) => x.key === pa.smallLeakers.initialCall);
    expect(g).toBeDefined();
    expect(g!.count.before).toBe(pa.smallLeakers.count);
    expect(g!.count.after).toBe(pb.smallLeakers.count);
    expect(g!.count.delta).toBe(pb.smallLeakers.count - pa.smallLeakers.count);
    expect(g!.memoryBytes.delta).toBeGreaterThan(0);
    // BinVHeap of the group grew by the planted stale bytes (to within 5%)
    const planted = pb.smallLeakers.bytes - pa.smallLeakers.bytes;
    expect(Math.abs(g!.binVHeapBytes.delta - planted)).toBeLessThanOrEqual(planted * 0.05);
    expect(r.groups[0].key).toBe(pa.smallLeakers.initialCall);
  });

  it('ETS, atoms, queues: the planted growth', () => {
    const e = r.ets.find((x) => x.name === pa.ets.name)!;
    expect(e.objects.before).toBe(pa.ets.objects);
    expect(e.objects.after).toBe(pb.ets.objects);
    expect(e.memoryBytes.delta).toBeGreaterThan(0);
    // the VM makes a few atoms of its own; at least the planted ones, and not many more
    expect(r.atoms.delta).toBeGreaterThanOrEqual(pb.atomsAdded - pa.atomsAdded);
    expect(r.atoms.delta).toBeLessThan((pb.atomsAdded - pa.atomsAdded) * 1.1);
    expect(r.processes.messageQueueLength.delta).toBe(pb.queue.messages - pa.queue.messages);
    expect(r.processes.count.delta).toBe(pb.smallLeakers.count - pa.smallLeakers.count);
  });

  it('memory by kind, binaries and allocator carriers', () => {
    const total = r.memory.find((m) => m.kind === 'total')!;
    expect(total.delta).toBeGreaterThan(0);
    expect(r.memory.map((m) => m.delta)).toEqual([...r.memory.map((m) => m.delta)].sort((x, y) => y - x));
    const bin = r.binaries.memoryBinaryBytes;
    const planted = pb.smallLeakers.bytes - pa.smallLeakers.bytes;
    expect(bin.delta).toBeGreaterThanOrEqual(planted * 0.95);
    const ba = r.allocators.find((x) => x.type === 'binary_alloc')!;
    expect(ba.blocksBytes.delta).toBeGreaterThan(0);
    expect(r.findings.map((f) => f.id)).toEqual(expect.arrayContaining(['diff.group-grew', 'diff.atoms-grew', 'diff.binary-grew']));
    expect(r.findings.every((f) => /^diff\./.test(f.id))).toBe(true);
  });

  it('the same dump against itself: nothing grew, no findings', async () => {
    const d = await readDump(A);
    const same = diffDumps(d, d);
    expect(same.findings).toHaveLength(0);
    expect(same.memory.every((m) => m.delta === 0)).toBe(true);
    expect(same.groups).toHaveLength(0);
    expect(same.ets).toHaveLength(0);
  });
});

describe('proc_lib processes grouped by their real initial call', () => {
  it('mailbox.dump: the planted gen_server workers and proc_lib loops (beamscope_fixture.erl)', async () => {
    const d = await readDump(join(ROOT, 'fixtures', 'mailbox.dump'));
    const ic = procLibInitialCalls(d);
    expect(ic.note).toBeUndefined();
    const count = (call: string) => [...ic.calls.values()].filter((c) => c === call).length;
    expect(count('beamscope_fixture:init/1')).toBe(1000); // ?WORKERS
    expect(count('beamscope_fixture:proc_lib_loop/0')).toBe(495); // ?PROC_LIB
    const r = diffDumps(d, d, { initialCalls: { a: ic.calls, b: ic.calls } });
    expect(r.groups).toHaveLength(0);
    // over the limit: nothing resolved, and a note says so
    const none = procLibInitialCalls(d, 10);
    expect(none.calls.size).toBe(0);
    expect(none.note).toMatch(/more than 10/);
  });
});

describe.skipIf(!existsSync(CLI))('beamscope diff (built CLI)', () => {
  const run = (args: string[]) => {
    const r = spawnSync(process.execPath, [CLI, ...args], { maxBuffer: 64 << 20, env: { ...process.env, NO_COLOR: '1' } });
    return { code: r.status ?? -1, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
  };

  it('dumps given in the wrong order: a note says so, from the times in their headers', async () => {
    const back = diffDumps(await readDump(B), await readDump(A), { top: 3 });
    expect(back.notes).toContain('dump B was written before dump A (Sat Nov 28 01:52:56 2026 < Sat Nov 28 01:52:57 2026): growth reads as shrinking; swap them');
    const forward = diffDumps(await readDump(A), await readDump(B), { top: 3 });
    expect(forward.notes.some((n) => n.startsWith('dump B was written before'))).toBe(false);
  });

  it('text and JSON', () => {
    const t = run(['diff', A, B, '--top', '5']);
    expect(t.code, t.stderr).toBe(0);
    expect(t.stdout).toMatch(/^beamscope diff: /);
    expect(t.stdout).toContain('Memory by kind');
    expect(t.stdout).toContain(pa.smallLeakers.initialCall);
    const j = run(['diff', A, B, '--format', 'json']);
    expect(j.code, j.stderr).toBe(0);
    const out = JSON.parse(j.stdout);
    expect(out.kind).toBe('diff');
    expect(Object.keys(out)).toEqual(expect.arrayContaining(['memory', 'processes', 'groups', 'ets', 'binaries', 'atoms', 'allocators', 'findings']));
  });

  it('exit codes: 1 for unreadable input (one line), 2 for usage', () => {
    const tmp = mkdtempSync(join(tmpdir(), 'beamscope-diff-'));
    const bad = join(tmp, 'x.txt');
    writeFileSync(bad, 'hello\n');
    const r1 = run(['diff', A, bad]);
    expect(r1.code).toBe(1);
    expect(r1.stderr.trim().split('\n')).toHaveLength(1);
    const r2 = run(['diff', A, join(tmp, 'missing.dump')]);
    expect(r2.code).toBe(1);
    expect(r2.stderr.trim().split('\n')).toHaveLength(1);
    expect(run(['diff', A]).code).toBe(2);
    expect(run(['diff', A, B, '--format', 'yaml']).code).toBe(2);
  });
});
