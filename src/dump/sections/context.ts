import { BytesInterner, keyEnd, KeyMatcher, valueStart } from '../bytes.js';
import type { LineHandler } from '../scanner.js';

/** What section parsers need from the reader: the word size, and a place to note what they did not know. */
export interface ParseContext {
  wordSize(): 4 | 8;
  unknownKey(section: string, key: string): void;
  /**
   * A value no VM writes (a negative size, a queue of 10^20 messages): the parser keeps NaN
   * instead, and the dump notes it (Dump.corruptValues), so that it is never a fact in a finding.
   */
  corrupt(where: string, key: string, value: string): void;
  /** One string per distinct repeated value (states, initial calls, functions) for this dump. */
  intern: BytesInterner;
}

export type ValueFn = (id: number, buf: Buffer, valueStart: number, end: number) => void;

/**
 * A handler for `Key: value` sections: known keys go to `onValue` by id, unknown ones are counted
 * (never fatal). Lines without a `Key:` go to `onOther` when given, else are counted as unknown.
 */
export function kvHandler(section: string, matcher: KeyMatcher, ctx: ParseContext, onValue: ValueFn,
  onOther?: (buf: Buffer, start: number, end: number) => void): LineHandler {
  return {
    line(buf, start, end) {
      const k = keyEnd(buf, start, end);
      if (k >= 0) {
        const id = matcher.match(buf, start, k);
        if (id >= 0) {
          onValue(id, buf, valueStart(buf, k, end), end);
          return;
        }
      }
      if (onOther) onOther(buf, start, end);
      else if (end > start) ctx.unknownKey(section, buf.toString('latin1', start, k >= 0 ? k : Math.min(end, start + 40)));
    },
  };
}
