import { receiptJob } from '../../runtime/receipts/receipt-job';
import { receiptBlocks } from '../../runtime/receipts/receipt-blocks';
import { maskMemberId, receiptModel, safeMaskedPan } from './receipt-model';
import { textReceipt } from './text-receipt';
import { exampleOrder, HEADER } from '../../test/support/test-orders';

describe('receiptModel', () => {
  const zh = receiptModel(exampleOrder(), HEADER, 'zh-CN');
  const en = receiptModel(exampleOrder(), HEADER, 'en');

  it('carries the worked example to the minor unit', () => {
    expect(zh).toMatchObject({
      storeName: '鲜果超市 Fresh Mart',
      storeId: 'S001',
      deviceId: 'lane-3',
      receiptNo: '000017',
      date: '2026-11-21 09:31:15',
      subtotal: 2100,
      savings: 70,
      taxTotal: 187,
      total: 2030,
      member: { id: 'M-88', customerType: 'personal', customerTypeLabel: null, points: 20, pointsRedeemed: 0, pointsValue: 0 },
      qrPayload: 'kiosk:S001:lane-3:000017:ord-0001',
      receiptId: 'R000017',
    });
    expect(zh.lines).toEqual([
      { lineId: 'L1', name: '可口可乐 330ml', detail: '2 × ¥3.50', quantity: 2, weightGrams: null, unitPrice: 350, amount: 700 },
      { lineId: 'L2', name: '苹果', detail: '0.750 kg × ¥12.00/kg', quantity: 1, weightGrams: 750, unitPrice: 1200, amount: 900 },
      { lineId: 'L3', name: '全麦面包', detail: null, quantity: 1, weightGrams: null, unitPrice: 500, amount: 500 },
    ]);
    expect(zh.discounts).toEqual([{ label: '可乐九折', amount: 70 }]);
    expect(zh.taxes).toEqual([
      { taxClass: 'reduced', rate: 0.09, label: '税 reduced 9%', base: 1400, tax: 115 },
      { taxClass: 'standard', rate: 0.13, label: '税 standard 13%', base: 630, tax: 72 },
    ]);
    // only the approved attempt is a payment on the receipt
    expect(zh.payments).toEqual([
      { method: 'card', methodLabel: '银行卡', amount: 2030, maskedPan: '621700******1234', traceNumber: '42', authCode: 'A1B2C3' },
    ]);
    // lines add up: gross − discounts = total (tax inclusive)
    expect(zh.lines.reduce((s, l) => s + l.amount, 0) - zh.savings).toBe(zh.total);
  });

  it('localizes names and labels', () => {
    expect(en.lines.map((l) => l.name)).toEqual(['Coca-Cola 330 ml', 'Apples', 'Wholemeal bread']);
    expect(en.discounts[0].label).toBe('Cola 10% off');
    expect(en.taxes[0].label).toBe('Tax reduced 9%');
    expect(en.payments[0].methodLabel).toBe('Card');
    expect(zh.labels).toMatchObject({ subtotal: '小计', total: '合计', tax: '税', savings: '优惠', paid: '付款', points: '会员积分' });
    expect(en.labels).toMatchObject({ subtotal: 'Subtotal', total: 'Total', tax: 'Tax', savings: 'Savings', paid: 'Paid', points: 'Points' });
  });

  it('shows only the masked PAN, trace and auth code — never other references', () => {
    for (const m of [zh, en]) {
      const text = JSON.stringify(m) + JSON.stringify(receiptBlocks(m));
      expect(text).toContain('621700******1234');
      expect(text).not.toContain('6217001234567891234');
      expect(text).not.toContain('52900001');
      // no digit run longer than the longest one in the masked PAN (6)
      const runs = text.match(/\d+/g) ?? [];
      expect(Math.max(...runs.map((r) => r.length))).toBeLessThanOrEqual(6);
    }
  });

  it('re-masks a PAN that shows too many digits', () => {
    expect(safeMaskedPan('621700******1234')).toBe('621700******1234');
    expect(safeMaskedPan('6217001234567891234')).toBe('****1234');
    expect(safeMaskedPan('6217 0012 3456 7891')).toBe('****7891');
    const leaky = exampleOrder();
    leaky.payments[1].reference = { maskedPan: '6217001234567891234' };
    const m = receiptModel(leaky, HEADER, 'en');
    expect(m.payments[0]).toMatchObject({ maskedPan: '****1234', traceNumber: null, authCode: null });
  });

  it('omits member and payment reference rows when absent', () => {
    const o = exampleOrder({ memberId: null, pointsEarned: 0 });
    o.payments = [{ attemptId: 'A1', method: 'cash', amount: 2030, status: 'approved', approvedAmount: 2030, reference: { tender: 'cash' } }];
    const m = receiptModel(o, HEADER, 'zh-CN');
    expect(m.member).toBeNull();
    expect(m.payments).toEqual([{ method: 'cash', methodLabel: '现金', amount: 2030, maskedPan: null, traceNumber: null, authCode: null }]);
  });
});

describe('receiptBlocks', () => {
  it('prints the same receipt as the model, in the printer vocabulary', () => {
    const blocks = receiptBlocks(receiptModel(exampleOrder(), HEADER, 'zh-CN'));
    expect(blocks.slice(0, 4)).toEqual([
      { kind: 'text', text: '鲜果超市 Fresh Mart', align: 'center', bold: true, size: 2 },
      { kind: 'text', text: 'S001 / lane-3', align: 'center' },
      { kind: 'text', text: '单号 000017  2026-11-21 09:31:15' },
      { kind: 'rule' },
    ]);
    expect(blocks).toContainEqual({ kind: 'line', left: '可口可乐 330ml', right: '¥7.00' });
    expect(blocks).toContainEqual({ kind: 'text', text: '  0.750 kg × ¥12.00/kg' });
    expect(blocks).toContainEqual({ kind: 'line', left: '  可乐九折', right: '-¥0.70' });
    expect(blocks).toContainEqual({ kind: 'line', left: '小计', right: '¥21.00' });
    expect(blocks).toContainEqual({ kind: 'line', left: '优惠', right: '-¥0.70' });
    expect(blocks).toContainEqual({ kind: 'text', text: '合计 ¥20.30', bold: true, size: 2, align: 'right' });
    expect(blocks).toContainEqual({ kind: 'line', left: '付款 银行卡 621700******1234', right: '¥20.30' });
    expect(blocks).toContainEqual({ kind: 'text', text: '  流水号 42  授权码 A1B2C3' });
    expect(blocks).toContainEqual({ kind: 'text', text: '会员 M-88' });
    expect(blocks).toContainEqual({ kind: 'text', text: '  本单积分 +20' });
    expect(blocks.slice(-3)).toEqual([
      { kind: 'feed', lines: 1 },
      { kind: 'qr', data: 'kiosk:S001:lane-3:000017:ord-0001' },
      { kind: 'barcode', data: 'R000017', symbology: 'code128' },
    ]);
  });

  it('keeps the QR, barcode and amounts of the existing printed receipt (drop-in for receipt-job.ts)', () => {
    const order = exampleOrder();
    const old = receiptJob(order, { ...HEADER, locale: 'en' }).blocks;
    const fresh = receiptBlocks(receiptModel(order, HEADER, 'en'));
    const rights = (bs: typeof old) => bs.flatMap((b) => (b.kind === 'line' ? [b.right] : []));
    expect(rights(fresh)).toEqual(rights(old));
    expect(fresh.filter((b) => b.kind === 'qr' || b.kind === 'barcode')).toEqual(old.filter((b) => b.kind === 'qr' || b.kind === 'barcode'));
  });

  it('marks a reprint under the receipt number', () => {
    const blocks = receiptBlocks(receiptModel(exampleOrder(), HEADER, 'en'), { reprint: 2 });
    expect(blocks[3]).toEqual({ kind: 'text', text: '*** REPRINT 2 ***', align: 'center', bold: true });
    expect(blocks[4]).toEqual({ kind: 'rule' });
  });
});

describe('member on the receipt (issue 15)', () => {
  // a business member who used 200 points (¥2.00 off) and earned 18
  const member = () =>
    exampleOrder({ memberId: 'MEM-20261234', customerType: 'business', pointsRedeemed: 200, pointsDiscount: 200, pointsEarned: 18 });

  it('masks the member id but for its last 4 characters', () => {
    expect(maskMemberId('MEM-20261234')).toBe('********1234');
    expect(maskMemberId('M-88')).toBe('M-88');
    expect(maskMemberId('会员卡号9876')).toBe('****9876');
  });

  it('carries the masked id, customer type, points used with their value and points earned in the model', () => {
    const zh = receiptModel(member(), HEADER, 'zh-CN');
    expect(zh.member).toEqual({
      id: '********1234',
      customerType: 'business',
      customerTypeLabel: '企业',
      points: 18,
      pointsRedeemed: 200,
      pointsValue: 200,
    });
    expect(JSON.stringify(zh)).not.toContain('MEM-2026');
    expect(receiptModel(exampleOrder({ customerType: 'group' }), HEADER, 'en').member).toMatchObject({ customerTypeLabel: 'Group' });
    // a member without redemption: nothing used, and no type label for a personal member
    expect(receiptModel(exampleOrder(), HEADER, 'en').member).toMatchObject({ customerTypeLabel: null, pointsRedeemed: 0, pointsValue: 0 });
  });

  it('prints the member block in both receipt languages', () => {
    const zh = receiptBlocks(receiptModel(member(), HEADER, 'zh-CN'));
    expect(zh).toContainEqual({ kind: 'text', text: '会员 ********1234 (企业)' });
    expect(zh).toContainEqual({ kind: 'text', text: '  积分抵扣 200 (-¥2.00)' });
    expect(zh).toContainEqual({ kind: 'text', text: '  本单积分 +18' });
    const en = textReceipt(member(), { ...HEADER, locale: 'en' }).split('\n');
    expect(en.slice(-3)).toEqual(['Member ********1234 (Business)', '  Points used 200 (-¥2.00)', '  Points earned +18']);
    const group = textReceipt(exampleOrder({ customerType: 'group' }), { ...HEADER, locale: 'zh-CN' }).split('\n');
    expect(group.slice(-2)).toEqual(['会员 M-88 (团体)', '  本单积分 +20']);
  });

  it('shows no points-used row and no type for a personal member who redeemed nothing', () => {
    const en = textReceipt(exampleOrder(), { ...HEADER, locale: 'en' }).split('\n');
    expect(en.slice(-2)).toEqual(['Member M-88', '  Points earned +20']);
    expect(en.join('\n')).not.toContain('Points used');
  });

  it('renders an order without a member exactly as before', () => {
    // captured from the receipt before members were printed in full (issue 15)
    const o = exampleOrder({ memberId: null, pointsEarned: 0 });
    expect(textReceipt(o, { ...HEADER, locale: 'zh-CN' })).toBe(
      '           鲜果超市 Fresh Mart\n              S001 / lane-3\n单号 000017  2026-11-21 09:31:15\n------------------------------------------\n可口可乐 330ml                       ¥7.00\n  2 × ¥3.50\n苹果                                 ¥9.00\n  0.750 kg × ¥12.00/kg\n全麦面包                             ¥5.00\n  可乐九折                          -¥0.70\n------------------------------------------\n小计                                ¥21.00\n优惠                                -¥0.70\n税 reduced 9%                        ¥1.15\n税 standard 13%                      ¥0.72\n合计                                ¥20.30\n付款 银行卡 621700******1234        ¥20.30\n  流水号 42  授权码 A1B2C3',
    );
    expect(textReceipt(o, { ...HEADER, locale: 'en' })).toBe(
      '           鲜果超市 Fresh Mart\n              S001 / lane-3\nNo. 000017  2026-11-21 09:31:15\n------------------------------------------\nCoca-Cola 330 ml                     ¥7.00\n  2 × ¥3.50\nApples                               ¥9.00\n  0.750 kg × ¥12.00/kg\nWholemeal bread                      ¥5.00\n  Cola 10% off                      -¥0.70\n------------------------------------------\nSubtotal                            ¥21.00\nSavings                             -¥0.70\nTax reduced 9%                       ¥1.15\nTax standard 13%                     ¥0.72\nTotal                               ¥20.30\nPaid Card 621700******1234          ¥20.30\n  trace 42  auth A1B2C3',
    );
  });
});
