/**
 * Escaping for HTML pages built from crash dumps. Every string that comes from a dump (a registered
 * name, an atom, a binary, the slogan) is untrusted: it reaches a page only through `html`
 * (escaped as text) or `jsonForScript` (inside a JSON data block), never raw.
 */

/** A piece of markup that is safe to put in a page as it is (built by `html` or `trusted`). */
export class Html {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text as HTML text or as a quoted attribute value: `&<>"'` become entities. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ENTITIES[c]);
}

/** A value `html` accepts in a hole: text (escaped), numbers, Html (as is), lists of them, nothing. */
export type HtmlValue = Html | string | number | boolean | null | undefined | readonly HtmlValue[];

function piece(v: HtmlValue): string {
  if (v instanceof Html) return v.text;
  if (v === null || v === undefined || v === false) return '';
  if (Array.isArray(v)) return v.map(piece).join('');
  return escapeHtml(String(v));
}

/**
 * The template tag every page is written with: the literal parts are markup, each hole is escaped
 * text unless it is already Html. `html\`<td>${name}</td>\`` cannot inject markup whatever `name` is.
 * Holes inside attribute values must be quoted (`title="${x}"`): quotes are escaped too.
 */
export function html(strings: TemplateStringsArray, ...values: HtmlValue[]): Html {
  let out = strings[0];
  for (let i = 0; i < values.length; i++) out += piece(values[i]) + strings[i + 1];
  return new Html(out);
}

/** Markup written by beamscope itself (constants, never dump text). */
export function trusted(markup: string): Html {
  return new Html(markup);
}

/**
 * JSON to put inside `<script type="application/json">`: `<`, `>` and `&` as \u escapes, so no
 * string in it can close the element (`</script>`) or open a comment (`<!--`); U+2028 and U+2029
 * too (line terminators in older JavaScript). JSON.parse reads it back unchanged. Non-finite
 * numbers become null, as in every JSON output.
 */
export function jsonForScript(value: unknown): string {
  const text = JSON.stringify(value, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : typeof v === 'bigint' ? v.toString() : v));
  return (text ?? 'null').replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
