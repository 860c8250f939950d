/**
 * The `points` promotion kind on the console's promotions sheet (hq/promotions-console): the `multiplier` column read by
 * the config's own schema, written into the Edit textarea's sheet only when such a promotion is in force, read back to
 * the same promotions (diff: nothing), a changed multiplier shown as a field of the diff, and the terms on the page.
 */
import { translator } from '../hq/console/i18n';
import type { Lang } from '../hq/console/types';
import { promotionsTable } from '../hq/promotions-console/pages';
import { diffPromotions } from '../hq/promotions-console/diff';
import { readPromotions } from '../hq/promotions-console/reader';
import { promotionsSheet } from '../hq/promotions-console/sheet';

const OLD_HEADER = 'id,kind,skus,percent,amount,buy,pay,quantity,price,label_en,label_zh-CN,member_only,customer_types,valid_from,valid_to';
const HEADER = `${OLD_HEADER},multiplier`;
const SHEET = [
  HEADER,
  'tea2x,points,TEA|TEA2,,,,,,,Double points on tea,茶叶双倍积分,true,personal,2026-12-07T00:00:00+08:00,2026-12-14T00:00:00+08:00,2',
  'nocig,points,CIG,,,,,,,No points on tobacco,烟草不积分,,,,,0',
  'spring,percent_off,1001,10,,,,,,Spring sale,春季促销,,,,,',
].join('\n');

describe('points promotions on the console sheet', () => {
  it('reads the multiplier column into kind points (0 included), other kinds without it', () => {
    expect(readPromotions(SHEET)).toEqual({
      ok: true,
      promotions: [
        {
          id: 'tea2x',
          kind: 'points',
          skus: ['TEA', 'TEA2'],
          multiplier: 2,
          label: { en: 'Double points on tea', 'zh-CN': '茶叶双倍积分' },
          memberOnly: true,
          customerTypes: ['personal'],
          validFrom: '2026-12-07T00:00:00+08:00',
          validTo: '2026-12-14T00:00:00+08:00',
        },
        { id: 'nocig', kind: 'points', skus: ['CIG'], multiplier: 0, label: { en: 'No points on tobacco', 'zh-CN': '烟草不积分' } },
        { id: 'spring', kind: 'percent_off', skus: ['1001'], percent: 10, label: { en: 'Spring sale', 'zh-CN': '春季促销' } },
      ],
    });
  });

  it('refuses a multiplier out of 0..10 or not whole, a points row without one, and a multiplier on another kind, by line and column', () => {
    const r = readPromotions(
      [
        HEADER,
        'a,points,A,,,,,,,A,甲,,,,,11', // line 2
        'b,points,A,,,,,,,B,乙,,,,,1.5', // line 3
        'c,points,A,,,,,,,C,丙,,,,,', // line 4: missing
        'd,percent_off,A,5,,,,,,D,丁,,,,,2', // line 5: not a field of percent_off
      ].join('\n'),
    );
    if (r.ok) throw new Error('accepted');
    expect(r.problems.map((p) => [p.line, p.field])).toEqual([
      [2, 'multiplier'],
      [3, 'multiplier'],
      [4, 'multiplier'],
      [5, null],
    ]);
    expect(r.problems[0].reason).toMatch(/≤ 10/);
    expect(r.problems[3].reason).toBe('multiplier: unknown field');
  });

  it('Edit: the sheet of what is in force carries the multiplier and reads back to the same promotions; without a points promotion the columns are as before', () => {
    const read = readPromotions(SHEET);
    if (!read.ok) throw new Error('unreadable');
    const sheet = promotionsSheet(read.promotions);
    expect(sheet.csv.split('\n')[0]).toBe(HEADER);
    expect(sheet.inexact).toEqual([]);
    const back = readPromotions(sheet.csv);
    expect(back).toEqual({ ok: true, promotions: read.promotions });
    expect(diffPromotions(read.promotions, (back as { promotions: typeof read.promotions }).promotions)).toMatchObject({ added: [], removed: [], changed: [], unchanged: 3 });

    const others = read.promotions.filter((p) => p.kind !== 'points');
    expect(promotionsSheet(others).csv.split('\n')[0]).toBe(OLD_HEADER);
    expect(promotionsSheet([]).csv.trim()).toBe(OLD_HEADER);
  });

  it('the diff names a changed multiplier (and a kind change) field by field', () => {
    const before = readPromotions(SHEET);
    const after = readPromotions(SHEET.replace(/,2$/m, ',3').replace('nocig,points,CIG,,,,,,,', 'nocig,percent_off,CIG,5,,,,,,').replace(/烟草不积分,,,,,0/, '烟草不积分,,,,,'));
    if (!before.ok || !after.ok) throw new Error(JSON.stringify(after));
    const d = diffPromotions(before.promotions, after.promotions);
    expect(d.changed.map((c) => [c.id, c.fields])).toEqual([
      ['nocig', [{ field: 'kind', before: 'points', after: 'percent_off' }, { field: 'percent', before: undefined, after: 5 }, { field: 'multiplier', before: 0, after: undefined }]],
      ['tea2x', [{ field: 'multiplier', before: 2, after: 3 }]],
    ]);
  });

  it('the promotions in force on the page: a points promotion\'s terms in English and Chinese', () => {
    const read = readPromotions(SHEET);
    if (!read.ok) throw new Error('unreadable');
    const page = (lang: Lang) => promotionsTable({ t: translator(lang), lang, timezone: 'Asia/Shanghai', csrfToken: 't', canPublish: true }, read.promotions, 3).text;
    const cells = (text: string, id: string) => [...(new RegExp(`<tr data-id="${id}">(.*?)</tr>`).exec(text)?.[1] ?? '').matchAll(/<td>(.*?)<\/td>/g)].map((m) => m[1]);
    expect(cells(page('en'), 'tea2x')[4]).toBe('points ×2');
    expect(cells(page('en'), 'nocig')[4]).toBe('points ×0');
    expect(cells(page('zh-CN'), 'tea2x')[4]).toBe('积分 ×2');
    expect(cells(page('en'), 'spring')[4]).toBe('10%');
  });
});
