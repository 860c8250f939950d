import { CARD_SCHEMES, type CardScheme } from '../../config/fees';

/**
 * ZVT card types (BMP 8A, the card-type list of ZVT PA00P015) by the end-of-day group (BMP 60) the terminal counts
 * them in: 2 ec-card and 5 girocard, 6 Eurocard / Mastercard, 8 American Express, 10 Visa, 11 VISA Electron, 13 V PAY,
 * 12 Diners, 14 JCB. Every other type is counted in "remaining", our `other`.
 */
const ZVT_CARD_TYPES: Readonly<Record<number, CardScheme>> = {
  2: 'girocard', 5: 'girocard', 6: 'mastercard', 8: 'amex', 10: 'visa', 11: 'visa', 13: 'visa', 12: 'diners', 14: 'jcb',
};

/** The kiosk's name for a card whose terminal sent the card type (BMP 8A) but no card name (drivers/terminal/zvt-result.ts). */
const ZVT_CARD_TYPE_NAME = /^ZVT card type (\d{1,3})$/;

/**
 * The card scheme of a card payment's reference `cardType` (the terminal's card name, e.g. "girocard", "VISA",
 * "MasterCard", "Maestro" (other, as the terminal counts it), or "ZVT card type N" when the terminal sent only the type number), or of an end-of-day
 * totals entry's `scheme`; anything else is `other`.
 */
export function schemeOf(cardType: unknown): CardScheme {
  if (typeof cardType !== 'string') return 'other';
  const byNumber = ZVT_CARD_TYPE_NAME.exec(cardType.trim());
  if (byNumber) return ZVT_CARD_TYPES[Number(byNumber[1])] ?? 'other';
  const s = cardType.toLowerCase().replace(/[^a-z]/g, '');
  if ((CARD_SCHEMES as readonly string[]).includes(s)) return s as CardScheme;
  if (s.includes('girocard') || s === 'ec' || s.includes('eccash') || s.includes('electroniccash')) return 'girocard';
  // Maestro is its own ZVT card type (46), outside BMP 60's Eurocard group: the terminal counts it in "remaining"
  // (simulators/terminal/zvt/status-info.ts totalsGroupOf), as "ZVT card type 46" is filed above; by name the same.
  if (s.includes('maestro')) return 'other';
  if (s.includes('master')) return 'mastercard';
  if (s.includes('visa') || s.includes('vpay')) return 'visa';
  if (s.includes('amex') || s.includes('americanexpress')) return 'amex';
  if (s.includes('jcb')) return 'jcb';
  if (s.includes('diners')) return 'diners';
  return 'other';
}
