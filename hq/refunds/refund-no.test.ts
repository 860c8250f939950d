import fc from 'fast-check';
import { channelRefundNo, orderNoKey, type WalletChannel } from '../../protocol/payments/channel-numbers';
import { hqRefundNo, isHqRefundNo } from './refund-no';

const CHANNELS: WalletChannel[] = ['alipay', 'wechat', 'unionpay'];

describe('HQ refund numbers', () => {
  it('never equal (case-insensitively, as reconciliation compares) a kiosk refund number of any attempt, and are valid at every channel', () => {
    fc.assert(
      fc.property(fc.uuid(), fc.uuid(), fc.integer({ min: 1, max: 999 }), fc.string({ minLength: 1, maxLength: 64 }), (kioskAttempt, hqAttempt, n, refundId) => {
        const hq = hqRefundNo(hqAttempt, refundId);
        expect(hq).toMatch(/^HQ[0-9a-f]{30}$/); // 32 letters and digits: WeChat ≤ 64, Alipay ≤ 64, UnionPay 8–40
        expect(isHqRefundNo(hq)).toBe(true);
        for (const c of CHANNELS) {
          const kiosk = channelRefundNo(c, `${kioskAttempt}-refund-${n}`);
          expect(isHqRefundNo(kiosk)).toBe(false);
          expect(orderNoKey(kiosk)).not.toBe(orderNoKey(hq));
          // the number reconciliation derives from the stored one is the one sent
          expect(channelRefundNo(c, hq)).toBe(hq);
        }
      }),
    );
  });

  it('the same attempt and refund id → the same number; another id or attempt → another', () => {
    const a = '11111111-1111-4111-8111-111111111111';
    expect(hqRefundNo(a, 'desk-1')).toBe(hqRefundNo(a, 'desk-1'));
    expect(hqRefundNo(a, 'desk-2')).not.toBe(hqRefundNo(a, 'desk-1'));
    expect(hqRefundNo('22222222-2222-4222-8222-222222222222', 'desk-1')).not.toBe(hqRefundNo(a, 'desk-1'));
  });
});
