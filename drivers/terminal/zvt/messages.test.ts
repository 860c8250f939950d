import fc from 'fast-check';
import { decodeApdu, encodeApdu, type Apdu } from './apdu';
import { decodeBmps, encodeBmps, BMP_TABLE, type Bmp } from './bmp';
import { decodeTlv, encodeTlv, type TlvNode } from './tlv';
import { decodeStatusInfo, encodeStatusInfo, type StatusInfo } from './status-info';
import { decodeTerminalMessage, encodeTerminalMessage, intermediateDisplayLines, type TerminalMessage } from './messages';
import { decodeEcrCommand, encodeEcrCommand, type EcrCommand } from './commands';
import { intermediateStatusText } from './status-codes';
import { resultCodeText } from './result-codes';
import { MAX_AMOUNT } from './bcd';
import { fromHex, hex } from './hex';
import { isKioskError } from '../../../kernel/errors';

// ---------- arbitraries ----------
const byte = fc.integer({ min: 0, max: 255 });
const latin1Text = (maxLength: number) => fc.string({ unit: fc.integer({ min: 0x20, max: 0xff }).map((c) => String.fromCharCode(c)), maxLength });
const anyLatin1 = (maxLength: number) => fc.string({ unit: fc.integer({ min: 0, max: 0xff }).map((c) => String.fromCharCode(c)), maxLength });
const digits = (n: number) => fc.stringMatching(new RegExp(`^\\d{${n}}$`));

const primitiveTag = fc.oneof(
  fc.integer({ min: 1, max: 0xfe }).filter((b) => (b & 0x20) === 0 && (b & 0x1f) !== 0x1f),
  fc.integer({ min: 0, max: 0x7f }).map((x) => 0x1f00 | x),
);
const constructedTag = fc.oneof(
  fc.integer({ min: 0x20, max: 0xfe }).filter((b) => (b & 0x20) !== 0 && (b & 0x1f) !== 0x1f),
  fc.integer({ min: 0, max: 0x7f }).map((x) => 0x3f00 | x),
);
const tlvNodes: fc.Arbitrary<TlvNode[]> = fc.letrec<{ node: TlvNode; nodes: TlvNode[] }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.record({ tag: primitiveTag, value: fc.uint8Array({ maxLength: 140 }) }),
    fc.record({ tag: constructedTag, children: tie('nodes') }),
  ),
  nodes: fc.array(tie('node'), { maxLength: 4 }),
})).nodes;

/** Known BMPs without a named StatusInfo field (and not F0–F9, which mark a status-enquiry completion). */
const otherBmp: fc.Arbitrary<Bmp> = fc.constantFrom(0x01, 0x02, 0x03, 0x05, 0x23, 0x2d, 0x3a, 0x92, 0xba, 0xe1).chain((tag) => {
  const f = BMP_TABLE.get(tag)!.format;
  const value = f.kind === 'fixed' ? fc.uint8Array({ minLength: f.length, maxLength: f.length }) : fc.uint8Array({ maxLength: f.kind === 'llvar' ? 99 : 300 });
  return value.map((v) => ({ tag, value: v }));
});

const statusInfo: fc.Arbitrary<StatusInfo> = fc.record(
  {
    resultCode: byte,
    amount: fc.integer({ min: 0, max: MAX_AMOUNT }),
    currency: fc.integer({ min: 0, max: 999 }),
    time: digits(6),
    date: digits(4),
    maskedPan: fc.stringMatching(/^[0-9*]{0,24}$/),
    cardSequenceNumber: fc.integer({ min: 0, max: 9999 }),
    receiptNumber: fc.integer({ min: 0, max: 9999 }),
    authCode: latin1Text(8),
    traceNumber: fc.integer({ min: 0, max: 999999 }),
    originalTraceNumber: fc.integer({ min: 0, max: 999999 }),
    turnoverNumber: fc.integer({ min: 0, max: 999999 }),
    paymentType: byte,
    terminalId: digits(8),
    expiry: digits(4),
    cardType: byte,
    cardTypeId: byte,
    cardName: anyLatin1(99),
    vuNumber: latin1Text(15),
    additionalText: anyLatin1(300),
    resultCodeAs: byte,
    fullDate: digits(6),
    tlv: tlvNodes,
    other: fc.array(otherBmp, { minLength: 1, maxLength: 3 }),
  },
  { requiredKeys: [] },
);

const terminalMessage: fc.Arbitrary<TerminalMessage> = fc.oneof(
  fc.constant({ kind: 'ack' as const }),
  byte.map((code) => ({ kind: 'nack' as const, code })),
  fc.record({ kind: fc.constant('intermediate' as const), code: byte }),
  fc.record({ kind: fc.constant('intermediate' as const), code: byte, timeout: byte }),
  fc.record({ kind: fc.constant('intermediate' as const), code: byte, timeout: byte, tlv: tlvNodes }),
  statusInfo.map((info) => ({ kind: 'status-info' as const, info })),
  statusInfo.map((info) => ({ kind: 'completion' as const, info })),
  fc.record({ kind: fc.constant('completion' as const), swVersion: anyLatin1(40), terminalStatus: byte, info: statusInfo }),
  fc.record({ kind: fc.constant('abort' as const), resultCode: byte, info: statusInfo }),
  fc.record({ kind: fc.constant('print-line' as const), attribute: byte, text: anyLatin1(60) }),
  fc.record({
    kind: fc.constant('other' as const),
    cls: byte.filter((c) => ![0x80, 0x84, 0x04, 0x06].includes(c)),
    instr: byte,
    data: fc.uint8Array({ maxLength: 300 }),
  }),
);

const password = digits(6);
const registrationCurrency = fc.integer({ min: 0, max: 999 }).filter((c) => {
  const first = Math.floor(c / 100);
  return first !== 3 && first !== 6;
});
const ecrCommand: fc.Arbitrary<EcrCommand> = fc.oneof(
  fc.record(
    { kind: fc.constant('registration' as const), password, config: byte, currency: registrationCurrency, serviceByte: byte, tlv: tlvNodes },
    { requiredKeys: ['kind', 'password', 'config'] },
  ),
  fc.record(
    {
      kind: fc.constant('authorization' as const),
      amount: fc.integer({ min: 0, max: MAX_AMOUNT }),
      currency: fc.integer({ min: 0, max: 999 }),
      paymentType: byte,
      maxStatusInfos: byte,
    },
    { requiredKeys: ['kind', 'amount'] },
  ),
  fc.record({ kind: fc.constant('reversal' as const), password, receiptNumber: fc.integer({ min: 0, max: 9999 }) }, { requiredKeys: ['kind', 'password'] }),
  fc.record(
    { kind: fc.constant('refund' as const), password, amount: fc.integer({ min: 0, max: MAX_AMOUNT }), currency: fc.integer({ min: 0, max: 999 }) },
    { requiredKeys: ['kind', 'password', 'amount'] },
  ),
  fc.record({ kind: fc.constant('end-of-day' as const), password }),
  fc.record({ kind: fc.constant('repeat-receipt' as const), password }),
  fc.constant({ kind: 'abort' as const }),
  fc.record({ kind: fc.constant('status-enquiry' as const), password, serviceByte: byte }, { requiredKeys: ['kind', 'password'] }),
  fc.constant({ kind: 'ack' as const }),
  byte.map((code) => ({ kind: 'nack' as const, code })),
  fc.record({ kind: fc.constant('other' as const), cls: fc.constantFrom(0x06, 0x08), instr: fc.constantFrom(0x70, 0x93, 0xe0, 0x13), data: fc.uint8Array({ maxLength: 50 }) }),
);

/** Through the wire format and back: encode → bytes → decode. */
function wire(a: Apdu): Apdu {
  return decodeApdu(encodeApdu(a));
}

function protocolErrorOf(fn: () => unknown): boolean {
  try {
    fn();
  } catch (e) {
    return isKioskError(e, 'PROTOCOL');
  }
  return false;
}

// ---------- round trips ----------
describe('TLV (BMP 06 content)', () => {
  it('round-trips nested containers, 1- and 2-byte tags, 81/82 length forms', () => {
    fc.assert(fc.property(tlvNodes, (nodes) => expect(decodeTlv(encodeTlv(nodes))).toEqual(nodes)), { numRuns: 300 });
    const long: TlvNode[] = [{ tag: 0x1f10, value: new Uint8Array(300) }];
    expect(hex(encodeTlv(long).subarray(0, 5))).toBe('1F 10 82 01 2C');
    expect(decodeTlv(encodeTlv(long))).toEqual(long);
  });

  it('truncated or malformed TLV is a PROTOCOL error', () => {
    expect(protocolErrorOf(() => decodeTlv(fromHex('41 05 00')))).toBe(true);
    expect(protocolErrorOf(() => decodeTlv(fromHex('1F')))).toBe(true);
    expect(protocolErrorOf(() => decodeTlv(fromHex('41 83 00 00 01 00')))).toBe(true);
  });
});

describe('BMPs', () => {
  it('round-trip byte-exact for every format in the table', () => {
    const anyBmp = fc.constantFrom(...BMP_TABLE.keys()).chain((tag) => {
      const f = BMP_TABLE.get(tag)!.format;
      const v =
        f.kind === 'fixed'
          ? fc.uint8Array({ minLength: f.length, maxLength: f.length })
          : fc.uint8Array({ maxLength: f.kind === 'llvar' ? 99 : f.kind === 'lllvar' ? 999 : 400 });
      return v.map((value) => ({ tag, value }));
    });
    fc.assert(
      fc.property(fc.array(anyBmp, { maxLength: 6 }), (bmps) => {
        const enc = encodeBmps(bmps);
        expect(decodeBmps(enc)).toEqual(bmps);
        expect(encodeBmps(decodeBmps(enc))).toEqual(enc);
      }),
      { numRuns: 300 },
    );
  });

  it('an unknown BMP cannot be skipped: PROTOCOL error naming the tag', () => {
    try {
      decodeBmps(fromHex('27 00 FD 01 02'));
      throw new Error('expected a PROTOCOL error');
    } catch (e) {
      expect(isKioskError(e, 'PROTOCOL')).toBe(true);
      expect((e as Error).message).toMatch(/unknown BMP 0xfd/);
    }
  });

  it('a truncated BMP is a PROTOCOL error', () => {
    expect(protocolErrorOf(() => decodeBmps(fromHex('04 00 00 01')))).toBe(true);
    expect(protocolErrorOf(() => decodeBmps(fromHex('8B F0 F5 41')))).toBe(true);
  });
});

describe('status information', () => {
  it('round-trips every field', () => {
    fc.assert(fc.property(statusInfo, (info) => expect(decodeStatusInfo(encodeStatusInfo(info))).toEqual(info)), { numRuns: 300 });
  });

  it('a BMP twice is a PROTOCOL error', () => {
    expect(protocolErrorOf(() => decodeStatusInfo(fromHex('27 00 27 05')))).toBe(true);
  });
});

describe('terminal messages (PT → ECR)', () => {
  it('round-trip through the wire format', () => {
    fc.assert(fc.property(terminalMessage, (m) => expect(decodeTerminalMessage(wire(encodeTerminalMessage(m)))).toEqual(m)), { numRuns: 400 });
  });

  it('decoding arbitrary bytes never throws anything but PROTOCOL errors', () => {
    fc.assert(
      fc.property(fc.constantFrom(0x04, 0x06, 0x80, 0x84), fc.constantFrom(0x0f, 0xff, 0x1e, 0xd1, 0x00), fc.uint8Array({ maxLength: 80 }), (cls, instr, data) => {
        try {
          decodeTerminalMessage({ cls, instr, data });
        } catch (e) {
          expect(isKioskError(e, 'PROTOCOL')).toBe(true);
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe('ECR commands', () => {
  it('round-trip through the wire format', () => {
    fc.assert(fc.property(ecrCommand, (c) => expect(decodeEcrCommand(wire(encodeEcrCommand(c)))).toEqual(c)), { numRuns: 400 });
  });

  it('encode the shapes the spec describes', () => {
    expect(hex(encodeApdu(encodeEcrCommand({ kind: 'registration', password: '000000', config: 0x08, currency: 978 })))).toBe('06 00 06 00 00 00 08 09 78');
    expect(hex(encodeApdu(encodeEcrCommand({ kind: 'registration', password: '000000', config: 0x08, currency: 156, serviceByte: 0x01 })))).toBe(
      '06 00 08 00 00 00 08 01 56 03 01',
    );
    expect(hex(encodeApdu(encodeEcrCommand({ kind: 'authorization', amount: 1234, currency: 978 })))).toBe('06 01 0A 04 00 00 00 00 12 34 49 09 78');
    expect(hex(encodeApdu(encodeEcrCommand({ kind: 'reversal', password: '000000', receiptNumber: 42 })))).toBe('06 30 06 00 00 00 87 00 42');
    expect(hex(encodeApdu(encodeEcrCommand({ kind: 'refund', password: '000000', amount: 500 })))).toBe('06 31 0A 00 00 00 04 00 00 00 00 05 00');
    expect(hex(encodeApdu(encodeEcrCommand({ kind: 'end-of-day', password: '123456' })))).toBe('06 50 03 12 34 56');
    expect(hex(encodeApdu(encodeEcrCommand({ kind: 'abort' })))).toBe('06 B0 00');
    expect(hex(encodeApdu(encodeEcrCommand({ kind: 'status-enquiry', password: '123456', serviceByte: 0 })))).toBe('05 01 05 12 34 56 03 00');
  });

  it('refuses a registration currency that would read as a BMP', () => {
    expect(() => encodeEcrCommand({ kind: 'registration', password: '000000', config: 0, currency: 643 })).toThrow(RangeError);
  });

  it('an authorization without amount is a PROTOCOL error', () => {
    expect(protocolErrorOf(() => decodeEcrCommand({ cls: 0x06, instr: 0x01, data: fromHex('49 09 78') }))).toBe(true);
  });
});

// ---------- published captures ----------
/**
 * Source: wirelane/ecrterm, ecrterm/tests/test_parsing.py, PACKET_LIST ("from the tutorial, from complicated
 * scenarios, from failing parsings") — APDUs as real terminals sent them.
 * https://github.com/wirelane/ecrterm/blob/master/ecrterm/tests/test_parsing.py
 */
describe('published APDUs (ecrterm test_parsing.py)', () => {
  const P = (s: string) => decodeApdu(fromHex(s));

  it('status information with a masked PAN, VISA card name, VU number and additional text — byte-exact re-encode', () => {
    const raw =
      '040fa12700040000000000014909780c1223060d062922f0f8474843eeeeee77438700023b38383931353000000b000732196029420030360e18018a0a8c038bf0f556495341002a3435353630303030303539392020203cf0f7f341532d544944203d2031334630303031330d41532d50726f632d436f6465203d203230203930332030300d436170742e2d5265662e3d20303030300d41494435393a20383039323538';
    const m = decodeTerminalMessage(P(raw));
    expect(m).toEqual({
      kind: 'status-info',
      info: {
        resultCode: 0,
        amount: 1,
        currency: 978,
        time: '122306',
        date: '0629',
        maskedPan: '474843******7743',
        receiptNumber: 2,
        authCode: '889150',
        traceNumber: 732,
        paymentType: 0x60,
        terminalId: '42003036',
        expiry: '1801',
        cardType: 10,
        cardTypeId: 3,
        cardName: 'VISA\0',
        vuNumber: '455600000599   ',
        additionalText: 'AS-TID = 13F00013\rAS-Proc-Code = 20 903 00\rCapt.-Ref.= 0000\rAID59: 809258',
      },
    });
    expect(hex(encodeApdu(encodeTerminalMessage(m)), '').toLowerCase()).toBe(raw);
  });

  it('status information with a TLV container (constructed tags 60, 2F and 2-byte tags 1F10…) — byte-exact re-encode', () => {
    const raw =
      '040FCE2700040000000010004909780C1230050D062922F0F8474843EEEEEE77438700023B38383931353000000B000733196029420030360E18018A0A8C038BF0F556495341002A3435353630303030303539392020203CF0F7F341532D544944203D2031334630303031330D41532D50726F632D436F6465203D203230203930332030300D436170742E2D5265662E3D20303030300D41494435393A20383039323538062B4102000A4902000315024445600F4204564953414307A00000000310102F0C1F1001001F1101011F120102';
    const m = decodeTerminalMessage(P(raw));
    if (m.kind !== 'status-info') throw new Error(m.kind);
    expect(m.info.amount).toBe(1000);
    expect(m.info.traceNumber).toBe(733);
    expect(m.info.tlv).toEqual([
      { tag: 0x41, value: fromHex('00 0A') },
      { tag: 0x49, value: fromHex('00 03') },
      { tag: 0x15, value: fromHex('44 45') },
      { tag: 0x60, children: [{ tag: 0x42, value: fromHex('56 49 53 41') }, { tag: 0x43, value: fromHex('A0 00 00 00 03 10 10') }] },
      { tag: 0x2f, children: [{ tag: 0x1f10, value: fromHex('00') }, { tag: 0x1f11, value: fromHex('01') }, { tag: 0x1f12, value: fromHex('02') }] },
    ]);
    expect(hex(encodeApdu(encodeTerminalMessage(m)), '')).toBe(raw);
  });

  it('status information of an unmasked test card (track-style PAN with D separator) decodes; the PAN is cut at D', () => {
    const m = decodeTerminalMessage(
      P('04 0F 37 27 00 04 00 00 00 00 40 00 49 09 78 0C 09 38 48 0D 04 25 22 F1 F1 59 66 66 66 66 D2 00 21 22 01 00 17 00 01 87 01 75 0B 61 39 95 19 40 29 60 09 99 14 0E 05 12 8A 02'),
    );
    expect(m).toEqual({
      kind: 'status-info',
      info: {
        resultCode: 0,
        amount: 4000,
        currency: 978,
        time: '093848',
        date: '0425',
        maskedPan: '5966666666',
        cardSequenceNumber: 1,
        receiptNumber: 175,
        traceNumber: 613995,
        paymentType: 0x40,
        terminalId: '60099914',
        expiry: '0512',
        cardType: 2,
      },
    });
  });

  it('intermediate status "insert card" with display text TLV — byte-exact re-encode', () => {
    const raw = '04 FF 1E 0A 01 06 1A 24 18 07 16 42 69 74 74 65 20 4B 61 72 74 65 20 65 69 6E 73 74 65 63 6B 65 6E';
    const m = decodeTerminalMessage(P(raw));
    expect(m).toMatchObject({ kind: 'intermediate', code: 0x0a, timeout: 1 });
    if (m.kind !== 'intermediate') throw new Error(m.kind);
    expect(intermediateDisplayLines(m.tlv)).toEqual(['Bitte Karte einstecken']);
    expect(intermediateStatusText(m.code)).toBe('Insert card');
    expect(hex(encodeApdu(encodeTerminalMessage(m)))).toBe(raw);
  });

  it('completion after registration: status byte, terminal id, currency, TLV', () => {
    expect(decodeTerminalMessage(P('06 0F 11 19 00 29 52 00 12 33 49 09 78 06 05 27 03 14 01 FF'))).toEqual({
      kind: 'completion',
      info: { paymentType: 0, terminalId: '52001233', currency: 978, tlv: [{ tag: 0x27, children: [{ tag: 0x14, value: fromHex('FF') }] }] },
    });
  });

  it('completion after status enquiry: software version and terminal status', () => {
    expect(decodeTerminalMessage(P('06 0F 0B F0 F0 F7 32 2E 31 34 2E 31 35 00'))).toEqual({ kind: 'completion', swVersion: '2.14.15', terminalStatus: 0, info: {} });
  });

  it('print line', () => {
    expect(decodeTerminalMessage(P('06 D1 17 00 20 20 20 20 20 20 20 20 20 4B 61 73 73 65 6E 73 63 68 6E 69 74 74'))).toEqual({
      kind: 'print-line',
      attribute: 0,
      text: '         Kassenschnitt',
    });
  });

  it('authorization with max status infos and payment type — byte-exact re-encode', () => {
    const raw = '06 01 0E 02 01 04 00 00 00 00 10 00 19 44 49 09 78';
    const c = decodeEcrCommand(P(raw));
    expect(c).toEqual({ kind: 'authorization', amount: 1000, maxStatusInfos: 1, paymentType: 0x44, currency: 978 });
    expect(hex(encodeApdu(encodeEcrCommand(c)))).toBe(raw);
  });

  it('registration with currency, service byte and a TLV container — byte-exact re-encode', () => {
    const raw =
      '06 00 63 00 00 00 FE 09 78 03 00 06 59 10 02 16 02 12 01 40 1A 02 10 00 26 28 0A 02 04 0F 0A 02 06 0F 0A 02 06 1E 0A 02 04 FF 0A 02 06 D8 0A 02 06 DB 0A 02 06 D9 0A 02 06 DA 0A 02 06 DD 0A 02 06 D3 27 03 14 01 FF 28 10 15 02 44 45 15 02 45 4E 15 02 46 52 15 02 49 54 40 02 C0 00 1F 04 02 F1 00 1F 05 01 00';
    const c = decodeEcrCommand(P(raw));
    expect(c).toMatchObject({ kind: 'registration', password: '000000', config: 0xfe, currency: 978, serviceByte: 0 });
    expect(hex(encodeApdu(encodeEcrCommand(c)))).toBe(raw);
  });

  it('abort from the PT: "06 1E 01 7D" (CCV OPM-C60 manual, section 6.4.1.2)', () => {
    const m = decodeTerminalMessage(P('06 1E 01 7D'));
    expect(m).toEqual({ kind: 'abort', resultCode: 0x7d, info: {} });
    expect(resultCodeText(0x7d)).toBe('communication error');
    expect(resultCodeText(0x6c)).toMatch(/abort/);
    expect(resultCodeText(0x05)).toMatch(/declined/);
  });
});
