import { encodeGs1, formatGs1Hri, GS, GS1_AIS, parseGs1, parseGs1Date } from './gs1';
import type { CurrencyRule } from '../../config/barcode-rules';

const CNY: CurrencyRule = { code: 'CNY', numeric: '156', minorUnits: 2 };
const JPY: CurrencyRule = { code: 'JPY', numeric: '392', minorUnits: 0 };

function ok(data: string, form: 'fnc1' | 'hri' = 'fnc1', currency = CNY) {
  const r = parseGs1(data, 0, form, currency);
  if (!r.ok) throw new Error(`expected success, got ${r.error.code}: ${r.error.message}`);
  return r;
}

function err(data: string, form: 'fnc1' | 'hri' = 'fnc1', offset = 0) {
  const r = parseGs1(data, offset, form, CNY);
  if (r.ok) throw new Error(`expected failure, got ${JSON.stringify(r.elements)}`);
  return r.error;
}

const pairs = (data: string, form: 'fnc1' | 'hri' = 'fnc1') => ok(data, form).elements.map((e) => [e.ai, e.value]);

describe('parseGs1: GS-separated element strings', () => {
  test('GS1 General Specifications example: GTIN + expiry (predefined, no separator) + batch GS serial', () => {
    const r = ok(`010950600013435217261231` + `10ABC${GS}21XYZ`);
    expect(r.elements).toEqual([
      { ai: '01', title: 'GTIN', value: '09506000134352', position: 0 },
      { ai: '17', title: 'USE BY or EXPIRY', value: '261231', position: 16, date: '2026-12-31' },
      { ai: '10', title: 'BATCH/LOT', value: 'ABC', position: 24 },
      { ai: '21', title: 'SERIAL', value: 'XYZ', position: 30 },
    ]);
    expect(r.warnings).toEqual([]);
  });

  test('a leading GS (FNC1 in first position) is skipped; positions are offset into raw', () => {
    const r = parseGs1(`${GS}0109506000134352`, 3, 'fnc1', CNY);
    expect(r.ok && r.elements).toEqual([{ ai: '01', title: 'GTIN', value: '09506000134352', position: 4 }]);
  });

  test('a GS after a predefined fixed-length element is tolerated', () => {
    expect(pairs(`0109506000134352${GS}17261231`)).toEqual([
      ['01', '09506000134352'],
      ['17', '261231'],
    ]);
  });

  test('a trailing GS is ignored with a warning', () => {
    const r = ok(`10ABC${GS}`);
    expect(r.elements.map((e) => e.value)).toEqual(['ABC']);
    expect(r.warnings.join()).toMatch(/ends with a GS/);
  });

  test('3103 001250 = 1.250 kg = 1250 g', () => {
    const [, w] = ok('01095060001343523103001250').elements;
    expect(w).toMatchObject({ ai: '3103', title: 'NET WEIGHT (kg)', value: '001250', decimal: '1.250', grams: 1250 });
  });

  test.each([
    ['3100', '000002', '2', 2000],
    ['3101', '000125', '12.5', 12500],
    ['3102', '000125', '1.25', 1250],
    ['3104', '012345', '1.2345', 1234], // 1234.5 g, half-even → 1234
    ['3104', '012355', '1.2355', 1236], // 1235.5 g, half-even → 1236
    ['3105', '100000', '1.00000', 1000],
  ])('%s %s → %s kg → %d g', (ai, value, decimal, grams) => {
    expect(ok(ai + value).elements[0]).toMatchObject({ decimal, grams });
  });

  test('320n pounds converted to grams (1 lb = 453.59237 g)', () => {
    expect(ok('3202000100').elements[0]).toMatchObject({ ai: '3202', decimal: '1.00', grams: 454 });
    expect(ok('3200000010').elements[0]).toMatchObject({ grams: 4536 });
  });

  test('3922 price with 2 decimals → minor units; 3920 in a 2-minor-unit currency is ×100', () => {
    expect(ok('3922' + '1299').elements[0]).toMatchObject({ title: 'PRICE', decimal: '12.99', minor: 1299 });
    expect(ok('3920' + '15').elements[0]).toMatchObject({ decimal: '15', minor: 1500 });
  });

  test('3923 with more decimals than the currency rounds half-even and warns', () => {
    const r = ok('3923' + '12345');
    expect(r.elements[0]).toMatchObject({ decimal: '12.345', minor: 1234 });
    expect(r.warnings.join()).toMatch(/rounded half-even to 1234/);
    expect(parseGs1('3922' + '1299', 0, 'fnc1', JPY)).toMatchObject({ ok: true, elements: [{ minor: 13 }] });
  });

  test('393n: currency + price; converted only in the store currency', () => {
    expect(ok('3932' + '156' + '1299').elements[0]).toMatchObject({ currency: '156', decimal: '12.99', minor: 1299 });
    const foreign = ok('3932' + '978' + '1299');
    expect(foreign.elements[0]).toMatchObject({ currency: '978', decimal: '12.99' });
    expect(foreign.elements[0].minor).toBeUndefined();
    expect(foreign.warnings.join()).toMatch(/currency 978/);
  });

  test('count, order number, product URL, SSCC, content', () => {
    expect(pairs(`00106141411234567897` + `0209506000134352` + `37144${GS}30999${GS}400PO-77/A${GS}8200http://example.com/x`)).toEqual([
      ['00', '106141411234567897'],
      ['02', '09506000134352'],
      ['37', '144'],
      ['30', '999'],
      ['400', 'PO-77/A'],
      ['8200', 'http://example.com/x'],
    ]);
  });

  test('dates: DD 00 means the end of the month (leap years included)', () => {
    expect(ok('17240200').elements[0]).toMatchObject({ date: '2024-02-29', dayOmitted: true });
    expect(ok('15250200').elements[0]).toMatchObject({ date: '2025-02-28', dayOmitted: true });
    expect(ok('11240229').elements[0]).toMatchObject({ date: '2024-02-29' });
    expect(ok('11240229').elements[0].dayOmitted).toBeUndefined();
  });

  test('BAD_DATE: month 13, day 32, 29 February of a common year', () => {
    expect(err('0109506000134352' + '17261331')).toMatchObject({ code: 'BAD_DATE', ai: '17', position: 20 });
    expect(err('17261331').message).toMatch(/month 13/);
    expect(err('13260132')).toMatchObject({ code: 'BAD_DATE', ai: '13' });
    expect(err('11250229').message).toMatch(/day 29 does not exist in 2025-02/);
  });

  test('BAD_CHECK_DIGIT in AI 01 / 02 / 00 names expected and found', () => {
    expect(err('0109506000134353')).toMatchObject({ code: 'BAD_CHECK_DIGIT', ai: '01', expected: '2', found: '3', position: 15 });
    expect(err('0209506000134350')).toMatchObject({ code: 'BAD_CHECK_DIGIT', ai: '02', expected: '2', found: '0' });
    expect(err('00106141411234567890')).toMatchObject({ code: 'BAD_CHECK_DIGIT', ai: '00', expected: '7' });
  });

  test('too-long AI 10 (21 characters) hints at a missing separator', () => {
    const e = err('10' + 'A'.repeat(21));
    expect(e).toMatchObject({ code: 'BAD_LENGTH', ai: '10', position: 22 });
    expect(e.message).toMatch(/at most 20.*GS separator is probably missing/);
  });

  test('20 characters in AI 10 is fine', () => {
    expect(pairs('10' + 'A'.repeat(20))).toEqual([['10', 'A'.repeat(20)]]);
  });

  test('missing GS after a variable AI followed by a predefined AI: parsed as one value, with a warning', () => {
    const r = ok('0109506000134352' + '10ABC' + '17261231');
    expect(r.elements.map((e) => [e.ai, e.value])).toEqual([
      ['01', '09506000134352'],
      ['10', 'ABC17261231'],
    ]);
    expect(r.warnings).toHaveLength(1);
    expect(r.warnings[0]).toMatch(/looks like AI 17 .*GS separator is missing after AI 10/);
  });

  test('missing GS after a variable AI followed by another variable AI cannot be detected (documented)', () => {
    const r = ok('10ABC' + '21XYZ');
    expect(r.elements.map((e) => [e.ai, e.value])).toEqual([['10', 'ABC21XYZ']]);
    expect(r.warnings).toEqual([]);
  });

  test('missing GS that makes a variable value too long is an error', () => {
    expect(err('10ABCDEFGHIJKLMNOP' + '0109506000134352')).toMatchObject({ code: 'BAD_LENGTH', ai: '10' });
  });

  test('UNKNOWN_AI names the AI (length from its first two digits) and its position', () => {
    expect(err('0109506000134352' + '89ABC')).toMatchObject({ code: 'UNKNOWN_AI', ai: '89', position: 16 });
    expect(err('3106001250')).toMatchObject({ code: 'UNKNOWN_AI', ai: '3106' });
    expect(err('7019' + '2601011230')).toMatchObject({ code: 'UNKNOWN_AI', ai: '7019' });
    expect(err('259' + '1234')).toMatchObject({ code: 'UNKNOWN_AI', ai: '259' });
    expect(err('89ABC', 'fnc1', 5).message).toBe('unknown or unsupported application identifier (AI) 89 at position 5');
  });

  test('AIs of the full table (issue 16): company-internal 90–99, 7003, 253 are known', () => {
    expect(pairs('0109506000134352' + '99ABC')).toEqual([['01', '09506000134352'], ['99', 'ABC']]);
    expect(pairs('7003' + '2601011230')).toEqual([['7003', '2601011230']]);
    expect(err('253' + '1234')).toMatchObject({ code: 'BAD_LENGTH', ai: '253' });
  });

  test('fixed-length values cut short by GS or by the end are BAD_LENGTH', () => {
    expect(err('01095060001343')).toMatchObject({ code: 'BAD_LENGTH', ai: '01', position: 14 });
    expect(err(`0109506000${GS}134352`)).toMatchObject({ code: 'BAD_LENGTH', ai: '01', position: 10 });
    expect(err('1726123')).toMatchObject({ code: 'BAD_LENGTH', ai: '17' });
  });

  test('empty variable value and double separators', () => {
    expect(err(`10${GS}21X`)).toMatchObject({ code: 'BAD_LENGTH', ai: '10' });
    expect(err(`10A${GS}${GS}21X`)).toMatchObject({ code: 'MALFORMED_GS1', position: 4 });
    expect(err(`3932156`)).toMatchObject({ code: 'BAD_LENGTH', ai: '3932' });
  });

  test('digits required: NOT_NUMERIC with the position of the letter', () => {
    expect(err('01095060001343A2')).toMatchObject({ code: 'NOT_NUMERIC', ai: '01', position: 14 });
    expect(err('3103001X50')).toMatchObject({ code: 'NOT_NUMERIC', ai: '3103', position: 7 });
    expect(err('37' + '12a')).toMatchObject({ code: 'NOT_NUMERIC', ai: '37' });
  });

  test('characters outside GS1 character set 82 are MALFORMED_GS1', () => {
    expect(err('10AB C')).toMatchObject({ code: 'MALFORMED_GS1', ai: '10', position: 4 });
    expect(err('10ABé')).toMatchObject({ code: 'MALFORMED_GS1', position: 4 });
    expect(err('21A#')).toMatchObject({ code: 'MALFORMED_GS1' });
    expect(err('10A\x01')).toMatchObject({ code: 'MALFORMED_GS1' });
  });

  test('data that does not start with an AI', () => {
    expect(err('AB12')).toMatchObject({ code: 'MALFORMED_GS1', position: 0 });
    expect(err('0109506000134352' + '1')).toMatchObject({ code: 'MALFORMED_GS1', position: 16 });
    expect(err('')).toMatchObject({ code: 'EMPTY' });
    expect(err(GS)).toMatchObject({ code: 'EMPTY' });
  });

  test('duplicate AIs: same value is a warning, different values an error', () => {
    const same = ok(`10ABC${GS}10ABC`);
    expect(same.elements).toHaveLength(1);
    expect(same.warnings.join()).toMatch(/twice/);
    expect(err(`10ABC${GS}10ABD`)).toMatchObject({ code: 'MALFORMED_GS1', ai: '10' });
  });
});

describe('parseGs1: human-readable form', () => {
  test('(01)09506000134352(17)261231(10)ABC', () => {
    const r = ok('(01)09506000134352(17)261231(10)ABC', 'hri');
    expect(r.elements.map((e) => [e.ai, e.value, e.position])).toEqual([
      ['01', '09506000134352', 1],
      ['17', '261231', 19],
      ['10', 'ABC', 29],
    ]);
  });

  test('errors: wrong fixed length, unknown AI, text before the first AI, empty value', () => {
    expect(err('(01)0950600013435(17)261231', 'hri')).toMatchObject({ code: 'BAD_LENGTH', ai: '01' });
    expect(err('(01)09506000134352(89)X', 'hri')).toMatchObject({ code: 'UNKNOWN_AI', ai: '89', position: 19 });
    expect(err('x(01)09506000134352', 'hri')).toMatchObject({ code: 'MALFORMED_GS1', position: 0 });
    expect(err('(10)(21)X', 'hri')).toMatchObject({ code: 'BAD_LENGTH', ai: '10' });
    expect(err('(17)261340', 'hri')).toMatchObject({ code: 'BAD_DATE' });
  });

  test('a value may contain parentheses that do not enclose digits', () => {
    expect(pairs('(10)A(B)C', 'hri')).toEqual([['10', 'A(B)C']]);
  });
});

describe('AI table, encoding and HRI formatting', () => {
  test('predefined-length AIs need no separator; variable ones do', () => {
    for (const ai of ['00', '01', '02', '11', '13', '15', '17', '3103', '3202']) expect(GS1_AIS.get(ai)?.predefined).toBe(true);
    for (const ai of ['10', '21', '30', '37', '3922', '3932', '400', '8200']) expect(GS1_AIS.get(ai)?.predefined).toBe(false);
  });

  test('encodeGs1 inserts GS only after non-predefined elements that are not last', () => {
    const els = [
      { ai: '01', value: '09506000134352' },
      { ai: '10', value: 'ABC' },
      { ai: '17', value: '261231' },
      { ai: '21', value: 'XYZ' },
    ];
    expect(encodeGs1(els)).toBe(`0109506000134352` + `10ABC${GS}` + `17261231` + `21XYZ`);
    expect(formatGs1Hri(els)).toBe('(01)09506000134352(10)ABC(17)261231(21)XYZ');
  });

  test('parseGs1Date', () => {
    expect(parseGs1Date('261231')).toEqual({ iso: '2026-12-31', dayOmitted: false });
    expect(parseGs1Date('000100')).toEqual({ iso: '2000-01-31', dayOmitted: true });
    expect(parseGs1Date('260001')).toEqual({ problem: 'month 00 is not 01–12' });
  });
});
