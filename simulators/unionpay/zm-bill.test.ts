import type { AcpOrder } from './acp-ledger';
import { feeOf, writeZmBill, zmFileName } from './zm-bill';

const order = (o: Partial<AcpOrder> & Pick<AcpOrder, 'orderId' | 'txnAmt' | 'completedAt'>): AcpOrder => ({
  txnTime: '20261205120000',
  kind: 'consume',
  txnSubType: '06',
  queryId: `Q${o.orderId}`.padEnd(21, '0'),
  traceNo: '000123',
  traceTime: '1205120000',
  status: 'PAID',
  pollsUntilPaid: 0,
  refundedAmount: 0,
  createdAt: o.completedAt ?? 0,
  ...o,
});

describe('ZM bill writer', () => {
  it('fees are round-half-up of amount × rate, in integers', () => {
    expect(feeOf(100, 50)).toBe(1); // 0.5 → 1
    expect(feeOf(300, 50)).toBe(2); // 1.5 → 2
    expect(feeOf(129, 38)).toBe(0); // 0.4902 → 0
    expect(feeOf(1316, 38)).toBe(5); // 5.0008 → 5
    expect(feeOf(999_999_999_999, 38)).toBe(3_800_000_000); // no float rounding at the top of the range
  });

  it('a day is the Beijing day: 23:59:59 +08 is in it, 00:00:00 +08 of the next is not', () => {
    const endOfDay = Date.UTC(2026, 11, 5, 15, 59, 59); // 2026-12-05 23:59:59 Beijing
    const orders = [order({ orderId: 'aaaaaaaa', txnAmt: 100, completedAt: endOfDay }), order({ orderId: 'bbbbbbbb', txnAmt: 200, completedAt: endOfDay + 1000 })];
    const d5 = writeZmBill({ orders, date: '2026-12-05', merId: '777290058110048', feeBps: 38 });
    const d6 = writeZmBill({ orders, date: '2026-12-06', merId: '777290058110048', feeBps: 38 });
    expect(d5.split('\r\n').filter(Boolean)).toHaveLength(1);
    expect(d5).toContain('aaaaaaaa');
    expect(d5.slice(4 + 12 + 12 + 7, 4 + 12 + 12 + 7 + 10)).toBe('1205235959'); // 交易传输时间 MMddHHmmss Beijing
    expect(d6).toContain('bbbbbbbb');
    expect(d6).not.toContain('aaaaaaaa');
    expect(zmFileName('2026-12-05', '777290058110048')).toBe('INN26120588ZM_777290058110048');
  });

  it('reversed, closed, failed and waiting orders never appear', () => {
    const t = Date.UTC(2026, 11, 5, 4);
    const orders = (['REVERSED', 'CLOSED', 'FAILED', 'PAYING'] as const).map((status, i) => order({ orderId: `cccccc0${i}`, txnAmt: 100, completedAt: t, status }));
    expect(writeZmBill({ orders, date: '2026-12-05', merId: '777290058110048', feeBps: 38 })).toBe('');
  });
});
