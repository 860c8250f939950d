/**
 * The simulator's reading and writing of WeChat Pay's flat XML (`<xml><name><![CDATA[value]]></name>…</xml>`), as
 * its API documents every request and answer. Its own code (not the kiosk's): a bounded scan that accepts only a
 * flat list of elements, each holding text and/or CDATA; DTDs, entity declarations, processing instructions inside
 * the document, attributes and nesting are refused (null). Never throws.
 */

export const MAX_REQUEST_BYTES = 64 * 1024;
const MAX_ELEMENTS = 200;
const ELEMENT = /^<([A-Za-z_][A-Za-z0-9_]{0,63})>((?:<!\[CDATA\[[\s\S]*?\]\]>|[^<])*)<\/\1>/;
const CDATA = /<!\[CDATA\[([\s\S]*?)\]\]>/g;

export function readXml(body: Buffer | string): Record<string, string> | null {
  try {
    if ((typeof body === 'string' ? Buffer.byteLength(body) : body.length) > MAX_REQUEST_BYTES) return null;
    let rest = (typeof body === 'string' ? body : body.toString('utf8')).trim();
    rest = rest.replace(/^<\?xml[^?]*\?>\s*/, '');
    if (!rest.startsWith('<xml>') || !rest.endsWith('</xml>')) return null;
    rest = rest.slice(5, -6).trim();
    const out = new Map<string, string>();
    while (rest.length > 0) {
      const m = ELEMENT.exec(rest);
      if (!m || out.has(m[1]) || out.size >= MAX_ELEMENTS) return null;
      const value = textOf(m[2]);
      if (value === null) return null;
      out.set(m[1], value);
      rest = rest.slice(m[0].length).trimStart();
    }
    return Object.fromEntries(out);
  } catch {
    return null;
  }
}

function textOf(content: string): string | null {
  let value = '';
  let last = 0;
  for (const m of content.matchAll(CDATA)) {
    const plain = unescape(content.slice(last, m.index));
    if (plain === null) return null;
    value += plain + m[1];
    last = (m.index ?? 0) + m[0].length;
  }
  const tail = unescape(content.slice(last));
  return tail === null ? null : value + tail;
}

const ENTITY: Record<string, string> = { '&lt;': '<', '&gt;': '>', '&amp;': '&', '&quot;': '"', '&apos;': "'" };

function unescape(s: string): string | null {
  if (s.includes('<')) return null;
  // every & must open one of XML's five predefined entities; anything else (&#…;, &custom;) is refused
  if (/&(?!(?:lt|gt|amp|quot|apos);)/.test(s)) return null;
  return s.replace(/&(?:lt|gt|amp|quot|apos);/g, (e) => ENTITY[e]);
}

/** Writes an answer: every value in CDATA. */
export function writeXml(fields: Record<string, string>): string {
  const parts = ['<xml>'];
  for (const name of Object.keys(fields)) {
    parts.push(`<${name}><![CDATA[${fields[name].split(']]>').join(']]]]><![CDATA[>')}]]></${name}>`);
  }
  parts.push('</xml>');
  return parts.join('');
}
