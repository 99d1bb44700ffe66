import { basename } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readDump } from '../src/dump/reader.js';
import { corpusDumps, fixtureDumps } from './helpers/dumps.js';

describe.each([...fixtureDumps(), ...corpusDumps()].map((f) => [basename(f), f]))('%s', (_name, file) => {
  it("want 'allocators' reads the same header, memory and allocators as a whole read, and stops before the processes", async () => {
    const all = await readDump(file, { threads: 1 });
    const early = await readDump(file, { want: 'allocators', bufferSize: 4093 });
    expect(early.source.read).toBe('allocators');
    expect(early.header).toEqual(all.header);
    expect(early.memory).toEqual(all.memory);
    expect(early.allocators).toEqual(all.allocators);
    expect(early.allocatedAreas).toEqual(all.allocatedAreas);
    // The file's own end decides: a cut dump is as truncated as a whole read says.
    expect(early.truncation.truncated).toBe(all.truncation.truncated);
    expect(early.processes.count).toBe(0);
    if (all.processes.count > 0) expect(early.source.bytes).toBeLessThan(all.source.bytes);
  });
});
