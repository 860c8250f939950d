import { schemeOf } from './card-scheme';

describe('schemeOf: the card scheme a card payment is reconciled under', () => {
  it.each([
    ['girocard', 'girocard'], ['VISA', 'visa'], ['MasterCard', 'mastercard'], ['Maestro', 'other'],
    ['V PAY', 'visa'], ['American Express', 'amex'], ['JCB', 'jcb'], ['Diners Club', 'diners'], ['UnionPay', 'other'],
  ])('by the terminal\'s card name %s → %s', (name, scheme) => {
    expect(schemeOf(name)).toBe(scheme);
  });

  // A terminal that sends the card type (BMP 8A) without a card name: the kiosk journals "ZVT card type N", and the
  // terminal's end-of-day counts that payment in the type's BMP 60 group, so HQ must file it under the same scheme.
  it.each([
    [2, 'girocard'], [5, 'girocard'], [6, 'mastercard'], [8, 'amex'], [10, 'visa'], [11, 'visa'], [13, 'visa'],
    [12, 'diners'], [14, 'jcb'], [1, 'other'], [46, 'other'], [255, 'other'],
  ])('by the card type number alone, ZVT card type %i → %s', (n, scheme) => {
    expect(schemeOf(`ZVT card type ${n}`)).toBe(scheme);
  });

  // The same card by name or by number lands in the same scheme (else a false channel_only "money taken" alert).
  it.each([
    ['girocard', 5], ['VISA', 10], ['V PAY', 13], ['Mastercard', 6], ['Maestro', 46], ['American Express', 8], ['Diners Club', 12], ['JCB', 14],
  ])('the name %s and its ZVT card type %i agree', (name, n) => {
    expect(schemeOf(name)).toBe(schemeOf(`ZVT card type ${n}`));
  });

  it('anything that is not a card name is other', () => {
    expect(schemeOf(undefined)).toBe('other');
    expect(schemeOf(6)).toBe('other');
    expect(schemeOf('ZVT card type ')).toBe('other');
  });
});
