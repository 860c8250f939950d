/**
 * The GS1 application identifier table, read from GS1's Barcode Syntax Dictionary (gs1-syntax-dictionary.txt, copied
 * from github.com/gs1/gs1-syntax-engine; its entry lines are embedded in ai-dictionary.generated.ts and parsed here once
 * at load — about 330 short lines).
 *
 * Entry syntax (from the dictionary's header): `AIs [Flags] Specification [Attributes...] [# Title]`, e.g.
 *   `01  *?  N14,csum,gcppos2  ex=255,37 dlpkey=22,10,21|235  # GTIN`
 * Flags: "*" predefined length (no FNC1 separator after it), "?" permitted as a GS1 Digital Link query attribute.
 * Specification: components `N`/`X`/`Y`/`Z` + length (`N6` fixed, `X..20` 1–20), optional ones in `[…]`, each with
 * comma-separated linter names. Attributes used here: `dlpkey[=q1,q2|alt]` (Digital Link primary key and its ordered
 * key qualifiers); `req=`/`ex=` are kept but not enforced at the lane (see the report in gs1.ts).
 */
import { DICTIONARY_ENTRIES } from './ai-dictionary.generated';

/** N digits; X GS1 AI encodable character set 82; Y character set 39; Z base64url (character set 64). */
export type ComponentCharset = 'N' | 'X' | 'Y' | 'Z';

export interface AiComponent {
  charset: ComponentCharset;
  min: number;
  max: number;
  /** Written `[…]`: may be left out once the data is exhausted. */
  optional: boolean;
  /** Linter names from the dictionary, e.g. ["csum", "gcppos2"]. */
  linters: string[];
}

export interface AiEntry {
  ai: string;
  title: string;
  /** Flag "*": predefined length, never followed by a separator. */
  predefined: boolean;
  /** Flag "?": allowed as a Digital Link query-string attribute. */
  dlAttribute: boolean;
  components: AiComponent[];
  /** Digital Link primary key: its allowed qualifier sequences ([[]] = no qualifiers); null when not a key. */
  dlpkey: string[][] | null;
  req: string[];
  ex: string[];
}

const FLAG_CHARS = /^[*!?"$%&'()+,\-./:;<=>@[\\\]^_`{|}~]+$/;
const COMPONENT = /^(\[)?([NXYZ])(\.\.)?([0-9]{1,3})(\])?((?:,[a-z0-9]+)*)$/;

/** One dictionary line → entries (a range such as 3100-3105 gives six). Throws on malformed lines (a build-time bug). */
export function parseDictionaryEntry(line: string): AiEntry[] {
  const hash = line.indexOf('#');
  const title = hash >= 0 ? line.slice(hash + 1).trim() : '';
  const tokens = (hash >= 0 ? line.slice(0, hash) : line).trim().split(/\s+/);
  const aiSpec = tokens.shift() ?? '';
  const range = /^([0-9]{2,4})(?:-([0-9]{2,4}))?$/.exec(aiSpec);
  if (!range) throw new Error(`syntax dictionary: bad AI "${aiSpec}" in: ${line}`);
  let flags = '';
  if (tokens.length > 0 && FLAG_CHARS.test(tokens[0])) flags = tokens.shift() ?? '';
  const components: AiComponent[] = [];
  while (tokens.length > 0) {
    const m = COMPONENT.exec(tokens[0]);
    if (!m) break;
    tokens.shift();
    const optional = m[1] === '[';
    if (optional !== (m[5] === ']')) throw new Error(`syntax dictionary: unbalanced [ ] in: ${line}`);
    const n = Number(m[4]);
    components.push({ charset: m[2] as ComponentCharset, min: m[3] ? 1 : n, max: n, optional, linters: m[6] ? m[6].slice(1).split(',') : [] });
  }
  if (components.length === 0) throw new Error(`syntax dictionary: no specification in: ${line}`);
  let dlpkey: string[][] | null = null;
  const req: string[] = [];
  const ex: string[] = [];
  for (const t of tokens) {
    if (t === 'dlpkey') dlpkey = [[]];
    else if (t.startsWith('dlpkey=')) dlpkey = t.slice(7).split('|').map((alt) => alt.split(','));
    else if (t.startsWith('req=')) req.push(t.slice(4));
    else if (t.startsWith('ex=')) ex.push(t.slice(3));
    else throw new Error(`syntax dictionary: unknown attribute "${t}" in: ${line}`);
  }
  const first = range[1];
  const last = range[2] ?? first;
  if (last.length !== first.length || Number(last) < Number(first)) throw new Error(`syntax dictionary: bad range in: ${line}`);
  const out: AiEntry[] = [];
  for (let n = Number(first); n <= Number(last); n++) {
    out.push({
      ai: String(n).padStart(first.length, '0'),
      title,
      predefined: flags.includes('*'),
      dlAttribute: flags.includes('?'),
      components,
      dlpkey,
      req,
      ex,
    });
  }
  return out;
}

/** The entry lines of a syntax dictionary file (comments and blank lines dropped, whitespace collapsed). */
export function dictionaryEntryLines(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l.length > 0 && !l.startsWith('#'))
    .map((l) => l.replace(/\s+/g, ' '));
}

/** Every AI of the dictionary, keyed by AI. */
export const AI_TABLE: ReadonlyMap<string, AiEntry> = new Map(DICTIONARY_ENTRIES.flatMap(parseDictionaryEntry).map((e) => [e.ai, e]));

/** Value length bounds of an entry (optional components count 0 towards the minimum). */
export function valueLengthBounds(e: AiEntry): { min: number; max: number } {
  let min = 0;
  let max = 0;
  for (const c of e.components) {
    if (!c.optional) min += c.min;
    max += c.max;
  }
  return { min, max };
}

/** AI length by its first two digits (GS1 General Specifications Figure 3.2-1), for naming unknown AIs. */
export function aiLengthByPrefix(first2: string): number {
  const n = Number(first2);
  if (n <= 22 || n === 30 || n === 37 || n >= 90) return 2;
  if ((n >= 23 && n <= 25) || (n >= 40 && n <= 42) || n === 71) return 3;
  return 4;
}

/** The entry whose AI is a prefix of `s` at `pos` (GS1 AIs are prefix-free; a test checks it), or undefined. */
export function lookupAiAt(s: string, pos: number): AiEntry | undefined {
  for (const len of [2, 3, 4]) {
    const e = AI_TABLE.get(s.slice(pos, pos + len));
    if (e) return e;
  }
  return undefined;
}
