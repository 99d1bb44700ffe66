import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Dump } from '../src/dump/index.js';
import { corpusDumps, fixtureDumps } from './helpers/dumps.js';
// The parallel reader starts its workers from the compiled files (`npm test` builds first): from
// the TypeScript sources it reads in one pass.
import { readDump } from '../dist/src/dump/index.js';
import { claimRange } from '../src/dump/read-range.js';
import { plainModel } from './helpers/model.js';

/** The model as plain data (the parallel read uses the compiled reader, the comparison the sources'). */
const model = (d: Dump): unknown => plainModel(d);

const all = [...fixtureDumps(), ...corpusDumps()];

describe.each(all.map((f) => [basename(f), f]))('%s', (_name, file) => {
  it('reads the same model in byte ranges on 3 threads as in one pass', async () => {
    const one = await readDump(file, { threads: 1 });
    expect(one.source.threads).toBe(1);
    // Small and odd range sizes put range boundaries everywhere: inside lines, tag lines, sections.
    for (const rangeBytes of [4093, 65521]) {
      const many = await readDump(file, { threads: 3, parallelMinBytes: 1, rangeBytes, bufferSize: 1024 });
      expect(many.source.threads, 'read in parallel').toBe(3);
      expect(model(many)).toEqual(model(one));
    }
    const tiny = await readDump(file, { threads: 2, parallelMinBytes: 1, rangeBytes: 211, bufferSize: 7 });
    expect(model(tiny)).toEqual(model(one));
  });
});

describe('workers started for a file that turns out not to be a dump', () => {
  it('are stopped, and the file is refused with the usual error', async () => {
    const png = join(mkdtempSync(join(tmpdir(), 'beamscope-par-')), 'x.png');
    writeFileSync(png, Buffer.concat([Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex'), Buffer.alloc(1 << 16)]));
    await expect(readDump(png, { threads: 3, parallelMinBytes: 1 })).rejects.toThrow(/not an Erlang crash dump/);
  });
});

describe('claimRange', () => {
  it('hands out every range once, in file order, and nothing after the last', () => {
    const counter = new Int32Array(new SharedArrayBuffer(8));
    const n = 37;
    const got: number[] = [];
    for (let k = claimRange(counter, n); k >= 0; k = claimRange(counter, n)) got.push(k);
    expect(got).toEqual(Array.from({ length: n }, (_, i) => i));
    expect(claimRange(counter, n)).toBe(-1);
    // Claims past the end do not move the counter on towards 2^31.
    expect(counter[0]).toBe(n);
  });

  it('has nothing to hand out for no ranges', () => {
    expect(claimRange(new Int32Array(new SharedArrayBuffer(8)), 0)).toBe(-1);
  });
});
