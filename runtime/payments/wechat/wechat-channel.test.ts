/**
 * WechatChannel decisions against a scripted client (no network; the end-to-end flows over HTTPS are in
 * test/wechat-channel.test.ts): an answer about another order is never taken as ours; an abort while the shopper
 * confirms reverses the trade.
 */
import { SystemClock } from '../../../kernel/clock';
import { channelOrderNo } from '../../../protocol/payments/channel-numbers';
import type { WechatAnswer, WechatClient, WechatPath } from './wechat-client';
import { WechatChannel } from './wechat-channel';

const ATTEMPT = '9f1c2d3e-4b5a-4c6d-8e7f-001122334455';
const OUT = channelOrderNo('wechat', ATTEMPT);
const req = { attemptId: ATTEMPT, orderId: 'o1', amount: 1500, currency: 'CNY' };

function scripted(answer: (path: WechatPath) => Partial<WechatAnswer>) {
  const calls: WechatPath[] = [];
  const client = {
    appId: 'wx',
    mchId: '1',
    notifyUrl: undefined,
    call: async (path: WechatPath) => {
      calls.push(path);
      return answer(path) as WechatAnswer;
    },
  } as unknown as WechatClient;
  return { calls, channel: new WechatChannel({ client, clock: new SystemClock(), pollMs: 1, waitDeadlineMs: 2000 }) };
}

test('a SUCCESS answer naming another out_trade_no is not our approval: the order query decides', async () => {
  const { calls, channel } = scripted((path) => {
    if (path === '/pay/micropay') return { result_code: 'SUCCESS', out_trade_no: 'someoneelse', transaction_id: '4200x', total_fee: '1' };
    return { result_code: 'SUCCESS', out_trade_no: OUT, trade_state: 'SUCCESS', transaction_id: '4200ours', total_fee: '1500' };
  });
  await expect(channel.payWithCode(req, '134567890123456789', new AbortController().signal)).resolves.toEqual({
    outcome: 'approved',
    amount: 1500,
    reference: { channel: 'wechat', outTradeNo: OUT, tradeNo: '4200ours' },
  });
  expect(calls.filter((p) => p === '/pay/micropay')).toHaveLength(1);
});

test('lookup: an order query answer about another order → unknown', async () => {
  const { channel } = scripted(() => ({ result_code: 'SUCCESS', out_trade_no: 'other', trade_state: 'SUCCESS', total_fee: '1500' }));
  await expect(channel.lookup({ attemptId: ATTEMPT, orderId: 'o1', amount: 1500, context: null })).resolves.toEqual({ outcome: 'unknown' });
});

test('aborted while the shopper confirms → reversed → declined "payment aborted"', async () => {
  const ac = new AbortController();
  const { calls, channel } = scripted((path) => {
    if (path === '/pay/micropay') return { result_code: 'FAIL', err_code: 'USERPAYING', err_code_des: '需要用户输入支付密码' };
    if (path === '/pay/orderquery') {
      ac.abort();
      return { result_code: 'SUCCESS', out_trade_no: OUT, trade_state: 'USERPAYING' };
    }
    return { result_code: 'SUCCESS', recall: 'N' };
  });
  await expect(channel.payWithCode(req, '134567890123456789', ac.signal)).resolves.toEqual({ outcome: 'declined', reason: 'payment aborted' });
  expect(calls).toEqual(['/pay/micropay', '/pay/orderquery', '/secapi/pay/reverse']);
});

test('a reverse that keeps failing is never "declined": unknown outcome', async () => {
  const { channel } = scripted((path) => {
    if (path === '/pay/micropay') return { result_code: 'FAIL', err_code: 'USERPAYING' };
    if (path === '/pay/orderquery') return { result_code: 'SUCCESS', out_trade_no: OUT, trade_state: 'USERPAYING' };
    return { result_code: 'FAIL', err_code: 'REVERSE_EXPIRE', err_code_des: '订单已经超过撤销时限', recall: 'N' };
  });
  const c = channel;
  await expect(c.payWithCode(req, '134567890123456789', AbortSignal.timeout(50))).rejects.toMatchObject({ code: 'TIMEOUT', details: { unknownOutcome: true } });
});
