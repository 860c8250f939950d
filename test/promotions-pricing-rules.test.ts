import fc from 'fast-check';
import { promotionSchema } from '../config/schema';
import { readPromotions } from '../hq/promotions-console/reader';
import { validatePromotions } from '../runtime/pricing/validate';
import type { Promotion } from '../runtime/pricing/types';

/**
 * The console's promotions reader (hq/promotions-console/reader.ts) against the kiosk's pricing engine's own validator
 * (runtime/pricing/validate.ts validatePromotions, run on every promotion whenever a cart is priced): a sheet the
 * console takes must never hold a promotion the engine refuses — published, it would stop every lane of the store
 * from pricing anything. The config schema (config/schema.ts) refuses what the engine refuses: pay ≥ buy, percents
 * with 3+ decimals (config/promotions-schema.property.test.ts checks the schema against the engine for any list).
 */

const HEADER = 'id,kind,skus,percent,buy,pay';

const engineTakes = (p: unknown): boolean => {
  try {
    validatePromotions([p as Promotion]);
    return true;
  } catch {
    return false;
  }
};

describe('promotions sheet vs the kiosk pricing engine', () => {
  it('refuses pay ≥ buy and a percent with more than 2 decimals, by line and column; takes pay < buy and 2 decimals', () => {
    const r = readPromotions(
      [
        HEADER,
        'a,buy_x_pay_y,A,,2,3', // line 2: pay above buy
        'b,buy_x_pay_y,A,,3,3', // line 3: pay equal to buy
        'c,percent_off,A,12.345,,', // line 4: 3 decimals
        'd,percent_off,A,12.34,,', // fine
        'e,buy_x_pay_y,A,,3,2', // fine
      ].join('\n'),
    );
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problems.map((p) => [p.line, p.field])).toEqual([
      [2, 'pay'],
      [3, 'pay'],
      [4, 'percent'],
    ]);
    expect(r.problems[0].reason).toMatch(/expected pay below buy/);
    expect(r.problems[2].reason).toContain('at most 2 decimals');

    const ok = readPromotions([HEADER, 'd,percent_off,A,12.34,,', 'e,buy_x_pay_y,A,,3,2'].join('\n'));
    expect(ok.ok).toBe(true);
    if (ok.ok) for (const p of ok.promotions) expect(engineTakes(p)).toBe(true);
  });

  it('property: a one-row sheet is taken exactly when both the config schema and the pricing engine take its promotion', () => {
    const intText = fc.integer({ min: -3, max: 120 }).map(String);
    const decText = fc
      .tuple(fc.integer({ min: 0, max: 120 }), fc.integer({ min: 1, max: 6 }), fc.nat({ max: 999_999 }))
      .map(([i, digits, frac]) => `${i}.${String(frac).padStart(6, '0').slice(0, digits)}`);
    const numText = fc.oneof(intText, decText);
    const row = fc.oneof(
      fc.record({ kind: fc.constant('percent_off' as const), percent: numText }),
      fc.record({ kind: fc.constant('buy_x_pay_y' as const), buy: numText, pay: numText }),
    );
    fc.assert(
      fc.property(row, (r) => {
        const percent = 'percent' in r ? r.percent : '';
        const buy = 'buy' in r ? r.buy : '';
        const pay = 'pay' in r ? r.pay : '';
        const sheet = `${HEADER}\np1,${r.kind},A,${percent},${buy},${pay}\n`;
        // the promotion the row stands for, built here from the cells (the reader's own conversion is not reused)
        const obj: Record<string, unknown> = { id: 'p1', kind: r.kind, skus: ['A'], label: {} };
        if (percent !== '') obj.percent = Number(percent);
        if (buy !== '') obj.buy = Number(buy);
        if (pay !== '') obj.pay = Number(pay);
        const expected = promotionSchema.safeParse(obj).success && engineTakes(obj);
        const read = readPromotions(sheet);
        expect(read.ok).toBe(expected);
        if (read.ok) expect(engineTakes(read.promotions[0])).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });
});
