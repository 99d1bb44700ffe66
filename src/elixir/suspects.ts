/**
 * Elixir's usual suspects, named: the processes an Elixir engineer looks at first when a node is in
 * trouble (Logger, tasks, GenStage and Broadway stages, Phoenix.PubSub), told by their registered
 * name, initial call or current function as the dump writes them. Rules as data; the renderers
 * print the role beside the name or group.
 */
import { unquoteAtom } from './names.js';

export type ElixirRole = 'Logger' | 'Task' | 'Broadway' | 'GenStage' | 'Phoenix.PubSub';

/** What a rule looks at: a process's names (or a group's key) as the dump writes them. */
export interface SuspectFacts {
  name?: string;
  initialCall?: string;
  currentFunction?: string;
}

/** The module of `m:f/a` (unquoted), or undefined. */
function moduleOf(call: string | undefined): string | undefined {
  if (call === undefined) return undefined;
  const m = /^('(?:[^'\\]|\\.)*'|[^:']+):/.exec(call);
  return m ? unquoteAtom(m[1]) : undefined;
}

interface Rule {
  role: ElixirRole;
  name?: RegExp;
  /** Against the module of the initial call and of the current function. */
  module?: RegExp;
}

// Order matters: Broadway's stages are GenStage processes, named after the pipeline.
const RULES: readonly Rule[] = [
  // Elixir's Logger and the Erlang :logger it runs on since Elixir 1.10 (handlers, proxy, its supervisor).
  { role: 'Logger', name: /^(Elixir\.Logger(\..+)?|logger|logger_.+|error_logger)$/, module: /^(Elixir\.Logger(\..+)?|logger_.+)$/ },
  // Task.async, Task.start and Task.Supervisor's children run in Task.Supervised.
  { role: 'Task', module: /^Elixir\.Task\.Supervised$/ },
  // MyPipeline.Broadway.Producer_0, ...Processor_default_0, ...Batcher_default.
  { role: 'Broadway', name: /^Elixir\..*\bBroadway\.[A-Z]/, module: /^Elixir\.Broadway(\..+)?$/ },
  { role: 'GenStage', module: /^Elixir\.GenStage(\..+)?$/ },
  // MyApp.PubSub (the supervisor), its adapter and shards; Phoenix.PubSub's own modules.
  { role: 'Phoenix.PubSub', name: /^Elixir\.(.+\.)?PubSub(\..+)?$/, module: /^Elixir\.Phoenix\.PubSub(\..+)?$/ },
];

/** The role of a process (or group key) among Elixir's usual suspects, or undefined. */
export function elixirRole(p: SuspectFacts): ElixirRole | undefined {
  const name = p.name === undefined ? undefined : unquoteAtom(p.name);
  const modules = [moduleOf(p.initialCall), moduleOf(p.currentFunction)].filter((m): m is string => m !== undefined);
  for (const r of RULES) {
    if (r.name && name !== undefined && r.name.test(name)) return r.role;
    if (r.module && modules.some((m) => r.module!.test(m))) return r.role;
  }
  return undefined;
}

/** A group's role: its key is a name pattern (`by: 'name'`) or an initial call. */
export function elixirGroupRole(g: { key: string; by: string }): ElixirRole | undefined {
  return g.by === 'name' ? elixirRole({ name: g.key }) : elixirRole({ initialCall: g.key });
}
