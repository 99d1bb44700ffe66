import { KeyMatcher, parseDecimal, text } from '../bytes.js';
import type { LineHandler } from '../scanner.js';
import type { PortKind, PortRecord } from '../types.js';
import { kvHandler, type ParseContext } from './context.js';

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

/** `=port:#Port<C.N>`: what the port is (socket, file, external program) and its queue. */
export function portHandler(id: string, ports: PortRecord[], ctx: ParseContext): LineHandler {
  const p: PortRecord = { id, kind: 'unknown', links: 0 };
  ports.push(p);
  return kvHandler('port', matcher, ctx, (k, buf, v, end) => {
    const s = () => text(buf, v, end);
    switch (k) {
      case K.State: p.state = s(); break;
      case K.Slot: p.slot = parseDecimal(buf, v, end); break;
      case K.Connected: p.connected = s(); break;
      case K.Links: p.links = s().split('<').length - 1; break;
      case K.Name: p.name = s(); break;
      case K.Driver: p.controls = `linked-in driver: ${s()}`; p.driver = s(); p.kind = DRIVER_KIND[p.driver] ?? 'driver'; break;
      case K.Forker: p.controls = `forker process: ${s()}`; p.driver = s(); p.kind = 'forker'; break;
      case K.External: p.controls = `external process: ${s()}`; p.driver = s(); p.kind = 'external process'; break;
      case K.File: p.controls = `file: ${s()}`; p.driver = s(); p.kind = 'file'; break;
      case K.Fd: p.controls = `fd not opened by emulator: ${s()}`; p.driver = s(); p.kind = 'fd'; break;
      case K.Input: p.inputBytes = parseDecimal(buf, v, end); break;
      case K.Output: p.outputBytes = parseDecimal(buf, v, end); break;
      case K.Queue: p.queueBytes = parseDecimal(buf, v, end); break;
      case K.PortData: p.portData = s(); break;
      default: break;
    }
  });
}
