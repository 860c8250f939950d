import { GROCERY } from './table-grocery';
import { HOME_AND_FRESH } from './table-home-fresh';

/**
 * One row of the starter price book: [brand, zh-CN name, en name, price ¥ (per kg when weighed), flags?].
 * flags: 'r' = reduced tax class (9 %), 'w' = sold by weight (implies r), '2' = a second barcode (the item's
 * previous packaging GTIN still on shelves; same product and price — never a multipack, which is its own SKU).
 */
export type Row = [brand: string, zh: string, en: string, price: string, flags?: string];

/** A category: its id, its Chinese name and its rows, in SKU order. */
export interface Category {
  id: string;
  zh: string;
  items: Row[];
}

/** Categories get SKU blocks of 100: category n → SKU-000n01 … SKU-000n99 (in table order). */
export const CATEGORIES: Category[] = [...GROCERY, ...HOME_AND_FRESH];

/** Category ids whose every item is alcohol (ageLimit 18). Cooking wine (料酒) in pantry is not. */
export const AGE_RESTRICTED = new Set(['alcohol']);

/** The vegetables among the weighed produce (PLU block 2xxxx); the other weighed produce is fruit (1xxxx). */
export const VEGETABLES = new Set(['西红柿', '黄瓜', '土豆', '胡萝卜', '大白菜', '西兰花', '青椒', '洋葱', '生姜', '大蒜']);
