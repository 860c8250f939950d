import fc from 'fast-check';
import { decodeBcd, decodeBcdNumber, encodeAmount, encodeBcd, MAX_AMOUNT } from './bcd';
import { apduTotalLength, decodeApdu, encodeApdu } from './apdu';
import { decodeApduLength, encodeApduLength } from './length';
import { decodeVar, encodeVar, encodeVarLength } from './llvar';
import { decodeMaskedPan, encodeMaskedPan, maskPan, panForLog } from './pan';
import { fromHex, hex } from './hex';
import { isKioskError } from '../../../kernel/errors';

const bytes = (max = 300) => fc.uint8Array({ maxLength: max });

function protocolErrorOf(fn: () => unknown): boolean {
  try {
    fn();
  } catch (e) {
    return isKioskError(e, 'PROTOCOL');
  }
  return false;
}

describe('BCD', () => {
  it('round-trips digit strings', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 8 }).chain((n) => fc.tuple(fc.constant(n), fc.stringMatching(new RegExp(`^\\d{0,${2 * n}}$`)))), ([n, digits]) => {
        expect(decodeBcd(encodeBcd(digits, n))).toBe(digits.padStart(2 * n, '0'));
      }),
    );
  });

  it('round-trips amounts (6 bytes, 12 digits)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: MAX_AMOUNT }), (amount) => {
        const b = encodeAmount(amount);
        expect(b).toHaveLength(6);
        expect(decodeBcdNumber(b)).toBe(amount);
      }),
    );
    expect(hex(encodeAmount(11000))).toBe('00 00 00 01 10 00');
  });

  it('refuses what does not fit and non-integers', () => {
    expect(() => encodeAmount(MAX_AMOUNT + 1)).toThrow(RangeError);
    expect(() => encodeAmount(-1)).toThrow(RangeError);
    expect(() => encodeAmount(1.5)).toThrow(RangeError);
    expect(() => encodeBcd('123', 1)).toThrow(RangeError);
  });

  it('a nibble above 9 is a PROTOCOL error', () => {
    expect(protocolErrorOf(() => decodeBcd(fromHex('1A')))).toBe(true);
  });
});

describe('APDU length and APDUs', () => {
  it('length field round-trips; short form below 255, FF LL HH from 255', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffff }), (n) => {
        const enc = encodeApduLength(n);
        expect(enc.length).toBe(n < 255 ? 1 : 3);
        expect(decodeApduLength(enc, 0)).toEqual({ length: n, fieldBytes: enc.length });
      }),
    );
    expect(hex(encodeApduLength(254))).toBe('FE');
    expect(hex(encodeApduLength(255))).toBe('FF FF 00');
    expect(hex(encodeApduLength(0x1234))).toBe('FF 34 12');
  });

  it('APDUs round-trip, including extended lengths', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 255 }), fc.uint8Array({ maxLength: 700 }), (cls, instr, data) => {
        const enc = encodeApdu({ cls, instr, data });
        expect(apduTotalLength(enc)).toBe(enc.length);
        expect(decodeApdu(enc)).toEqual({ cls, instr, data });
      }),
      { numRuns: 200 },
    );
  });

  it('a length field that disagrees with the byte count is a PROTOCOL error', () => {
    expect(protocolErrorOf(() => decodeApdu(fromHex('06 01 05 00')))).toBe(true);
    expect(protocolErrorOf(() => decodeApdu(fromHex('06')))).toBe(true);
    expect(apduTotalLength(fromHex('06 01 FF 01'))).toBeNull();
  });
});

describe('LLVAR / LLLVAR', () => {
  it('round-trip', () => {
    fc.assert(
      fc.property(fc.constantFrom(2 as const, 3 as const), bytes(999), (digits, value) => {
        fc.pre(value.length <= (digits === 2 ? 99 : 999));
        const enc = encodeVar(value, digits);
        expect(decodeVar(enc, 0, digits)).toEqual({ value, next: enc.length });
      }),
      { numRuns: 200 },
    );
  });

  it('length digits are F0–F9, one per byte', () => {
    expect(hex(encodeVarLength(11, 2))).toBe('F1 F1');
    expect(hex(encodeVarLength(7, 3))).toBe('F0 F0 F7');
    expect(() => encodeVarLength(100, 2)).toThrow(RangeError);
  });

  it('bad digits and truncation are PROTOCOL errors', () => {
    expect(protocolErrorOf(() => decodeVar(fromHex('F1 0A 00'), 0, 2))).toBe(true);
    expect(protocolErrorOf(() => decodeVar(fromHex('F0 F5 00 00'), 0, 2))).toBe(true);
  });
});

describe('masked PAN', () => {
  it('round-trips digits and * (E nibble), odd lengths padded with F', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[0-9*]{0,40}$/), (pan) => {
        expect(decodeMaskedPan(encodeMaskedPan(pan))).toBe(pan);
      }),
    );
    expect(hex(encodeMaskedPan('6799********0016'))).toBe('67 99 EE EE EE EE 00 16');
    expect(hex(encodeMaskedPan('123'))).toBe('12 3F');
  });

  it('decodes published captures (ecrterm test_parsing.py): masked and track-style', () => {
    expect(decodeMaskedPan(fromHex('47 48 43 EE EE EE 77 43'))).toBe('474843******7743');
    // an unmasked test card with the D separator: everything after D is track data and is dropped
    expect(decodeMaskedPan(fromHex('59 66 66 66 66 D2 00 21 22 01 00'))).toBe('5966666666');
  });

  it('maskPan never shows more than the first 6 and last 4 digits, and never unmasks', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[0-9*]{0,22}$/), (pan) => {
        const m = maskPan(pan);
        expect(m).toHaveLength(pan.length);
        const visible = [...m].filter((c) => c !== '*').length;
        expect(visible).toBeLessThanOrEqual(pan.length >= 13 ? 10 : 4);
        for (let i = 0; i < pan.length; i++) if (pan[i] === '*') expect(m[i]).toBe('*');
      }),
    );
    expect(maskPan('4111111111111111')).toBe('411111******1111');
    expect(maskPan('6799********0016')).toBe('6799********0016');
    expect(maskPan('5966666666')).toBe('******6666');
    expect(panForLog('6799********0016')).toBe('************0016');
  });
});
