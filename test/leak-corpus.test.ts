/**
 * `beamscope leak` on every dump of the shared corpus (../shared/corpus/public): the heap scan
 * runs on every release's format, agrees with the term decoder on each holder's binaries, and its
 * sums stay within the dump's own totals.
 */
import { describe, expect, it } from 'vitest';
import { readDump } from '../src/dump/index.js';
import { decodeProcess } from '../src/dump/terms/index.js';
import { dumpLeakReport, scanHeapBinaries } from '../src/leak/index.js';
import { corpusDumps } from './helpers/fixtures.js';

const dumps = corpusDumps();

describe.skipIf(dumps.length === 0)('leak on the corpus', () => {
  for (const path of dumps) {
    it(path.split('/').pop()!, async () => {
      const dump = await readDump(path);
      const r = dumpLeakReport(dump, { top: 5 });
      expect(r.processes.total).toBe(dump.processes.count);
      // every binary a heap references is one =binary section: the distinct sum is bounded by their total
      const scan = scanHeapBinaries(dump);
      expect(r.binaries.heldByProcessesBytes + r.binaries.literalOnlyBytes + r.binaries.unreferencedBytes).toBe(dump.binaries.totalBytes);
      for (let i = 0; i < dump.processes.count; i++) {
        expect(scan.exclusiveBytes[i] + scan.sharedBytes[i]).toBe(scan.reachableBytes[i]);
        expect(scan.reachableBytes[i]).toBeLessThanOrEqual(dump.binaries.totalBytes);
      }
      for (const s of r.staleEstimates) expect(s.staleBytes).toBeGreaterThan(0);
      // the term decoder finds the same binaries for the top holders
      for (const h of r.holders.slice(0, 3)) {
        const d = decodeProcess(dump, h.pid, { maxMessages: 0 });
        expect(d.binaries.totalBytes).toBe(h.reachableBytes);
        expect(d.binaries.held.length).toBe(h.binaries);
        expect(d.binaries.exclusiveBytes).toBe(h.exclusiveBytes);
      }
      // a tiny window crosses every line boundary and finds the same
      const tiny = scanHeapBinaries(dump, { windowBytes: 64 });
      expect(Array.from(tiny.reachableBytes)).toEqual(Array.from(scan.reachableBytes));
      expect(Array.from(tiny.references)).toEqual(Array.from(scan.references));
    });
  }
});
