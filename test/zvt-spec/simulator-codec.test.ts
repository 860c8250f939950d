import { decodeApdu, encodeApdu } from '../../simulators/terminal/zvt/apdu';
import { bcdDigits, bcdNumber, readVarLength } from '../../simulators/terminal/zvt/bcd';
import { readBmps } from '../../simulators/terminal/zvt/bmp';
import { readIncoming, type SimCommand } from '../../simulators/terminal/zvt/ecr-commands';
import { encodeFrame, FrameReader } from '../../simulators/terminal/zvt/framing';
import * as pt from '../../simulators/terminal/zvt/pt-messages';
import { statusInfoBmps } from '../../simulators/terminal/zvt/status-info';
import { topLevelTags } from '../../simulators/terminal/zvt/tlv';
import { hexBytes, tagHex, ZVT_FRAME_VECTORS, ZVT_VECTORS, type ZvtExpect, type ZvtFields, type ZvtKind } from './vectors';

/**
 * The simulator's own codec (simulators/terminal/zvt, no code shared with drivers/) against the same spec byte
 * sequences as driver-codec.test.ts. ECR→PT messages go through the simulator's command reader; PT→ECR messages
 * through its BMP/BCD/TLV readers (the adapter below), and where the simulator has an encoder for the message,
 * that encoder must produce the vector's bytes exactly.
 */

const hex2 = (n: number) => n.toString(16).toUpperCase().padStart(2, '0');
const hexOf = (b: Uint8Array) => Buffer.from(b).toString('hex');
const latin1 = (b: Uint8Array) => Buffer.from(b).toString('latin1').replace(/\0+$/, '');
const tagsOf = (tlv: Uint8Array | undefined) => (tlv ? topLevelTags(tlv).map(tagHex) : undefined);

/** BMP list → the vector's field names, with the simulator's BMP table deciding the lengths. */
function bmpFields(data: Uint8Array, offset = 0): ZvtFields {
  const f: ZvtFields = {};
  for (const { tag, value } of readBmps(data, offset)) {
    switch (tag) {
      case 0x27: f.resultCode = value[0]; break;
      case 0x04: f.amount = bcdNumber(value); break;
      case 0x49: f.currency = bcdNumber(value); break;
      case 0x0b: f.traceNumber = bcdNumber(value); break;
      case 0x37: f.originalTraceNumber = bcdNumber(value); break;
      case 0x87: f.receiptNumber = bcdNumber(value); break;
      case 0x88: f.turnoverNumber = bcdNumber(value); break;
      case 0x29: f.terminalId = bcdDigits(value); break;
      case 0x0c: f.time = bcdDigits(value); break;
      case 0x0d: f.date = bcdDigits(value); break;
      case 0x0e: f.expiry = bcdDigits(value); break;
      case 0x17: f.cardSequenceNumber = bcdNumber(value); break;
      case 0x19: f.paymentType = value[0]; break;
      case 0x8a: f.cardType = value[0]; break;
      case 0x8b: f.cardName = latin1(value); break;
      case 0x3c: f.additionalText = latin1(value); break;
      case 0x06: f.tlvTags = tagsOf(value); break;
      default: break;
    }
  }
  return f;
}

const PT_KINDS: Record<string, ZvtKind> = { '80 00': 'ack', '04 0F': 'status-info', '04 FF': 'intermediate', '06 0F': 'completion', '06 1E': 'abort', '06 D1': 'print-line' };

function readPtMessage(bytes: Uint8Array): ZvtExpect {
  const a = decodeApdu(bytes);
  const control = `${hex2(a.cls)} ${hex2(a.instr)}`;
  const d = a.data;
  if (a.cls === 0x84) return { kind: 'nack', control, fields: negativeAckFields(a.instr, d) };
  const kind = PT_KINDS[control];
  if (!kind) throw new Error(`no PT message ${control}`);
  switch (kind) {
    case 'status-info':
      return { kind, control, fields: bmpFields(d) };
    case 'intermediate': {
      const f: ZvtFields = { statusCode: d[0] };
      if (d.length > 1) f.timeout = d[1];
      if (d.length > 2) Object.assign(f, bmpFields(d, 2));
      return { kind, control, fields: f };
    }
    case 'completion': {
      if (d.length === 1) return { kind, control, fields: { terminalStatus: d[0] } };
      if (d.length > 0 && d[0] >> 4 === 0x0f) {
        // status enquiry: <software version LLLVAR> <terminal status> [BMPs]
        const n = readVarLength(d, 0, 3);
        return { kind, control, fields: { swVersion: latin1(d.subarray(3, 3 + n)), terminalStatus: d[3 + n], ...bmpFields(d, 4 + n) } };
      }
      return { kind, control, fields: bmpFields(d) };
    }
    case 'abort': {
      const f: ZvtFields = {};
      if (d.length > 0) f.resultCode = d[0];
      if (d.length >= 3 && d[0] === 0x6f) f.currency = bcdNumber(d.subarray(1, 3));
      return { kind, control, fields: f };
    }
    case 'print-line':
      return { kind, control, fields: { attribute: d[0], text: latin1(d.subarray(1)) } };
    default:
      return { kind, control, fields: {} };
  }
}

/** `84 xx`: the result code in its data when it carries one (`84 1E 03 6F 09 78`), else xx; BMPs after `84 9D`. */
function negativeAckFields(instr: number, d: Uint8Array): ZvtFields {
  if (d.length === 0) return { resultCode: instr };
  if (instr === 0x1e) return { resultCode: d[0], currency: d.length >= 3 ? bcdNumber(d.subarray(1, 3)) : undefined };
  return { resultCode: instr, ...bmpFields(d) };
}

function fromCommand(c: SimCommand, control: string): ZvtExpect {
  switch (c.kind) {
    case 'registration':
      return { kind: 'registration', control, fields: { password: c.password, configByte: c.config, currency: c.currency, serviceByte: c.serviceByte, tlvTags: tagsOf(c.tlvContainer) } };
    case 'authorization':
      return { kind: 'authorization', control, fields: { amount: c.amount, currency: c.currency, paymentType: c.paymentType, maxStatusInfos: c.maxStatusInfos } };
    case 'repeat-receipt':
      return { kind: 'repeat-receipt', control, fields: { password: c.password, serviceByte: c.serviceByte } };
    case 'reversal':
      return { kind: 'reversal', control, fields: { password: c.password, amount: c.amount, receiptNumber: c.receiptNumber, currency: c.currency } };
    case 'refund':
      return { kind: 'refund', control, fields: { password: c.password, amount: c.amount, currency: c.currency } };
    case 'end-of-day':
      return { kind: 'end-of-day', control, fields: { password: c.password, tlvTags: tagsOf(c.tlvContainer) } };
    case 'abort':
      return { kind: 'abort-command', control, fields: {} };
    case 'status-enquiry':
      return { kind: 'status-enquiry', control, fields: { password: c.password, serviceByte: c.serviceByte } };
    case 'other':
      throw new Error(`not understood: ${control}`);
  }
}

function readEcrMessage(bytes: Uint8Array): ZvtExpect {
  const a = decodeApdu(bytes);
  const control = `${hex2(a.cls)} ${hex2(a.instr)}`;
  const m = readIncoming(a);
  if (m.type === 'ack') return { kind: 'ack', control, fields: {} };
  if (m.type === 'nack') return { kind: 'nack', control, fields: negativeAckFields(a.instr, a.data) };
  return fromCommand(m.command, control);
}

/** Only the fields the vector names are compared. */
function pick(actual: ZvtExpect, wanted: ZvtExpect): ZvtExpect {
  const fields: Record<string, unknown> = {};
  const got = (actual.fields ?? {}) as Record<string, unknown>;
  for (const k of Object.keys(wanted.fields ?? {})) fields[k] = got[k];
  return wanted.fields ? { kind: actual.kind, control: actual.control, fields: fields as ZvtFields } : { kind: actual.kind, control: actual.control };
}

/** PT→ECR vectors the simulator itself sends: its encoder must give these bytes exactly. */
const SIMULATOR_SENDS: Record<string, () => Uint8Array> = {
  'positive acknowledgement': () => pt.ack(),
  'negative acknowledgement "please wait" 84 9C 00': () => pt.nack(0x9c),
  'registration refused for the wrong currency: 84 1E with result code 6F and the PT currency 0978': () => pt.nack(0x1e, [0x6f, 0x09, 0x78]),
  'status information "approved" with only the result code': () => pt.statusInformation(statusInfoBmps({ resultCode: 0 })),
  'completion without data': () => pt.completion(),
  'completion after status enquiry: software version and terminal status ready': () => pt.statusEnquiryCompletion('2.14.15', 0),
  'abort from the PT: card not readable': () => pt.abort(0x64),
  'abort from the PT: declined (05)': () => pt.abort(0x05),
  'abort from the PT for the wrong currency with the PT currency 0978': () => pt.abort(0x6f, [0x09, 0x78]),
  'print line "Gesamt      0       0,00"': () => pt.printLine(0, 'Gesamt      0       0,00'),
  'print line: the empty last line of a receipt, attribute 81': () => pt.printLine(0x81, ''),
};

describe('ZVT spec byte sequences through the simulator codec', () => {
  it('every vector is a well-formed APDU whose length field matches its data', () => {
    for (const v of ZVT_VECTORS) {
      const bytes = hexBytes(v.hex);
      const a = decodeApdu(bytes); // throws on a length mismatch
      expect(hexOf(encodeApdu(a.cls, a.instr, a.data))).toBe(hexOf(bytes));
    }
  });

  it.each(ZVT_VECTORS.map((v) => [`${v.from === 'pt' ? 'PT→ECR' : 'ECR→PT'} ${v.hex.slice(0, 5)}: ${v.name}`, v] as const))('%s', (_n, v) => {
    const bytes = hexBytes(v.hex);
    const decoded = v.from === 'pt' ? readPtMessage(bytes) : readEcrMessage(bytes);
    expect(pick(decoded, v.expect)).toEqual(v.expect);
  });

  it('every encoder case names an existing vector', () => {
    const names = new Set(ZVT_VECTORS.map((v) => v.name));
    for (const n of Object.keys(SIMULATOR_SENDS)) expect(names.has(n)).toBe(true);
  });

  it.each(ZVT_VECTORS.filter((v) => SIMULATOR_SENDS[v.name]).map((v) => [v.name, v] as const))('the simulator sends it byte for byte: %s', (_n, v) => {
    expect(hexOf(SIMULATOR_SENDS[v.name]())).toBe(hexOf(hexBytes(v.hex)));
  });

  it.each(ZVT_FRAME_VECTORS.map((v) => [v.name, v] as const))('serial frame (PA00P016): %s', (_n, v) => {
    expect(hexOf(encodeFrame(hexBytes(v.apdu)))).toBe(hexOf(hexBytes(v.frame)));
    const events = new FrameReader().push(hexBytes(v.frame));
    expect(events).toEqual([{ type: 'frame', apdu: hexBytes(v.apdu) }]);
  });
});
