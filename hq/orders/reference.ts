import { safeMaskedPan } from '../../protocol/receipts/receipt-model';
import { int, obj, text } from './journal-payload';

/** Keys whose value would be a card number if a provider ever put one there: never kept, whatever it looks like. */
const PAN_KEYS = /^(pan|cardnumber|card_number|primaryaccountnumber|accountnumber)$/i;

function luhn(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

/**
 * Masks what may be a card number: a sequence of 12-19 digits that passes the Luhn check, written in one piece or in
 * groups with single spaces or dashes between them (4111 1111 1111 1111) — each group of such a sequence is checked on
 * its own too ("4111111111111111 1234"). A longer run of digits (a wallet's 28-digit trade number) is no card number.
 */
export function maskCardNumbers(s: string): string {
  const pan = (digits: string) => digits.length >= 12 && digits.length <= 19 && luhn(digits);
  return s.replace(/\d+(?:[ -]\d+)*/g, (run) => {
    const all = run.replace(/\D/g, '');
    if (pan(all)) return `****${all.slice(-4)}`;
    return run.replace(/\d+/g, (group) => (pan(group) ? `****${group.slice(-4)}` : group));
  });
}

/**
 * Keys of the merchant order and refund numbers the kiosk derives from its own attempt ids
 * (protocol/payments/channel-numbers.ts: the attempt UUID as is or its 32 hex digits, `-refund-N` after it, UnionPay's
 * 28 hex digits + `R` + 3 digits): kept as they are when they have
 * that shape — a digit run inside one may pass the Luhn check by chance (about 3 in 1 000 order numbers), and masked
 * it could no longer be searched for or matched against a channel's bill.
 */
const DERIVED_ID_KEYS = new Set(['outTradeNo', 'refundRequestNo', 'outRefundNo', 'orderId', 'requestNo']);
const DERIVED_ID = /^(?:(?:[0-9a-f]{32}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})(?:-refund-\d{1,6})?|[0-9a-f]{28}R\d{3})$/i;

/**
 * A payment or refund reference as HQ keeps it: scalar values only (at most 20 keys, texts bounded), the masked PAN
 * re-checked ({@link safeMaskedPan}: at most first 6 and last 4 digits), anything card-number-like masked. Null when
 * nothing is left.
 */
export function safeReference(v: unknown): Record<string, string | number> | null {
  const ref = obj(v);
  if (!ref) return null;
  const out: Record<string, string | number> = {};
  for (const [k, val] of Object.entries(ref).slice(0, 20)) {
    const key = text(k, 40);
    if (!key || PAN_KEYS.test(key)) continue;
    if (key === 'maskedPan') {
      const s = text(val, 40);
      if (s) out.maskedPan = safeMaskedPan(s);
      continue;
    }
    const n = int(val);
    if (n !== null) {
      // a number long enough to be a card number is masked like one
      out[key] = String(n).length >= 12 ? maskCardNumbers(String(n)) : n;
      continue;
    }
    const s = text(val, 100);
    if (s !== null) out[key] = DERIVED_ID_KEYS.has(key) && DERIVED_ID.test(s) ? s : maskCardNumbers(s);
  }
  return Object.keys(out).length > 0 ? out : null;
}

const CHANNEL = /^[a-z0-9][a-z0-9_.-]{0,31}$/;

/**
 * The channel of a payment: the approval reference's `channel` (a gateway naming the wallet: `alipay`, `wechat`, …),
 * else its `gateway` unless that is the generic `qr` gateway, else the kiosk's payment method (`card`, `qr`, …).
 */
export function channelOf(method: string | null, reference: Record<string, string | number> | null): string {
  const pick = (v: unknown) => (typeof v === 'string' && CHANNEL.test(v.toLowerCase()) ? v.toLowerCase() : null);
  return pick(reference?.channel) ?? (reference?.gateway !== 'qr' ? pick(reference?.gateway) : null) ?? pick(method) ?? 'unknown';
}
