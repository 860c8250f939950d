import { receiptModel } from '../../protocol/receipts/receipt-model';
import { textReceipt, type ReceiptHeader } from '../../protocol/receipts/text-receipt';
import { receiptOrderOf } from './receipt-snapshot';

const HEADER: ReceiptHeader = { storeName: 'S1', storeId: 'S1', deviceId: 'K1', currency: 'CNY', minorUnits: 2, locale: 'zh-CN', timeZone: 'Asia/Shanghai' };

/** An `order_completed` snapshot as the kiosk journals it (JSON), with a member who redeemed points. */
const snapshot = (extra: Record<string, unknown> = {}) =>
  JSON.parse(
    JSON.stringify({
      id: 'o1',
      updatedAt: Date.UTC(2026, 11, 6, 4, 0, 0),
      receiptNo: 5,
      memberId: 'VIP-0042-7788',
      pointsEarned: 9,
      customerType: 'group',
      pointsRedeemed: 150,
      pointsDiscount: 150,
      lines: [{ lineId: 'L1', names: { 'zh-CN': '商品', en: 'Item' } }],
      priced: {
        lines: [{ lineId: 'L1', sku: 'X', quantity: 1, weightGrams: null, unitPrice: 1000, gross: 1000 }],
        discounts: [{ label: { 'zh-CN': '积分抵扣', en: 'Points' }, amount: 150 }],
        taxes: [],
        subtotal: 1000,
        discountTotal: 150,
        taxTotal: 0,
        total: 850,
      },
      payments: [{ method: 'cash', status: 'approved', approvedAmount: 850 }],
      ...extra,
    }),
  ) as unknown;

describe("HQ's receipt copy of a member order", () => {
  it('reads the customer type and the points used from the snapshot and shows the member block', () => {
    const ro = receiptOrderOf(snapshot());
    expect(ro).toMatchObject({ memberId: 'VIP-0042-7788', customerType: 'group', pointsRedeemed: 150, pointsDiscount: 150, pointsEarned: 9 });
    const lines = textReceipt(ro!, HEADER).split('\n');
    expect(lines.slice(-3)).toEqual(['会员 *********7788 (团体)', '  积分抵扣 150 (-¥1.50)', '  本单积分 +9']);
    expect(lines.join('\n')).not.toContain('VIP-0042');
    expect(textReceipt(ro!, { ...HEADER, locale: 'en' }).split('\n').slice(-3)).toEqual([
      'Member *********7788 (Group)',
      '  Points used 150 (-¥1.50)',
      '  Points earned +9',
    ]);
  });

  it('treats an older or malformed snapshot as a personal member with nothing redeemed', () => {
    const old = receiptOrderOf(snapshot({ customerType: 'vip', pointsRedeemed: -5, pointsDiscount: 'x' }));
    expect(receiptModel(old!, HEADER, 'en').member).toEqual({
      id: '*********7788',
      customerType: 'personal',
      customerTypeLabel: null,
      points: 9,
      pointsRedeemed: 0,
      pointsValue: 0,
    });
  });
});
