import { describe, expect, it } from 'vitest';
import { DumpScanner, type ScanSink } from '../src/dump/scanner.js';

/** Tag lines the scanner reports, with their offsets; every section is skipped. */
function tagsOf(text: string, chunk: number, stops?: { first: number; step: number }): string[] {
  const seen: string[] = [];
  const sink: ScanSink = {
    tag(buf, start, end, lineOffset) {
      seen.push(`${lineOffset}:${buf.toString('latin1', start, end)}`);
      return null;
    },
    end() {},
  };
  const scanner = new DumpScanner(sink);
  if (stops) {
    // The parallel reader's first thread: stops every `step` bytes and is let go on each time.
    scanner.stopAt = stops.first;
    scanner.extend = () => scanner.stopAt + stops.step;
  }
  const bytes = Buffer.from(text, 'latin1');
  for (let i = 0; i < bytes.length; i += chunk) scanner.feed(bytes.subarray(i, Math.min(bytes.length, i + chunk)));
  scanner.finish();
  return seen;
}

/** The oracle: every line that starts with "=". */
function expected(text: string): string[] {
  return [...text.matchAll(/^=.*$/gm)].map((m) => `${m.index}:${m[0]}`);
}

describe('DumpScanner skipping sections', () => {
  // Heap lines full of base64 padding ("=" everywhere) between sections, then a stretch without,
  // so that the search for tag lines changes its way both ways.
  const padded = Array.from({ length: 3000 }, (_, i) => `${(0x7f00 + i).toString(16)}:Yh3:QUI=,QQ==,${'='.repeat(i % 5)}\n`).join('');
  const plain = Array.from({ length: 3000 }, (_, i) => `${(0x9f00 + i).toString(16)}:t2:I${i},H7F${i}\n`).join('');
  const text = `=erl_crash_dump:0.5\n${padded}=proc_heap:<0.1.0>\n${padded}=x=y\n${plain}=proc_heap:<0.2.0>\n${plain}${padded}=end\n`;

  for (const chunk of [1, 7, 64, 4096, 1 << 20]) {
    it(`finds every tag line, in chunks of ${chunk} bytes`, () => {
      expect(tagsOf(text, chunk)).toEqual(expected(text));
    });
  }

  it('goes on past stopAt as far as `extend` moves it, and stops where it no longer does', () => {
    for (const chunk of [7, 4096]) {
      for (const step of [1, 97, 5000, 1 << 20]) expect(tagsOf(text, chunk, { first: 13, step })).toEqual(expected(text));
    }
    // Let go twice only: the tag lines before the third stop, and no more.
    const seen: string[] = [];
    const scanner = new DumpScanner({ tag(buf, start, end) { seen.push(buf.toString('latin1', start, end)); return null; }, end() {} });
    const third = text.indexOf('=proc_heap:<0.2.0>');
    const stops = [text.indexOf('=x=y'), third];
    scanner.stopAt = text.indexOf('=proc_heap:<0.1.0>');
    scanner.extend = () => stops.shift();
    scanner.feed(Buffer.from(text, 'latin1'));
    expect(scanner.stopped).toBe(true);
    expect(seen).toEqual(['=erl_crash_dump:0.5', '=proc_heap:<0.1.0>', '=x=y']);
  });
});
