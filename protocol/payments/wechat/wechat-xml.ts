/**
 * The flat XML of WeChat Pay v2 messages: `<xml><k><![CDATA[v]]></k>…</xml>`, one level, no attributes.
 *
 * The decoder is written for bytes from the network: bounded (bytes, fields, name length), flat (a nested element
 * is refused), no DTD, no entity declarations, no entities but the five predefined ones; anything else — garbage,
 * truncation, binary — is `null`. It never throws.
 */

export type WechatXmlFields = Record<string, string>;

export interface XmlLimits {
  /** Largest input in UTF-8 bytes; default 256 KiB. */
  maxBytes?: number;
  /** Most fields; default 512 (a refund query lists ~10 fields per refund). */
  maxFields?: number;
}

export const WECHAT_XML_MAX_BYTES = 256 * 1024;
const MAX_FIELDS = 512;
const NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
const PREDEFINED = new Map([['lt', '<'], ['gt', '>'], ['amp', '&'], ['quot', '"'], ['apos', "'"]]);

/** Encodes fields as WeChat's flat XML, every value in CDATA (a `]]>` inside a value is split across sections). */
export function encodeWechatXml(fields: Record<string, string | undefined>): string {
  let out = '<xml>';
  for (const [k, v] of Object.entries(fields)) {
    if (v === undefined) continue;
    if (!NAME.test(k)) throw new RangeError(`not a WeChat field name: ${JSON.stringify(k)}`);
    out += `<${k}><![CDATA[${v.replace(/]]>/g, ']]]]><![CDATA[>')}]]></${k}>`;
  }
  return `${out}</xml>`;
}

/** Decodes a flat `<xml>…</xml>` message; null for anything else. Never throws. */
export function decodeWechatXml(input: string | Buffer, limits: XmlLimits = {}): WechatXmlFields | null {
  try {
    const maxBytes = limits.maxBytes ?? WECHAT_XML_MAX_BYTES;
    const bytes = typeof input === 'string' ? Buffer.byteLength(input, 'utf8') : input.length;
    if (bytes > maxBytes) return null;
    const text = typeof input === 'string' ? input : input.toString('utf8');
    return parse(text, limits.maxFields ?? MAX_FIELDS);
  } catch {
    return null;
  }
}

function parse(text: string, maxFields: number): WechatXmlFields | null {
  let i = skipSpace(text, text.charCodeAt(0) === 0xfeff ? 1 : 0);
  if (text.startsWith('<?xml', i)) {
    const end = text.indexOf('?>', i);
    if (end < 0) return null;
    i = skipSpace(text, end + 2);
  }
  if (!text.startsWith('<xml>', i)) return null;
  i += 5;
  const fields: WechatXmlFields = Object.create(null) as WechatXmlFields;
  let count = 0;
  for (;;) {
    i = skipSpace(text, i);
    if (text.startsWith('</xml>', i)) {
      return skipSpace(text, i + 6) === text.length ? { ...fields } : null;
    }
    if (text.charCodeAt(i) !== 0x3c /* < */) return null;
    const close = text.indexOf('>', i);
    if (close < 0) return null;
    const name = text.slice(i + 1, close);
    if (!NAME.test(name)) return null; // also refuses `<!DOCTYPE`, `<!ENTITY`, `<?pi`, attributes, `</…>`
    i = close + 1;
    let value = '';
    for (;;) {
      if (text.startsWith('<![CDATA[', i)) {
        const end = text.indexOf(']]>', i + 9);
        if (end < 0) return null;
        value += text.slice(i + 9, end);
        i = end + 3;
        continue;
      }
      if (text.startsWith(`</${name}>`, i)) {
        i += name.length + 3;
        break;
      }
      const lt = text.indexOf('<', i);
      if (lt < 0 || lt === i) return null; // truncated, or a nested element
      const chunk = unescapeText(text.slice(i, lt));
      if (chunk === null) return null;
      value += chunk;
      i = lt;
    }
    if (Object.prototype.hasOwnProperty.call(fields, name)) return null;
    if (++count > maxFields) return null;
    fields[name] = value;
  }
}

function skipSpace(text: string, i: number): number {
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) break;
    i++;
  }
  return i;
}

function unescapeText(s: string): string | null {
  if (!s.includes('&')) return s;
  let out = '';
  let i = 0;
  for (;;) {
    const amp = s.indexOf('&', i);
    if (amp < 0) return out + s.slice(i);
    const semi = s.indexOf(';', amp);
    if (semi < 0) return null;
    const rep = PREDEFINED.get(s.slice(amp + 1, semi));
    if (rep === undefined) return null;
    out += s.slice(i, amp) + rep;
    i = semi + 1;
  }
}
