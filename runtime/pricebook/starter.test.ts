import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PriceItem, Promotion } from '../pricing/types';
import { validatePromotions } from '../pricing/validate';
import { ean13Check, readAll } from '../../test/support/pricebook';

const dir = join(__dirname, '..', '..', 'config', 'starter');
const pricebookPath = join(dir, 'pricebook.json');
const promotions = JSON.parse(readFileSync(join(dir, 'promotions.json'), 'utf8')) as Promotion[];

let items: PriceItem[];
let bySku: Map<string, PriceItem>;
beforeAll(async () => {
  items = await readAll(pricebookPath);
  bySku = new Map(items.map((i) => [i.sku, i]));
});

// that the committed files are what config/starter/generate.ts produces: config/starter/generate.test.ts

describe('starter pricebook.json', () => {
  test('header and size', () => {
    const doc = JSON.parse(readFileSync(pricebookPath, 'utf8')) as { version: string; currency: string; items: unknown[] };
    expect(doc.version).toBe('starter-1');
    expect(doc.currency).toBe('CNY');
    expect(items.length).toBe(doc.items.length);
    expect(items.length).toBeGreaterThanOrEqual(300);
    expect(items.length).toBeLessThanOrEqual(400);
  });

  test('SKUs look like SKU-000123; every item has zh-CN and en names', () => {
    for (const i of items) {
      expect(i.sku).toMatch(/^SKU-\d{6}$/);
      expect(i.names['zh-CN']).toMatch(/\S/);
      expect(i.names.en).toMatch(/\S/);
    }
  });

  test('13-digit barcodes are EAN-13 with a GS1 China prefix (690–699) and a valid check digit', () => {
    const ean = items.flatMap((i) => i.barcodes).filter((b) => b.length === 13);
    expect(ean.length).toBeGreaterThan(250);
    for (const b of ean) {
      expect(b).toMatch(/^69\d{11}$/);
      expect(Number(b[12])).toBe(ean13Check(b));
    }
    expect(items.filter((i) => i.barcodes.length === 2).length).toBeGreaterThanOrEqual(3);
  });

  test('weighed items: 20–30, priced per kg, reduced tax, 5-digit item reference usable in a "22" scale label', () => {
    const weighed = items.filter((i) => i.soldByWeight);
    expect(weighed.length).toBeGreaterThanOrEqual(20);
    expect(weighed.length).toBeLessThanOrEqual(30);
    for (const i of weighed) {
      expect(i.barcodes).toHaveLength(1);
      expect(i.barcodes[0]).toMatch(/^\d{5}$/);
      expect(i.taxClass).toBe('reduced');
      expect(i.ageLimit).toBeNull();
      // 22 + item ref + weight in grams (1.234 kg) + check digit is a well-formed EAN-13
      const d12 = `22${i.barcodes[0]}01234`;
      expect(d12).toMatch(/^\d{12}$/);
      expect(`${d12}${ean13Check(d12)}`).toHaveLength(13);
    }
    // counted items never use the in-store / 5-digit ranges
    for (const i of items.filter((x) => !x.soldByWeight)) for (const b of i.barcodes) expect(b).toMatch(/^69\d{11}$/);
  });

  test('alcohol is 18+, everything else unrestricted; tax classes are standard or reduced', () => {
    const aged = items.filter((i) => i.ageLimit !== null);
    expect(aged.length).toBeGreaterThan(10);
    for (const i of aged) expect(i.ageLimit).toBe(18);
    expect(aged.some((i) => i.names.en.startsWith('Tsingtao'))).toBe(true);
    expect(aged.some((i) => i.names.en.startsWith('Wuliangye'))).toBe(true);
    expect(items.find((i) => i.names.en.startsWith('Wangzhihe Cooking Wine'))!.ageLimit).toBeNull(); // 料酒 is not alcohol for sale
    for (const i of items) expect(['standard', 'reduced']).toContain(i.taxClass);
    expect(items.filter((i) => i.taxClass === 'reduced').length).toBeGreaterThan(30);
  });

  test('prices are plausible integer fen', () => {
    for (const i of items) {
      expect(Number.isSafeInteger(i.unitPrice)).toBe(true);
      expect(i.unitPrice).toBeGreaterThan(0);
      expect(i.unitPrice).toBeLessThan(500_000);
    }
  });
});

describe('starter promotions.json', () => {
  test('8–15 promotions, valid for the pricing engine, unique ids', () => {
    expect(promotions.length).toBeGreaterThanOrEqual(8);
    expect(promotions.length).toBeLessThanOrEqual(15);
    expect(() => validatePromotions(promotions)).not.toThrow();
  });

  test('every promotion references existing SKUs; multi-buys only counted items', () => {
    for (const p of promotions) {
      expect(p.skus.length).toBeGreaterThan(0);
      for (const sku of p.skus) {
        const item = bySku.get(sku);
        expect({ promotion: p.id, sku, exists: item !== undefined }).toEqual({ promotion: p.id, sku, exists: true });
        if (p.kind === 'buy_x_pay_y' || p.kind === 'x_for_price') expect(item!.soldByWeight).toBe(false);
      }
    }
  });

  test('covers every kind, has member-only promotions and zh-CN/en labels', () => {
    const kinds = new Set(promotions.map((p) => p.kind));
    expect([...kinds].sort()).toEqual(['amount_off', 'buy_x_pay_y', 'member_price', 'percent_off', 'x_for_price']);
    expect(promotions.filter((p) => p.memberOnly).length).toBeGreaterThanOrEqual(2);
    for (const p of promotions.filter((x) => x.kind === 'member_price')) expect(p.memberOnly).toBe(true);
    for (const p of promotions) {
      expect(p.label['zh-CN']).toMatch(/\S/);
      expect(p.label.en).toMatch(/\S/);
    }
  });

  test('at least two pairs of promotions overlap on the same SKUs', () => {
    const overlapping: string[] = [];
    promotions.forEach((a, i) =>
      promotions.slice(i + 1).forEach((b) => {
        if (a.skus.some((s) => b.skus.includes(s))) overlapping.push(`${a.id}+${b.id}`);
      }),
    );
    expect(overlapping.length).toBeGreaterThanOrEqual(2);
  });

  test('member prices and multi-buy prices are below the regular price', () => {
    for (const p of promotions) {
      for (const sku of p.skus) {
        const unit = bySku.get(sku)!.unitPrice;
        if (p.kind === 'member_price') expect(p.price).toBeLessThan(unit);
        if (p.kind === 'x_for_price') expect(p.price).toBeLessThan(unit * p.quantity);
        if (p.kind === 'amount_off') expect(p.amount).toBeLessThan(unit);
      }
    }
  });
});
