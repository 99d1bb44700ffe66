import { describe, expect, it } from 'vitest';
import { DumpBuilder } from '../src/dump/builder.js';
import { processAt } from '../src/dump/process-table.js';
import { DumpScanner } from '../src/dump/scanner.js';

/**
 * The =proc parser guesses each line's key from the order the keys came in before. A guess must
 * never change what a line means: keys out of the usual order, a key that is the start of
 * another ("OldHeap" / "OldHeap unused"), and unknown keys that start like a known one.
 */
function read(body: string) {
  const b = new DumpBuilder(8);
  const s = new DumpScanner(b);
  s.feed(Buffer.from(`=erl_crash_dump:0.5\nSat Nov 28 10:00:00 2026\nSlogan: test\nSystem version: Erlang/OTP 25 [erts-13.1.5] [64-bit]\n${body}=end\n`, 'latin1'));
  s.finish();
  return b.result({ path: 'test', gzip: false, bytes: 0, seekable: false, threads: 1 });
}

describe('=proc keys in any order', () => {
  const usual = (pid: string, q: number) =>
    `=proc:${pid}\nState: Waiting\nSpawned as: a:b/0\nMessage queue length: ${q}\nReductions: 7\nStack+heap: 10\nOldHeap: 20\nHeap unused: 3\nOldHeap unused: 4\nMemory: 1000\n`;
  const text = [
    usual('<0.1.0>', 1),
    usual('<0.2.0>', 2),
    // Unknown keys that start with the key expected next: "State" first, "Spawned as" after it.
    `=proc:<0.3.0>\nStatefulness: high\nState: Exiting\nSpawned asx: nope\nSpawned as: c:d/1\nMessage queue length: 3\n`,
    // Known keys in another order: "OldHeap unused" where "OldHeap" is expected (after
    // "Stack+heap"), then "OldHeap" where "Heap unused" is.
    `=proc:<0.4.0>\nReductions: 9\nState: Running\nMessage queue length: 4\nStack+heap: 11\nOldHeap unused: 6\nOldHeap: 30\nMemory: 2000\n`,
    usual('<0.5.0>', 5),
  ].join('');
  const d = read(text);

  it('reads every value under its own key', () => {
    const p = d.processes;
    expect(p.count).toBe(5);
    const rows = Array.from({ length: p.count }, (_, i) => processAt(p, i));
    expect(rows.map((r) => r.messageQueueLength)).toEqual([1, 2, 3, 4, 5]);
    expect(rows.map((r) => r.state)).toEqual(['Waiting', 'Waiting', 'Exiting', 'Running', 'Waiting']);
    expect(rows.map((r) => r.spawnedAs)).toEqual(['a:b/0', 'a:b/0', 'c:d/1', undefined, 'a:b/0']);
    expect(rows[3]).toMatchObject({ reductions: 9, stackHeapBytes: 88, oldHeapBytes: 240, oldHeapUnusedBytes: 48, memoryBytes: 2000 });
    expect(Number.isNaN(rows[3].heapUnusedBytes)).toBe(true);
    expect(rows[4]).toMatchObject({ reductions: 7, stackHeapBytes: 80, oldHeapBytes: 160, heapUnusedBytes: 24, oldHeapUnusedBytes: 32 });
  });

  it('counts the unknown keys, guessed or not', () => {
    expect(d.unknown.keys).toEqual({ 'proc: Statefulness': 1, 'proc: Spawned asx': 1 });
  });
});
