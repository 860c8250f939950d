import * as fs from 'node:fs';
import * as path from 'node:path';
import { ALL_CATALOGUES, duplicateKeys, fill, langFromAcceptLanguage, mergeCatalogues, translator } from './i18n';
import { FEATURE_ROUTES } from './routes';
import { LANGS, ROLES } from './types';

const merged = mergeCatalogues(ALL_CATALOGUES);

/** Every non-test .ts file under hq/. */
function sources(dir = path.join(__dirname, '..')): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...sources(p));
    else if (e.name.endsWith('.ts') && !e.name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

describe('console texts', () => {
  it('every key exists in both languages, with a non-empty text and the same placeholders', () => {
    const problems: string[] = [];
    for (const key of new Set(LANGS.flatMap((l) => Object.keys(merged[l])))) {
      for (const lang of LANGS) if (!merged[lang][key]) problems.push(`${key}: missing or empty in ${lang}`);
      const vars = LANGS.map((l) => [...(merged[l][key] ?? '').matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort().join(','));
      if (vars[0] !== vars[1]) problems.push(`${key}: placeholders differ (${vars.join(' vs ')})`);
    }
    expect(problems).toEqual([]);
  });

  it('no key is defined by two catalogues', () => {
    expect(duplicateKeys(ALL_CATALOGUES)).toEqual([]);
    expect(duplicateKeys([{ en: { 'a.x': '1' }, 'zh-CN': {} }, { en: { 'a.x': '2' }, 'zh-CN': {} }])).toEqual(['a.x']);
  });

  it('every key the code asks for by name (t(\'…\'), nav labels, role names) exists', () => {
    const wanted = new Set<string>(ROLES.map((r) => `core.role.${r}`));
    for (const r of FEATURE_ROUTES) if (r.nav) wanted.add(r.nav.label);
    for (const file of sources()) {
      const text = fs.readFileSync(file, 'utf8');
      for (const m of text.matchAll(/\bt\(\s*'([a-z][A-Za-z0-9_.-]*)'/g)) wanted.add(m[1]);
    }
    const missing = [...wanted].filter((k) => LANGS.some((l) => !Object.prototype.hasOwnProperty.call(merged[l], k))).sort();
    expect(missing).toEqual([]);
  });

  it('t fills placeholders and shows a missing key as the key itself', () => {
    const t = translator('zh-CN');
    expect(t('core.login.locked', { time: '09:15' })).toBe('失败次数过多，账户已锁定，请于 09:15 后重试。');
    expect(translator('en')('core.login.locked', { time: '09:15' })).toContain('try again at 09:15');
    expect(t('no.such.key')).toBe('no.such.key');
    expect(fill('{a} and {b}', { a: 1 })).toBe('1 and {b}');
  });

  it.each([
    [undefined, 'en'],
    ['zh-CN,zh;q=0.9,en;q=0.8', 'zh-CN'],
    ['en-US,en;q=0.9,zh-CN;q=0.8', 'en'],
    ['de-DE,zh;q=0.5', 'zh-CN'],
    ['fr', 'en'],
    ['en;q=0.1, zh-Hans-CN;q=0.9', 'zh-CN'],
    ['zh;q=0', 'en'],
  ])('Accept-Language %s → %s', (header, lang) => {
    expect(langFromAcceptLanguage(header)).toBe(lang);
  });
});
