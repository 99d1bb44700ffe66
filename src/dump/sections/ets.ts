import { KeyMatcher, parseDecimal, text } from '../bytes.js';
import { unpackPid } from '../section-index.js';
import type { EtsRecord } from '../types.js';
import { BulkParser } from './bulk-parser.js';
import type { ParseContext } from './context.js';

const KEYS = [
  'Slot', 'Table', 'Name', 'Buckets', 'Ordered set (AVL tree), Elements', 'Objects', 'Words', 'Type',
  'Protection', 'Compressed', 'Chain Length Avg', 'Chain Length Max', 'Chain Length Min', 'Chain Length Std Dev',
  'Chain Length Expected Std Dev', 'Fixed', 'Write Concurrency', 'Read Concurrency',
] as const;
const matcher = new KeyMatcher(KEYS);
const enum K { Slot, Table, Name, Buckets, Ordered, Objects, Words, Type, Protection, Compressed, ChainAvg, ChainMax }
/** Keys whose value is a whole number. */
const NUMBER = Uint8Array.from(KEYS, (_, k) => (k === K.Buckets || k === K.Objects || k === K.Words || k === K.ChainMax ? 1 : 0));
/** Keys whose text is most often the one the table before had (the name of a table made per session, `set`, `public`). */
const REPEATED = Uint8Array.from(KEYS, (_, k) => (k === K.Name || k === K.Type || k === K.Protection ? 1 : 0));
/** Owners remembered at most (a node's processes; past it, a string per table again). */
const MAX_OWNERS = 1 << 20;

/**
 * `=ets:OWNER` (and `=internal_ets`): one table each. `Words` becomes bytes; -1 (unknown) becomes
 * NaN. Only what a report shows is kept (not the slot, nor the chain statistics but the longest).
 *
 * One parser for every table, reading in bulk (BulkParser): a node that makes a table per
 * session has hundreds of thousands of them (500,000 tables, 182 MB: triage took 2.8 s and 318 MB
 * with a closure, a generic key-value parse and six strings per table; see the commit).
 */
export class EtsParser extends BulkParser {
  private e: EtsRecord = { owner: '', table: '', name: '', objects: NaN, memoryBytes: NaN };
  private ws: 4 | 8 = 8;
  /** The owners' pids as text, by packed pid: one string per owner, not per table. */
  private readonly owners = new Map<number, string>();

  constructor(ctx: ParseContext) {
    super('ets', matcher, NUMBER, REPEATED, ctx);
  }

  /** A new table of the owner packed by packPid (`ownerText` is read only when that is NaN), added to `tables`. */
  begin(packedOwner: number, ownerText: string, tables: EtsRecord[]): this {
    let owner = ownerText;
    if (!Number.isNaN(packedOwner)) {
      owner = this.owners.get(packedOwner) ?? unpackPid(packedOwner);
      if (this.owners.size < MAX_OWNERS) this.owners.set(packedOwner, owner);
    }
    // Every field from the start, in one order: one object shape for all tables.
    this.e = { owner, table: '', name: '', objects: NaN, memoryBytes: NaN, type: undefined, protection: undefined, buckets: undefined, chainLengthMax: undefined, compressed: undefined };
    tables.push(this.e);
    this.restart();
    this.ws = this.ctx.wordSize();
    return this;
  }

  protected value(id: number, buf: Buffer, v: number, end: number): void {
    if (NUMBER[id] === 1) {
      this.setNumber(id, parseDecimal(buf, v, end));
      return;
    }
    const e = this.e;
    switch (id) {
      case K.Table: e.table = text(buf, v, end); break;
      case K.Name: case K.Type: case K.Protection: {
        const t = text(buf, v, end);
        this.setRepeated(id, t);
        this.remember(id, t);
        break;
      }
      case K.Ordered: e.type ??= 'ordered_set'; break;
      case K.Compressed: e.compressed = text(buf, v, end) === 'true'; break;
      default: break; // the slot, the chain statistics but the longest, Fixed, concurrency
    }
  }

  protected setNumber(id: number, n: number): void {
    const e = this.e;
    switch (id) {
      case K.Buckets: e.buckets = n; break;
      case K.Objects: e.objects = n; break;
      case K.Words: e.memoryBytes = n < 0 ? NaN : n * this.ws; break;
      case K.ChainMax: e.chainLengthMax = n; break;
      default: break;
    }
  }

  protected setRepeated(id: number, made: unknown): void {
    const t = made as string;
    if (id === K.Name) this.e.name = t;
    else if (id === K.Type) this.e.type = t;
    else this.e.protection = t;
  }
}
