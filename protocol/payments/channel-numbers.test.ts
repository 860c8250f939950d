import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { channelOrderNo, channelRefundNo, orderNoKey } from './channel-numbers';

describe('merchant numbers sent to each wallet', () => {
  it('fit each channel\'s rules: Alipay ≤ 64 of [A-Za-z0-9_-], WeChat ≤ 32 of [0-9A-Za-z_-|*@], UnionPay 8–40 (refunds ≤ 32) letters and digits', () => {
    fc.assert(
      fc.property(fc.uuid(), fc.integer({ min: 1, max: 999 }), (id, n) => {
        const requestNo = `${id}-refund-${n}`;
        expect(channelOrderNo('alipay', id)).toMatch(/^[A-Za-z0-9_-]{1,64}$/);
        expect(channelOrderNo('wechat', id)).toMatch(/^[0-9A-Za-z_\-|*@]{1,32}$/);
        expect(channelOrderNo('unionpay', id)).toMatch(/^[0-9A-Za-z]{8,40}$/);
        expect(channelRefundNo('alipay', requestNo)).toMatch(/^[A-Za-z0-9_-]{1,64}$/);
        expect(channelRefundNo('wechat', requestNo)).toMatch(/^[0-9A-Za-z_\-|*@]{1,64}$/);
        expect(channelRefundNo('unionpay', requestNo)).toMatch(/^[0-9A-Za-z]{32}$/);
      }),
    );
  });

  it('a refund number is told apart from its payment and from the attempt\'s other refunds', () => {
    const id = randomUUID();
    const nos = [1, 2, 10, 999].map((n) => channelRefundNo('unionpay', `${id}-refund-${n}`));
    expect(new Set([...nos, channelOrderNo('unionpay', id)]).size).toBe(5);
    expect(nos[0]).toBe(`${id.replace(/-/g, '').slice(0, 28)}R001`);
  });

  it('HQ compares the kiosk\'s attempt id with every channel\'s number by one key', () => {
    const id = randomUUID();
    for (const c of ['alipay', 'wechat', 'unionpay'] as const) expect(orderNoKey(channelOrderNo(c, id))).toBe(orderNoKey(id));
  });
});
