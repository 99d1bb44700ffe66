/** The URLs of `serve`'s pages of one process or port, and back. */

/** `0.85.0` or `<0.85.0>` (encoded or not) -> `<0.85.0>`; undefined when it is not a pid. */
export function pidFromPath(part: string): string | undefined {
  let s: string;
  try {
    s = decodeURIComponent(part);
  } catch {
    return undefined;
  }
  const m = /^<?(\d+)\.(\d+)\.(\d+)>?$/.exec(s);
  return m ? `<${m[1]}.${m[2]}.${m[3]}>` : undefined;
}

/** The path of a process's page: `/process/0.85.0`. */
export function processPath(pid: string): string {
  return `/process/${pid.replace(/^<|>$/g, '')}`;
}

/** The path of a port's page: `#Port<0.5>` -> `/port/0.5`. */
export function portPath(id: string): string {
  return `/port/${encodeURIComponent(id.replace(/^#Port<|>$/g, ''))}`;
}
