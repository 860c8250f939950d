import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PriceItem } from '../../runtime/pricing/types';
import { readPriceBookFile, type ReadPriceBookOptions } from '../../protocol/pricebook/reader';

/** A temp directory per test file; `cleanup` in afterAll. */
export async function tempDir(): Promise<{ dir: string; write: (name: string, content: string | Buffer) => Promise<string>; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'pricebook-'));
  return {
    dir,
    write: async (name, content) => {
      const p = join(dir, name);
      await writeFile(p, content);
      return p;
    },
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}

export async function readBatches(path: string, opts?: ReadPriceBookOptions): Promise<PriceItem[][]> {
  const out: PriceItem[][] = [];
  for await (const batch of readPriceBookFile(path, opts)) out.push(batch);
  return out;
}

export async function readAll(path: string, opts?: ReadPriceBookOptions): Promise<PriceItem[]> {
  return (await readBatches(path, opts)).flat();
}

export const CSV_HEADER = 'sku,barcodes,name_zh-CN,name_en,unit_price,tax_class,age_limit,sold_by_weight';

/** RFC 4180 field quoting (always quotes when needed). */
export function csvField(s: string): string {
  return /[",\r\n]/.test(s) || s !== s.trim() ? `"${s.replace(/"/g, '""')}"` : s;
}

/**
 * Serialises items as CSV with name columns for `locales`; with `typePriceColumns` (default: when any item has type
 * prices) also price_business and price_group (a blank cell = no price for that type).
 */
export function toCsv(items: PriceItem[], locales: string[] = ['zh-CN', 'en'], eol = '\n', typePriceColumns = items.some((i) => i.typePrices !== undefined)): string {
  const typeCols = typePriceColumns ? (['business', 'group'] as const) : [];
  const head = ['sku', 'barcodes', ...locales.map((l) => `name_${l}`), 'unit_price', 'tax_class', 'age_limit', 'sold_by_weight', ...typeCols.map((t) => `price_${t}`)];
  const rows = items.map((it) =>
    [
      it.sku,
      it.barcodes.join('|'),
      ...locales.map((l) => it.names[l] ?? ''),
      String(it.unitPrice),
      it.taxClass,
      it.ageLimit === null ? '' : String(it.ageLimit),
      String(it.soldByWeight),
      ...typeCols.map((t) => (it.typePrices?.[t] === undefined ? '' : String(it.typePrices[t]))),
    ]
      .map(csvField)
      .join(','),
  );
  return [head.join(','), ...rows].join(eol) + eol;
}

export function item(n: number, over: Partial<PriceItem> = {}): PriceItem {
  return {
    sku: `SKU-${String(n).padStart(6, '0')}`,
    barcodes: [`690000000${String(n).padStart(4, '0')}`],
    names: { 'zh-CN': `商品${n}`, en: `Item ${n}` },
    unitPrice: 100 * n,
    taxClass: 'standard',
    ageLimit: null,
    soldByWeight: false,
    ...over,
  };
}

/** GS1 mod-10 check digit of the first 12 digits of an EAN-13. */
export function ean13Check(d12: string): number {
  let sum = 0;
  for (let i = 0; i < 12; i++) sum += Number(d12[i]) * (i % 2 === 0 ? 1 : 3);
  return (10 - (sum % 10)) % 10;
}
