/**
 * A process dictionary used as a cache (fixtures/dict_cache.dump, made by a real VM: session_cache,
 * a gen_server with 12,000 `{session, N} => N` entries and proc_lib's two) read in bounded memory:
 * the first entries decoded, the shapes of more, all counted, proc_lib's keys found wherever the
 * hash order puts them. Expected values come from the `=proc_dictionary` and `=proc_heap` text,
 * read here with regular expressions.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readDump } from '../src/dump/index.js';
import { decodeProcess, printTerm, processIdentity, resolvePid } from '../src/dump/terms/index.js';
import { triage } from '../src/dump/analyze/triage.js';
import { triageDump } from '../src/usecases/triage.js';
import { FIXTURES } from './helpers/dumps.js';

const PATH = join(FIXTURES, 'dict_cache.dump');

/** The dictionary's keys in the order written, printed, from the text: `H<entry>` -> `t2:<key>,...`. */
function keysFromText(pid: string): string[] {
  const text = readFileSync(PATH, 'latin1');
  const section = (tag: string) => new RegExp(`^=${tag}:${pid.replace(/[.<>]/g, '\\$&')}\\n((?:[^=].*\\n)*)`, 'm').exec(text)![1];
  const heap = new Map([...section('proc_heap').matchAll(/^(\w+):(.*)$/gm)].map((m) => [m[1], m[2]]));
  return section('proc_dictionary').split('\n').filter(Boolean).map((line) => {
    const entry = heap.get(line.slice(1))!;
    const atomKey = /^t2:A[0-9A-F]+:([^,]+),/.exec(entry);
    if (atomKey) return `'${atomKey[1]}'`;
    const n = /^t2:A7:session,I(\d+)$/.exec(heap.get(/^t2:H(\w+),/.exec(entry)![1])!)![1];
    return `{session,${n}}`;
  });
}

describe('a dictionary of thousands', () => {
  it('the first 1,000 entries decoded in order, all 12,002 counted, shapes of them all, proc_lib keys found', async () => {
    const dump = await readDump(PATH);
    const pid = resolvePid(dump, 'session_cache')!;
    const keys = keysFromText(pid);
    expect(keys).toHaveLength(12002);
    const d = decodeProcess(dump, pid);
    expect(d.dictionarySize).toBe(12002);
    expect(d.dictionary.map((e) => printTerm(e.key))).toEqual(keys.slice(0, 1000));
    expect(d.dictionarySampled).toBe(12002);
    expect(d.dictionaryShapes.map((r) => [r.shape, r.count])).toEqual(expect.arrayContaining([
      ['{{session, integer}, integer}', 12000], ["{'$ancestors', [pid]}", 1], ["{'$initial_call', {beamscope_fixture, atom, integer}}", 1],
    ]));
    expect(d.dictionaryShapes).toHaveLength(3);
    expect(d.initialCall).toBe('beamscope_fixture:init/1');
    expect(d.ancestors).toEqual(['<0.9.0>']);
  });

  it('past the shapes, proc_lib keys are still found from their heap lines (bounds of 10 and 100)', async () => {
    const dump = await readDump(PATH);
    const pid = resolvePid(dump, 'session_cache')!;
    const keys = keysFromText(pid);
    const at = (k: string) => keys.indexOf(k);
    const d = decodeProcess(dump, pid, { dictionaryLimits: { entries: 10, shapes: 100 } });
    expect(d.dictionary.map((e) => printTerm(e.key))).toEqual(keys.slice(0, 10));
    expect(d.dictionarySize).toBe(12002);
    expect(d.dictionarySampled).toBe(100);
    expect(d.dictionaryShapes.reduce((a, r) => a + r.count, 0)).toBe(100);
    // Wherever the hash order put them (most likely past the first 100 of 12,002).
    expect([at("'$initial_call'"), at("'$ancestors'")].every((i) => i >= 0)).toBe(true);
    expect(d.initialCall).toBe('beamscope_fixture:init/1');
    expect(d.ancestors).toEqual(['<0.9.0>']);
  });
});

describe('triage and a large dictionary', () => {
  it('counts the entries of a large dictionary among the processes with the most memory', async () => {
    const dump = await readDump(PATH);
    const pid = resolvePid(dump, 'session_cache')!;
    const r = triageDump(dump);
    const s = r.topProcesses.byMemory.find((x) => x.pid === pid)!;
    expect(s.dictionaryEntries).toBe(keysFromText(pid).length);
    // Small dictionaries are not counted (a normal process has a few entries).
    expect(r.topProcesses.byMemory.filter((x) => x.pid !== pid).every((x) => x.dictionaryEntries === undefined)).toBe(true);
  });

  it('the memory outlier with 10,000 entries or more says it is a cache in the dictionary (the rule, given the count)', async () => {
    // oom.dump's heap_grower is the memory outlier; the count is what triageDump would give.
    const dump = await readDump(join(FIXTURES, 'oom.dump'));
    const pid = resolvePid(dump, 'heap_grower')!;
    const finding = (entries: number) => triage(dump, { details: new Map([[pid, { dictionaryEntries: entries }]]) }).findings.find((f) => f.id === 'process.memory-outlier')!;
    expect(finding(250_000).explanation).toMatch(/its process dictionary has 250,000 entries: a cache or registry kept with put\/2/);
    expect(finding(250_000).evidence).toContain('process dictionary: 250,000 entries');
    expect(finding(9_999).explanation).toMatch(/^One process holds a large share of the memory in its heap: a large state/);
  });
});

describe('proc_lib identities of a large dictionary, searched for in the heap text', () => {
  it('the search finds what the tail read finds, on every process of dict_cache.dump and mailbox.dump', async () => {
    for (const name of ['dict_cache.dump', 'mailbox.dump']) {
      const dump = await readDump(join(FIXTURES, name));
      let named = 0;
      for (const { id: pid } of dump.index.find('proc')) {
        const read = processIdentity(dump, pid, { searchDictionaryBytes: Infinity });
        expect(processIdentity(dump, pid, { searchDictionaryBytes: 0 }), `${name} ${pid}`).toEqual(read);
        if (read.ancestors.length > 0) named++;
      }
      expect(named, name).toBeGreaterThan(10);
    }
  });
});
