/**
 * `beamscope leak <before> <after>` as a library: recon bin_leak deltas and growth from process
 * snapshots made on a real node by fixtures/leak/make-leak.sh (process_info(P, binary) before and
 * after garbage_collect(P)). Expected values come from snapshots.planted.json.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { InputError } from '../src/errors.js';
import { compareSnapshots, openSnapshot, summarizeProcessRecord, type SnapshotLeakReport } from '../src/leak/index.js';

const LEAK = join(import.meta.dirname, '..', 'fixtures', 'leak');
const planted = JSON.parse(readFileSync(join(LEAK, 'snapshots.planted.json'), 'utf8')) as {
  gcLeakers: Array<{ name: string; freedRefs: number; freedBytes: number; keptRefs: number; keptBytes: number }>;
  growers: Array<{ name: string; refsAtT0: number; addedRefs: number; addedBytes: number }>;
  groupGrowers: { initialCall: string; count: number; addedRefs: number; addedBytes: number };
};
const tmp = mkdtempSync(join(tmpdir(), 'beamscope-leak-snap-'));

async function compare(before: string, after: string, top = 1000): Promise<SnapshotLeakReport> {
  const b = await openSnapshot(before);
  const a = await openSnapshot(after);
  return compareSnapshots(b, a, { top });
}

describe('bin_leak: before and after garbage_collect/1 on a real node', () => {
  it('deltas equal the planted counts exactly (JSONL before, JSON array after)', async () => {
    const r = await compare(join(LEAK, 'gc-before.jsonl'), join(LEAK, 'gc-after.json'));
    expect(r.before.format).toBe('jsonl');
    expect(r.after.format).toBe('json-array');
    expect(r.before.meta?.phase).toBe('before-gc');
    for (const p of planted.gcLeakers) {
      const d = r.deltas.find((x) => x.name === p.name);
      expect(d, p.name).toBeDefined();
      expect(d!.freedRefs).toBe(p.freedRefs);
      expect(d!.freedBytes).toBe(p.freedBytes);
      expect(d!.refsAfter).toBe(p.keptRefs);
      expect(d!.bytesAfter).toBe(p.keptBytes);
    }
    // largest first (by references, as recon sorts)
    const refs = r.deltas.map((d) => d.freedRefs);
    expect(refs).toEqual([...refs].sort((x, y) => y - x));
    expect(r.deltas[0].name).toBe([...planted.gcLeakers].sort((x, y) => y.freedRefs - x.freedRefs)[0].name);
    expect(r.onlyBefore).toBe(0);
    expect(r.onlyAfter).toBe(0);
    expect(r.findings.some((f) => f.id === 'leak.gc-freed' && f.subject?.name === 'gc_leak_400')).toBe(true);
  });

  it('the same from a JSON array before and JSONL after', async () => {
    const arr = join(tmp, 'before.json');
    const lines = readFileSync(join(LEAK, 'gc-before.jsonl'), 'utf8').trim().split('\n').slice(1); // no meta in arrays here
    writeFileSync(arr, `[${lines.join(',\n')}]`);
    const after = readFileSync(join(LEAK, 'gc-after.json'), 'utf8');
    const afterJsonl = join(tmp, 'after.jsonl');
    writeFileSync(afterJsonl, (JSON.parse(after) as unknown[]).map((x) => JSON.stringify(x)).join('\n'));
    const r = await compare(arr, afterJsonl);
    for (const p of planted.gcLeakers) {
      const d = r.deltas.find((x) => x.name === p.name)!;
      expect([d.freedRefs, d.freedBytes]).toEqual([p.freedRefs, p.freedBytes]);
    }
  });

  it('top bounds deltas[]', async () => {
    const r = await compare(join(LEAK, 'gc-before.jsonl'), join(LEAK, 'gc-after.json'), 2);
    expect(r.deltas).toHaveLength(2);
    expect(r.totals.freedRefs).toBeGreaterThanOrEqual(planted.gcLeakers.reduce((a, p) => a + p.freedRefs, 0));
  });
});

describe('growth between two snapshots', () => {
  it('per process and per initial call, equal to what was planted', async () => {
    const r = await compare(join(LEAK, 'growth-t0.jsonl'), join(LEAK, 'growth-t1.jsonl'));
    for (const p of planted.growers) {
      const g = r.growth.find((x) => x.name === p.name);
      expect(g, p.name).toBeDefined();
      expect(g!.growthRefs).toBe(p.addedRefs);
      expect(g!.growthBytes).toBe(p.addedBytes);
      expect(g!.refsBefore).toBe(p.refsAtT0);
    }
    const group = r.groups.find((x) => x.key === planted.groupGrowers.initialCall)!;
    // the named growers share the initial call with the group growers
    expect(group.growthRefs).toBe(planted.groupGrowers.addedRefs + planted.growers.reduce((a, p) => a + p.addedRefs, 0));
    expect(group.growthBytes).toBe(planted.groupGrowers.addedBytes + planted.growers.reduce((a, p) => a + p.addedBytes, 0));
    expect(group.countAfter).toBe(planted.groupGrowers.count + planted.growers.length);
    expect(r.groups[0].key).toBe(planted.groupGrowers.initialCall);
    expect(r.deltas).toHaveLength(0);
    const big = [...planted.growers].sort((x, y) => y.addedBytes - x.addedBytes)[0];
    expect(r.growth[0].name).toBe(big.name);
    expect(r.findings.some((f) => f.id === 'leak.binary-growth' && f.subject?.name === big.name)).toBe(true);
  });
});

describe('reading snapshots', () => {
  const write = (name: string, text: string) => {
    const p = join(tmp, name);
    writeFileSync(p, text);
    return p;
  };
  const drain = async (path: string) => {
    const s = await openSnapshot(path);
    const out = [];
    for await (const x of s) out.push(x);
    return { out, meta: s.meta };
  };

  it('accepts totals instead of reference lists, and id for address', async () => {
    const p = write('totals.jsonl', [
      '{"pid":"<0.1.0>","binaryRefs":3,"binaryBytes":300}',
      '{"pid":"<0.2.0>","name":"x","binary":[{"id":1,"size":10,"refc":2},{"id":2,"size":20,"refc":1}]}',
      '',
    ].join('\n'));
    const { out, meta } = await drain(p);
    expect(out.map((x) => [x.pid, x.refs, x.bytes])).toEqual([['<0.1.0>', 3, 300], ['<0.2.0>', 2, 30]]);
    expect(meta.processes).toBe(2);
  });

  it('names the file, record and field of a bad record', async () => {
    await expect(drain(write('bad1.jsonl', '{"pid":"<0.1.0>","binaryRefs":1}\n{"pid":"<0.2.0>","binary":[{"size":"big"}]}\n'))).rejects.toThrow(/bad1\.jsonl line 2: binary\[0\]\.size: expected a number/);
    await expect(drain(write('bad2.jsonl', '{"pid":"<0.1.0>","binaryRefs":1}\n{"pid":"<0.2.0>", nope}\n'))).rejects.toThrow(InputError);
    await expect(drain(write('bad3.json', '[{"pid":"<0.1.0>","binaryRefs":1}, {"name":"no pid","binaryRefs":1}]'))).rejects.toThrow(/element 2: pid: missing/);
    await expect(drain(write('bad4.jsonl', '{"pid":"<0.1.0>"}\n'))).rejects.toThrow(/neither binary nor binaryRefs/);
    await expect(drain(write('bad5.jsonl', '{"schema":"other/9"}\n{"pid":"<0.1.0>","binaryRefs":1}\n'))).rejects.toThrow(/schema: unsupported/);
    await expect(drain(write('empty.jsonl', '\n\n'))).rejects.toThrow(/empty file/);
    await expect(drain(write('meta-only.jsonl', '{"schema":"beamscope.procs/1"}\n'))).rejects.toThrow(/no process records/);
    await expect(drain(join(tmp, 'missing.jsonl'))).rejects.toThrow(/no such file/);
    await expect(drain(write('text.txt', 'hello\n'))).rejects.toThrow(/not a process snapshot/);
  });

  it('a line over 64 MiB is refused as it is read, and long lines across many chunks still parse', async () => {
    const long = `{"pid":"<0.1.0>","binaryRefs":1}\n{"pid":"<0.2.0>","binaryRefs":0,"name":"${'a'.repeat(65 << 20)}"}\n`;
    await expect(drain(write('long.jsonl', long))).rejects.toThrow(/long\.jsonl line 2: longer than 64 MiB, not a process record/);
    // 5 MiB records span several 1 MiB chunks
    const name = 'b'.repeat(5 << 20);
    const { out } = await drain(write('five.jsonl', `{"pid":"<0.1.0>","binaryRefs":1,"name":"${name}"}\n{"pid":"<0.2.0>","binaryRefs":2,"name":"${name}"}`));
    expect(out.map((x) => [x.pid, x.refs, x.name?.length])).toEqual([['<0.1.0>', 1, 5 << 20], ['<0.2.0>', 2, 5 << 20]]);
  });

  it('reads a stream (stdin) as JSON lines', async () => {
    const s = await openSnapshot('-', Readable.from(['{"pid":"<0.1.0>","binaryRefs":2,', '"binaryBytes":5}\n{"pid":"<0.2.0>","binaryRefs":0}\n']));
    const out = [];
    for await (const x of s) out.push(x);
    expect(out.map((x) => x.refs)).toEqual([2, 0]);
  });

  it('a pid reused by another process is not compared', async () => {
    const b = write('reuse-b.jsonl', '{"pid":"<0.5.0>","initialCall":"a:b/0","binaryRefs":10,"binaryBytes":1000}\n{"pid":"<0.6.0>","initialCall":"a:b/0","binaryRefs":4,"binaryBytes":400}\n');
    const a = write('reuse-a.jsonl', '{"pid":"<0.5.0>","initialCall":"c:d/1","binaryRefs":1,"binaryBytes":100}\n{"pid":"<0.6.0>","initialCall":"a:b/0","binaryRefs":1,"binaryBytes":100}\n');
    const r = await compare(b, a);
    expect(r.deltas.map((d) => [d.pid, d.freedRefs])).toEqual([['<0.6.0>', 3]]);
    expect([r.matched, r.onlyBefore, r.onlyAfter]).toEqual([1, 1, 1]);
    expect(r.growth.map((g) => [g.pid, g.isNew])).toEqual([['<0.5.0>', true]]);
    expect(r.notes.join(' ')).toMatch(/1 pids belong to different processes/);
  });

  it('compareSnapshots takes plain iterables of summaries too', async () => {
    const before = [{ pid: '<0.1.0>', refs: 5, bytes: 500 }, { pid: '<0.2.0>', refs: 1, bytes: 10 }];
    const after = [{ pid: '<0.1.0>', refs: 2, bytes: 200 }];
    const r = await compareSnapshots(before, after);
    expect(r.deltas.map((d) => [d.pid, d.freedRefs, d.freedBytes])).toEqual([['<0.1.0>', 3, 300]]);
    expect([r.before.processes, r.before.refs, r.after.processes, r.onlyBefore]).toEqual([2, 6, 1, 1]);
    expect(r.before.path).toBe('before');
  });

  it('summarizeProcessRecord: metadata has no pid', () => {
    expect(summarizeProcessRecord({ schema: 'beamscope.procs/1' }, 'x')).toBeUndefined();
    expect(() => summarizeProcessRecord([1], 'x')).toThrow(InputError);
  });
});
