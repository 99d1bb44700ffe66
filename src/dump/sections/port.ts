import { KeyMatcher, parseDecimal, text } from '../bytes.js';
import type { PortKind, PortRecord } from '../types.js';
import { BulkParser } from './bulk-parser.js';
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
/** Per key that says what is behind the port: what `controls` says before the name, and the kind. */
const CONTROLS: Array<[string, (driver: string) => PortKind] | undefined> = new Array(KEYS.length).fill(undefined);
// Own keys only: a driver named `constructor` in a hostile dump is a driver, not Object's.
CONTROLS[K.Driver] = ['linked-in driver', (d) => (Object.hasOwn(DRIVER_KIND, d) ? DRIVER_KIND[d] : 'driver')];
CONTROLS[K.Forker] = ['forker process', () => 'forker'];
CONTROLS[K.External] = ['external process', () => 'external process'];
CONTROLS[K.File] = ['file', () => 'file'];
CONTROLS[K.Fd] = ['fd not opened by emulator', () => 'fd'];

/** Keys whose value is a whole number. */
const NUMBER = Uint8Array.from(KEYS, (_, k) => (k === K.Slot || k === K.Input || k === K.Output || k === K.Queue ? 1 : 0));
/** Keys whose text is most often the one the port before had (a state, a driver, `inet_tcp`). */
const REPEATED = Uint8Array.from(KEYS, (_, k) => (k === K.State || k === K.PortData || CONTROLS[k] !== undefined ? 1 : 0));

/** What a port's driver line makes: its text, and `controls`. */
interface Driver { text: string; controls: string }

/**
 * `=port:#Port<C.N>`: what the port is (socket, file, external program) and its queue. One parser
 * for every port, reading in bulk (BulkParser): a broker with a million connections has a million
 * ports.
 */
export class PortParser extends BulkParser {
  private p: PortRecord = { id: '', kind: 'unknown', links: 0 };

  constructor(ctx: ParseContext) {
    super('port', matcher, NUMBER, REPEATED, ctx);
  }

  begin(id: string, ports: PortRecord[]): this {
    // Every field from the start: one object shape for all ports.
    this.p = {
      id, kind: 'unknown', links: 0, state: undefined, slot: undefined, connected: undefined, name: undefined, controls: undefined,
      driver: undefined, inputBytes: undefined, outputBytes: undefined, queueBytes: undefined, portData: undefined,
    };
    ports.push(this.p);
    this.restart();
    return this;
  }

  protected value(id: number, buf: Buffer, v: number, end: number): void {
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
    const made: string | Driver = c ? { text: t, controls: `${c[0]}: ${t}` } : t;
    this.setRepeated(id, made);
    this.remember(id, made);
  }

  protected setNumber(id: number, n: number): void {
    const p = this.p;
    if (id === K.Slot) p.slot = n;
    else if (id === K.Input) p.inputBytes = n;
    else if (id === K.Output) p.outputBytes = n;
    else p.queueBytes = n;
  }

  protected setRepeated(id: number, made: unknown): void {
    const p = this.p;
    const c = CONTROLS[id];
    if (c) {
      const d = made as Driver;
      p.controls = d.controls;
      p.driver = d.text;
      p.kind = c[1](d.text);
    } else if (id === K.State) p.state = made as string;
    else p.portData = made as string;
  }
}

function countOf(buf: Buffer, start: number, end: number, byte: number): number {
  let n = 0;
  for (let i = start; i < end; i++) if (buf[i] === byte) n++;
  return n;
}
