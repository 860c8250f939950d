import type { PriceItem } from '../../protocol/pricebook/price-item';
import { diffBooks } from './diff';
import { MESSAGES } from './messages';

/** The price-book diff of the console's /pricebook page: what publishing a book changes, field by field. */

const item = (o: Partial<PriceItem> = {}): PriceItem => ({ sku: 'A1', barcodes: ['6901234567892'], names: { en: 'Apple' }, unitPrice: 350, taxClass: 'standard', ageLimit: null, soldByWeight: false, ...o });

describe('diffBooks', () => {
  it('a change of a customer-type price alone is a change (typePrices), not unchanged', () => {
    const d = diffBooks([item({ typePrices: { business: 300 } })], [item({ typePrices: { business: 280, group: 250 } })]);
    expect(d.unchanged).toBe(0);
    expect(d.changed.map((c) => [c.sku, c.fields])).toEqual([['A1', ['typePrices']]]);
  });

  it('adding customer-type prices to an item that had none is a change; identical items are unchanged', () => {
    expect(diffBooks([item()], [item({ typePrices: { group: 300 } })]).changed[0]?.fields).toEqual(['typePrices']);
    const same = diffBooks([item({ typePrices: { business: 300 } })], [item({ typePrices: { business: 300 } })]);
    expect(same).toEqual({ added: [], removed: [], changed: [], unchanged: 1 });
  });

  it("the upload help names the customer-type price columns in both languages", () => {
    for (const lang of ['en', 'zh-CN'] as const) {
      expect(MESSAGES[lang]['pricebook.uploadHelp']).toContain('price_business');
      expect(MESSAGES[lang]['pricebook.uploadHelp']).toContain('price_group');
    }
  });
});
