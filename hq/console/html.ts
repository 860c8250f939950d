/**
 * HTML for the console, escaped by default: every value put into an {@link html} template is escaped unless it is
 * itself `Html` (another template, or {@link raw} for markup the code wrote). Strings from kiosks (store and item
 * names, reasons), users and URLs therefore can never become markup.
 */
export class Html {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;', '`': '&#96;' };

/** Escapes text for HTML content and quoted attribute values. */
export const escapeHtml = (s: string): string => s.replace(/[&<>"'`]/g, (c) => ESCAPES[c]);

/** Markup the code wrote itself (never data). */
export const raw = (s: string): Html => new Html(s);

type Value = Html | string | number | bigint | boolean | null | undefined | readonly Value[];

function render(v: Value): string {
  if (v === null || v === undefined || v === false) return '';
  if (v instanceof Html) return v.text;
  if (Array.isArray(v)) return v.map(render).join('');
  return escapeHtml(String(v));
}

/** `html\`<td>${name}</td>\`` — interpolations are escaped; arrays are joined; null/undefined/false render nothing. */
export function html(strings: TemplateStringsArray, ...values: Value[]): Html {
  let out = strings[0];
  for (let i = 0; i < values.length; i++) out += render(values[i]) + strings[i + 1];
  return new Html(out);
}

/**
 * Data for the page's scripts: `<script type="application/json" id=ID>` (never executed; the CSP allows no inline
 * script). `<`, `>`, `&` and the JS line separators are escaped so no payload can close the element.
 */
export function jsonScript(id: string, data: unknown): Html {
  const json = JSON.stringify(data ?? null).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return html`<script type="application/json" id="${id}">${raw(json)}</script>`;
}

/** The hidden CSRF field every POST form carries (checked by the console core for every POST). */
export const csrfField = (token: string): Html => html`<input type="hidden" name="_csrf" value="${token}">`;
