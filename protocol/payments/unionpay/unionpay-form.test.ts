import fc from 'fast-check';
import { ACP_FORM_LIMITS, decodeForm, encodeAcpText, encodeForm, parseAcpText } from './unionpay-form';

const key = fc.stringMatching(/^[A-Za-z][A-Za-z0-9_]{0,20}$/);
const fields = (value: fc.Arbitrary<string>) => fc.dictionary(key, value, { maxKeys: 20 });

describe('UnionPay form codec', () => {
  it('form-urlencoded: decode(encode(x)) = x for any values (empty ones are left out)', () => {
    fc.assert(
      fc.property(fields(fc.string({ unit: 'grapheme', maxLength: 60 })), (d) => {
        const expected = Object.fromEntries(Object.entries(d).filter(([, v]) => v !== ''));
        expect({ ...decodeForm(encodeForm(d)) }).toEqual(expected);
      }),
    );
  });

  it('answer text: parse(encode(x)) = x for values without & or brackets (base64, CR LF, =, +, / kept)', () => {
    const value = fc.stringMatching(/^[^&{}[\]]{0,80}$/);
    fc.assert(
      fc.property(fields(value), (d) => {
        expect({ ...parseAcpText(encodeAcpText(d)) }).toEqual(d);
      }),
    );
    expect(parseAcpText('a=x==&b=-----BEGIN\r\nA+/=\r\n-----END')).toEqual({ a: 'x==', b: '-----BEGIN\r\nA+/=\r\n-----END' });
  });

  it('answer text: an & inside {…} or […] does not end the pair (ACP reserved fields)', () => {
    expect({ ...parseAcpText('respCode=00&reserved={a=1&b=2}&x=[c&d]') }).toEqual({ respCode: '00', reserved: '{a=1&b=2}', x: '[c&d]' });
    expect(parseAcpText('respCode=00&reserved={a=1&b=2')).toBeNull();
    expect(parseAcpText('respCode=00&reserved=}a')).toBeNull();
  });

  it('hostile input never throws; repeated keys, bad keys, bad escapes, too many fields or bytes are refused', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.anything()), (x) => {
        expect(() => decodeForm(x)).not.toThrow();
        expect(() => parseAcpText(x)).not.toThrow();
      }),
      { numRuns: 2000 },
    );
    expect(decodeForm('a=1&a=2')).toBeNull();
    expect(parseAcpText('a=1&a=2')).toBeNull();
    expect(decodeForm('a=%E0%A4%A')).toBeNull();
    expect(decodeForm('__proto__=1')).toBeNull();
    expect(parseAcpText('=1')).toBeNull();
    const many = Array.from({ length: ACP_FORM_LIMITS.maxFields + 1 }, (_, i) => `k${i}=v`).join('&');
    expect(decodeForm(many)).toBeNull();
    expect(parseAcpText(many)).toBeNull();
    const big = `a=${'x'.repeat(ACP_FORM_LIMITS.maxBytes)}`;
    expect(decodeForm(big)).toBeNull();
    expect(parseAcpText(big)).toBeNull();
  });
});
