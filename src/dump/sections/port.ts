import { keyEnd, KeyMatcher, parseDecimal, text, valueStart } from '../bytes.js';
import type { LineHandler } from '../scanner.js';
import type { PortKind, PortRecord } from '../types.js';
import type { ParseContext } from './context.js';

const KEYS = [
  'State', 'Task Flags', 'Slot', 'Connected', 'Links', 'Registered as', 'Monitors', 'Suspended',
  'Port controls linked-in driver', 'Port controls forker process', 'Port controls external process',
  'Port is a file', 'Port is UNIX fd not opened by emulator', 'Input', 'Output', 'Queue', 'Port Data',
] as const;
const matcher = new KeyMatcher(KEYS);
const enum K { State, TaskFlags, Slot, Connected, Links, Name, Monitors, Suspended, Driver, Forker, External, File, Fd, Input, Output, Queue, PortData }

const DRIVER_KIND: Record<string, PortKind> = {
  tcp_inet: 'tcp', udp_inet: 'udp', sctp_inet: 'sctp', efile: 'file', ram_file_drv: 'file', fd: 'fd',
};
/** What `controls` says before the driver's or program's name, per key. */
const CONTROLS: Array<[string, (driver: string) => PortKind] | undefined> = new Array(KEYS.length).fill(undefined);
// Own keys only: a driver named `constructor` in a hostile dump is a driver, not Object's.
CONTROLS[K.Driver] = ['linked-in driver', (d) => (Object.hasOwn(DRIVER_KIND, d) ? DRIVER_KIND[d] : 'driver')];
CONTROLS[K.Forker] = ['forker process', () => 'forker'];
CONTROLS[K.External] = ['external process', () => 'external process'];
CONTROLS[K.File] = ['file', () => 'file'];
CONTROLS[K.Fd] = ['fd not opened by emulator', () => 'fd'];

/** The "key" before a section's first line, for the follow table. */
const FIRST = KEYS.length;
/** Keys whose value is a whole number read by `lines` in place. */
const NUMBER = Uint8Array.from(KEYS, (_, k) => (k === K.Slot || k === K.Input || k === K.Output || k === K.Queue ? 1 : 0));
/** Keys whose text is most often the one the port before had (a state, a driver, `inet_tcp`). */
const REPEATED = Uint8Array.from(KEYS, (_, k) => (k === K.State || k === K.PortData || CONTROLS[k] !== undefined ? 1 : 0));
const MEMO_BYTES = 256;
const NL = 0x0a;
const CR = 0x0d;
const EQ = 0x3d;

/**
 * `=port:#Port<C.N>`: what the port is (socket, file, external program) and its queue.
 *
 * One parser serves every port (`begin` moves it to the next) and reads a port's lines in bulk,
 * as the ETS and process parsers do: a broker with a million connections has a million ports, and
 * a closure, a generic key-value parse and a string per line were most of a port's cost (18,005
 * sockets of a real VM: see the commit).
 */
export class PortParser implements LineHandler {
  private p: PortRecord = { id: '', kind: 'unknown', links: 0 };
  private readonly follow = new Int8Array(KEYS.length + 1).fill(-1);
  private prev: number = FIRST;
  /** Per REPEATED key, the last value's bytes and its string (and for a CONTROLS key, the `controls` text made of it). */
  private readonly memo = new Uint8Array(KEYS.length * MEMO_BYTES);
  private readonly memoLength = new Int32Array(KEYS.length).fill(-1);
  private readonly memoText: string[] = new Array<string>(KEYS.length).fill('');
  private readonly memoControls: string[] = new Array<string>(KEYS.length).fill('');

  constructor(private readonly ctx: ParseContext) {}

  begin(id: string, ports: PortRecord[]): this {
    // Every field from the start: one object shape for all ports.
    this.p = {
      id, kind: 'unknown', links: 0, state: undefined, slot: undefined, connected: undefined, name: undefined, controls: undefined,
      driver: undefined, inputBytes: undefined, outputBytes: undefined, queueBytes: undefined, portData: undefined,
    };
    ports.push(this.p);
    this.prev = FIRST;
    return this;
  }

  line(buf: Buffer, start: number, end: number): void {
    const guess = this.follow[this.prev];
    const g = guess >= 0 ? matcher.keyEndIf(guess, buf, start, end) : -1;
    if (g >= 0) {
      this.prev = guess;
      this.value(guess, buf, valueStart(buf, g, end), end);
      return;
    }
    const k = keyEnd(buf, start, end);
    const id = k >= 0 ? matcher.match(buf, start, k) : -1;
    if (id >= 0) {
      this.follow[this.prev] = id;
      this.prev = id;
      this.value(id, buf, valueStart(buf, k, end), end);
    } else if (end > start) this.ctx.unknownKey('port', buf.toString('latin1', start, k >= 0 ? k : Math.min(end, start + 40)));
  }

  /** As EtsParser.lines: a line of the expected key with digits, or the text the key had last time, is read in place. */
  lines(buf: Buffer, start: number, end: number): number {
    let p = start;
    while (p < end && buf[p] !== EQ) {
      const guess = this.follow[this.prev];
      const c = guess >= 0 ? matcher.keyEndIf(guess, buf, p, end) : -1;
      if (c >= 0) {
        const v = valueStart(buf, c, end);
        const next = NUMBER[guess] === 1 ? this.plainNumber(guess, buf, v, end) : REPEATED[guess] === 1 ? this.repeatedText(guess, buf, v, end) : -1;
        if (next >= 0) {
          this.prev = guess;
          p = next;
          continue;
        }
      }
      const nl = buf.indexOf(NL, p);
      if (nl < 0 || nl >= end) break;
      this.line(buf, p, nl > p && buf[nl - 1] === CR ? nl - 1 : nl);
      p = nl + 1;
    }
    return p;
  }

  private plainNumber(id: number, buf: Buffer, v: number, end: number): number {
    let n = 0;
    let q = v;
    for (; q < end; q++) {
      const d = buf[q] - 0x30;
      if (d < 0 || d > 9) break;
      n = n * 10 + d;
    }
    if (q === v || q >= end) return -1;
    const e = buf[q] === CR ? q + 1 : q;
    if (e >= end || buf[e] !== NL) return -1;
    this.setNumber(id, n);
    return e + 1;
  }

  private repeatedText(id: number, buf: Buffer, v: number, end: number): number {
    const len = this.memoLength[id];
    if (len < 0 || v + len >= end) return -1;
    const at = id * MEMO_BYTES;
    for (let k = 0; k < len; k++) if (buf[v + k] !== this.memo[at + k]) return -1;
    const e = buf[v + len] === CR ? v + len + 1 : v + len;
    if (e >= end || buf[e] !== NL) return -1;
    this.setText(id, this.memoText[id], this.memoControls[id]);
    return e + 1;
  }

  private value(id: number, buf: Buffer, v: number, end: number): void {
    if (NUMBER[id] === 1) {
      this.setNumber(id, parseDecimal(buf, v, end));
      return;
    }
    const p = this.p;
    switch (id) {
      case K.Connected: p.connected = text(buf, v, end); return;
      // Each pid of the list: its `<`.
      case K.Links: p.links = countOf(buf, v, end, 0x3c); return;
      case K.Name: p.name = text(buf, v, end); return;
      default: break;
    }
    if (REPEATED[id] !== 1) return; // Task Flags, Monitors, Suspended
    const t = text(buf, v, end);
    const c = CONTROLS[id];
    const controls = c ? `${c[0]}: ${t}` : '';
    this.setText(id, t, controls);
    // Remembered unless it ends with CR (the line ended CR CR LF; the same bytes before a plain
    // LF would be a shorter value).
    if (end - v <= MEMO_BYTES && !(end > v && buf[end - 1] === CR)) {
      buf.copy(this.memo, id * MEMO_BYTES, v, end);
      this.memoLength[id] = end - v;
      this.memoText[id] = t;
      this.memoControls[id] = controls;
    }
  }

  private setNumber(id: number, n: number): void {
    const p = this.p;
    if (id === K.Slot) p.slot = n;
    else if (id === K.Input) p.inputBytes = n;
    else if (id === K.Output) p.outputBytes = n;
    else p.queueBytes = n;
  }

  private setText(id: number, t: string, controls: string): void {
    const p = this.p;
    const c = CONTROLS[id];
    if (c) {
      p.controls = controls;
      p.driver = t;
      p.kind = c[1](t);
    } else if (id === K.State) p.state = t;
    else p.portData = t;
  }
}

function countOf(buf: Buffer, start: number, end: number, byte: number): number {
  let n = 0;
  for (let i = start; i < end; i++) if (buf[i] === byte) n++;
  return n;
}
