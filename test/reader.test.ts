import { createReadStream, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { readDump, type Dump } from '../src/dump/index.js';
import { InputError } from '../src/errors.js';
import { corpusDumps, fixtureDumps, FIXTURES, PRE_R10B } from './helpers/dumps.js';
import { haveShared } from './helpers/shared.js';

/** The model as plain data, the section index included, for deep comparison. */
function plain(d: Dump, withSource = true): unknown {
  const index = Array.from({ length: d.index.size }, (_, i) => d.index.at(i));
  const { source, ...rest } = d;
  return JSON.parse(JSON.stringify({ ...rest, index, ...(withSource ? { source } : {}) }, (_k, v) =>
    ArrayBuffer.isView(v) ? Array.from(v as Float64Array, (x) => (Number.isNaN(x) ? 'NaN' : x)) : typeof v === 'number' && Number.isNaN(v) ? 'NaN' : v));
}

/** Section headers counted with a regular expression over the file: an oracle independent of the scanner. */
function headerCount(text: string, tag: string): number {
  return (text.match(new RegExp(`^=${tag}(:|\\r?$)`, 'gm')) ?? []).length;
}

const all = [...fixtureDumps(), ...corpusDumps()];

describe.each(all.map((f) => [basename(f), f]))('%s', (_name, file) => {
  it('reads the same model with a 7-byte buffer as with the default one', async () => {
    const a = await readDump(file);
    const b = await readDump(file, { bufferSize: 7 });
    expect(plain(b)).toEqual(plain(a));
  });

  it('counts the section headers that are in the file', async () => {
    const d = await readDump(file);
    const text = readFileSync(file, 'latin1');
    // The hostile fixture's slogan holds a line "=proc:<0.999.0>", which is slogan text, not a section.
    const fake = basename(file) === 'hostile.dump' ? 1 : 0;
    expect(d.sectionCounts.proc ?? 0).toBe(headerCount(text, 'proc') - fake);
    expect(d.processes.count).toBe(headerCount(text, 'proc') - fake);
    for (const tag of ['port', 'ets', 'timer', 'fun', 'mod', 'binary', 'allocator', 'proc_heap', 'proc_messages', 'visible_node', 'hidden_node']) {
      expect(d.sectionCounts[tag] ?? 0, tag).toBe(headerCount(text, tag));
    }
    expect(d.ports.length).toBe(headerCount(text, 'port'));
    expect(d.ets.length).toBe(headerCount(text, 'ets'));
    expect(d.binaries.count).toBe(headerCount(text, 'binary'));
    expect(d.truncation.truncated).toBe(headerCount(text, 'end') === 0 || /^=abort:/m.test(text));
  });
});

describe('input forms', () => {
  const plainDump = join(FIXTURES, 'mailbox.dump');

  it('reads a gzip file (by its magic bytes) to the same model', async () => {
    const a = await readDump(plainDump);
    const b = await readDump(join(FIXTURES, 'mailbox.dump.gz'), { bufferSize: 1000 });
    expect(b.source.gzip).toBe(true);
    expect(plain(b, false)).toEqual(plain(a, false));
    expect(gunzipSync(readFileSync(join(FIXTURES, 'mailbox.dump.gz'))).length).toBe(b.source.bytes);
  });

  it('a gzip whose only defect is its trailer (CRC-32 or length) is read whole, with the defect noted (issue 15)', async () => {
    const a = await readDump(plainDump);
    const good = readFileSync(join(FIXTURES, 'mailbox.dump.gz'));
    const small = gzipSync(readFileSync(join(FIXTURES, 'oom.dump')));
    const dir = mkdtempSync(join(tmpdir(), 'beamscope-gztrailer-'));
    for (const [name, bytes, at] of [['crc', good, 8], ['len', good, 1], ['small', small, 8]] as const) {
      const b = Buffer.from(bytes);
      b[b.length - at] ^= 0xff;
      const file = join(dir, `${name}.dump.gz`);
      writeFileSync(file, b);
      const d = await readDump(file, { bufferSize: 4093 });
      expect(d.truncation.truncated, name).toBe(false);
      expect(d.truncation.compressedTrailerError, name).toMatch(/incorrect (data|length) check/);
      if (name !== 'small') expect(plain({ ...d, truncation: { ...d.truncation, compressedTrailerError: undefined } } as Dump, false)).toEqual(plain(a, false));
      else expect(d.processes.count).toBe((await readDump(join(FIXTURES, 'oom.dump'))).processes.count);
    }
  });

  it('reads standard input, plain and gzip', async () => {
    const a = await readDump(plainDump);
    const b = await readDump('-', { stdin: createReadStream(plainDump, { highWaterMark: 4096 }) });
    const c = await readDump('-', { stdin: createReadStream(join(FIXTURES, 'mailbox.dump.gz')) });
    expect(plain(b, false)).toEqual(plain(a, false));
    expect(plain(c, false)).toEqual(plain(a, false));
    expect(b.source.seekable).toBe(false);
  });

  it('reads CRLF line ends like LF', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'beamscope-crlf-'));
    const crlf = join(dir, 'crlf.dump');
    writeFileSync(crlf, readFileSync(plainDump, 'latin1').replace(/\n/g, '\r\n'), 'latin1');
    const a = await readDump(plainDump);
    const b = await readDump(crlf, { bufferSize: 7 });
    expect(b.header).toEqual(a.header);
    expect(b.sectionCounts).toEqual(a.sectionCounts);
    // File offsets differ by the CRs before them; everything read must not.
    expect(plain({ ...b, index: a.index, truncation: a.truncation, binaries: { ...b.binaries, checkpoints: a.binaries.checkpoints } } as Dump, false)).toEqual(plain(a, false));
  });

  it.skipIf(!haveShared('corpus/public/pre_r10b_2002.dump'))('refuses the pre-R10B format with a clear message', async () => {
    await expect(readDump(PRE_R10B)).rejects.toThrow(/pre-R10B/);
    await expect(readDump(PRE_R10B)).rejects.toBeInstanceOf(InputError);
  });

  it('reads a dump cut in the middle of a line as far as it goes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'beamscope-cut-'));
    const cut = join(dir, 'cut.dump');
    const whole = readFileSync(plainDump);
    const at = whole.indexOf('\n=port:') - 5; // inside the last process section, mid-line
    writeFileSync(cut, whole.subarray(0, at));
    const full = await readDump(plainDump);
    const d = await readDump(cut, { bufferSize: 7 });
    expect(d.truncation).toMatchObject({ truncated: true, cutMidLine: true, lastTag: 'proc', bytesRead: at });
    expect(d.processes.count).toBe(full.processes.count);
    expect(d.ports.length).toBe(0);
  });
});

describe('truncated dumps', () => {
  it('reads the ERL_CRASH_DUMP_BYTES fixture up to =abort and says why it stops', async () => {
    const d = await readDump(join(FIXTURES, 'truncated.dump'));
    expect(d.truncation.truncated).toBe(true);
    expect(d.truncation.abortReason).toBe('CRASH DUMP SIZE LIMIT REACHED');
    expect(d.processes.count).toBeGreaterThan(0);
  });
});
