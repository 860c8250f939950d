/**
 * Alipay amounts on the wire: yuan as a decimal string with at most two decimals ("12.34"; Alipay open API
 * `total_amount` / `refund_amount`: "单位为元，精确到小数点后两位，取值范围[0.01,100000000]" — alipay.trade.pay,
 * https://opendocs.alipay.com/open/02ekfp). Inside the runtime money is integer fen; the conversion is exact,
 * by integer / string arithmetic only — never through a float.
 */
import type { Minor } from '../../../kernel/money';

/** Largest amount Alipay takes: 100 000 000.00 yuan. */
export const MAX_ALIPAY_FEN = 100_000_000_00;

/** Integer fen → "12.34". Throws RangeError for anything that is not a non-negative safe integer ≤ the maximum. */
export function fenToYuan(fen: Minor): string {
  if (!Number.isSafeInteger(fen) || fen < 0 || fen > MAX_ALIPAY_FEN) throw new RangeError(`not an Alipay amount in fen: ${fen}`);
  const yuan = Math.trunc(fen / 100);
  const cents = fen - yuan * 100;
  return `${yuan}.${cents < 10 ? '0' : ''}${cents}`;
}

// digits, no sign, no exponent, no leading zeros (except "0"), at most two decimals
const YUAN = /^(0|[1-9][0-9]{0,8})(?:\.([0-9]{1,2}))?$/;

/**
 * "12.34" → 1234. Returns null for anything that is not a plain non-negative decimal with at most two decimals
 * ("12.345", "-1", "1e3", " 1", "01.00", a number instead of a string …) or above the maximum.
 */
export function yuanToFen(text: unknown): Minor | null {
  if (typeof text !== 'string') return null;
  const m = YUAN.exec(text);
  if (!m) return null;
  const cents = m[2] === undefined ? 0 : m[2].length === 1 ? Number(m[2]) * 10 : Number(m[2]);
  const fen = Number(m[1]) * 100 + cents;
  return fen <= MAX_ALIPAY_FEN ? fen : null;
}
