/**
 * What an input's first bytes say of when it was taken and on which node (collect writes both),
 * and what its file name says of its kind: apart from input.ts, so that `alloc` has them without
 * loading the inputs of `check` and `trend` (their globbing, the dump triage).
 */

import { basename } from 'node:path';

/** `taken_at 2026-11-28T01:45:00.123Z` in a `%` comment, or `"takenAt": "..."` in JSON. */
const TAKEN_AT = /taken_?at["']?\s*[:=]?\s*"?(\d{4}-\d\d-\d\d[T ]\d\d:\d\d(?::\d\d(?:\.\d+)?)?(?:Z|[+-]\d\d:?\d\d)?)/i;

/** `node NAME@HOST` in collect's `%%` comment line, or `"node": "NAME@HOST"` in JSON. */
const NODE = /(?:%% beamscope collect: node |"node"\s*:\s*")([^\s,"']+@[^\s,"']+)/;

export function contentNode(head: string): string | undefined {
  return NODE.exec(head.slice(0, 4096))?.[1];
}

export function contentTime(head: string): number | undefined {
  const m = TAKEN_AT.exec(head.slice(0, 4096));
  if (!m) return undefined;
  const ms = Date.parse(m[1].replace(' ', 'T'));
  return Number.isFinite(ms) ? ms : undefined;
}

/**
 * What a collected file is, without when: `alloc-20261205T030625.354Z.snapshot` -> `alloc`
 * (collect's names, and check --node's `alloc.snapshot`); other names lose their extension only.
 */
export function inputKind(name: string): string {
  return inputStem(name).replace(/[-_.]?(\d{8}T\d{4,6}(\.\d+)?Z?|\d{4}-\d\d-\d\dT[\d:.]+Z?)$/, '') || inputStem(name);
}

/** A short, unique-enough name for perfdata labels: the file name without its extension. */
export function inputStem(name: string): string {
  const b = basename(name);
  const dot = b.lastIndexOf('.');
  return dot > 0 ? b.slice(0, dot) : b;
}
