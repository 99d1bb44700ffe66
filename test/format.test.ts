/** The text renderers' number and text helpers, on values written out by hand. */
import { describe, expect, it } from 'vitest';
import { countOf, formatCount, sanitize } from '../src/text/format.js';

describe('format helpers', () => {
  it('formatCount groups thousands, keeps the sign, and says ? for what is not a number', () => {
    expect([0, 999, 1000, 1234567, -48211, 2.6].map(formatCount)).toEqual(['0', '999', '1,000', '1,234,567', '-48,211', '3']);
    expect(formatCount(NaN)).toBe('?');
  });
  it('countOf takes the singular for exactly 1, and the plural given for irregular nouns', () => {
    expect(countOf(1, 'timer')).toBe('1 timer');
    expect(countOf(0, 'timer')).toBe('0 timers');
    expect(countOf(1, 'process', 'processes')).toBe('1 process');
    expect(countOf(48211, 'process', 'processes')).toBe('48,211 processes');
    expect(countOf(2, 'binary', 'binaries')).toBe('2 binaries');
  });
  it('sanitize writes control characters (C0, DEL, C1) as escapes and cuts to a length', () => {
    expect(sanitize('a\u001b[31mb\nc\u009bd\u007f')).toBe('a\\x1b[31mb\\nc\\x9bd\\x7f');
    expect(sanitize('abcdef', 4)).toBe('abc…');
  });
});
