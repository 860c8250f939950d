/**
 * GS1 Digital Link URIs, uncompressed form (GS1 Digital Link Standard: URI Syntax 1.x), as printed in QR codes on
 * consumer packs: `https://{any domain}/{any path prefix}/01/{gtin}[/22/{cpv}][/10/{lot}][/21/{serial}][?{AI}={value}&…]`.
 * Behaviour follows the GS1 syntax engine's gs1_parseDLuri (github.com/gs1/gs1-syntax-engine src/c-lib/dl.c):
 *  - scheme "http://" or "https://", all lower case or all upper case (mixed case is not a Digital Link);
 *  - the primary key is the rightmost "/{AI}/{value}" of the path, walking back over "/{AI}/{value}" pairs; whatever
 *    precedes it is the path prefix (custom stems allowed); its key qualifiers must follow in the dictionary's order;
 *  - query parameters with an all-digit key are AIs (unknown → error; only "?"-flagged data attributes; an AI that
 *    belongs in the path is an error); other parameters are ignored (reported as warnings); a fragment is ignored;
 *  - percent-decoding ("+" is a space in the query only); "%00" is refused; any AI twice is an error;
 *  - AI (01) with 8, 12 or 13 digits is padded to a GTIN-14 (the engine's permitZeroSuppressedGTINinDLuris option), with a warning.
 * Compressed Digital Link URIs are not decoded (they have no "/{AI}/" path and stay kind 'other').
 * Pure; positions are 0-based indexes into the scan's raw string.
 */
import { AI_TABLE } from './ai-table';
import { MAX_ELEMENTS, type Gs1Pair } from './gs1';
import type { ScanError } from './result';

/** Characters allowed anywhere in a Digital Link URI (RFC 3986 unreserved + reserved + "%"; as dl.c's uriCharacters). */
const URI_CHARS = /^[A-Za-z0-9\-._~:/?#[\]@!$&'()*+,;=%]*$/;
const BAD_DOMAIN_CHARS = /[_~?#@!$&'()*+,;=%]/;
const SCHEME = /^(?:https?|HTTPS?):\/\//;

export interface DigitalLinkInfo {
  /** The URI as scanned. */
  uri: string;
  /** Host (and port) as written. */
  domain: string;
  /** Path before the primary key ("" or e.g. "/some/stem"). */
  pathPrefix: string;
}

export type DigitalLinkParse =
  | { kind: 'not-dl' }
  | { kind: 'error'; error: ScanError; warnings: string[] }
  | { kind: 'ok'; pairs: Gs1Pair[]; info: DigitalLinkInfo; warnings: string[] };

/** Percent-decoding as dl.c's URIunescape: an invalid "%xx" stays literal; null when it decodes a NUL. */
function unescape(s: string, query: boolean): string | null {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '%' && i + 2 < s.length && /^[0-9A-Fa-f]{2}$/.test(s.slice(i + 1, i + 3))) {
      const code = parseInt(s.slice(i + 1, i + 3), 16);
      if (code === 0) return null;
      out += String.fromCharCode(code);
      i += 2;
    } else out += query && c === '+' ? ' ' : c;
  }
  return out;
}

function isKnownAi(s: string): boolean {
  return /^[0-9]{2,4}$/.test(s) && AI_TABLE.has(s);
}

/** The key followed by an order-preserving selection of one of its qualifier alternatives. */
export function isValidPathSequence(ais: readonly string[]): boolean {
  const key = AI_TABLE.get(ais[0] ?? '');
  if (!key?.dlpkey) return false;
  const rest = ais.slice(1);
  return key.dlpkey.some((alt) => {
    let i = 0;
    for (const q of alt) if (i < rest.length && rest[i] === q) i++;
    return i === rest.length;
  });
}

/**
 * Parses `uri` (starting at raw index `offset`). 'not-dl' when it is not an http(s) URI with a GS1 primary key in its
 * path (e.g. a shop's web address); 'error' when it is one but breaks the Digital Link or AI rules.
 */
export function parseDigitalLink(uri: string, offset: number): DigitalLinkParse {
  const scheme = SCHEME.exec(uri);
  if (!scheme) return { kind: 'not-dl' };
  const warnings: string[] = [];
  const afterScheme = scheme[0].length;
  const slash = uri.indexOf('/', afterScheme);
  if (slash < 0) return { kind: 'not-dl' };
  const domain = uri.slice(afterScheme, slash);
  const hashAt = uri.indexOf('#', slash);
  const beforeFragment = hashAt < 0 ? uri : uri.slice(0, hashAt);
  const qAt = beforeFragment.indexOf('?');
  const path = qAt < 0 ? beforeFragment.slice(slash) : beforeFragment.slice(slash, qAt);
  const query = qAt < 0 ? '' : beforeFragment.slice(qAt + 1);

  // Segment start indexes into uri, for positions.
  const segs = path.split('/');
  const segStart: number[] = [];
  let at = slash;
  for (const s of segs) {
    segStart.push(at);
    at += s.length + 1;
  }
  const segAt = (i: number) => segStart[i] + 1;
  // Walk back over "/AI/value" pairs to the rightmost primary key.
  let trailingSlash = false;
  let last = segs.length - 1;
  if (segs[last] === '' && last >= 2 && isKnownAi(segs[last - 1]) === false) {
    trailingSlash = true;
    last--;
  }
  let root = -1;
  for (let j = last; j >= 2; j -= 2) {
    const ai = segs[j - 1];
    if (!isKnownAi(ai)) break;
    if (AI_TABLE.get(ai)?.dlpkey) {
      root = j - 1;
      break;
    }
  }
  if (root < 0) return { kind: 'not-dl' };
  const fail = (error: ScanError): DigitalLinkParse => ({ kind: 'error', error, warnings });
  if (domain.length === 0 || BAD_DOMAIN_CHARS.test(domain)) {
    return fail({ code: 'MALFORMED_GS1', message: `GS1 Digital Link URI has ${domain.length === 0 ? 'no domain' : `an invalid domain "${domain}"`}`, position: offset + afterScheme });
  }
  if (!URI_CHARS.test(uri)) {
    let i = 0;
    while (i < uri.length && URI_CHARS.test(uri[i])) i++;
    return fail({ code: 'MALFORMED_GS1', message: `GS1 Digital Link URI contains a character not allowed in URIs at position ${offset + i}`, position: offset + i });
  }
  if (trailingSlash) return fail({ code: 'MALFORMED_GS1', message: 'GS1 Digital Link URI path must not end with "/"', position: offset + segStart[segs.length - 1] });

  const pairs: Gs1Pair[] = [];
  const pathAis: string[] = [];
  for (let i = root; i <= last; i += 2) {
    const ai = segs[i];
    const raw = segs[i + 1] ?? '';
    if (raw.length === 0) return fail({ code: 'BAD_LENGTH', message: `GS1 Digital Link path element for AI ${ai} is empty`, position: offset + segAt(i), ai });
    const value = unescape(raw, false);
    if (value === null) return fail({ code: 'MALFORMED_GS1', message: `GS1 Digital Link value of AI ${ai} decodes to a NUL character`, position: offset + segAt(i + 1), ai });
    pairs.push({ ai, value, aiPos: offset + segAt(i), vStart: offset + segAt(i + 1) });
    pathAis.push(ai);
  }
  if (!isValidPathSequence(pathAis)) {
    const alts = (AI_TABLE.get(pathAis[0])?.dlpkey ?? []).map((a) => a.join(', ') || 'none').join(' or ');
    return fail({
      code: 'MALFORMED_GS1',
      message: `GS1 Digital Link path /${pathAis.join('/…/')}/… is not a valid key-qualifier sequence (qualifiers of AI ${pathAis[0]}, in order: ${alts})`,
      position: offset + segAt(root),
      ai: pathAis[0],
    });
  }

  let qPos = qAt < 0 ? uri.length : qAt + 1;
  for (const param of query.split('&')) {
    const pStart = qPos;
    qPos += param.length + 1;
    if (param.length === 0) continue;
    const eq = param.indexOf('=');
    const key = eq < 0 ? param : param.slice(0, eq);
    if (eq < 0 || key.length === 0 || !/^[0-9]+$/.test(key)) {
      warnings.push(`GS1 Digital Link query parameter "${param.length > 40 ? `${param.slice(0, 40)}…` : param}" is not an AI; ignored`);
      continue;
    }
    const entry = AI_TABLE.get(key);
    if (!entry) return fail({ code: 'UNKNOWN_AI', message: `unknown application identifier (AI) ${key} in the GS1 Digital Link query at position ${offset + pStart}`, position: offset + pStart, ai: key });
    if (!entry.dlAttribute) {
      return fail({ code: 'MALFORMED_GS1', message: `AI ${key} (${entry.title}) is not allowed as a GS1 Digital Link query attribute`, position: offset + pStart, ai: key });
    }
    for (let k = 1; k <= pathAis.length; k++) {
      if (isValidPathSequence([...pathAis.slice(0, k), key, ...pathAis.slice(k)])) {
        return fail({ code: 'MALFORMED_GS1', message: `AI ${key} (${entry.title}) belongs in the GS1 Digital Link path after AI ${pathAis[k - 1]}, not in the query`, position: offset + pStart, ai: key });
      }
    }
    const raw = param.slice(eq + 1);
    if (raw.length === 0) return fail({ code: 'BAD_LENGTH', message: `GS1 Digital Link query value of AI ${key} is empty`, position: offset + pStart, ai: key });
    const value = unescape(raw, true);
    if (value === null) return fail({ code: 'MALFORMED_GS1', message: `GS1 Digital Link value of AI ${key} decodes to a NUL character`, position: offset + pStart + eq + 1, ai: key });
    if (pairs.length >= MAX_ELEMENTS) return fail({ code: 'MALFORMED_GS1', message: `more than ${MAX_ELEMENTS} AIs in one GS1 Digital Link URI`, position: offset + pStart });
    pairs.push({ ai: key, value, aiPos: offset + pStart, vStart: offset + pStart + eq + 1 });
  }

  const seen = new Map<string, Gs1Pair>();
  for (const p of pairs) {
    const earlier = seen.get(p.ai);
    if (earlier) {
      return fail({ code: 'MALFORMED_GS1', message: `AI ${p.ai} appears twice in the GS1 Digital Link URI (positions ${earlier.aiPos} and ${p.aiPos})`, position: p.aiPos, ai: p.ai });
    }
    seen.set(p.ai, p);
    if (p.ai === '01' && /^[0-9]+$/.test(p.value) && [8, 12, 13].includes(p.value.length)) {
      warnings.push(`GS1 Digital Link GTIN ${p.value} (${p.value.length} digits) padded to 14 digits`);
      p.value = p.value.padStart(14, '0');
    }
  }
  return { kind: 'ok', pairs, info: { uri, domain, pathPrefix: segs.slice(0, root).join('/') }, warnings };
}
