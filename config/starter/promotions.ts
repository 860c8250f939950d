import { fen, type StarterItem } from './items';

/** One promotion as promotions.json holds it (the shape runtime/pricing validates; money in integer fen). */
export interface StarterPromotion {
  id: string;
  kind: 'percent_off' | 'amount_off' | 'x_for_price' | 'buy_x_pay_y' | 'member_price';
  label: { 'zh-CN': string; en: string };
  skus: string[];
  percent?: number;
  amount?: number;
  quantity?: number;
  price?: number;
  buy?: number;
  pay?: number;
  memberOnly?: boolean;
  validFrom?: string;
  validTo?: string;
}

/** SKUs whose English name matches `re` (and, optionally, a filter on the item); throws when none does. */
function skusWhere(items: StarterItem[], re: RegExp, filter?: (it: StarterItem) => boolean): string[] {
  const out = items.filter((it) => re.test(it.names.en) && (!filter || filter(it))).map((it) => it.sku);
  if (out.length === 0) throw new Error(`no SKUs match ${re}`);
  return out;
}

/**
 * The starter promotions, every kind, some deliberately overlapping (see README.md). Throws on a duplicate id, an
 * unknown SKU, or a multi-buy (buy_x_pay_y, x_for_price) over a weighed item.
 */
export function buildPromotions(items: StarterItem[]): StarterPromotion[] {
  const counted = (it: StarterItem) => !it.soldByWeight;
  const bySku = new Map(items.map((it) => [it.sku, it]));
  const promos: StarterPromotion[] = [
    {
      id: 'P-LAYS-20OFF',
      kind: 'percent_off',
      label: { 'zh-CN': '乐事薯片 全场8折', en: "Lay's chips 20% off" },
      skus: skusWhere(items, /^Lay's /),
      percent: 20,
    },
    {
      id: 'P-LAYS-2FOR10',
      kind: 'x_for_price',
      label: { 'zh-CN': '乐事薯片70g 任选2袋¥10', en: "Lay's chips 70 g: any 2 for ¥10" },
      skus: skusWhere(items, /^Lay's Potato Chips .* 70 g$/),
      quantity: 2,
      price: fen('10.00'),
    },
    {
      id: 'P-COKE-1OFF',
      kind: 'amount_off',
      label: { 'zh-CN': '可口可乐系列大瓶 每瓶立减¥1', en: 'Coca-Cola family large bottles ¥1 off each' },
      skus: skusWhere(items, /^(Coca-Cola|Sprite) (1\.25|2) L$/),
      amount: fen('1.00'),
    },
    {
      id: 'P-WATER-3FOR5',
      kind: 'x_for_price',
      label: { 'zh-CN': '农夫山泉550ml 3瓶¥5', en: 'Nongfu Spring 550 ml: 3 for ¥5' },
      skus: skusWhere(items, /^Nongfu Spring Natural Water 550 ml$/),
      quantity: 3,
      price: fen('5.00'),
    },
    {
      id: 'P-YOGHURT-3FOR2',
      kind: 'buy_x_pay_y',
      label: { 'zh-CN': '单杯酸奶 买三付二(可混搭)', en: 'Single yoghurts: buy 3, pay 2 (mix & match)' },
      skus: skusWhere(items, /Yoghurt/, (it) => !/×/.test(it.names.en) && counted(it)),
      buy: 3,
      pay: 2,
    },
    {
      id: 'P-YILI-MEMBER-10OFF',
      kind: 'percent_off',
      label: { 'zh-CN': '会员专享 伊利乳品9折', en: 'Members: Yili dairy 10% off' },
      skus: skusWhere(items, /^(Yili|Ambrosial|Qiaolezi) /),
      percent: 10,
      memberOnly: true,
    },
    {
      id: 'P-NOODLE-BOWL-2FOR10',
      kind: 'x_for_price',
      label: { 'zh-CN': '桶装方便面 任选2桶¥10', en: 'Instant noodle bowls: any 2 for ¥10' },
      skus: skusWhere(items, /Noodles Bowl|Laiyitong/, (it) => it.unitPrice <= fen('6.00')),
      quantity: 2,
      price: fen('10.00'),
    },
    {
      id: 'P-MENGNIU-MILK-MEMBER',
      kind: 'member_price',
      label: { 'zh-CN': '蒙牛纯牛奶 会员价', en: 'Mengniu Pure Milk member price' },
      skus: skusWhere(items, /^Mengniu Pure Milk 16×250 ml$/),
      price: fen('45.90'),
      memberOnly: true,
    },
    {
      id: 'P-TSINGTAO-4FOR3',
      kind: 'buy_x_pay_y',
      label: { 'zh-CN': '青岛啤酒罐装 买四付三', en: 'Tsingtao cans: buy 4, pay 3' },
      skus: skusWhere(items, /^Tsingtao .* can$/),
      buy: 4,
      pay: 3,
    },
    {
      id: 'P-TSINGTAO-330-MEMBER',
      kind: 'member_price',
      label: { 'zh-CN': '青岛啤酒经典330ml 会员价¥3.5', en: 'Tsingtao Classic 330 ml member price ¥3.50' },
      skus: skusWhere(items, /^Tsingtao Beer Classic 330 ml can$/),
      price: fen('3.50'),
      memberOnly: true,
    },
    {
      id: 'P-PORK-2OFF-KG',
      kind: 'amount_off',
      label: { 'zh-CN': '鲜猪肉 每斤立减¥1', en: 'Fresh pork ¥1 off per 500 g' },
      skus: skusWhere(items, /^(Pork|Minced Pork)/, (it) => it.soldByWeight),
      amount: fen('2.00'), // per kg
    },
    {
      id: 'P-APPLE-MEMBER-15OFF',
      kind: 'percent_off',
      label: { 'zh-CN': '会员专享 富士苹果85折', en: 'Members: Fuji apples 15% off' },
      skus: skusWhere(items, /^Fuji Apples$/),
      percent: 15,
      memberOnly: true,
    },
    {
      id: 'P-LAUNDRY-CNY2027',
      kind: 'percent_off',
      label: { 'zh-CN': '春节大扫除 洗衣用品87.5折', en: 'Spring Festival clean-up: laundry 12.5% off' },
      skus: skusWhere(items, /Laundry|Washing Powder|Fabric Conditioner/),
      percent: 12.5,
      validFrom: '2027-01-20T00:00:00+08:00',
      validTo: '2027-02-28T23:59:59+08:00',
    },
  ];
  // sanity: references, counted-only kinds, ids
  const ids = new Set<string>();
  for (const p of promos) {
    if (ids.has(p.id)) throw new Error(`duplicate promotion id ${p.id}`);
    ids.add(p.id);
    for (const sku of p.skus) {
      const it = bySku.get(sku);
      if (!it) throw new Error(`${p.id}: unknown SKU ${sku}`);
      if ((p.kind === 'buy_x_pay_y' || p.kind === 'x_for_price') && it.soldByWeight) {
        throw new Error(`${p.id}: ${p.kind} applies to counted items only, ${sku} is weighed`);
      }
    }
  }
  return promos;
}
