/**
 * The JSON form of the allocator model (docs/alloc.md), read with stream-json: a model object, the
 * `beamscope alloc --format json` output, or JSON lines each holding part of a model. Numbers must
 * survive the round trip so that recon's answers still come out.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { beforeAll, describe, expect, it } from 'vitest';
import { allocatorModelFromJson, sniffInput } from '../src/alloc/read.js';
import { allocatorModelFromTermText } from '../src/alloc/from-terms.js';
import { reconReport } from '../src/alloc/recon.js';
import { allocReport } from '../src/alloc/report.js';
import { InputError } from '../src/errors.js';
import { ORACLE_DIR as ORACLE, haveShared } from './helpers/shared.js';

/** Same keys, same array order, numbers within relative 1e-12 (as in alloc-oracle.test.ts). */
function firstDifference(a: unknown, e: unknown, path = '$'): string | undefined {
  if (typeof e === 'number') return typeof a === 'number' && (a === e || Math.abs(a - e) / Math.max(Math.abs(a), Math.abs(e)) <= 1e-12) ? undefined : `${path}: ${String(a)} != ${e}`;
  if (Array.isArray(e)) {
    if (!Array.isArray(a) || a.length !== e.length) return `${path}: array shape`;
    for (let i = 0; i < e.length; i++) {
      const d = firstDifference(a[i], e[i], `${path}[${i}]`);
      if (d) return d;
    }
    return undefined;
  }
  if (e && typeof e === 'object') {
    if (!a || typeof a !== 'object') return `${path}: not an object`;
    if (Object.keys(a).sort().join() !== Object.keys(e).sort().join()) return `${path}: keys differ`;
    for (const k of Object.keys(e)) {
      const d = firstDifference((a as Record<string, unknown>)[k], (e as Record<string, unknown>)[k], `${path}.${k}`);
      if (d) return d;
    }
    return undefined;
  }
  return a === e ? undefined : `${path}: ${JSON.stringify(a)} != ${JSON.stringify(e)}`;
}

const text = (s: string, chunk = 7) => Readable.from(Array.from({ length: Math.ceil(s.length / chunk) }, (_, i) => s.slice(i * chunk, (i + 1) * chunk)));

describe.skipIf(!haveShared('oracle/recon_alloc'))('JSON round trip keeps recon parity', () => {
  for (const name of ['spike', 'calm', 'ets']) {
    // Read when the tests run, not when they are collected: without ../shared they are skipped.
    let model: ReturnType<typeof allocatorModelFromTermText>;
    let expected: unknown;
    beforeAll(() => {
      model = allocatorModelFromTermText(readFileSync(join(ORACLE, `${name}.snapshot`), 'utf8'));
      expected = JSON.parse(readFileSync(join(ORACLE, `${name}.expected.json`), 'utf8'));
    });

    it(`${name}: model object, read in 7-byte chunks`, async () => {
      const back = await allocatorModelFromJson(text(JSON.stringify(model)));
      expect(back.source).toBe('json');
      expect(firstDifference(JSON.parse(JSON.stringify(reconReport(back))), expected)).toBeUndefined();
    });

    it(`${name}: the output of beamscope alloc --format json`, async () => {
      const back = await allocatorModelFromJson(text(JSON.stringify(allocReport(model), null, 2), 4096));
      expect(firstDifference(JSON.parse(JSON.stringify(reconReport(back))), expected)).toBeUndefined();
    });

    it(`${name}: JSON lines, one allocator per line after a header`, async () => {
      const { allocators, mseg, ...header } = model;
      const lines = [JSON.stringify({ ...header, allocators: [], mseg }), ...allocators.map((a) => JSON.stringify({ allocators: [a] }))];
      const back = await allocatorModelFromJson(text(lines.join('\n') + '\n', 1000));
      expect(back.allocators.length).toBe(allocators.length);
      expect(firstDifference(JSON.parse(JSON.stringify(reconReport(back))), expected)).toBeUndefined();
    });
  }
});

describe('bad JSON is one InputError line', () => {
  const cases: Array<[string, RegExp]> = [
    ['{"schema": "beamscope.alloc/1", "allocators": [', /bad JSON/],
    ['{"allocators": []}', /schema: missing/],
    ['{"schema": "other/2"}', /schema: unsupported/],
    ['{"schema": "beamscope.alloc/1", "allocators": [{"allocator": "binary_alloc", "instance": "1"}]}', /allocators\[0\]\.instance: expected a number/],
    [
      '{"schema": "beamscope.alloc/1", "allocators": [{"allocator": "binary_alloc", "instance": 1, "mbcs": {"blocks": {"current": 1, "lastMax": 1, "max": 1}}}]}',
      /allocators\[0\]\.mbcs\.blocksBytes: expected/,
    ],
    ['[1, 2]', /expected a JSON object/],
    ['{"schema": "beamscope.alloc/1", "erlangMemory": {"total": "big"}}', /erlangMemory: expected an object of numbers/],
    ['{"schema": "beamscope.alloc/1", "allocators": [{"allocator": "binary_alloc", "instance": 1, "options": 5}]}', /allocators\[0\]\.options: expected an object/],
    ['{"schema": "beamscope.alloc/1", "mseg": [{"instance": 0, "calls": {"mseg_alloc": "many"}}]}', /mseg\[0\]\.calls\.mseg_alloc: expected a number/],
  ];
  for (const [input, msg] of cases) {
    it(input.slice(0, 60), async () => {
      const p = allocatorModelFromJson(text(input), 'x.json');
      await expect(p).rejects.toBeInstanceOf(InputError);
      await expect(allocatorModelFromJson(text(input), 'x.json')).rejects.toThrow(msg);
    });
  }
});

describe('input sniffing', () => {
  it('tells dumps, JSON and term text apart from the first bytes', () => {
    expect(sniffInput(Buffer.from('=erl_crash_dump:0.5\nSat'))).toBe('crash-dump');
    expect(sniffInput(Buffer.from([0x1f, 0x8b, 8, 0]))).toBe('crash-dump');
    expect(sniffInput(Buffer.from('  {\n "schema": 1}'))).toBe('json');
    expect(sniffInput(Buffer.from('[{"a":1}]'))).toBe('json');
    expect(sniffInput(Buffer.from('{[{total,1}],[]}.'))).toBe('term-text');
    expect(sniffInput(Buffer.from('[{instance,0,[]}]'))).toBe('term-text');
    expect(sniffInput(Buffer.from('%% comment\n{a}.'))).toBe('term-text');
  });
});
