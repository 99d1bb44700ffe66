/** Formatting helpers for text output: units, separators, tables, and sanitising untrusted text. */

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

/** 1536 -> "1.5 KiB"; NaN -> "?". */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return '?';
  const neg = bytes < 0;
  let v = Math.abs(bytes);
  let u = 0;
  while (v >= 1024 && u < UNITS.length - 1) {
    v /= 1024;
    u++;
  }
  const s = u === 0 ? String(Math.round(v)) : v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2);
  return `${neg ? '-' : ''}${s} ${UNITS[u]}`;
}

/** 48211 -> "48,211". */
export function formatCount(n: number): string {
  if (!Number.isFinite(n)) return '?';
  // By hand: the first toLocaleString call loads ICU's locale data, about 10 ms of every run.
  const r = Math.round(n);
  const digits = String(Math.abs(r));
  return (r < 0 ? '-' : '') + digits.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** `1 timer`, `2 timers`: a count and its noun (`many` for irregular plurals such as `processes`). */
export function countOf(n: number, one: string, many = `${one}s`): string {
  return `${formatCount(n)} ${n === 1 ? one : many}`;
}

/** An estimate to two significant digits: 5,157,267 -> "5,200,000", 12,067 -> "12,000". */
export function formatEstimate(n: number): string {
  if (!Number.isFinite(n) || n < 100) return formatCount(n);
  const unit = 10 ** (Math.floor(Math.log10(n)) - 1);
  return formatCount(Math.round(n / unit) * unit);
}

/** Milliseconds to the largest unit that fits: 850 -> "850 ms", 99994774 -> "27.8 h", 4e8 -> "4.6 days". */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return '?';
  const steps: Array<[number, string]> = [[86_400_000, ' days'], [3_600_000, ' h'], [60_000, ' min'], [1000, ' s']];
  for (const [unit, name] of steps) {
    if (Math.abs(ms) < unit) continue;
    const v = ms / unit;
    return `${v >= 100 ? v.toFixed(0) : v.toFixed(1)}${name}`;
  }
  return `${Math.round(ms)} ms`;
}

/** A span of milliseconds: "27.8 h", or "2.0 min to 27.8 h" when its ends print apart. */
export function formatDurationRange(min: number, max: number): string {
  const lo = formatDuration(min);
  const hi = formatDuration(max);
  return lo === hi ? lo : `${lo} to ${hi}`;
}

/** 0.4567 -> "45.7%". */
export function formatPercent(ratio: number, digits = 1): string {
  if (!Number.isFinite(ratio)) return '?';
  return `${(ratio * 100).toFixed(digits)}%`;
}

/**
 * Text from a dump is untrusted: atoms, slogans and binaries may hold terminal escape sequences.
 * Control characters (C0, DEL, C1) become visible escapes; the rest passes through.
 */
export function sanitize(text: string, maxLength = Infinity): string {
  // eslint-disable-next-line no-control-regex
  let s = text.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => {
    if (c === '\n') return '\\n';
    if (c === '\t') return '\\t';
    if (c === '\r') return '\\r';
    return `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`;
  });
  if (s.length > maxLength) s = `${s.slice(0, Math.max(0, maxLength - 1))}…`;
  return s;
}

export interface Column {
  header: string;
  align?: 'left' | 'right';
  /** Cut cells to this many characters. */
  max?: number;
}

/** An aligned table; cells are sanitised. */
export function table(columns: Column[], rows: Array<Array<string | number>>, indent = '  '): string {
  const cells = rows.map((r) => r.map((c, i) => sanitize(String(c), columns[i]?.max ?? Infinity)));
  const widths = columns.map((c, i) => Math.max(c.header.length, ...cells.map((r) => (r[i] ?? '').length)));
  const fmt = (r: string[]) =>
    indent +
    columns
      .map((c, i) => (c.align === 'right' ? (r[i] ?? '').padStart(widths[i]) : (r[i] ?? '').padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return [fmt(columns.map((c) => c.header)), ...cells.map(fmt)].join('\n');
}

/** A process as people read it: `<0.79.0> (name)`, or the pid alone. */
export function who(p: { pid: string; name?: string | null }): string {
  return p.name ? `${p.pid} (${p.name})` : p.pid;
}
