/**
 * The simulator's own yuan amounts (Alipay `total_amount` / `refund_amount` / `refund_fee`: 单位为元，精确到小数点后两位,
 * https://opendocs.alipay.com/open/02ekfp), kept as integer fen in the ledger. Written apart from the kiosk's
 * conversion: a string of digits is split at the point, never read through a float.
 */
const AMOUNT = /^(\d{1,9})(?:\.(\d{1,2}))?$/;

/** "12.34" → 1234; null for anything else ("12.345", "-1", "1e3", "01", a number, …). */
export function parseYuan(value: unknown): number | null {
  if (typeof value !== 'string') return null;
  const m = AMOUNT.exec(value);
  if (!m || (m[1].length > 1 && m[1].startsWith('0'))) return null;
  const decimals = (m[2] ?? '').padEnd(2, '0');
  return parseInt(m[1], 10) * 100 + parseInt(decimals, 10);
}

/** 1234 → "12.34"; -7 → "-0.07". */
export function formatYuan(fen: number): string {
  const sign = fen < 0 ? '-' : '';
  const digits = String(Math.abs(fen)).padStart(3, '0');
  return `${sign}${digits.slice(0, -2)}.${digits.slice(-2)}`;
}
