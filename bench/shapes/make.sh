#!/usr/bin/env bash
# Writes the dumps of shapes.erl into DIR (default bench/out/shapes): SHAPE.dump for each shape
# named (default all). About 1.5 GB in all; big_literal takes minutes (compile:forms of its literal).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="${1:-$here/../out/shapes}"; shift || true
shapes=("$@"); [ ${#shapes[@]} -gt 0 ] || shapes=(big_binary supervisor big_literal dict_ports big_map gb_tree big_tuple off_heap_queue call_storm timer_leak binary_cache ets_heavy port_backlog slow_clients table_per_process)
mkdir -p "$out"
ebin="$(mktemp -d)"; trap 'rm -rf "$ebin"' EXIT
erlc -o "$ebin" "$here/shapes.erl"
export ERL_CRASH_DUMP_SECONDS=-1
for s in "${shapes[@]}"; do
  rm -f "$out/$s.dump"
  (ulimit -n 20000 2>/dev/null || true
   ERL_CRASH_DUMP="$out/$s.dump" erl +P 1000000 +Q 65536 -noshell -noinput -pa "$ebin" -s shapes "$s" >/dev/null 2>&1 </dev/null || true)
  [ "$(tail -c 5 "$out/$s.dump" 2>/dev/null)" = "=end" ] || { echo "$s: no complete dump at $out/$s.dump" >&2; exit 1; }
  echo "$out/$s.dump $(stat -c %s "$out/$s.dump") bytes"
done
