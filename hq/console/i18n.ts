import { MESSAGES as CORE } from './messages';
import { FEATURE_MESSAGES } from './routes';
import { LANGS, type Lang, type Messages, type Translate } from './types';

/**
 * The console's texts: the core's catalogue and every feature's, merged per language. `t(key, {name})` fills
 * `{name}` placeholders; a missing key shows the key itself (and hq/console/i18n.test.ts fails on it).
 */
export function mergeCatalogues(catalogues: readonly Messages[]): Messages {
  const out: Messages = { en: {}, 'zh-CN': {} };
  for (const c of catalogues) for (const lang of LANGS) Object.assign(out[lang], c[lang]);
  return out;
}

/** Keys defined by more than one catalogue (per language): each must be defined once. */
export function duplicateKeys(catalogues: readonly Messages[]): string[] {
  const dup = new Set<string>();
  for (const lang of LANGS) {
    const seen = new Set<string>();
    for (const c of catalogues)
      for (const k of Object.keys(c[lang] ?? {})) {
        if (seen.has(k)) dup.add(k);
        seen.add(k);
      }
  }
  return [...dup].sort();
}

export const ALL_CATALOGUES: readonly Messages[] = [CORE, ...FEATURE_MESSAGES];

let merged: Messages | undefined;
const catalogue = (): Messages => (merged ??= mergeCatalogues(ALL_CATALOGUES));

export function fill(text: string, vars?: Record<string, string | number>): string {
  if (!vars) return text;
  return text.replace(/\{(\w+)\}/g, (m, name: string) => (Object.prototype.hasOwnProperty.call(vars, name) ? String(vars[name]) : m));
}

export function translator(lang: Lang, messages: Messages = catalogue()): Translate {
  const table = messages[lang];
  return (key, vars) => fill(Object.prototype.hasOwnProperty.call(table, key) ? table[key] : key, vars);
}

export const isLang = (s: unknown): s is Lang => typeof s === 'string' && (LANGS as readonly string[]).includes(s);

/** `zh`, `zh-CN`, `zh-Hans-CN` … → zh-CN; anything else (or nothing) → en. The first listed supported language wins. */
export function langFromAcceptLanguage(header: string | undefined): Lang {
  if (!header) return 'en';
  const tags = header
    .slice(0, 500)
    .split(',')
    .map((part, i) => {
      const [tag, ...params] = part.trim().split(';');
      const q = params.map((p) => /^\s*q=([\d.]+)\s*$/.exec(p)).find(Boolean);
      return { tag: tag.toLowerCase(), q: q ? Number(q[1]) : 1, i };
    })
    .filter((x) => x.q > 0)
    .sort((a, b) => b.q - a.q || a.i - b.i);
  for (const { tag } of tags) {
    if (tag === 'zh' || tag.startsWith('zh-')) return 'zh-CN';
    if (tag === 'en' || tag.startsWith('en-')) return 'en';
  }
  return 'en';
}
