/**
 * WeChat Pay v2 signing: the kiosk's (protocol/payments/wechat/wechat-sign.ts) and the simulator's
 * (simulators/wechat/wechat-signing.ts) are written apart; both must reproduce the worked example of WeChat Pay's
 * own signing rules (签名算法, 接口规则 → 安全规范: https://pay.weixin.qq.com/wiki/doc/api/micropay.php?chapter=4_3,
 * also in every v2 product's copy of the page, e.g. https://pay.weixin.qq.com/wiki/doc/api/jsapi.php?chapter=4_3):
 *   appid wxd930ea5d5a258f4f, mch_id 10000100, device_info 1000, body test, nonce_str ibuaiVcKdpRxkhJA,
 *   key 192006250b4c09247ec02edce69f6a2d →
 *   stringA = "appid=wxd930ea5d5a258f4f&body=test&device_info=1000&mch_id=10000100&nonce_str=ibuaiVcKdpRxkhJA"
 *   MD5 sign = 9A0A8659F005D6984697E2CA0A9CF3B7
 *   HMAC-SHA256 sign = 6A9AE1657590FD6257D693A078E1C3E4BB6BA4DC30B23E0EE2496E54170DACD6
 * (values as published on that page; checked against its republications found with the search tool).
 */
import fc from 'fast-check';
import { canonicalString, declaredSignType, signWechat, verifyWechat, wechatSign } from '../../protocol/payments/wechat/wechat-sign';
import { signMatches, signValue, stringA } from '../../simulators/wechat/wechat-signing';

const EXAMPLE = { appid: 'wxd930ea5d5a258f4f', mch_id: '10000100', device_info: '1000', body: 'test', nonce_str: 'ibuaiVcKdpRxkhJA' };
const KEY = '192006250b4c09247ec02edce69f6a2d';
const STRING_A = 'appid=wxd930ea5d5a258f4f&body=test&device_info=1000&mch_id=10000100&nonce_str=ibuaiVcKdpRxkhJA';
const MD5 = '9A0A8659F005D6984697E2CA0A9CF3B7';
const HMAC = '6A9AE1657590FD6257D693A078E1C3E4BB6BA4DC30B23E0EE2496E54170DACD6';

describe("WeChat Pay signing: the rules' worked example", () => {
  it('kiosk signer: stringA, MD5 and HMAC-SHA256 as published', () => {
    expect(canonicalString(EXAMPLE)).toBe(STRING_A);
    expect(wechatSign(EXAMPLE, KEY, 'MD5')).toBe(MD5);
    expect(wechatSign(EXAMPLE, KEY, 'HMAC-SHA256')).toBe(HMAC);
    expect(verifyWechat({ ...EXAMPLE, sign: MD5 }, KEY, 'MD5')).toBe(true);
    expect(verifyWechat({ ...EXAMPLE, sign: HMAC }, KEY, 'HMAC-SHA256')).toBe(true);
  });

  it('simulator signer: stringA, MD5 and HMAC-SHA256 as published', () => {
    expect(stringA(EXAMPLE)).toBe(STRING_A);
    expect(signValue(EXAMPLE, KEY, 'MD5')).toBe(MD5);
    expect(signValue(EXAMPLE, KEY, 'HMAC-SHA256')).toBe(HMAC);
    expect(signMatches({ ...EXAMPLE, sign: HMAC }, KEY, 'HMAC-SHA256')).toBe(true);
  });

  it('sign and empty values are left out; names sort by ASCII (upper case and _ before lower case)', () => {
    const p = { b: '2', a: '1', B: 'up', _x: 'u', a_b: '3', ab: '4', empty: '', none: undefined, sign: 'zzz', zz: '中文 €' };
    expect(canonicalString(p)).toBe('B=up&_x=u&a=1&a_b=3&ab=4&b=2&zz=中文 €');
    expect(stringA(p)).toBe(canonicalString(p));
  });

  it('verification fails on any change, a wrong key, the other algorithm, lower case, or junk', () => {
    const signed = signWechat(EXAMPLE, KEY, 'HMAC-SHA256');
    expect(verifyWechat({ ...signed, body: 'tesT' }, KEY, 'HMAC-SHA256')).toBe(false);
    expect(verifyWechat(signed, `${KEY}x`, 'HMAC-SHA256')).toBe(false);
    expect(verifyWechat(signed, KEY, 'MD5')).toBe(false);
    expect(verifyWechat({ ...signed, sign: HMAC.toLowerCase() }, KEY, 'HMAC-SHA256')).toBe(false);
    expect(verifyWechat({ ...signed, sign: '' }, KEY, 'HMAC-SHA256')).toBe(false);
    expect(verifyWechat({ ...signed, sign: 'x'.repeat(10_000) }, KEY, 'HMAC-SHA256')).toBe(false);
    expect(declaredSignType({})).toBe('MD5');
    expect(declaredSignType({ sign_type: 'HMAC-SHA256' })).toBe('HMAC-SHA256');
    expect(declaredSignType({ sign_type: 'RSA' })).toBeNull();
  });

  it('property: the two signers agree on arbitrary parameters, both algorithms', () => {
    const name = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,10}$/);
    fc.assert(
      fc.property(fc.dictionary(name, fc.string({ maxLength: 20 }), { maxKeys: 8 }), fc.string({ minLength: 1, maxLength: 32 }), (params, key) => {
        for (const t of ['MD5', 'HMAC-SHA256'] as const) {
          const s = wechatSign(params, key, t);
          if (s !== signValue(params, key, t)) return false;
          if (!signMatches({ ...params, sign: s }, key, t) || !verifyWechat({ ...params, sign: s }, key, t)) return false;
        }
        return true;
      }),
      { numRuns: 200 },
    );
  });
});
