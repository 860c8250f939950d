/**
 * The book in force, pre-filled into the price-book page's textarea so an edit starts from it — bounded: the console
 * takes at most {@link CONSOLE_BODY_LIMIT} per request (hq/console/server.ts), so a book whose form post would not fit
 * is not put on the page (which stays light); the page offers the file upload instead.
 */

/** Fastify's bodyLimit in hq/console/server.ts. */
export const CONSOLE_BODY_LIMIT = 1024 * 1024;
/** Room for the form's other fields (CSRF token, store, version) and their names. */
const OTHER_FIELDS = 4 * 1024;

/**
 * The bytes the textarea's text takes in the form post, as a browser sends it: line breaks as CRLF (HTML's
 * textarea value normalization), then application/x-www-form-urlencoded.
 */
export function formBytes(text: string): number {
  return new URLSearchParams({ csv: text.replace(/\r?\n/g, '\r\n') }).toString().length;
}

export type Prefill = { ok: true; csv: string } | { ok: false; bytes: number };

/** The CSV to pre-fill, or its size when posting it back unchanged would not fit the console's body limit. */
export function prefillBook(csv: string, limit = CONSOLE_BODY_LIMIT - OTHER_FIELDS): Prefill {
  const bytes = Buffer.byteLength(csv, 'utf8');
  // the encoded form is never smaller than the text: a book over the limit is not even encoded
  if (bytes > limit || formBytes(csv) > limit) return { ok: false, bytes };
  return { ok: true, csv };
}
