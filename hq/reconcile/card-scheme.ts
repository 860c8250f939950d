import { CARD_SCHEMES, type CardScheme } from '../../config/fees';

/**
 * The card scheme of a card payment's reference `cardType` (the terminal's card name, e.g. "girocard", "VISA",
 * "MasterCard", "Maestro"), or of an end-of-day totals entry's `scheme`; anything else is `other`.
 */
export function schemeOf(cardType: unknown): CardScheme {
  if (typeof cardType !== 'string') return 'other';
  const s = cardType.toLowerCase().replace(/[^a-z]/g, '');
  if ((CARD_SCHEMES as readonly string[]).includes(s)) return s as CardScheme;
  if (s.includes('girocard') || s === 'ec' || s.includes('eccash') || s.includes('electroniccash')) return 'girocard';
  if (s.includes('master') || s.includes('maestro')) return 'mastercard';
  if (s.includes('visa') || s.includes('vpay')) return 'visa';
  if (s.includes('amex') || s.includes('americanexpress')) return 'amex';
  if (s.includes('jcb')) return 'jcb';
  if (s.includes('diners')) return 'diners';
  return 'other';
}
