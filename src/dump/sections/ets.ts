import { KeyMatcher, parseDecimal, text } from '../bytes.js';
import type { LineHandler } from '../scanner.js';
import type { EtsRecord } from '../types.js';
import { kvHandler, type ParseContext } from './context.js';

const KEYS = [
  'Slot', 'Table', 'Name', 'Buckets', 'Ordered set (AVL tree), Elements', 'Objects', 'Words', 'Type',
  'Protection', 'Compressed', 'Chain Length Avg', 'Chain Length Max', 'Chain Length Min', 'Chain Length Std Dev',
  'Chain Length Expected Std Dev', 'Fixed', 'Write Concurrency', 'Read Concurrency',
] as const;
const matcher = new KeyMatcher(KEYS);
const enum K { Slot, Table, Name, Buckets, Ordered, Objects, Words, Type, Protection, Compressed, ChainAvg, ChainMax }

/** `=ets:OWNER` (and `=internal_ets`): one table. `Words` becomes bytes; -1 (unknown) becomes NaN. */
export function etsHandler(owner: string, tables: EtsRecord[], ctx: ParseContext): LineHandler {
  const e: EtsRecord = { owner, table: '', name: '', objects: NaN, memoryBytes: NaN };
  tables.push(e);
  const ws = ctx.wordSize();
  return kvHandler('ets', matcher, ctx, (k, buf, v, end) => {
    switch (k) {
      case K.Slot: e.slot = text(buf, v, end); break;
      case K.Table: e.table = text(buf, v, end); break;
      case K.Name: e.name = text(buf, v, end); break;
      case K.Buckets: e.buckets = parseDecimal(buf, v, end); break;
      case K.Ordered: e.type ??= 'ordered_set'; break;
      case K.Objects: e.objects = parseDecimal(buf, v, end); break;
      case K.Words: {
        const w = parseDecimal(buf, v, end);
        e.memoryBytes = w < 0 ? NaN : w * ws;
        break;
      }
      case K.Type: e.type = text(buf, v, end); break;
      case K.Protection: e.protection = text(buf, v, end); break;
      case K.Compressed: e.compressed = text(buf, v, end) === 'true'; break;
      case K.ChainAvg: e.chainLengthAvg = Number(text(buf, v, end)); break;
      case K.ChainMax: e.chainLengthMax = parseDecimal(buf, v, end); break;
      default: break;
    }
  });
}
