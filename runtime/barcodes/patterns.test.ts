import { MAX_PATTERN_INPUT } from '../../kernel/pattern-safety';
import { compilePattern, maskCredential, matchMemberCard, matchPaymentCode } from './patterns';
import { defaultBarcodeRules } from '../../config/barcode-rules';

const { memberCards, paymentCodes } = defaultBarcodeRules;

describe('compilePattern', () => {
  test('anchors the pattern to the whole payload', () => {
    const re = compilePattern('62\\d{3}');
    expect(re?.test('62123')).toBe(true);
    expect(re?.test('x62123')).toBe(false);
    expect(re?.test('621234')).toBe(false);
  });

  test('invalid sources give null instead of throwing', () => {
    expect(compilePattern('(')).toBeNull();
    expect(compilePattern('[a-')).toBeNull();
    expect(compilePattern(undefined as unknown as string)).toBeNull();
  });
});

describe('payment codes (default rules)', () => {
  test.each([
    ['281234567890123456', 'alipay'],
    ['251234567890123456', 'alipay'],
    ['301234567890123456', 'alipay'],
    ['2512345678901234', 'alipay'], // 16-digit variant
    ['251234567890123456789012', 'alipay'], // 24-digit variant
    ['101234567890123456', 'wechat_pay'],
    ['151234567890123456', 'wechat_pay'],
    ['6212345678901234567', 'unionpay'],
  ])('%s → %s', (code, channel) => {
    expect(matchPaymentCode(code, paymentCodes)).toBe(channel);
  });

  test.each([
    ['311234567890123456', 'Alipay range ends at 30'],
    ['241234567890123456', 'Alipay range starts at 25'],
    ['161234567890123456', 'WeChat range ends at 15'],
    ['1012345678901234567', 'WeChat codes are 18 digits'],
    ['621234567890123456', 'UnionPay codes are 19 digits'],
    ['2512345678901234567890123', 'Alipay codes are at most 24 digits'],
    ['251234567890123', 'Alipay codes are at least 16 digits'],
    ['4006381333931', 'a GTIN'],
    ['28123456789012345a', 'letters'],
  ])('%s is not a payment code (%s)', (code) => {
    expect(matchPaymentCode(code, paymentCodes)).toBeNull();
  });

  test('a pattern cannot escape its anchors', () => {
    // compiles to /^(?:62)|(62)$/, whose second branch alone would find "62" at the end of "xx62"
    expect(matchPaymentCode('xx62', [{ channel: 'evil', pattern: '62)|(62' }])).toBeNull();
    expect(matchPaymentCode('62xx', [{ channel: 'evil', pattern: '62)|(62' }])).toBeNull();
    expect(matchPaymentCode('62', [{ channel: 'evil', pattern: '62)|(62' }])).toBe('evil');
  });

  test('an invalid pattern is skipped, later ones still apply', () => {
    expect(matchPaymentCode('6212345678901234567', [{ channel: 'bad', pattern: '(' }, ...paymentCodes])).toBe('unionpay');
  });
});

describe('member cards', () => {
  test('default Code 128 card M + 10 digits', () => {
    expect(matchMemberCard('M0123456789', memberCards)).toEqual({ cardType: 'store-card', memberId: 'M0123456789' });
    expect(matchMemberCard('M012345678', memberCards)).toBeNull();
    expect(matchMemberCard('m0123456789', memberCards)).toBeNull();
  });

  test('default EAN-13 card 2990… requires a valid check digit', () => {
    expect(matchMemberCard('2990123456786', memberCards)).toEqual({ cardType: 'store-card-ean13', memberId: '2990123456786' });
    expect(matchMemberCard('2990123456787', memberCards)).toBeNull();
  });

  test('defaults never match an ISBN (978/979) or an ordinary GTIN', () => {
    for (const code of ['9780201379624', '9790000000001', '4006381333931']) expect(matchMemberCard(code, memberCards)).toBeNull();
  });

  test('a named group "id" becomes the memberId', () => {
    expect(matchMemberCard('VIP-000123', [{ name: 'vip', pattern: 'VIP-(?<id>\\d{6})' }])).toEqual({ cardType: 'vip', memberId: '000123' });
  });
});

describe('maskCredential', () => {
  test('first 4 + last 4', () => {
    expect(maskCredential('281234567890123456')).toBe('2812**********3456');
    expect(maskCredential('6212345678901234567')).toBe('6212***********4567');
    expect(maskCredential('123456789')).toBe('1234*6789');
  });

  test('short values are fully masked', () => {
    expect(maskCredential('12345678')).toBe('********');
    expect(maskCredential('')).toBe('');
  });
});

describe('patterns that could freeze the lane (issue 11 point 11)', () => {
  const digits = '1'.repeat(40);

  test('a catastrophically backtracking pattern is never compiled, so it cannot run', () => {
    // (\d+)+y against 40 digits is ~2^40 steps in a backtracking engine: this call would not return
    expect(compilePattern('(\\d+)+y')).toBeNull();
    expect(matchPaymentCode(digits, [{ channel: 'evil', pattern: '(\\d+)+y' }, ...paymentCodes])).toBeNull();
    expect(matchMemberCard(digits, [{ name: 'evil', pattern: '(?<id>(?:\\d|1)*)x' }, ...memberCards])).toBeNull();
    // the safe patterns after it still apply
    expect(matchPaymentCode('6212345678901234567', [{ channel: 'evil', pattern: '(\\d+)+y' }, ...paymentCodes])).toBe('unionpay');
  });

  test('data longer than MAX_PATTERN_INPUT is never matched, even by a pattern that would accept it', () => {
    const long = '7'.repeat(MAX_PATTERN_INPUT + 1);
    expect(compilePattern('\\d+')?.test(long)).toBe(true);
    expect(matchPaymentCode(long, [{ channel: 'any', pattern: '\\d+' }])).toBeNull();
    expect(matchPaymentCode(long.slice(1), [{ channel: 'any', pattern: '\\d+' }])).toBe('any');
  });

  test('the pattern features cards and wallets use still work: classes, bounded repeats, alternation, named id, lazy, optional', () => {
    const cards = [
      { name: 'loyalty', pattern: 'L-?(?<id>[A-Z]{2}\\d{6,8})' },
      { name: 'staff', pattern: '(?:STAFF|EMP)(?<id>\\d+?)' },
      { name: 'gift', pattern: 'G(?:\\d{4}){3}' },
    ];
    expect(matchMemberCard('L-AB1234567', cards)).toEqual({ cardType: 'loyalty', memberId: 'AB1234567' });
    expect(matchMemberCard('LAB123456', cards)).toEqual({ cardType: 'loyalty', memberId: 'AB123456' });
    expect(matchMemberCard('EMP0042', cards)).toEqual({ cardType: 'staff', memberId: '0042' });
    expect(matchMemberCard('G123412341234', cards)).toEqual({ cardType: 'gift', memberId: 'G123412341234' });
    expect(matchMemberCard('G12341234123', cards)).toBeNull();
  });
});
