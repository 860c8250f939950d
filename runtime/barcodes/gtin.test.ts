import fc from 'fast-check';
import { gtinCheckDigit, isValidGtin } from '../../kernel/gs1-check-digit';
import { expandUpcE, isRestrictedCirculation, normalizeLookupKey, readGtin } from './gtin';

const withCheck = (body: string) => body + gtinCheckDigit(body);

describe('expandUpcE', () => {
  test('published pair: UPC-E 04252614 ↔ UPC-A 042100005264', () => {
    expect(expandUpcE('04252614')).toBe('042100005264');
  });

  // Expected UPC-A bodies written out by hand from the expansion table (GS1 GS §5.2.2.4.2).
  test.each([
    ['last digit 0', '0123450', '01200000345'],
    ['last digit 1', '0425261', '04210000526'],
    ['last digit 2', '1987652', '19820000765'],
    ['last digit 3', '0123453', '01230000045'],
    ['last digit 4', '0123454', '01234000005'],
    ['last digit 5', '0123455', '01234500005'],
    ['last digit 9', '1123459', '11234500009'],
  ])('%s: %s → %s', (_case, upcE7, upcABody) => {
    const upcA = withCheck(upcABody);
    const upcE = upcE7 + upcA[11];
    expect(expandUpcE(upcE)).toBe(upcA);
    expect(isValidGtin(upcA)).toBe(true);
  });

  test('8 digits: the transmitted check digit is carried over unverified', () => {
    expect(expandUpcE('04252619')).toBe('042100005269');
    expect(isValidGtin(expandUpcE('04252619') as string)).toBe(false);
  });

  test('7 digits (no check digit) and 6 digits (number system 0 implied) get the check digit computed', () => {
    expect(expandUpcE('0425261')).toBe('042100005264');
    expect(expandUpcE('425261')).toBe('042100005264');
  });

  test('number systems other than 0/1, wrong lengths and non-digits give null', () => {
    for (const bad of ['24252614', '94252614', '4252614', '04252', '0425261x', '', '042100005264', '０４２５２６１４']) {
      expect(expandUpcE(bad)).toBeNull();
    }
  });

  test('property: every UPC-E expands to 12 digits with the same number system and at least 4 inserted zeros', () => {
    fc.assert(
      fc.property(fc.constantFrom('0', '1'), fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: 6, maxLength: 6 }), (ns, d) => {
        const upcA = expandUpcE(ns + d) as string;
        expect(upcA).toMatch(/^[0-9]{12}$/);
        expect(upcA[0]).toBe(ns);
        expect(isValidGtin(upcA)).toBe(true);
        expect(upcA.slice(1, 11).replace(/[^0]/g, '').length).toBeGreaterThanOrEqual(4);
        // the six data digits appear in order in the expansion
        let k = 1;
        for (const c of d.slice(0, 5)) {
          k = upcA.indexOf(c, k) + 1;
          expect(k).toBeGreaterThan(0);
        }
      }),
    );
  });
});

describe('normalizeLookupKey', () => {
  test.each([
    ['4006381333931', '4006381333931', 'EAN-13 as is'],
    ['036000291452', '0036000291452', 'UPC-A → GTIN-13 with leading 0'],
    ['0036000291452', '0036000291452', 'UPC-A sent as 13 digits: same key'],
    ['00036000291452', '0036000291452', 'UPC-A as GTIN-14: same key'],
    ['96385074', '96385074', 'EAN-8 as 8 digits'],
    ['00000096385074', '96385074', 'EAN-8 as GTIN-14: same key'],
    ['09506000134352', '9506000134352', 'GTIN-14 with indicator 0 → GTIN-13'],
    ['19506000134359', '19506000134359', 'GTIN-14 with indicator 1 stays 14 digits'],
    ['2112345', '2112345', 'in-store key unchanged'],
    ['M0123456789', 'M0123456789', 'non-digits unchanged'],
  ])('%s → %s (%s)', (input, key) => {
    expect(normalizeLookupKey(input)).toBe(key);
  });

  test('property: all zero-padded forms of a GTIN share one key', () => {
    fc.assert(
      fc.property(fc.constantFrom(8, 12, 13, 14), fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: 14, maxLength: 14 }), (len, s) => {
        const gtin = s.slice(0, len);
        const key = normalizeLookupKey(gtin);
        for (let pad = len; pad <= 14; pad++) {
          if ([8, 12, 13, 14].includes(pad)) expect(normalizeLookupKey(gtin.padStart(pad, '0'))).toBe(key);
        }
        expect([8, 13, 14]).toContain(key.length);
      }),
    );
  });
});

describe('readGtin', () => {
  test('UPC-A: GTIN-14 and lookup key', () => {
    const r = readGtin('036000291452', 'UPC-A', 0);
    expect(r).toEqual({
      ok: true,
      info: { format: 'UPC-A', gtin: '036000291452', gtin14: '00036000291452', lookupKey: '0036000291452', restrictedCirculation: false },
    });
  });

  test('UPC-E: reports the UPC-A and keys on it', () => {
    const r = readGtin('04252614', 'UPC-E', 0);
    expect(r.ok && r.info).toMatchObject({ upcA: '042100005264', gtin14: '00042100005264', lookupKey: '0042100005264' });
  });

  test('a wrong check digit names expected and found digits and the position', () => {
    const r = readGtin('4006381333932', 'EAN-13', 3);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error).toMatchObject({ code: 'BAD_CHECK_DIGIT', expected: '1', found: '2', position: 15 });
    expect(r.error.message).toContain('4006381333932');
    expect(r.error.message).toMatch(/check digit 2 .*require 1/);
  });

  test('UPC-E with a wrong check digit: expected comes from the UPC-A expansion', () => {
    const r = readGtin('04252610', 'UPC-E', 0);
    expect(!r.ok && r.error).toMatchObject({ code: 'BAD_CHECK_DIGIT', expected: '4', found: '0' });
    expect(!r.ok && r.error.message).toContain('042100005260');
  });

  test('UPC-E number system 2 is unsupported, wrong length is BAD_LENGTH', () => {
    expect(readGtin('24252614', 'UPC-E', 0)).toMatchObject({ ok: false, error: { code: 'UNSUPPORTED' } });
    expect(readGtin('400638133393', 'EAN-13', 0)).toMatchObject({ ok: false, error: { code: 'BAD_LENGTH' } });
  });

  test('restricted circulation ranges', () => {
    expect(isRestrictedCirculation('02112345012346')).toBe(true); // EAN-13 21…
    expect(isRestrictedCirculation('00212345012344')).toBe(true); // UPC-A number system 2
    expect(isRestrictedCirculation('00412345012342')).toBe(true); // UPC-A number system 4
    expect(isRestrictedCirculation('00000021234567')).toBe(true); // EAN-8 2…
    expect(isRestrictedCirculation('04006381333931')).toBe(false);
    expect(isRestrictedCirculation('00036000291452')).toBe(false);
    expect(isRestrictedCirculation('00000096385074')).toBe(false);
    expect(isRestrictedCirculation('12112345012343')).toBe(false); // indicator 1: not a GTIN-13 form
  });
});
