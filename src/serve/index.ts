/**
 * `beamscope serve`: a local web UI over a whole dump (Node's own http, no framework). The server
 * (server.ts: token, headers, loopback), the URLs (routes.ts), the data of each page (session.ts,
 * process-query.ts) and the HTML (pages.ts) are apart.
 */
import type { Dump } from '../dump/types.js';
import { routerFor } from './routes.js';
import { listen, type RunningServer, type ServeListenOptions } from './server.js';
import { ServeSession } from './session.js';

export { ServeSession } from './session.js';
export { isLoopback, listen, CONTENT_SECURITY_POLICY, type RunningServer, type ServeListenOptions } from './server.js';

/** Serves a dump read by readDump; resolves once it listens (its URL carries the token). */
export function serveDump(dump: Dump, opts: ServeListenOptions = {}): Promise<RunningServer> {
  return listen(routerFor(new ServeSession(dump)), opts);
}
