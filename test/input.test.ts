/**
 * src/input: the one detection function on the project's real inputs (made by a real VM: fixtures/),
 * and the opening of files and streams that every command's input goes through.
 */
import { mkdtempSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { detectInput, peekFile, peekStdin, peekStream, HEAD_BYTES } from '../src/input/index.js';
import { InputError } from '../src/errors.js';
import { REPO_ROOT } from './helpers/fixtures.js';

const fx = (p: string) => join(REPO_ROOT, 'fixtures', p);
const tmp = mkdtempSync(join(tmpdir(), 'beamscope-input-'));
const head = async (p: string) => (await peekFile(p)).head;

describe('detectInput on real inputs', () => {
  it('crash dumps: plain, gzip, pre-R10B', async () => {
    expect(detectInput(await head(fx('oom.dump'))).format).toBe('crash-dump');
    expect(detectInput(await head(fx('mailbox.dump.gz')))).toMatchObject({ format: 'compressed', compression: 'gzip' });
    expect(detectInput(Buffer.from('<Erlang crash dump>\nThu Jan  1')).format).toBe('old-crash-dump');
  });

  it('recon_alloc snapshots and system_info term text are text; JSON allocator data is json', async () => {
    expect(detectInput(await head(fx('trend/series/snap-01.snapshot'))).format).toBe('text');
    expect(detectInput(await head(fx('alloc/otp25/system_info.terms'))).format).toBe('text');
    expect(detectInput(await head(fx('alloc/otp25/awkward.expected.json'))).format).toBe('json');
  });

  it('process snapshots: JSON lines and a JSON array, told apart by their opener', async () => {
    expect(detectInput(await head(fx('leak/gc-before.jsonl')))).toMatchObject({
      format: 'json',
      opener: '{',
      processSnapshot: true,
    });
    expect(detectInput(await head(fx('leak/gc-after.json')))).toMatchObject({
      format: 'json',
      opener: '[',
      processSnapshot: true,
    });
  });

  it('binary data, UTF-16 text, blank and empty input', () => {
    expect(
      detectInput(Buffer.concat([Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex'), Buffer.alloc(16)])).format,
    ).toBe('binary');
    expect(detectInput(Buffer.from([0xff, 0xfe, 0x7b, 0x00]))).toMatchObject({ format: 'text', utf16: 'utf16le' });
    expect(detectInput(Buffer.from(' \n\t'))).toMatchObject({ format: 'text', blank: true });
    expect(detectInput(Buffer.alloc(0))).toMatchObject({ format: 'empty', blank: true });
  });
});

describe('opening', () => {
  it('peekFile: the head, and one line for what cannot be read', async () => {
    const f = await peekFile(fx('oom.dump'));
    expect(f.head.length).toBe(HEAD_BYTES);
    expect(f.head.subarray(0, 16).toString()).toBe('=erl_crash_dump:');
    writeFileSync(join(tmp, 'empty'), '');
    await expect(peekFile(join(tmp, 'empty'))).rejects.toThrow(`${join(tmp, 'empty')}: empty file`);
    await expect(peekFile(tmp)).rejects.toThrow(/: cannot read: is a directory$/);
    await expect(peekFile(join(tmp, 'nope'))).rejects.toThrow(/: cannot read: no such file$/);
  });

  it('peekStream: the head of a stream in small chunks, and the whole stream after it', async () => {
    const bytes = gzipSync(readFileSync(fx('oom.dump')));
    const chunks = Array.from({ length: Math.ceil(bytes.length / 7) }, (_, i) => bytes.subarray(i * 7, (i + 1) * 7));
    const { head: h, stream } = await peekStream(Readable.from(chunks));
    expect(detectInput(h).compression).toBe('gzip');
    const all: Buffer[] = [];
    for await (const c of stream) all.push(c as Buffer);
    expect(Buffer.concat(all).equals(bytes)).toBe(true);
  });

  it('peekStdin: no input is one line', async () => {
    await expect(peekStdin(Readable.from([]))).rejects.toBeInstanceOf(InputError);
    await expect(peekStdin(Readable.from([]))).rejects.toThrow('stdin: no input');
  });
});
