import { InputError } from '../errors.js';

/**
 * Why a collection failed, as the collector reports it:
 * `node-down` (not running, epmd not answering, connection lost), `cookie` (connection refused),
 * `name` (epmd knows the node, but it answers to another form of its name, which the message gives),
 * `timeout`, `host` (unknown host), `no-escript`, `no-cookie`, `dist` (distribution could not start
 * here), `agent` (the collector module could not run on the node), `rpc` (a call failed there),
 * `io` (a file could not be written), `install`, `interrupted` (stopped through the AbortSignal),
 * `internal`.
 */
export type CollectErrorKind =
  | 'node-down'
  | 'cookie'
  | 'name'
  | 'timeout'
  | 'host'
  | 'no-escript'
  | 'no-cookie'
  | 'dist'
  | 'agent'
  | 'rpc'
  | 'io'
  | 'install'
  | 'usage'
  | 'interrupted'
  | 'internal';

/** An InputError (one line, exit 1; 3 for `check --node`) with the reason's kind. */
export class CollectError extends InputError {
  constructor(
    readonly kind: CollectErrorKind,
    message: string,
  ) {
    super(message);
    this.name = 'CollectError';
  }
}
