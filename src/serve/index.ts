/**
 * `beamscope serve`: a local web UI over a whole dump (Node's own http, no framework). The server
 * (server.ts: token, headers, loopback), the URLs (routes.ts), the data of each page (session.ts,
 * process-query.ts) and the HTML (pages.ts) are apart.
 */
import type { Dump } from '../dump/types.js';
import { elixirStructs } from '../elixir/detect.js';
import { elixirView } from '../elixir/view.js';
import { routerFor } from './routes.js';
import { listen, type RunningServer, type ServeListenOptions } from './server.js';
import { ServeSession } from './session.js';

export { ServeSession } from './session.js';
export { isLoopback, listen, CONTENT_SECURITY_POLICY, type RunningServer, type ServeListenOptions } from './server.js';

/**
 * Serves a dump read by readDump; resolves once it listens (its URL carries the token). With
 * `elixir` (the CLI's --syntax, src/elixir), names and terms show in Elixir syntax.
 */
export function serveDump(dump: Dump, opts: ServeListenOptions & { elixir?: { reason: string } } = {}): Promise<RunningServer> {
  const { elixir, ...listenOpts } = opts;
  const view = elixir ? elixirView(elixir.reason, elixirStructs(dump)) : undefined;
  return listen(routerFor(new ServeSession(dump, view)), listenOpts);
}
