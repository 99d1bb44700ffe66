/**
 * The `=proc` parser's bulk path (ProcParser.lines: a line's end found as its value is read, text
 * values recognised by comparing them with the ones before) against its line-by-line path (a
 * 7-byte buffer, where no line lies wholly in one chunk), on the many-process fixture made by a
 * real VM, as it is and with its process lines edited into every shape the bulk path must leave
 * to the line-by-line one.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { readDump } from '../src/dump/index.js';
import { ProcParser } from '../src/dump/sections/proc.js';
import { FIXTURES } from './helpers/dumps.js';
import { plainModel } from './helpers/model.js';

const MANY = join(FIXTURES, 'many.dump');
const dir = mkdtempSync(join(tmpdir(), 'beamscope-proc-lines-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * Edits of one process line, taken in turn by the processes of the dump: values that are not
 * plain digits, out of bounds, empty, long, with CRs, prefixes of the values before them, keys
 * out of their usual order and keys no parser knows.
 */
const EDITS: Array<(section: string) => string> = [
  (s) => s.replace(/^Reductions: \d+/m, 'Reductions: -5'),
  (s) => s.replace(/^Memory: \d+/m, 'Memory: 99999999999999999999'),
  (s) => s.replace(/^Message queue length: \d+/m, 'Message queue length: 1099511627776'),
  (s) => s.replace(/^Stack\+heap: (\d+)/m, 'Stack+heap: $1 '),
  (s) => s.replace(/^OldHeap: (\d+)/m, 'OldHeap: $1x'),
  (s) => s.replace(/^Heap unused: (\d+)/m, 'Heap unused:   $1'),
  (s) => s.replace(/^State: (\w+)/m, 'State: $1\r'),
  (s) => s.replace(/^State: (\w+)/m, 'State: $1\r\r'),
  (s) => s.replace(/^State: (\w+)/m, (_m, st: string) => `State: ${st.slice(0, 3)}`),
  (s) => s.replace(/^State: (\w+)/m, 'State: $1 and more'),
  (s) => s.replace(/^State: (\w+)/m, 'State:'),
  (s) => s.replace(/^State: (\w+)/m, 'State: '),
  (s) => s.replace(/^Spawned as: .*/m, (m) => `${m}${'_long'.repeat(40)}`),
  (s) => s.replace(/^Spawned by: .*/m, 'Spawned by: []'),
  (s) => s.replace(/^Spawned by: .*/m, 'Spawned by:'),
  (s) => s.replace(/^(State: .*)\n(Name: .*)\n/m, '$2\n$1\n').replace(/^(Spawned as: .*)\n(Spawned by: .*)\n/m, '$2\n$1\n'),
  (s) => s.replace(/^Program counter: 0x[0-9a-f]+ /m, 'Program counter: 0x1 '),
  (s) => s.replace(/^Internal State: .*/m, (m) => `${m} | EXTRA`),
  (s) => s.replace(/^Reductions: /m, 'Made up key: 1\nReductions: '),
  (s) => s.replace(/^Memory: (\d+)/m, 'Memory: $1\r'),
  // Lines the bulk path drops (keys of no column, `arity = N`), in and out of their places.
  (s) => s.replace(/^BinVHeap unused: (\d+)/m, 'BinVHeap unused: $1 words\r'),
  (s) => s.replace(/^BinVHeap unused: .*\n/m, '').replace(/^(Memory: .*)\n/m, '$1\nBinVHeap unused: 7\n'),
  (s) => s.replace(/^OldBinVHeap unused: .*\n/m, 'OldBinVHeap unused\n'),
  (s) => s.replace(/^(OldBinVHeap unused: .*)\n/m, '$1\n$1\nReductions: 3\n'),
  (s) => s.replace(/^arity = (\d+)/m, 'arity = $1: x'),
  (s) => s.replace(/^arity = (\d+)/m, 'arity ='),
  (s) => s.replace(/^arity = (\d+)/m, 'arity = $1\r'),
  (s) => s.replace(/^(Program counter: .*)\n(arity = .*)\n/m, '$2\n$1\n'),
  (s) => s.replace(/^(arity = .*)\n/m, '$1\narbitrary key: 1\narity: 2\n'),
  (s) => s,
];

/** many.dump with the k-th process section edited by EDITS[k % EDITS.length] (and LF kept or made CRLF). */
function edited(crlf: boolean): string {
  const text = readFileSync(MANY, 'latin1');
  let k = 0;
  const out = text.replace(/^=proc:[^\n]*\n(?:(?!=)[^\n]*\n)*/gm, (section) => EDITS[k++ % EDITS.length](section));
  const file = join(dir, `edited${crlf ? '-crlf' : ''}.dump`);
  writeFileSync(file, crlf ? out.replace(/\n/g, '\r\n') : out, 'latin1');
  return file;
}

/** A read of `file` that also counts the lines the bulk path took. */
async function readCounting(file: string, bufferSize?: number): Promise<{ model: unknown; bulkLines: number }> {
  const lines = ProcParser.prototype.lines;
  let bulkLines = 0;
  const spy = vi.spyOn(ProcParser.prototype, 'lines').mockImplementation(function (this: ProcParser, buf, start, end) {
    const next = lines.call(this, buf, start, end);
    for (let p = start; p < next; p++) if (buf[p] === 0x0a) bulkLines++;
    return next;
  });
  try {
    const d = await readDump(file, bufferSize === undefined ? {} : { bufferSize });
    return { model: plainModel(d), bulkLines };
  } finally {
    spy.mockRestore();
  }
}

describe('the =proc bulk path reads what the line-by-line path reads', () => {
  it.each([
    ['many.dump as the VM wrote it', () => MANY],
    ['its process lines edited', () => edited(false)],
    ['its process lines edited, CRLF line ends', () => edited(true)],
  ])('%s', async (_name, file) => {
    const path = file();
    const byLine = await readCounting(path, 7);
    for (const bufferSize of [undefined, 4093]) {
      const bulk = await readCounting(path, bufferSize);
      // A 7-byte buffer holds only the shortest lines whole.
      expect(bulk.bulkLines, 'the bulk path took the lines').toBeGreaterThan(100 * byLine.bulkLines + 10_000);
      expect(bulk.model).toEqual(byLine.model);
    }
  });
});
