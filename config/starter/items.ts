import { gtinCheckDigit } from '../../kernel/gs1-check-digit';
import { AGE_RESTRICTED, CATEGORIES, VEGETABLES, type Category } from './table';

/** One item as pricebook.json holds it (the shape the price-book reader accepts; money in integer fen). */
export interface StarterItem {
  sku: string;
  barcodes: string[];
  names: { 'zh-CN': string; en: string };
  unitPrice: number;
  taxClass: 'standard' | 'reduced';
  ageLimit: number | null;
  soldByWeight: boolean;
}

/** ¥ amount given as a decimal string ("12.9", "12.90") → integer fen. */
export function fen(yuan: string): number {
  const m = /^(\d+)(?:\.(\d{1,2}))?$/.exec(yuan);
  if (!m) throw new Error(`bad price ${yuan}`);
  return Number(m[1]) * 100 + Number((m[2] ?? '').padEnd(2, '0'));
}

/**
 * Synthetic, stable EAN-13s: brand #k (in order of first appearance) gets GS1 China prefix 690+(k mod 10) and a
 * 4-digit company number; items of a brand are numbered 00001, 00002, … in table order. Not the manufacturers' GTINs.
 */
class SyntheticEans {
  private readonly companies = new Map<string, string>();
  private readonly counters = new Map<string, number>();

  next(brand: string): string {
    let company = this.companies.get(brand);
    if (company === undefined) {
      const k = this.companies.size;
      company = `${690 + (k % 10)}${String(1000 + ((k * 7919) % 9000)).padStart(4, '0')}`;
      this.companies.set(brand, company);
    }
    const n = (this.counters.get(brand) ?? 0) + 1;
    this.counters.set(brand, n);
    const d12 = company + String(n).padStart(5, '0');
    return d12 + String(gtinCheckDigit(d12));
  }
}

type PluBlock = 'fruit' | 'veg' | 'meat';
const PLU_BASE: Record<PluBlock, number> = { fruit: 10000, veg: 20000, meat: 30000 };

/** PLU blocks for weighed goods: fruit 10001…, vegetables 20001…, meat & fish 30001…. */
class Plus {
  private readonly counters: Record<PluBlock, number> = { fruit: 0, veg: 0, meat: 0 };

  next(categoryId: string, zh: string): string {
    const block: PluBlock = categoryId === 'meat' ? 'meat' : VEGETABLES.has(zh) ? 'veg' : 'fruit';
    this.counters[block] += 1;
    return String(PLU_BASE[block] + this.counters[block]);
  }
}

/** Every item of the tables, in SKU order; throws on a category over 99 items or a duplicate SKU or barcode. */
export function buildItems(categories: Category[] = CATEGORIES): StarterItem[] {
  const items: StarterItem[] = [];
  const eans = new SyntheticEans();
  const plus = new Plus();
  categories.forEach((cat, ci) => {
    if (cat.items.length > 99) throw new Error(`category ${cat.id} has more than 99 items`);
    cat.items.forEach(([brand, zh, en, price, flags = ''], ii) => {
      const weighed = flags.includes('w');
      const barcodes = weighed ? [plus.next(cat.id, zh)] : [eans.next(brand)];
      if (flags.includes('2')) barcodes.push(eans.next(brand));
      items.push({
        sku: `SKU-${String((ci + 1) * 100 + ii + 1).padStart(6, '0')}`,
        barcodes,
        names: { 'zh-CN': zh, en },
        unitPrice: fen(price),
        taxClass: weighed || flags.includes('r') ? 'reduced' : 'standard',
        ageLimit: AGE_RESTRICTED.has(cat.id) ? 18 : null,
        soldByWeight: weighed,
      });
    });
  });
  const seen = new Set<string>();
  for (const it of items) {
    for (const key of [it.sku, ...it.barcodes]) {
      if (seen.has(key)) throw new Error(`duplicate key ${key}`);
      seen.add(key);
    }
  }
  return items;
}
