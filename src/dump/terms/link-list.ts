/**
 * A `=proc` section's `Link list:` line: `[<0.1.0>, {to,<0.2.0>,#Ref<...>}, {from,<0.3.0>,#Ref<...>}]`,
 * the process's links, the processes it monitors (`{to,TARGET,REF}`) and those monitoring it
 * (`{from,PID,REF}`). The VM writes the links first: a supervisor of 300,000 children writes 4 MB
 * of them before its first monitor, so the line is read in pieces and its items kept only up to a
 * number of each kind (every item is counted).
 */
import { closeData, openData, readData } from '../data-file.js';
import type { SectionRef } from '../types.js';
import { MiB } from '../../text/units.js';

/** Items of each kind kept from one line (the counts cover them all). */
export const LINK_ITEMS_KEPT = 10_000;
/** Bytes kept of one item: a pid, port, name or monitor is far shorter; a longer item is kept cut. */
const ITEM_BYTES = 512;
const KEY = Buffer.from('Link list: ', 'latin1');
const NL = 0x0a;

export interface LinkLists {
  links: string[];
  /** The targets of `{to,TARGET,REF}`: pids, or `{Name,Node}` for a registered name. */
  monitors: string[];
  monitoredBy: string[];
  counts: { links: number; monitors: number; monitoredBy: number };
}

/**
 * Reads a `Link list:` value fed in pieces (`feed`) and says what it held (`finish`): the one
 * grammar of the line, for the scanner's counts (keep 0: a row of the process table per process,
 * reset() for the next) and for `proc`'s lists. Items are split at the commas of the list's own
 * level; brackets, braces and angle brackets nest (`{to,{Name,Node},REF}`, `#Ref<0.1.2.3>`). An
 * item is a monitor when it starts `{t` (`{to,`), a monitor on this process when `{f` (`{from,`),
 * else a link (a pid or a port).
 */
export class LinkListReader {
  private readonly out: LinkLists = { links: [], monitors: [], monitoredBy: [], counts: { links: 0, monitors: 0, monitoredBy: 0 } };
  /** 0 before the list's `[`, 1 in it, more inside an item's brackets or braces; -1 after its `]`. */
  private depth = 0;
  private readonly item = Buffer.allocUnsafe(ITEM_BYTES);
  /** Bytes of the current item seen (those past ITEM_BYTES are not kept). */
  private itemLength = 0;

  constructor(private readonly keep = LINK_ITEMS_KEPT) {}

  /** Ready for another line (nothing kept of the last: finish's lists are emptied). */
  reset(): this {
    const o = this.out;
    o.links.length = o.monitors.length = o.monitoredBy.length = 0;
    o.counts.links = o.counts.monitors = o.counts.monitoredBy = 0;
    this.depth = 0;
    this.itemLength = 0;
    return this;
  }

  feed(buf: Uint8Array, start: number, end: number): void {
    let depth = this.depth;
    for (let p = start; p < end && depth >= 0; p++) {
      const c = buf[p];
      if (depth === 0) {
        if (c === 0x5b /* [ */) depth = 1;
        continue;
      }
      if (depth === 1) {
        if (c === 0x2c /* , */ || c === 0x5d /* ] */) {
          this.endItem(true);
          if (c === 0x5d) depth = -1;
          continue;
        }
        // Spaces between items are not part of them.
        if (c === 0x20 && this.itemLength === 0) continue;
      }
      if (c === 0x7b /* { */ || c === 0x5b /* [ */ || c === 0x3c /* < */) depth++;
      else if ((c === 0x7d /* } */ || c === 0x5d /* ] */ || c === 0x3e /* > */) && depth > 1) depth--;
      if (this.itemLength < ITEM_BYTES) this.item[this.itemLength] = c;
      this.itemLength++;
    }
    this.depth = depth;
  }

  /**
   * The line ended. Cut short (no closing `]`), its last item is counted but not kept: its text
   * may be part of one.
   */
  finish(): LinkLists {
    if (this.depth > 0) this.endItem(false);
    this.depth = -1;
    return this.out;
  }

  private endItem(whole: boolean): void {
    let n = Math.min(this.itemLength, ITEM_BYTES);
    this.itemLength = 0;
    while (n > 0 && this.item[n - 1] === 0x20) n--;
    if (n === 0) return;
    const b = this.item;
    const kind = b[0] !== 0x7b /* { */ || n < 2 ? 'links' : b[1] === 0x74 /* t */ ? 'monitors' : b[1] === 0x66 /* f */ ? 'monitoredBy' : 'links';
    const o = this.out;
    o.counts[kind]++;
    if (!whole || o[kind].length >= this.keep) return;
    const text = b.toString('utf8', 0, n);
    if (kind === 'links') {
      o.links.push(text);
      return;
    }
    // {to,TARGET,REF}: the target is what lies between the tag and the last comma.
    const m = /^\{(?:to|from),(.*),[^,]*\}$/s.exec(text);
    o[kind].push(m ? m[1] : text);
  }
}

/** A `Link list:` value (the text after the key), read whole; a value cut short leaves out its last item. */
export function parseLinkList(value: string, keep = LINK_ITEMS_KEPT): LinkLists {
  const r = new LinkListReader(keep);
  const bytes = Buffer.from(value, 'utf8');
  r.feed(bytes, 0, bytes.length);
  return r.finish();
}

/**
 * The `Link list:` line of one `=proc` section, read from the file however long it is (the
 * section's lines are otherwise read up to a megabyte each); undefined when it has none.
 */
export function readLinkList(path: string, ref: Pick<SectionRef, 'offset' | 'length'>,
  opts: { keep?: number; /** Bytes a read; tests use 7 to cross every boundary. */ bufferSize?: number } = {}): LinkLists | undefined {
  const keep = opts.keep ?? LINK_ITEMS_KEPT;
  const fd = openData(path);
  try {
    const end = ref.offset + ref.length;
    const buf = Buffer.allocUnsafe(Math.max(1, Math.min(opts.bufferSize ?? MiB, ref.length)));
    let reader: LinkListReader | undefined;
    // Bytes of KEY matched at the start of the current line (-1: not at a line's start).
    let matched = 0;
    for (let pos = ref.offset; pos < end;) {
      const n = readData(fd, buf, 0, Math.min(buf.length, end - pos), pos);
      if (n <= 0) break;
      pos += n;
      let i = 0;
      while (i < n) {
        if (reader) {
          const nl = buf.indexOf(NL, i);
          const stop = nl < 0 || nl >= n ? n : nl;
          reader.feed(buf, i, stop);
          if (stop < n) return reader.finish();
          break;
        }
        if (matched >= 0) {
          while (i < n && matched < KEY.length && buf[i] === KEY[matched]) {
            i++;
            matched++;
          }
          if (matched === KEY.length) {
            reader = new LinkListReader(keep);
            continue;
          }
          if (i === n) break; // the key goes on in the next read
          matched = -1;
        }
        const nl = buf.indexOf(NL, i);
        if (nl < 0 || nl >= n) break;
        i = nl + 1;
        matched = 0;
      }
    }
    return reader?.finish();
  } finally {
    closeData(fd);
  }
}
