import { gtinCheckDigit } from '../../kernel/gs1-check-digit';
import { GS } from './gs1';
import { MAX_SCAN_LENGTH, parseScan } from './parse-scan';
import { redactScanResult, type ScanResult } from './result';
import { defaultBarcodeRules, type BarcodeRules } from '../../config/barcode-rules';

const R = defaultBarcodeRules;
const withCheck = (body: string) => body + gtinCheckDigit(body);
const parse = (raw: string, rules: BarcodeRules = R) => parseScan(raw, rules);

function success<K extends Extract<ScanResult, { ok: true }>['kind']>(r: ScanResult, kind: K): Extract<ScanResult, { ok: true; kind: K }> {
  if (!r.ok) throw new Error(`expected ${kind}, got error ${r.error.code}: ${r.error.message}`);
  if (r.kind !== kind) throw new Error(`expected ${kind}, got ${r.kind}: ${JSON.stringify(r)}`);
  return r as Extract<ScanResult, { ok: true; kind: K }>;
}

function failure(r: ScanResult) {
  if (r.ok) throw new Error(`expected an error, got ${JSON.stringify(r)}`);
  return r;
}

describe('GTINs from EAN/UPC', () => {
  test.each([
    ['4006381333931', 'EAN-13', '4006381333931', '04006381333931'],
    ['9780201379624', 'EAN-13', '9780201379624', '09780201379624'],
    ['036000291452', 'UPC-A', '0036000291452', '00036000291452'],
    ['96385074', 'EAN-8', '96385074', '00000096385074'],
    ['04252614', 'UPC-E', '0042100005264', '00042100005264'],
    ['09506000134352', 'GTIN-14', '9506000134352', '09506000134352'],
  ])('%s without AIM → %s, lookupKey %s', (code, format, lookupKey, gtin14) => {
    const r = success(parse(code), 'gtin');
    expect(r).toMatchObject({ format, gtin: code, lookupKey, gtin14, restrictedCirculation: false, warnings: [] });
    expect(r.symbology).toEqual({ aim: null, name: format, inferred: true });
  });

  test('UPC-E reports its UPC-A; the same item scanned as UPC-A (]E0 carries it as 0 + 12 digits) has the same lookupKey', () => {
    const e = success(parse('04252614', { ...R, eightDigitPreference: 'upce' }), 'gtin');
    expect(e).toMatchObject({ format: 'UPC-E', upcA: '042100005264', lookupKey: '0042100005264' });
    const a = success(parse(']E00042100005264'), 'gtin');
    expect(a.symbology).toEqual({ aim: ']E0', name: 'EAN-13/UPC-A/UPC-E', inferred: false });
    expect(a.lookupKey).toBe(e.lookupKey);
    expect(success(parse('042100005264'), 'gtin').lookupKey).toBe(e.lookupKey);
  });

  test('AIM decides between EAN-8 and UPC-E', () => {
    expect(success(parse(']E496385074'), 'gtin').format).toBe('EAN-8');
    expect(failure(parse(']E404252614')).error).toMatchObject({ code: 'BAD_CHECK_DIGIT', expected: '0', found: '4', position: 10 });
    expect(failure(parse(']E096385074')).error.code).toBe('BAD_LENGTH'); // ]E0 always carries 13 digits
  });

  test('8 digits valid as both EAN-8 and UPC-E: rules decide, with a warning', () => {
    const asEan8 = success(parse('01234565'), 'gtin');
    expect(asEan8.format).toBe('EAN-8');
    expect(asEan8.warnings.join()).toMatch(/both as EAN-8 and as UPC-E/);
    const asUpcE = success(parse('01234565', { ...R, eightDigitPreference: 'upce' }), 'gtin');
    expect(asUpcE).toMatchObject({ format: 'UPC-E', upcA: '012345000065', lookupKey: '0012345000065' });
    expect(failure(parse(']E001234565')).error.code).toBe('BAD_LENGTH'); // under ]E0 a UPC-E arrives expanded to 13 digits
  });

  test('8 digits valid as neither: the message mentions both readings', () => {
    const e = failure(parse('12345678')).error;
    expect(e).toMatchObject({ code: 'BAD_CHECK_DIGIT', expected: '0', found: '8', position: 7 });
    expect(e.message).toMatch(/EAN-8 .*UPC-E/);
  });

  test('AIM length rules (ISO/IEC 15424; gs1-syntax-engine src/c-lib/scandata.c @ 50657dbd, test_scandata_processScanData): ]E0 is 13 digits, ]E4 8', () => {
    // "]E0123456789012" short, "]E012345678901234" long, "]E02112345678901" bad check digit, "]E02112345678900" EAN-13
    expect(failure(parse(']E0123456789012')).error).toMatchObject({ code: 'BAD_LENGTH', position: 3 });
    expect(failure(parse(']E012345678901234')).error.code).toBe('BAD_LENGTH');
    expect(failure(parse(']E01234ABC890123')).error.code).toBe('NOT_NUMERIC');
    expect(failure(parse(']E02112345678901')).error.code).toBe('BAD_CHECK_DIGIT');
    expect(success(parse(']E02112345678900', { ...R, inStore: [] }), 'gtin').gtin).toBe('2112345678900');
    expect(failure(parse(']E41234567')).error.code).toBe('BAD_LENGTH');
    expect(failure(parse(']E4123456789')).error.code).toBe('BAD_LENGTH');
    expect(failure(parse(']E412ABC678')).error.code).toBe('NOT_NUMERIC');
    expect(failure(parse(']E402345674')).error.code).toBe('BAD_CHECK_DIGIT');
    expect(success(parse(']E402345673'), 'gtin').gtin).toBe('02345673');
    // 12 digits (UPC-A without its leading 0) and 6–8 digit UPC-E under ]E0 are scanner misconfiguration, said so
    for (const raw of [']E0036000291452', ']E004252614', ']E0425261', ']E00425261']) {
      expect(failure(parse(raw)).error.message).toMatch(/always carries 13 digits .*UPC transmit settings/);
    }
  });

  test('wrong check digit: expected and found digits, position in raw (after leading whitespace)', () => {
    const r = failure(parse('  4006381333932\r\n'));
    expect(r.error).toMatchObject({ code: 'BAD_CHECK_DIGIT', expected: '1', found: '2', position: 14 });
    expect(r.error.message).toBe('EAN-13 4006381333932 has check digit 2 but its other digits require 1 (misread, damaged label, or mistyped code)');
    expect(r.symbology).toEqual({ aim: null, name: 'EAN-13', inferred: true });
    expect(failure(parse('036000291453')).error).toMatchObject({ code: 'BAD_CHECK_DIGIT', expected: '2', found: '3' });
    expect(failure(parse(']E00036000291453')).error.position).toBe(15);
  });

  test('EAN symbology with wrong length or letters', () => {
    expect(failure(parse(']E040063813339')).error).toMatchObject({ code: 'BAD_LENGTH' });
    expect(failure(parse(']E4400638133393')).error).toMatchObject({ code: 'BAD_LENGTH' });
    expect(failure(parse(']E04006381A33931')).error).toMatchObject({ code: 'NOT_NUMERIC', position: 10 });
    expect(failure(parse(']E9123')).error).toMatchObject({ code: 'UNSUPPORTED' });
  });

  test('add-ons: combined ]E3 carries them, ]E1/]E2 alone are "other"', () => {
    expect(success(parse(']E3400638133393112'), 'gtin')).toMatchObject({ gtin: '4006381333931', addOn: '12' });
    expect(success(parse(']E3978020137962451299'), 'gtin')).toMatchObject({ gtin: '9780201379624', addOn: '51299' });
    expect(success(parse(']E3003600029145212'), 'gtin')).toMatchObject({ gtin: '0036000291452', addOn: '12' });
    expect(failure(parse(']E303600029145212')).error.message).toMatch(/15 or 18 digits/); // 12 + 2: UPC-A must be 0 + 12
    expect(failure(parse(']E30234567312')).error.code).toBe('BAD_LENGTH'); // EAN-8 + add-on is not an ]E3 form
    expect(failure(parse(']E3400638133393')).error.code).toBe('BAD_LENGTH');
    expect(success(parse(']E112'), 'other').note).toMatch(/2-digit add-on "12"/);
    expect(failure(parse(']E2123')).error.code).toBe('BAD_LENGTH');
  });

  test('ITF-14 carries a GTIN-14', () => {
    const itf = withCheck('1950600013435');
    expect(success(parse(`]I1${itf}`), 'gtin')).toMatchObject({ format: 'GTIN-14', gtin14: itf, lookupKey: itf });
    expect(failure(parse(`]I0${itf.slice(0, 13)}${(Number(itf[13]) + 1) % 10}`)).error.code).toBe('BAD_CHECK_DIGIT');
    expect(success(parse(']I0123456'), 'other')).toBeDefined();
  });

  test('a valid GTIN in Code 128 / QR is accepted with a warning; an invalid one is just "other"', () => {
    const r = success(parse(']C04006381333931'), 'gtin');
    expect(r.warnings.join()).toMatch(/GTIN carried in Code 128/);
    expect(success(parse(']Q14006381333931'), 'gtin').lookupKey).toBe('4006381333931');
    expect(success(parse(']C04006381333932'), 'other')).toBeDefined();
  });

  test('restricted-circulation code matching no in-store pattern is an ordinary GTIN', () => {
    const code = withCheck('251234567890');
    expect(success(parse(code), 'gtin')).toMatchObject({ lookupKey: code, restrictedCirculation: true });
  });
});

describe('in-store labels', () => {
  test('default price label 21 IIIII VVVVV C', () => {
    const code = withCheck('21' + '12345' + '01299');
    const r = success(parse(code), 'in_store');
    expect(r).toMatchObject({
      format: 'EAN-13',
      gtin: code,
      lookupKey: '2112345',
      itemRef: '12345',
      patternPrefix: '21',
      value: 'price',
      embeddedPrice: 1299,
      priceCheckDigit: 'none',
    });
    expect(r.weightGrams).toBeUndefined();
  });

  test('default weight label 22 IIIII VVVVV C', () => {
    const r = success(parse(`]E0${withCheck('22' + '00042' + '01250')}`), 'in_store');
    expect(r).toMatchObject({ lookupKey: '2200042', value: 'weight', weightGrams: 1250 });
    expect(r.embeddedPrice).toBeUndefined();
  });

  test('UPC-A number system 2 with price verifier, configured as GTIN-13 prefix 02', () => {
    const rules: BarcodeRules = { ...R, inStore: [{ prefix: '02', layout: 'PPIIIIIXVVVVC', value: 'price' }] };
    const upcA = withCheck('2' + '12345' + '9' + '2875').slice(0); // 12 digits
    expect(upcA).toHaveLength(12);
    expect(success(parse(upcA, rules), 'in_store')).toMatchObject({ format: 'UPC-A', lookupKey: '0212345', embeddedPrice: 2875, priceCheckDigit: 'verified' });
    const wrong = withCheck('2' + '12345' + '3' + '2875');
    expect(failure(parse(wrong, rules)).error).toMatchObject({ code: 'BAD_CHECK_DIGIT', expected: '9', found: '3', position: 6 });
  });

  test('a bad GTIN check digit is reported before the layout is applied', () => {
    const code = withCheck('21' + '12345' + '01299');
    const bad = code.slice(0, 12) + ((Number(code[12]) + 5) % 10);
    expect(failure(parse(bad)).error.code).toBe('BAD_CHECK_DIGIT');
  });
});

describe('GS1 element strings', () => {
  const spec = `]C1` + `0109506000134352` + `17261231` + `10ABC${GS}21XYZ`;

  test('GS1 General Specifications example via ]C1', () => {
    const r = success(parse(spec), 'gs1');
    expect(r).toMatchObject({
      gtin: '09506000134352',
      gtin14: '09506000134352',
      lookupKey: '9506000134352',
      expiryDate: '2026-12-31',
      batch: 'ABC',
      serial: 'XYZ',
      hri: '(01)09506000134352(17)261231(10)ABC(21)XYZ',
    });
    expect(r.symbology).toEqual({ aim: ']C1', name: 'GS1-128', inferred: false });
    expect(r.ais.map((e) => e.position)).toEqual([3, 19, 27, 33]);
  });

  test.each([']e0', ']Q3', ']d2', ']J1'])('%s is a GS1 symbology', (aim) => {
    expect(success(parse(`${aim}0109506000134352`), 'gs1').lookupKey).toBe('9506000134352');
  });

  test('without AIM: leading GS, GS inside, or "01"+valid GTIN-14 are read as GS1', () => {
    expect(success(parse(`${GS}0109506000134352`), 'gs1').symbology).toEqual({ aim: null, name: 'GS1 element string', inferred: true });
    expect(success(parse(`10ABC${GS}21XYZ`), 'gs1').ais).toHaveLength(2);
    expect(success(parse('010950600013435217261231'), 'gs1').expiryDate).toBe('2026-12-31');
  });

  test('human-readable form with parentheses', () => {
    const r = success(parse('(01)09506000134352(17)261231(10)ABC'), 'gs1');
    expect(r).toMatchObject({ lookupKey: '9506000134352', expiryDate: '2026-12-31', batch: 'ABC' });
    expect(r.symbology.name).toBe('GS1 element string (human-readable)');
  });

  test('weight 3103 001250 → 1250 g and price 3922 → minor units', () => {
    expect(success(parse(']e00109506000134352' + '3103001250'), 'gs1').weightGrams).toBe(1250);
    expect(success(parse(`]C1` + `0109506000134352` + `3922` + `1299`), 'gs1').embeddedPrice).toBe(1299);
    expect(success(parse(`]C1` + `3922` + `1299${GS}` + `0109506000134352`), 'gs1').embeddedPrice).toBe(1299);
  });

  test('errors: unknown AI, bad date, too-long AI 10, wrong GTIN check digit', () => {
    expect(failure(parse(']C10109506000134352' + '89XYZ')).error).toMatchObject({ code: 'UNKNOWN_AI', ai: '89', position: 19 });
    expect(success(parse(']C10109506000134352' + '99XYZ'), 'gs1').ais[1]).toMatchObject({ ai: '99', title: 'INTERNAL', value: 'XYZ' });
    expect(failure(parse(']C10109506000134352' + '17261331')).error).toMatchObject({ code: 'BAD_DATE', ai: '17' });
    expect(failure(parse(']C1' + '10' + 'X'.repeat(21))).error).toMatchObject({ code: 'BAD_LENGTH', ai: '10' });
    expect(failure(parse(']C10109506000134353')).error).toMatchObject({ code: 'BAD_CHECK_DIGIT', ai: '01', expected: '2', found: '3', position: 18 });
    expect(failure(parse(']C1')).error.code).toBe('EMPTY');
  });

  test('missing GS before a predefined AI: parsed, with a warning a technician can act on', () => {
    const r = success(parse(']C10109506000134352' + '10ABC' + '17261231'), 'gs1');
    expect(r.batch).toBe('ABC17261231');
    expect(r.expiryDate).toBeUndefined();
    expect(r.warnings.join()).toMatch(/GS separator is missing after AI 10/);
  });

  test('GS1 data in a plain Code 128 is "other", and the note says why', () => {
    expect(success(parse(']C00109506000134352' + '17261231'), 'other').note).toMatch(/no FNC1/);
  });
});

describe('member cards', () => {
  test.each([
    ['M0123456789', null],
    [']C0M0123456789', ']C0'],
    ['2990123456786', null],
    [']E02990123456786', ']E0'],
  ])('%s', (raw, aim) => {
    const r = success(parse(raw), 'member_card');
    expect(r.memberId).toBe(raw.replace(/^\][A-Za-z0-9]{2}/, ''));
    expect(r.symbology.aim).toBe(aim);
  });

  test('EAN-13 member card with a wrong check digit is a check-digit error, not a member', () => {
    expect(failure(parse('2990123456787')).error.code).toBe('BAD_CHECK_DIGIT');
  });
});

describe('payment codes', () => {
  test.each([
    ['281234567890123456', 'alipay'],
    ['2512345678901234', 'alipay'],
    ['131234567890123456', 'wechat_pay'],
    ['6212345678901234567', 'unionpay'],
    [']Q1281234567890123456', 'alipay'],
    [']C0131234567890123456', 'wechat_pay'],
  ])('%s → %s, credential masked everywhere but paymentCode', (raw, channel) => {
    const r = success(parse(`${raw}\r\n`), 'payment_code');
    const code = raw.replace(/^\][A-Za-z0-9]{2}/, '');
    expect(r.paymentChannel).toBe(channel);
    expect(r.paymentCode).toBe(code);
    expect(r.masked).toBe(code.slice(0, 4) + '*'.repeat(code.length - 8) + code.slice(-4));
    expect(r.raw).not.toContain(code);
    expect(r.data).toBe(r.masked);
    expect(JSON.stringify(redactScanResult(r))).not.toContain(code);
  });

  test('payment codes are checked before GTIN interpretation', () => {
    const rules: BarcodeRules = { ...R, paymentCodes: [{ channel: 'test', pattern: '40\\d{11}' }] };
    expect(success(parse('4006381333931', rules), 'payment_code').paymentChannel).toBe('test');
  });

  test('payment codes are checked before member cards', () => {
    const rules: BarcodeRules = { ...R, memberCards: [{ name: 'greedy', pattern: '\\d+' }] };
    expect(success(parse('281234567890123456', rules), 'payment_code').paymentChannel).toBe('alipay');
  });

  test('an 18/19-digit string that is no payment code is never a GTIN', () => {
    expect(success(parse('991234567890123456'), 'other').note).toMatch(/not a GTIN length/);
  });

  test('redactScanResult leaves other results untouched', () => {
    const r = parse('4006381333931');
    expect(redactScanResult(r)).toBe(r);
  });
});

describe('AIM prefixes, whitespace, empty and garbage input', () => {
  test('other symbologies and texts', () => {
    expect(success(parse(']Q1https://example.com/p?id=1'), 'other').symbology).toEqual({ aim: ']Q1', name: 'QR Code', inferred: false });
    expect(success(parse(']A0ABC-123'), 'other').symbology.name).toBe('Code 39 (AIM ]A0)');
    expect(success(parse(']X9foo'), 'other').symbology.name).toBe('unrecognised symbology (AIM ]X9)');
    expect(success(parse('hello'), 'other').symbology).toEqual({ aim: null, name: 'unknown', inferred: true });
    expect(success(parse('1234567890'), 'other').note).toMatch(/10 digits/);
  });

  test.each([
    ['', /sent nothing/],
    ['   ', /only whitespace/],
    ['\r\n', /only whitespace/],
    [']E0', /no data/],
    [' ]d2\r\n', /no data/],
  ])('%j is EMPTY', (raw, message) => {
    const r = failure(parse(raw));
    expect(r.error.code).toBe('EMPTY');
    expect(r.error.message).toMatch(message);
  });

  test('surrounding whitespace and CR/LF are stripped; raw is kept verbatim', () => {
    for (const raw of ['4006381333931\r\n', '4006381333931\n', '\t 4006381333931 \r', '\u30004006381333931']) {
      const r = success(parse(raw), 'gtin');
      expect(r.raw).toBe(raw);
      expect(r.data).toBe('4006381333931');
    }
  });

  test('control characters in a 1D read are UNSUPPORTED with a position', () => {
    expect(failure(parse('\x02400638\x03')).error).toMatchObject({ code: 'UNSUPPORTED', position: 0 });
    expect(failure(parse('\x02400638\x03')).error.message).toMatch(/STX/);
    const merged = failure(parse('4006381333931\r\n4006381333931'));
    expect(merged.error).toMatchObject({ code: 'UNSUPPORTED', position: 13 });
    expect(merged.error.message).toMatch(/merged/);
    expect(failure(parse(`]C0AB${GS}CD`)).error.message).toMatch(/not a GS1 one/);
    expect(failure(parse('\x1B[A\x00')).error.code).toBe('UNSUPPORTED');
  });

  test('control characters in a 2D read are kept, with a warning', () => {
    const r = success(parse(']Q1line 1\nline 2'), 'other');
    expect(r.warnings.join()).toMatch(/LF/);
  });

  test('full-width digits (keyboard wedge with CJK IME) are converted, with a warning', () => {
    const r = success(parse('４００６３８１３３３９３１'), 'gtin');
    expect(r.lookupKey).toBe('4006381333931');
    expect(r.warnings.join()).toMatch(/full-width/);
  });

  test('over-long input is refused', () => {
    expect(failure(parse('1'.repeat(MAX_SCAN_LENGTH + 1))).error.code).toBe('UNSUPPORTED');
    expect(parse(']Q1' + 'a'.repeat(MAX_SCAN_LENGTH - 3)).ok).toBe(true);
  });

  test('parseScan does not throw even for non-string input or broken rules', () => {
    expect(failure(parseScan(undefined as unknown as string, R)).error.code).toBe('EMPTY');
    const broken = {} as BarcodeRules;
    const r = failure(parseScan('4006381333931', broken));
    expect(r.error.code).toBe('UNSUPPORTED');
    expect(r.error.message).toMatch(/internal barcode parser error/);
  });
});
