import { foldOrder } from './fold';
import { channelOf, maskCardNumbers, safeReference } from './reference';

/** The pure parts of the projection: hostile payloads, card numbers, channels. */

const e = (seq: number, type: string, payload: unknown) => ({ seq, ts: 1000 + seq, type, payload: typeof payload === 'string' ? payload : JSON.stringify(payload) });

describe('foldOrder', () => {
  it('projects what it can from malformed or hostile payloads and never throws', () => {
    const p = foldOrder('S', 'D', 'o', [
      e(1, 'item_added', 'not json'),
      e(2, 'item_added', { to: 'shopping', total: 1e300, event: null }),
      e(3, 'payment_started', { to: 'payment_pending', total: 5, event: { attemptId: 'a', method: 'card', amount: '5' } }),
      e(4, 'payment_approved', { to: 'paid', event: { attemptId: 'a', amount: 5, reference: { maskedPan: '4111111111111111', x: { deep: 1 } } } }),
      e(5, 'order_completed', { to: 'completed', order: { priced: { lines: 'nope', total: 5 }, lines: [null, 7], receiptNo: 'x' } }),
      e(6, 'refund_issued', { to: 'refunded', event: { amount: -Infinity } }),
    ])!;
    expect(p.order).toMatchObject({ status: 'refunded', total: 5, receipt_no: null, items: 0, methods: 'card', refunded: 0, first_seq: 1, last_seq: 6 });
    expect(p.payments).toEqual([expect.objectContaining({ status: 'approved', amount: 5, reference: '{"maskedPan":"****1111"}' })]);
    expect(p.lines).toEqual([]);
    expect(p.refunds).toEqual([]);
  });

  it('is a function of the set of entries: any order of the same entries gives the same projection', () => {
    const entries = [
      e(1, 'item_added', { to: 'shopping', total: 100, event: {} }),
      e(2, 'checkout_started', { to: 'awaiting_payment', total: 100, event: {} }),
      e(3, 'payment_started', { to: 'payment_pending', total: 100, event: { attemptId: 'a', method: 'qr', amount: 100 } }),
      e(4, 'payment_timed_out', { to: 'payment_unknown', total: 100, event: { attemptId: 'a' } }),
    ];
    const inOrder = foldOrder('S', 'D', 'o', entries);
    expect(inOrder?.payments[0]).toMatchObject({ status: 'unknown', channel: 'qr', amount: 100 });
    expect(foldOrder('S', 'D', 'o', [...entries].reverse())).toEqual(inOrder);
  });

  it('cancels a pending attempt of a cancelled order', () => {
    const p = foldOrder('S', 'D', 'o', [
      e(1, 'payment_started', { to: 'payment_pending', event: { attemptId: 'a', method: 'card', amount: 100 } }),
      e(2, 'order_cancelled', { to: 'cancelled', event: {} }),
    ]);
    expect(p?.payments[0].status).toBe('cancelled');
  });
});

describe('payment references', () => {
  it('masks Luhn-valid card numbers, keeps other long numbers', () => {
    expect(maskCardNumbers('card 4111 1111 1111 1111 ok')).toBe('card ****1111 ok');
    expect(maskCardNumbers('4111-1111-1111-1111')).toBe('****1111');
    expect(maskCardNumbers('trade 2013112011001004330000121536')).toBe('trade 2013112011001004330000121536');
    expect(maskCardNumbers('4111111111111112')).toBe('4111111111111112'); // not Luhn-valid
    // a 28-digit trade number whose first 19 digits pass the Luhn check is no card number
    expect(maskCardNumbers('trade 420000123420261207900000000')).toBe('trade 420000123420261207900000000');
    // a card number followed by other digits is masked on its own
    expect(maskCardNumbers('card 4111111111111111 1234')).toBe('card ****1111 1234');
    expect(maskCardNumbers('a4000001234567899b')).toBe('a****7899b');
  });

  it("keeps the order and refund numbers the kiosk derives from attempt ids, though a digit run in one passes the Luhn check", () => {
    const hex = 'ab4000001234567899cdef0123456789'; // 32 hex digits, 16 of them a Luhn-valid run
    const uuid = 'abcdef01-2345-6789-abcd-400000123457'; // its last group: 12 digits, Luhn-valid
    expect(safeReference({ outTradeNo: hex, refundRequestNo: `${hex}-refund-2`, note: hex })).toEqual({
      outTradeNo: hex,
      refundRequestNo: `${hex}-refund-2`,
      note: 'ab****7899cdef0123456789',
    });
    expect(safeReference({ outRefundNo: 'ab4000001234567899cdef012345R001' })).toEqual({ outRefundNo: 'ab4000001234567899cdef012345R001' });
    expect(safeReference({ outTradeNo: uuid, note: uuid })).toEqual({ outTradeNo: uuid, note: 'abcdef01-2345-6789-abcd-****3457' });
    // a card number is masked under those keys all the same when the value has another shape
    expect(safeReference({ outTradeNo: '4111111111111111' })).toEqual({ outTradeNo: '****1111' });
  });

  it('drops pan-like keys, re-masks the masked PAN, keeps scalars only', () => {
    expect(safeReference({ pan: '4111111111111111', cardNumber: 'x', maskedPan: '411111******1111', traceNumber: 7, nested: { a: 1 } })).toEqual({
      maskedPan: '411111******1111',
      traceNumber: 7,
    });
    expect(safeReference({ maskedPan: '4111111111111111' })).toEqual({ maskedPan: '****1111' });
    expect(safeReference({ id: 4111111111111111 })).toEqual({ id: '****1111' });
    expect(safeReference('x')).toBeNull();
  });

  it('takes the channel a gateway names, else the method', () => {
    expect(channelOf('qr', { gateway: 'qr', channel: 'alipay' })).toBe('alipay');
    expect(channelOf('qr', { gateway: 'qr' })).toBe('qr');
    expect(channelOf('qr_merchant', { gateway: 'wechat' })).toBe('wechat');
    expect(channelOf('card', null)).toBe('card');
    expect(channelOf('card', { channel: "'); DROP TABLE payments; --" })).toBe('card');
    expect(channelOf(null, null)).toBe('unknown');
  });
});
