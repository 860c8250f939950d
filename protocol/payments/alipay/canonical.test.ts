import { generateKeyPairSync } from 'node:crypto';
import fc from 'fast-check';
import { canonicalString, encodeEnvelope, openEnvelope, rawMember, responseKey, signParams, signRsa2, verifyParams, verifyRsa2 } from './canonical';

const a = generateKeyPairSync('rsa', { modulusLength: 2048 });
const b = generateKeyPairSync('rsa', { modulusLength: 2048 });

describe('canonical string', () => {
  it('worked example: drops sign and empty values, sorts keys, joins k=v with &', () => {
    expect(
      canonicalString({
        timestamp: '2026-01-01 09:00:00',
        method: 'alipay.trade.pay',
        app_id: '2021000000000001',
        sign: 'xxx',
        notify_url: '',
        biz_content: '{"out_trade_no":"A1","total_amount":1234}',
        charset: 'utf-8',
        sign_type: 'RSA2',
      }),
    ).toBe(
      'app_id=2021000000000001&biz_content={"out_trade_no":"A1","total_amount":1234}&charset=utf-8' +
        '&method=alipay.trade.pay&sign_type=RSA2&timestamp=2026-01-01 09:00:00',
    );
  });

  it('sign/verify round trip; wrong key and malformed signatures fail', () => {
    const signed = signParams({ app_id: 'x', method: 'alipay.trade.query' }, a.privateKey);
    expect(verifyParams(signed, a.publicKey)).toBe(true);
    expect(verifyParams(signed, b.publicKey)).toBe(false);
    expect(verifyParams({ ...signed, sign: 'not base64!' }, a.publicKey)).toBe(false);
    expect(verifyParams({ ...signed, sign: undefined }, a.publicKey)).toBe(false);
    const raw = Buffer.from(signed.sign!, 'base64');
    raw[10] ^= 1;
    expect(verifyParams({ ...signed, sign: raw.toString('base64') }, a.publicKey)).toBe(false);
  });

  it('property: verify(sign(x)) holds and any single changed character breaks it', () => {
    const key = fc.stringMatching(/^[a-z_]{1,12}$/).filter((k) => k !== 'sign');
    fc.assert(
      fc.property(
        fc.dictionary(key, fc.string({ minLength: 1, maxLength: 30 }), { minKeys: 1, maxKeys: 6 }),
        fc.nat(),
        fc.nat(),
        (params, pick, pos) => {
          const sig = signRsa2(canonicalString(params), a.privateKey);
          if (!verifyRsa2(canonicalString(params), sig, a.publicKey)) return false;
          const keys = Object.keys(params);
          const k = keys[pick % keys.length];
          const v = params[k];
          const i = pos % v.length;
          const c = v.charCodeAt(i);
          const changed = v.slice(0, i) + String.fromCharCode(c === 0x41 ? 0x42 : 0x41) + v.slice(i + 1);
          return !verifyRsa2(canonicalString({ ...params, [k]: changed }), sig, a.publicKey);
        },
      ),
      { numRuns: 40 },
    );
  });

  it('envelope: exact text verified under the method key; tampered, wrong key or other key → null', () => {
    const key = responseKey('alipay.trade.pay');
    expect(key).toBe('alipay_trade_pay_response');
    const body = encodeEnvelope('{"code":"10000","total_amount":"1.00"}', a.privateKey, key);
    expect(body).toBe(`{"alipay_trade_pay_response":{"code":"10000","total_amount":"1.00"},"sign":${JSON.stringify(signRsa2('{"code":"10000","total_amount":"1.00"}', a.privateKey))}}`);
    expect(openEnvelope(body, a.publicKey, [key])).toEqual({ code: '10000', total_amount: '1.00' });
    expect(openEnvelope(body.replace('1.00', '9.99'), a.publicKey, [key])).toBeNull();
    expect(openEnvelope(body, b.publicKey, [key])).toBeNull();
    expect(openEnvelope(body, a.publicKey, ['alipay_trade_query_response'])).toBeNull();
    expect(openEnvelope('{"alipay_trade_pay_response":{}}', a.publicKey, [key])).toBeNull();
    expect(openEnvelope(encodeEnvelope('[1]', a.privateKey, key), a.publicKey, [key])).toBeNull();
  });

  it('envelope: the sign may come first and whitespace may differ (Alipay does not fix the member order)', () => {
    const text = '{"code":"10000","msg":"Success","sub_msg":"a \\"quoted\\" }{ text"}';
    const body = `{ "sign" : ${JSON.stringify(signRsa2(text, a.privateKey))} ,\n "alipay_trade_query_response" : ${text} }`;
    expect(rawMember(body, 'alipay_trade_query_response')).toBe(text);
    expect(openEnvelope(body, a.publicKey, ['alipay_trade_query_response'])).toMatchObject({ code: '10000', sub_msg: 'a "quoted" }{ text' });
  });

  it('envelope: a second, unsigned copy of the response key is never what is returned', () => {
    const signed = '{"code":"40004","sub_code":"ACQ.TRADE_NOT_EXIST"}';
    const body = `{"alipay_trade_query_response":${signed},"sign":${JSON.stringify(signRsa2(signed, a.privateKey))},"alipay_trade_query_response":{"code":"10000","trade_status":"TRADE_SUCCESS"}}`;
    expect(openEnvelope(body, a.publicKey, ['alipay_trade_query_response'])).toEqual({ code: '40004', sub_code: 'ACQ.TRADE_NOT_EXIST' });
  });
});
