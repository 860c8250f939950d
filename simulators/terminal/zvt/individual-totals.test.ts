import { hex, toHex } from './bytes';
import { individualTotals, totalsGroupOf, TOTALS_GROUPS, type TotalsGroup } from './status-info';

const none = (): Record<TotalsGroup, { count: number; total: number }> =>
  Object.fromEntries(TOTALS_GROUPS.map((g) => [g, { count: 0, total: 0 }])) as Record<TotalsGroup, { count: number; total: number }>;

describe("the simulator's own BMP 60 encoder (PA00P015 BMP 60, individual totals)", () => {
  it('writes the spec layout: receipt-no start/end 2 BCD each, then per group 1 byte count + 6 BCD turnover', () => {
    const groups = none();
    groups.girocard = { count: 2, total: 1734 };
    groups.visa = { count: 1, total: 99 };
    const bytes = individualTotals({ firstReceipt: 1, lastReceipt: 3, groups });
    expect(toHex(bytes)).toBe(
      toHex(
        hex(
          '00 01 00 03  02 00 00 00 00 17 34  00 00 00 00 00 00 00  00 00 00 00 00 00 00  00 00 00 00 00 00 00  01 00 00 00 00 00 99  00 00 00 00 00 00 00  00 00 00 00 00 00 00',
        ),
      ),
    );
    expect(bytes.length).toBe(53);
  });

  it('a count above 255 is sent as 255 (one byte)', () => {
    const groups = none();
    groups.remaining = { count: 300, total: 5 };
    const bytes = individualTotals({ firstReceipt: 1, lastReceipt: 2, groups });
    expect(bytes[4 + 6 * 7]).toBe(255);
  });

  it.each<[number | undefined, string | undefined, TotalsGroup]>([
    [5, 'girocard', 'girocard'],
    [2, undefined, 'girocard'],
    [14, 'JCB', 'jcb'],
    [6, 'Mastercard', 'eurocard'],
    [8, 'American Express', 'amex'],
    [10, 'VISA', 'visa'],
    [11, 'VISA electron', 'visa'],
    [13, 'V PAY', 'visa'],
    [12, 'Diners', 'diners'],
    [46, 'Maestro', 'remaining'],
    [undefined, 'VISA', 'visa'],
    [undefined, undefined, 'remaining'],
  ])('card type %p (%p) is booked under %s', (type, name, group) => {
    expect(totalsGroupOf(type, name)).toBe(group);
  });
});
