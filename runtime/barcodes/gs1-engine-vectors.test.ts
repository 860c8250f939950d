/**
 * Element-string vectors from the GS1 syntax engine, github.com/gs1/gs1-syntax-engine @ 50657dbd04ce78d8734e8793e054bf70dcba294b:
 *  - src/c-lib/ai.c test_ai_processAIdata ("^" = FNC1: a leading one is FNC1 in first position, others are GS);
 *  - src/c-lib/ai.c test_ai_parseAIdata (bracketed "(AI)value" input → expected "^…" element string);
 *  - src/c-lib/ai.c test_ai_linters (one real AI per linter error; linters this kiosk skips are left out, see gs1-linters.ts).
 * Expected outcomes are the engine's. processAIdata does not check AI pairing rules (req/ex), and neither does the kiosk.
 */
import { defaultBarcodeRules } from '../../config/barcode-rules';
import { GS, parseGs1 } from './gs1';

const CUR = defaultBarcodeRules.currency;
const fnc1 = (s: string) => parseGs1(s.replace(/\^/g, GS), 0, 'fnc1', CUR);

// test_ai_processAIdata — [should succeed, data]. (Entries without FNC1 in first position are scanner-level and not listed.)
const PROCESS: [boolean, string][] = [
  [false, '^891234'],
  [true, '^991234'],
  [false, '^99~ABC'],
  [false, '^99ABC~'],
  [true, '^0112345678901231'],
  [false, '^01A2345678901231'],
  [false, '^011234567890123A'],
  [false, '^0112345678901234'],
  [false, '^011234567890123'],
  [false, '^01123456789012312'],
  [true, '^0112345678901231^'],
  [false, '^011234567890123^'],
  [false, '^01123456789012345^'],
  [false, '^01123456789012345^991234'],
  [true, '^0112345678901231991234'],
  [true, '^0112345678901231^991234'],
  [true, '^2421'],
  [true, '^24212'],
  [true, '^242123'],
  [true, '^2421234'],
  [true, '^24212345'],
  [true, '^242123456'],
  [true, '^242123456^10ABC123'],
  [true, '^242123456^'],
  [false, '^2421234567'],
  [true, '^81111234'],
  [false, '^8111123'],
  [false, '^811112345'],
  [true, '^81111234^10ABC123'],
  [true, '^800112341234512398'],
  [false, '^80011234123451239'],
  [false, '^8001123412345123981'],
  [true, '^800112341234512398^0112345678901231'],
  [false, '^80011234123451239^0112345678901231'],
  [false, '^8001123412345123981^01123456789012312'],
  [true, '^7007211225211231'],
  [true, '^7007211225'],
  [false, '^70072112252'],
  [false, '^700721122521'],
  [false, '^7007211225211'],
  [false, '^70072112252112'],
  [false, '^700721122521123'],
  [false, '^70072112252212311'],
  [true, '^800302112345678900ABC'],
  [false, '^800302112345678901ABC'],
  [true, '^800302112345678900'],
  [true, '^800302112345678900^10ABC123'],
  [true, '^800302112345678900ABCDEFGHIJKLMNOP'],
  [false, '^800302112345678900ABCDEFGHIJKLMNOPQ'],
  [true, '^7230121234567890123456789012345678'],
  [false, '^72301212345678901234567890123456789'],
  [true, '^7230123'],
  [false, '^723012'],
  [true, '^235ABC'],
  [true, '^235ABCDEFGHIJKLMNOPQRSTUVWXYZ12'],
  [false, '^235ABCDEFGHIJKLMNOPQRSTUVWXYZ123'],
  [true, '^0112345678901231235XYZ'],
  [true, '^0112345678901231235XYZ^10BATCH'],
  [false, '^423'],
  [false, '^4235'],
  [false, '^42352'],
  [true, '^423528'],
  [false, '^4235285'],
  [false, '^42352852'],
  [true, '^423528528'],
  [false, '^4235285285'],
  [false, '^42352852852'],
  [true, '^423528528528'],
  [false, '^4235285285285'],
  [false, '^42352852852852'],
  [true, '^423528528528528'],
  [false, '^4235285285285285'],
  [false, '^42352852852852852'],
  [true, '^423528528528528528'],
  [false, '^4235285285285285285'],
  [true, `^99${'A'.repeat(90)}`],
  [false, `^99${'A'.repeat(91)}`],
  [true, `^${Array.from({ length: 64 }, () => '99XY').join('^')}`],
  [false, `^${Array.from({ length: 65 }, () => '99XY').join('^')}`],
];

// test_ai_parseAIdata — [should succeed, bracketed input, expected "^…"].
const BRACKETED: [boolean, string, string][] = [
  [true, '(01)12345678901231', '^0112345678901231'],
  [true, '(10)12345', '^1012345'],
  [true, '(01)12345678901231(10)12345', '^01123456789012311012345'],
  [true, '(3100)123456(10)12345', '^31001234561012345'],
  [true, '(10)12345(11)991225', '^1012345^11991225'],
  [true, '(3900)12345(11)991225', '^390012345^11991225'],
  [true, '(10)12345\\(11)991225', '^1012345(11)991225'],
  [true, '(10)12345\\(', '^1012345('],
  [true, '(235)ABC', '^235ABC'],
  [true, '(01)12345678901231(235)XYZ', '^0112345678901231235XYZ'],
  [true, '(01)12345678901231(235)XYZ(10)BATCH', '^0112345678901231235XYZ^10BATCH'],
  [true, '(235)ABCDEFGHIJKLMNOPQRSTUVWXYZ12', '^235ABCDEFGHIJKLMNOPQRSTUVWXYZ12'],
  [false, '(235)ABCDEFGHIJKLMNOPQRSTUVWXYZ123', ''],
  [false, '(10)(11)98765', ''],
  [false, '(10)12345(11)', ''],
  [false, '(1A)12345', ''],
  [false, '1(12345', ''],
  [false, '12345', ''],
  [false, '()12345', ''],
  [false, '(1)12345', ''],
  [false, '(12345)12345', ''],
  [false, '(15', ''],
  [false, '(1', ''],
  [false, '(', ''],
  [false, '(01)123456789012312(10)12345', ''],
  [true, `(99)${'A'.repeat(90)}`, `^99${'A'.repeat(90)}`],
  [false, `(99)${'A'.repeat(91)}`, ''],
];

// test_ai_linters — inputs the engine rejects (or accepts) and the kiosk error code they map to.
const LINTED: [string, string | null][] = [
  ['(00)123456789012345675', null],
  ['(00)A23456789012345675', 'NOT_NUMERIC'],
  ['(10) ', 'MALFORMED_GS1'],
  ['(8010)123456_', 'MALFORMED_GS1'], // cset39
  ['(8030)ABC:123', 'MALFORMED_GS1'], // cset64
  ['(8030)123=', 'MALFORMED_GS1'], // cset64 padding
  ['(00)123456789012345670', 'BAD_CHECK_DIGIT'],
  ['(8013)123456ABXX', 'BAD_CHECK_DIGIT'], // csumalpha
  ['(8013)A', 'BAD_CHECK_DIGIT'], // too short for the check pair
  ['(401)123', 'MALFORMED_GS1'], // gcppos1 too short
  ['(7023)12A4', 'MALFORMED_GS1'], // gcppos1 prefix
  ['(8001)12340000012311', 'MALFORMED_GS1'], // nonzero
  ['(8003)112345678901281234567890123456', 'MALFORMED_GS1'], // zero
  ['(8011)023456789012', 'MALFORMED_GS1'], // nozeroprefix
  ['(4321)2', 'MALFORMED_GS1'], // yesno
  ['(8001)12341234512321', 'MALFORMED_GS1'], // winding
  ['(426)987', 'MALFORMED_GS1'], // iso3166
  ['(7030)987ABC', 'MALFORMED_GS1'], // iso3166999
  ['(4307)AA', 'MALFORMED_GS1'], // iso3166alpha2
  ['(3910)9870', 'MALFORMED_GS1'], // iso4217
  ['(4326)201300', 'BAD_DATE'],
  ['(4326)201200', 'BAD_DATE'],
  ['(4324)2012252400', 'BAD_DATE'], // hour
  ['(4324)2012252360', 'BAD_DATE'], // minute
  ['(8008)201225230060', 'BAD_DATE'], // second
  ['(8026)123456789012310099', 'MALFORMED_GS1'],
  ['(8026)123456789012310100', 'MALFORMED_GS1'],
  ['(8026)123456789012310302', 'MALFORMED_GS1'],
  ['(4300)ABC%0g', 'MALFORMED_GS1'], // pcenc
  ['(4309)18000000010000000000', 'MALFORMED_GS1'], // latitude
  ['(4309)00000000003600000001', 'MALFORMED_GS1'], // longitude
  ['(4330)000000X', 'MALFORMED_GS1'], // hyphen
  ['(7252)5', 'MALFORMED_GS1'], // iso5218
  ['(7258)111', 'MALFORMED_GS1'], // posinseqslash
  ['(7258)0/3', 'MALFORMED_GS1'],
  ['(7258)2/1', 'MALFORMED_GS1'],
  ['(01)95012345678903(3103)000123', null],
  ['(01)95012345678902(3103)000123', 'BAD_CHECK_DIGIT'],
  ['(01)95012345678903(11)131313', 'BAD_DATE'],
];

describe('gs1-syntax-engine ai.c vectors', () => {
  test.each(PROCESS)('processAIdata: %s %s', (ok, data) => {
    const r = fnc1(data);
    if (r.ok !== ok) throw new Error(`${data}: expected ${ok ? 'success' : 'failure'}, got ${JSON.stringify(r.ok ? r.elements : r.error)}`);
  });

  test.each(BRACKETED)('parseAIdata: %s %s → %s', (ok, hri, expected) => {
    const r = parseGs1(hri, 0, 'hri', CUR);
    if (r.ok !== ok) throw new Error(`${hri}: expected ${ok ? 'success' : 'failure'}, got ${JSON.stringify(r.ok ? r.elements : r.error)}`);
    if (r.ok) {
      const want = fnc1(expected);
      if (!want.ok) throw new Error(`bad vector ${expected}`);
      expect(r.elements.map((e) => [e.ai, e.value])).toEqual(want.elements.map((e) => [e.ai, e.value]));
    }
  });

  test.each(LINTED)('linters: %s → %s', (hri, code) => {
    const r = parseGs1(hri, 0, 'hri', CUR);
    if (code === null) expect(r.ok).toBe(true);
    else expect(r.ok ? 'accepted' : r.error.code).toBe(code);
  });
});
