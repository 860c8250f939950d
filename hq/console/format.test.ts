import { formatAgo, formatMoney, formatTime, minorDigits } from './format';
import { hashPassword, verifyPassword } from './passwords';

describe('formatMoney', () => {
  it.each([
    [1234, 'CNY', '¥12.34'],
    [5, 'CNY', '¥0.05'],
    [0, 'CNY', '¥0.00'],
    [-1234, 'CNY', '-¥12.34'],
    [123456789, 'CNY', '¥1,234,567.89'],
    [123456, 'EUR', '€1,234.56'],
    [1234, 'JPY', '¥1,234'],
    [12345, 'KWD', 'KWD 12.345'],
    [100, 'XYZ', 'XYZ 1.00'],
  ])('%d %s → %s', (minor, currency, text) => {
    expect(formatMoney(minor, currency)).toBe(text);
    expect(formatMoney(minor, currency, 'zh-CN')).toBe(text);
  });
  it('takes integer minor units exactly, even beyond 2^53 as bigint', () => {
    expect(formatMoney(9007199254740993n)).toBe('¥90,071,992,547,409.93');
    expect(minorDigits('CNY')).toBe(2);
  });
});

describe('formatTime and formatAgo', () => {
  const t = Date.UTC(2026, 11, 6, 13, 57, 5);
  it('writes the time in the given zone', () => {
    expect(formatTime(t, 'UTC')).toBe('2026-12-06 13:57:05');
    expect(formatTime(t, 'Asia/Shanghai', 'zh-CN')).toBe('2026-12-06 21:57:05');
    expect(formatTime(t, 'Not/AZone')).toBe('2026-12-06 13:57:05');
  });
  it.each([
    [0, 'just now', '刚刚'],
    [45_000, '45 s ago', '45 秒前'],
    [5 * 60_000 + 1, '5 min ago', '5 分钟前'],
    [3 * 3_600_000, '3 h ago', '3 小时前'],
    [2 * 86_400_000, '2 d ago', '2 天前'],
    [-5000, 'just now', '刚刚'],
  ])('%d ms ago', (ago, en, zh) => {
    expect(formatAgo(t - ago, t, 'en')).toBe(en);
    expect(formatAgo(t - ago, t, 'zh-CN')).toBe(zh);
  });
});

describe('password hashes', () => {
  it('are salted scrypt with the parameters in the string, and malformed hashes verify false without throwing', async () => {
    const a = await hashPassword('same password');
    const b = await hashPassword('same password');
    expect(a).not.toBe(b);
    expect(await verifyPassword('same password', a)).toBe(true);
    for (const bad of ['', 'scrypt$', 'bcrypt$1$2$3$4$5', a.replace('$32768$', '$1073741824$'), a.replace('$32768$', '$1000$'), a.split('$').slice(0, 5).join('$') + '$'])
      expect(await verifyPassword('same password', bad)).toBe(false);
  });
});
