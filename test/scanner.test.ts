import { describe, expect, it } from 'vitest';
import { DumpScanner, type ScanSink } from '../src/dump/scanner.js';

/** Tag lines the scanner reports, with their offsets; every section is skipped. */
function tagsOf(text: string, chunk: number): string[] {
  const seen: string[] = [];
  const sink: ScanSink = {
    tag(buf, start, end, lineOffset) {
      seen.push(`${lineOffset}:${buf.toString('latin1', start, end)}`);
      return null;
    },
    end() {},
  };
  const scanner = new DumpScanner(sink);
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

  it('stops at the first tag line at or after stopAt (a byte range of the parallel reader ends there)', () => {
    for (const chunk of [7, 4096]) {
      const seen: string[] = [];
      const scanner = new DumpScanner({ tag(buf, start, end) { seen.push(buf.toString('latin1', start, end)); return null; }, end() {} });
      scanner.stopAt = text.indexOf('=x=y') - 5;
      const bytes = Buffer.from(text, 'latin1');
      for (let i = 0; i < bytes.length && !scanner.stopped; i += chunk) scanner.feed(bytes.subarray(i, Math.min(bytes.length, i + chunk)));
      expect(scanner.stopped).toBe(true);
      expect(seen).toEqual(['=erl_crash_dump:0.5', '=proc_heap:<0.1.0>']);
    }
  });
});
