/** How every text report prints a finding and a section heading. */
import type { Finding } from '../findings.js';
import { sanitize } from '../text/format.js';

export interface TextOptions {
  /** ANSI colour for severities (only on a terminal and without NO_COLOR; the CLI decides). */
  color?: boolean;
  /** Terminal width, to cut long cells. */
  width?: number;
}

const SEV = { critical: 'CRITICAL', warning: 'WARNING', info: 'info' } as const;
const COLORS = { critical: '\u001b[31;1m', warning: '\u001b[33;1m', info: '\u001b[36m' } as const;
const RESET = '\u001b[0m';

/**
 * A finding: severity and title (with its id in brackets when `withId`), then why, wrapped to the
 * width, then the evidence.
 */
export function renderFinding(f: Finding, opts: TextOptions & { withId?: boolean } = {}): string {
  const width = opts.width ?? 100;
  const label = opts.color ? `${COLORS[f.severity]}${SEV[f.severity]}${RESET}` : SEV[f.severity];
  // f.elixir is there only when the report is in Elixir syntax (src/elixir/report.ts).
  const lines = [`${label}  ${sanitize(f.elixir?.title ?? f.title)}${opts.withId ? `  [${f.id}]` : ''}`];
  for (const l of wrap(sanitize(f.explanation), width - 4)) lines.push(`    ${l}`);
  for (const e of f.elixir?.evidence ?? f.evidence) lines.push(`    - ${sanitize(e, width * 2)}`);
  for (const a of f.elixir?.advice ?? []) {
    wrap(sanitize(a), width - 8).forEach((l, i) => lines.push(`    ${i === 0 ? 'Elixir: ' : '        '}${l}`));
  }
  return lines.join('\n');
}

function wrap(text: string, width: number): string[] {
  const out: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (line && line.length + word.length + 1 > width) {
      out.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) out.push(line);
  return out;
}

/** A section heading, underlined, after a blank line. */
export function heading(title: string): string {
  return `\n${title}\n${'-'.repeat(title.length)}`;
}
