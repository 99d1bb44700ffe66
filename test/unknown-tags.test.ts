/**
 * Tags no VM writes, as a damaged or foreign file has them: a real dump (fixtures/oom.dump) with
 * unknown sections put before its `=end`. Counted by name up to 200 tags, the rest together, and
 * tags that are properties of every JavaScript object counted as plain keys, in one pass and in
 * parallel byte ranges alike.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readDump as readFromSources } from '../src/dump/index.js';
import { OTHER_TAGS, type Dump } from '../src/dump/types.js';
import { triage } from '../src/dump/analyze/triage.js';
// The parallel reader runs its workers from the compiled files (as in parallel-reader.test.ts).
import { readDump as readCompiled } from '../dist/src/dump/index.js';
import { FIXTURES } from './helpers/dumps.js';

const dir = mkdtempSync(join(tmpdir(), 'beamscope-unknown-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const ODD = ['constructor', '__proto__', 'toString', 'hasOwnProperty'];
const MANY = 300;

function withUnknownTags(): string {
  const text = readFileSync(join(FIXTURES, 'oom.dump'), 'latin1');
  const end = text.lastIndexOf('\n=end') + 1;
  const extra = [...ODD, ...Array.from({ length: MANY }, (_, i) => `future_tag_${i}`)].map((t) => `=${t}:x\nKey: value\n`).join('');
  const path = join(dir, 'unknown.dump');
  writeFileSync(path, text.slice(0, end) + extra + text.slice(end), 'latin1');
  return path;
}

function check(d: Dump): void {
  expect(Object.getPrototypeOf(d.unknown.tags)).toBe(Object.prototype);
  expect(Object.getPrototypeOf(d.sectionCounts)).toBe(Object.prototype);
  for (const t of ODD) {
    expect(Object.hasOwn(d.unknown.tags, t)).toBe(true);
    expect(d.unknown.tags[t]).toBe(1);
  }
  const named = Object.keys(d.unknown.tags).filter((k) => k !== OTHER_TAGS);
  expect(named).toHaveLength(200);
  expect(d.unknown.tags[OTHER_TAGS]).toBe(ODD.length + MANY - 200);
  expect(d.sectionCounts.proc).toBeGreaterThan(0);
  expect(d.truncation.truncated).toBe(false);
}

describe('unknown section tags', () => {
  it('200 counted by name, the rest together; names of object properties are plain keys', async () => {
    const d = await readFromSources(withUnknownTags(), { cache: false });
    check(d);
    const f = triage(d).findings.find((x) => x.id === 'dump.not-understood')!;
    expect(f.title).toBe('more than 200 unknown section tag(s) and 0 unknown key(s) were skipped');
    expect(f.evidence).toContain(`sections of other unknown tags: ${ODD.length + MANY - 200}`);
    expect(f.evidence.filter((e) => e.startsWith('='))).toHaveLength(20);
  });

  it('the same from parallel byte ranges', async () => {
    const d = await readCompiled(withUnknownTags(), { cache: false, threads: 2, parallelMinBytes: 0, rangeBytes: 64 << 10 });
    check(d as Dump);
  });
});
