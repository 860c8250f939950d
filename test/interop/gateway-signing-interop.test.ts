/**
 * The kiosk's gateway signing (protocol/payments/alipay/canonical.ts) and the gateway simulator's
 * (simulators/gateway/gateway-signing.ts) are written apart from the Alipay open-platform rules. They must build the
 * same string to sign — first of all for the worked example in Alipay's own document — and accept each other's
 * RSA2 signatures.
 */
import { generateKeyPairSync } from 'node:crypto';
import { canonicalString, openEnvelope, responseKey, signParams, verifyParams } from '../../protocol/payments/alipay/canonical';
import { responseName, signatureValid, signedResponseBody, stringToSign, withSignature } from '../../simulators/gateway/gateway-signing';

// Alipay Open Platform, 自行实现签名 (signing without the SDK): the request of the worked example …
const BIZ =
  '{"button":[{"actionParam":"ZFB_HFCZ","actionType":"out","name":"话费充值"},{"name":"查询","subButton":[{"actionParam":"ZFB_YECX","actionType":"out","name":"余额查询"},{"actionParam":"ZFB_LLCX","actionType":"out","name":"流量查询"},{"actionParam":"ZFB_HFCX","actionType":"out","name":"话费查询"}]},{"actionParam":"http://m.alipay.com","actionType":"link","name":"最新优惠"}]}';
const SPEC_REQUEST = {
  app_id: '2014072300007148',
  method: 'alipay.mobile.public.menu.add',
  charset: 'GBK',
  sign_type: 'RSA2',
  timestamp: '2014-07-24 03:07:50',
  biz_content: BIZ,
  sign: 'e9zEAe4TTQ4LPLQvETPoLGXTiURcxiAKfMVQ6Hrrsx2hmyIEGvSfAQzbLxHrhyZ48wOJXTsD4FPnt+YGdK57+fP1BCbf9rIVycfjhYCqlFhbTu9pFnZgT55W+xbAFb9y7vL0MyAxwXUXvZtQVqEwW7pURtKilbcBTEW7TAxzgro=',
  version: '1.0',
};
// … and the string to sign the document gives for it
const SPEC_STRING_TO_SIGN = `app_id=2014072300007148&biz_content=${BIZ}&charset=GBK&method=alipay.mobile.public.menu.add&sign_type=RSA2&timestamp=2014-07-24 03:07:50&version=1.0`;

const keys = () => generateKeyPairSync('rsa', { modulusLength: 2048 });

describe('gateway signing: kiosk and simulator agree', () => {
  it("both build the string to sign of Alipay's worked example", () => {
    expect(stringToSign(SPEC_REQUEST)).toBe(SPEC_STRING_TO_SIGN);
    expect(canonicalString(SPEC_REQUEST)).toBe(SPEC_STRING_TO_SIGN);
  });

  it('empty values and sign are left out; keys sort by ASCII (upper case and _ before lower case)', () => {
    const params = { b: '2', a: '1', B: 'up', _x: 'u', a_b: '3', ab: '4', empty: '', none: undefined, sign: 'zzz', 'z.k': 'ü €' };
    expect(stringToSign(params)).toBe('B=up&_x=u&a=1&a_b=3&ab=4&b=2&z.k=ü €');
    expect(canonicalString(params)).toBe(stringToSign(params));
  });

  it('a request signed by the kiosk verifies at the simulator, and one signed by the simulator at the kiosk', () => {
    const merchant = keys();
    const request = { app_id: 'sim-app', method: 'alipay.trade.pay', sign_type: 'RSA2', biz_content: '{"out_trade_no":"A1","total_amount":"12.34","subject":"Kaffee ☕"}' };
    expect(signatureValid(signParams(request, merchant.privateKey), merchant.publicKey)).toBe(true);
    expect(verifyParams(withSignature(request, merchant.privateKey), merchant.publicKey)).toBe(true);
    const tampered = { ...signParams(request, merchant.privateKey), method: 'alipay.trade.refund' };
    expect(signatureValid(tampered, merchant.publicKey)).toBe(false);
    expect(signatureValid({ ...request, sign: 'not base64!' }, merchant.publicKey)).toBe(false);
  });

  it("the kiosk opens the simulator's signed response under the method's key; another key or name is refused", () => {
    const gateway = keys();
    const answer = JSON.stringify({ code: '10000', msg: 'Success', out_trade_no: 'A1', total_amount: '12.34' });
    for (const method of ['alipay.trade.pay', 'alipay.trade.fastpay.refund.query', 'alipay.data.dataservice.bill.downloadurl.query']) {
      expect(responseName(method)).toBe(responseKey(method));
      const body = signedResponseBody(answer, gateway.privateKey, responseName(method));
      expect(body.startsWith(`{"${method.split('.').join('_')}_response":{`)).toBe(true);
      expect(openEnvelope(body, gateway.publicKey, [responseKey(method)])).toEqual(JSON.parse(answer));
      expect(openEnvelope(body, gateway.publicKey, [responseKey('alipay.trade.query')])).toBeNull();
      expect(openEnvelope(signedResponseBody(answer, keys().privateKey, responseName(method)), gateway.publicKey, [responseKey(method)])).toBeNull();
    }
  });
});
