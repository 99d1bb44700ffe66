/**
 * The `=literals` index made lazily (LazyHeapIndex): its first lookups are searches of the
 * section's text, then the index. Every address of the literal lines of real dumps (fixture and
 * corpus, read here from the text) is found at the offset the full index gives, and an address that
 * is not a line is not found, before and after the switch.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HeapIndex, LazyHeapIndex } from '../src/dump/terms/heap-index.js';
import { FIXTURES } from './helpers/dumps.js';

function literalLines(path: string): { offset: number; length: number; lines: Array<{ address: number; at: number }> } {
  const text = readFileSync(path, 'latin1');
  const offset = text.indexOf('\n=literals\n') + '\n=literals\n'.length;
  const end = text.indexOf('\n=', offset) + 1;
  const lines: Array<{ address: number; at: number }> = [];
  for (let at = offset; at < end; at = text.indexOf('\n', at) + 1) {
    const m = /^([0-9A-F]+):/.exec(text.slice(at, at + 24));
    if (m) lines.push({ address: parseInt(m[1], 16), at });
  }
  return { offset, length: end - offset, lines };
}

describe('the =literals index, searched first', () => {
  it('finds every literal line where the full index does, before and after it is made', () => {
    const path = join(FIXTURES, 'mailbox.dump');
    const { offset, length, lines } = literalLines(path);
    expect(lines.length).toBeGreaterThan(1000);
    const full = new HeapIndex(path, offset, length);
    const lazy = new LazyHeapIndex(path, offset, length, 0);
    // The last line and an address that is no line: searched (the first line is a case of its own).
    expect(lazy.lookup(lines[lines.length - 1].address)).toBe(lines[lines.length - 1].at);
    expect(lazy.lookup(lines[0].address + 1)).toBe(-1);
    expect(lazy.indexed).toBe(false);
    const first = new LazyHeapIndex(path, offset, length, 0);
    expect(first.lookup(lines[0].address)).toBe(lines[0].at);
    expect(first.indexed).toBe(false);
    // Then indexed: every line.
    for (const l of lines) expect(lazy.lookup(l.address)).toBe(full.lookup(l.address));
    expect(lazy.indexed).toBe(true);
    expect(lines.every((l) => full.lookup(l.address) === l.at)).toBe(true);
  });

  it('a small section is indexed at once (no search)', () => {
    const path = join(FIXTURES, 'mailbox.dump');
    const { offset, length, lines } = literalLines(path);
    const lazy = new LazyHeapIndex(path, offset, length);
    expect(lazy.lookup(lines[1].address)).toBe(lines[1].at);
    expect(lazy.indexed).toBe(true);
  });
});
