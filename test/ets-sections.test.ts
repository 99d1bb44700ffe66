/**
 * The ETS tables of a dump (EtsParser, src/dump/sections/ets.ts) against a regular expression over
 * the dump's text: fixtures/many.dump (2,020 tables, made by a real VM), read whole, in 7-byte
 * chunks (every line crosses a chunk, so `line` takes what `lines` takes in bulk) and with CRLF
 * line ends.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dumpOfText, FIXTURES } from './helpers/dumps.js';

const TEXT = readFileSync(join(FIXTURES, 'many.dump'), 'latin1');


/** The oracle: each `=ets:OWNER` section's keys, by a regular expression. */
function expected(text: string): Array<Record<string, unknown>> {
  return [...text.matchAll(/^=ets:(.*)\n((?:[^=].*\n)*)/gm)].map(([, owner, body]) => {
    const v = (key: string) => new RegExp(`^${key}: (.*)$`, 'm').exec(body)?.[1];
    const words = Number(v('Words'));
    return {
      owner, table: v('Table'), name: v('Name'), objects: Number(v('Objects')), memoryBytes: words < 0 ? NaN : words * 8,
      type: v('Type') ?? (/^Ordered set \(AVL tree\), Elements: /m.test(body) ? 'ordered_set' : undefined),
      protection: v('Protection'), buckets: v('Buckets') === undefined ? undefined : Number(v('Buckets')),
      chainLengthMax: v('Chain Length Max') === undefined ? undefined : Number(v('Chain Length Max')),
      compressed: v('Compressed') === undefined ? undefined : v('Compressed') === 'true',
    };
  });
}

describe('ETS tables', () => {
  const want = expected(TEXT);

  it('the fixture has tables of every kind', () => {
    expect(want.length).toBe(2020);
    expect(new Set(want.map((t) => t.type))).toEqual(new Set(['set', 'ordered_set', 'bag', 'duplicate_bag']));
  });

  for (const [what, text, chunk] of [['whole', TEXT, 1 << 20], ['in 7-byte chunks', TEXT, 7], ['with CRLF line ends', TEXT.replace(/\n/g, '\r\n'), 4096]] as const) {
    it(`read ${what}: as the regular expression reads them`, () => {
      const got = dumpOfText(text, chunk).ets;
      expect(got.map((t) => ({ ...t }))).toEqual(want);
    });
  }
});
