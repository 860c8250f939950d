import { SimulatedClock } from '../../../kernel/clock';
import { PaymentCodeInbox } from '../payment-code-inbox';
import type { LookupRequest, PaymentRequest, RefundRequest } from '../provider';
import type { ChannelId, QrChannel } from './qr-channel';
import { QrRouter } from './qr-router';
import { MerchantQrProvider } from './merchant-qr';
import { NO_WALLET } from './wallets';

/** A channel that records what the router asked of it (the router is under test here, not the channel). */
function recordingChannel(channel: ChannelId) {
  const calls: string[] = [];
  const c: QrChannel = {
    channel,
    async payWithCode(req, code) {
      calls.push(`pay ${req.attemptId} ${code}`);
      return { outcome: 'approved', amount: req.amount, reference: { channel, outTradeNo: req.attemptId } };
    },
    async payByQr(req, show) {
      show(`https://qr.example/${channel}/${req.attemptId}`);
      calls.push(`qr ${req.attemptId}`);
      return { outcome: 'approved', amount: req.amount };
    },
    async lookup(a: LookupRequest) {
      calls.push(`lookup ${a.attemptId}`);
      return { outcome: 'declined', reason: 'trade not found' };
    },
    async refund(r: RefundRequest) {
      calls.push(`refund ${r.attemptId}`);
      return { outcome: 'refunded', via: 'refund' };
    },
    async available() {
      return channel !== 'unionpay';
    },
  };
  return { c, calls };
}

const req = (attemptId: string): PaymentRequest => ({ attemptId, orderId: 'o1', amount: 1234, currency: 'CNY' });

describe('QR router: the wallet is told by the payment code and committed before sending', () => {
  const clock = new SimulatedClock(0);
  const ali = recordingChannel('alipay');
  const wx = recordingChannel('wechat');
  const channels = new Map<ChannelId, QrChannel>([
    ['alipay', ali.c],
    ['wechat', wx.c],
  ]);
  const inbox = new PaymentCodeInbox();
  const prompts: string[] = [];
  const router = new QrRouter({ channels, readCode: (s) => inbox.next(s), clock, codeDeadlineMs: 60_000, onPrompt: (p) => prompts.push(p.code), legacyChannel: 'alipay' });

  beforeEach(() => {
    ali.calls.length = 0;
    wx.calls.length = 0;
    prompts.length = 0;
  });

  it('a WeChat code goes to WeChat Pay (context says so), and the code is handed over once', async () => {
    const prepared = router.prepare(req('a1'), new AbortController().signal);
    expect(inbox.offer({ channel: 'wechat_pay', code: '134567890123456789' })).toBe(true);
    expect(await prepared).toEqual({ channel: 'wechat' });
    expect(await router.pay(req('a1'), new AbortController().signal)).toMatchObject({ outcome: 'approved', reference: { channel: 'wechat' } });
    expect(wx.calls).toEqual(['pay a1 134567890123456789']);
    expect(ali.calls).toEqual([]);
    // the code is gone: a second pay for the attempt cannot send it again
    expect(await router.pay(req('a1'), new AbortController().signal)).toMatchObject({ outcome: 'declined' });
    expect(wx.calls).toHaveLength(1);
  });

  it('a code of a wallet the lane does not take is refused on the screen, and the lane waits for another one', async () => {
    const prepared = router.prepare(req('a2'), new AbortController().signal);
    inbox.offer({ channel: 'unionpay', code: '6223456789012345678' });
    await Promise.resolve();
    await new Promise((r) => setImmediate(r));
    expect(prompts).toEqual(['wallet_not_accepted']);
    expect(inbox.waiting).toBe(true);
    inbox.offer({ channel: 'alipay', code: '281234567890123456' });
    expect(await prepared).toEqual({ channel: 'alipay' });
  });

  it('a code that matches no wallet (handed on as NO_WALLET) is "not a payment code we know", and the lane waits for another one', async () => {
    const prepared = router.prepare(req('a5'), new AbortController().signal);
    inbox.offer({ channel: NO_WALLET, code: '' });
    await new Promise((r) => setImmediate(r));
    inbox.offer({ channel: 'unionpay', code: '6223456789012345678' }); // and a wallet not taken is still told apart
    await new Promise((r) => setImmediate(r));
    expect(prompts).toEqual(['payment_code_unknown', 'wallet_not_accepted']);
    expect(inbox.waiting).toBe(true);
    inbox.offer({ channel: 'wechat_pay', code: '134567890123456789' });
    expect(await prepared).toEqual({ channel: 'wechat' });
    expect(await router.pay(req('a5'), new AbortController().signal)).toMatchObject({ outcome: 'approved' });
    expect(wx.calls).toEqual(['pay a5 134567890123456789']); // nothing was sent for the unknown code
    expect(ali.calls).toEqual([]);
  });

  it('no code before the deadline, or the shopper cancels: prepare rejects (the attempt is declined as not sent)', async () => {
    const late = router.prepare(req('a3'), new AbortController().signal);
    clock.advance(60_000);
    await expect(late).rejects.toThrow(/no payment code/);
    const ac = new AbortController();
    const cancelled = router.prepare(req('a4'), ac.signal);
    ac.abort();
    await expect(cancelled).rejects.toThrow(/cancelled by the shopper/);
    expect(inbox.waiting).toBe(false);
  });

  it('lookup and refund go to the channel that took the attempt; attempts from before channels were recorded are Alipay', async () => {
    await router.lookup({ attemptId: 'w1', orderId: 'o', amount: 1, context: { channel: 'wechat' } });
    await router.lookup({ attemptId: 'old', orderId: 'o', amount: 1, context: null });
    expect(wx.calls).toEqual(['lookup w1']);
    expect(ali.calls).toEqual(['lookup old']);
    // a channel the lane no longer has cannot be asked: unknown (staff decide), never declined
    expect(await router.lookup({ attemptId: 'u1', orderId: 'o', amount: 1, context: { channel: 'unionpay' } })).toEqual({ outcome: 'unknown' });
    const refund = (reference: Record<string, string> | null): RefundRequest => ({ attemptId: 'r', orderId: 'o', approvedAmount: 5, refundedBefore: 0, amount: 5, reference, captured: false, requestNo: 'r-refund-1' });
    await router.refund(refund({ channel: 'wechat', outTradeNo: 'r' }));
    await router.refund(refund({ gateway: 'qr', outTradeNo: 'r' }));
    expect(wx.calls).toEqual(['lookup w1', 'refund r']);
    expect(ali.calls).toEqual(['lookup old', 'refund r']);
  });

  it("a channel's own context (UnionPay's txnTime) is committed with the attempt beside the channel", async () => {
    const up = recordingChannel('unionpay');
    up.c.prepare = (r) => ({ unionpayTxnTime: `t-${r.attemptId}`, channel: 'not-this' });
    const r2 = new QrRouter({ channels: new Map([['unionpay', up.c]]), readCode: (s) => inbox.next(s), clock });
    const prepared = r2.prepare(req('u9'), new AbortController().signal);
    inbox.offer({ channel: 'unionpay', code: '6223456789012345678' });
    expect(await prepared).toEqual({ unionpayTxnTime: 't-u9', channel: 'unionpay' });
  });

  it('is available while any channel answers', async () => {
    expect(await router.available()).toBe(true);
    const only = new QrRouter({ channels: new Map([['unionpay', recordingChannel('unionpay').c]]), readCode: (s) => inbox.next(s), clock });
    expect(await only.available()).toBe(false);
  });

  it('merchant-presented QR shows the chosen channel\'s code and commits that channel', async () => {
    const shown: string[] = [];
    const m = new MerchantQrProvider({ channels, present: 'wechat', show: (code) => shown.push(code), legacyChannel: 'alipay' });
    expect(await m.prepare(req('m1'))).toEqual({ channel: 'wechat' });
    expect(await m.pay(req('m1'), new AbortController().signal)).toMatchObject({ outcome: 'approved' });
    expect(shown).toEqual(['https://qr.example/wechat/m1']);
    await m.lookup({ attemptId: 'old-m', orderId: 'o', amount: 1, context: null });
    expect(ali.calls).toContain('lookup old-m');
    expect(() => new MerchantQrProvider({ channels, present: 'unionpay', show: () => undefined })).toThrow(/not configured/);
  });
});
