import { defaultBarcodeRules, validateBarcodeRules, type BarcodeRules } from './barcode-rules';

const clone = (): BarcodeRules => JSON.parse(JSON.stringify(defaultBarcodeRules)) as BarcodeRules;

describe('BarcodeRules', () => {
  test('defaults are plain JSON data and valid', () => {
    expect(JSON.parse(JSON.stringify(defaultBarcodeRules))).toEqual(defaultBarcodeRules);
    expect(validateBarcodeRules(defaultBarcodeRules)).toEqual([]);
  });

  test('reports bad currency, patterns, regexes and preference', () => {
    const r = clone();
    r.currency = { code: 'yuan', numeric: '15', minorUnits: 2.5 };
    r.inStore.push({ prefix: '21', layout: 'PPIIIIIVVVVVC', value: 'weight' });
    r.inStore.push({ prefix: '45', layout: 'PPIIIIIVVVVVC', value: 'price' });
    r.memberCards.push({ name: '', pattern: '(' });
    r.paymentCodes.push({ channel: 'x', pattern: '[' });
    (r as { eightDigitPreference: string }).eightDigitPreference = 'both';
    const problems = validateBarcodeRules(r).join('\n');
    expect(problems).toMatch(/currency.code "yuan"/);
    expect(problems).toMatch(/currency.numeric "15"/);
    expect(problems).toMatch(/minorUnits 2.5/);
    expect(problems).toMatch(/inStore\[2\]: unreachable, inStore\[0\]/);
    expect(problems).toMatch(/inStore\[3\]: prefix "45"/);
    expect(problems).toMatch(/memberCards\[2\]: name is empty/);
    expect(problems).toMatch(/memberCards\[2\]: pattern "\(" is not a valid regular expression/);
    expect(problems).toMatch(/paymentCodes\[3\]: pattern "\[" is not a valid/);
    expect(problems).toMatch(/eightDigitPreference/);
  });
});
