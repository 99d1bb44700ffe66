import { KeyMatcher, text } from '../bytes.js';
import type { LineHandler } from '../scanner.js';
import type { NodeConnection } from '../types.js';
import { kvHandler, type ParseContext } from './context.js';

const KEYS = ['Name', 'Controller', 'Creation', 'Remote link', 'Remote monitoring', 'Remotely monitored by', 'Error'] as const;
const matcher = new KeyMatcher(KEYS);

/** `=visible_node:CH`, `=hidden_node:CH`, `=not_connected:CH`. */
export function nodeHandler(kind: NodeConnection['kind'], channel: string, out: NodeConnection[], ctx: ParseContext): LineHandler {
  const c: NodeConnection = { kind, channel, remoteLinks: 0, remoteMonitors: 0, remotelyMonitoredBy: 0 };
  out.push(c);
  return kvHandler('node', matcher, ctx, (k, buf, v, end) => {
    switch (k) {
      case 0: c.name = text(buf, v, end); break;
      case 1: c.controller = text(buf, v, end); break;
      case 2: c.creation = text(buf, v, end); break;
      case 3: c.remoteLinks++; break;
      case 4: c.remoteMonitors++; break;
      case 5: c.remotelyMonitoredBy++; break;
      default: break;
    }
  });
}
