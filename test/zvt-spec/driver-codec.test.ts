import { decodeApdu, encodeApdu } from '../../drivers/terminal/zvt/apdu';
import { decodeEcrCommand, encodeEcrCommand, type EcrCommand } from '../../drivers/terminal/zvt/commands';
import { decodeTerminalMessage, encodeTerminalMessage, type TerminalMessage } from '../../drivers/terminal/zvt/messages';
import { encodeFrame, FrameDecoder } from '../../drivers/terminal/zvt/frame';
import type { StatusInfo } from '../../drivers/terminal/zvt/status-info';
import type { TlvNode } from '../../drivers/terminal/zvt/tlv';
import { hexBytes, tagHex, ZVT_FRAME_VECTORS, ZVT_VECTORS, type ZvtExpect, type ZvtFields, type ZvtKind } from './vectors';

/** The driver's codec (drivers/terminal/zvt) against the spec byte sequences; simulator-codec.test.ts runs the same list. */

const hex2 = (n: number) => n.toString(16).toUpperCase().padStart(2, '0');
const tags = (tlv: TlvNode[] | undefined) => (tlv ? tlv.map((n) => tagHex(n.tag)) : undefined);
const trimNul = (s: string | undefined) => (s === undefined ? undefined : s.replace(/\0+$/, ''));

function infoFields(i: StatusInfo | undefined): ZvtFields {
  if (!i) return {};
  return {
    resultCode: i.resultCode,
    amount: i.amount,
    currency: i.currency,
    traceNumber: i.traceNumber,
    originalTraceNumber: i.originalTraceNumber,
    receiptNumber: i.receiptNumber,
    turnoverNumber: i.turnoverNumber,
    terminalId: i.terminalId,
    time: i.time,
    date: i.date,
    expiry: i.expiry,
    cardSequenceNumber: i.cardSequenceNumber,
    paymentType: i.paymentType,
    cardType: i.cardType,
    cardName: trimNul(i.cardName),
    additionalText: trimNul(i.additionalText),
    tlvTags: tags(i.tlv),
  };
}

const PT_KIND: Record<Exclude<TerminalMessage['kind'], 'other'>, ZvtKind> = {
  ack: 'ack',
  nack: 'nack',
  intermediate: 'intermediate',
  'status-info': 'status-info',
  completion: 'completion',
  abort: 'abort',
  'print-line': 'print-line',
};

function fromTerminalMessage(m: TerminalMessage, control: string): ZvtExpect {
  switch (m.kind) {
    case 'ack':
      return { kind: 'ack', control, fields: {} };
    case 'nack':
      return { kind: 'nack', control, fields: { ...infoFields(m.info), resultCode: m.resultCode ?? m.code, currency: m.currency ?? m.info?.currency } };
    case 'intermediate':
      return { kind: 'intermediate', control, fields: { statusCode: m.code, timeout: m.timeout, tlvTags: tags(m.tlv) } };
    case 'status-info':
      return { kind: 'status-info', control, fields: infoFields(m.info) };
    case 'completion':
      return { kind: 'completion', control, fields: { ...infoFields(m.info), swVersion: m.swVersion, terminalStatus: m.terminalStatus } };
    case 'abort':
      return { kind: 'abort', control, fields: { ...infoFields(m.info), resultCode: m.resultCode, currency: m.currency ?? m.info.currency } };
    case 'print-line':
      return { kind: 'print-line', control, fields: { attribute: m.attribute, text: m.text } };
    case 'other':
      throw new Error(`not decoded: ${control}`);
  }
}

function fromEcrCommand(c: EcrCommand, control: string): ZvtExpect {
  switch (c.kind) {
    case 'ack':
      return { kind: 'ack', control, fields: {} };
    case 'nack':
      return { kind: 'nack', control, fields: { ...infoFields(c.info), resultCode: c.code } };
    case 'registration':
      return { kind: 'registration', control, fields: { password: c.password, configByte: c.config, currency: c.currency, serviceByte: c.serviceByte, tlvTags: tags(c.tlv) } };
    case 'authorization':
      return { kind: 'authorization', control, fields: { amount: c.amount, currency: c.currency, paymentType: c.paymentType, maxStatusInfos: c.maxStatusInfos } };
    case 'repeat-receipt':
      return { kind: 'repeat-receipt', control, fields: { password: c.password, serviceByte: c.serviceByte } };
    case 'reversal':
      return { kind: 'reversal', control, fields: { password: c.password, amount: c.amount, receiptNumber: c.receiptNumber, currency: c.currency, tlvTags: tags(c.tlv) } };
    case 'refund':
      return { kind: 'refund', control, fields: { password: c.password, amount: c.amount, currency: c.currency } };
    case 'end-of-day':
      return { kind: 'end-of-day', control, fields: { password: c.password, tlvTags: tags(c.tlv) } };
    case 'abort':
      return { kind: 'abort-command', control, fields: {} };
    case 'status-enquiry':
      return { kind: 'status-enquiry', control, fields: { password: c.password, serviceByte: c.serviceByte } };
    case 'other':
      throw new Error(`not decoded: ${control}`);
  }
}

/** Only the fields the vector names are compared. */
function pick(actual: ZvtExpect, wanted: ZvtExpect): ZvtExpect {
  const fields: Record<string, unknown> = {};
  const got = (actual.fields ?? {}) as Record<string, unknown>;
  for (const k of Object.keys(wanted.fields ?? {})) fields[k] = got[k];
  return wanted.fields ? { kind: actual.kind, control: actual.control, fields: fields as ZvtFields } : { kind: actual.kind, control: actual.control };
}

describe('ZVT spec byte sequences through the driver codec', () => {
  it('every vector is a well-formed APDU whose length field matches its data', () => {
    for (const v of ZVT_VECTORS) {
      const bytes = hexBytes(v.hex);
      const a = decodeApdu(bytes); // throws on a length mismatch
      expect(encodeApdu(a)).toEqual(bytes);
    }
    expect(Object.keys(PT_KIND).length).toBe(7);
  });

  it.each(ZVT_VECTORS.map((v) => [`${v.from === 'pt' ? 'PT→ECR' : 'ECR→PT'} ${v.hex.slice(0, 5)}: ${v.name}`, v] as const))('%s', (_n, v) => {
    const a = decodeApdu(hexBytes(v.hex));
    const control = `${hex2(a.cls)} ${hex2(a.instr)}`;
    const decoded = v.from === 'pt' ? fromTerminalMessage(decodeTerminalMessage(a), control) : fromEcrCommand(decodeEcrCommand(a), control);
    expect(pick(decoded, v.expect)).toEqual(v.expect);
  });

  // what the driver sends must be the spec's bytes exactly
  it.each(ZVT_VECTORS.filter((v) => v.from === 'ecr').map((v) => [v.name, v] as const))('the driver encodes ECR→PT byte for byte: %s', (_n, v) => {
    const bytes = hexBytes(v.hex);
    const again = encodeEcrCommand(decodeEcrCommand(decodeApdu(bytes)));
    expect(Buffer.from(encodeApdu(again)).toString('hex')).toBe(Buffer.from(bytes).toString('hex'));
  });

  // what the driver decodes from the PT survives its own encoder (the test doubles in drivers/terminal use it)
  it.each(ZVT_VECTORS.filter((v) => v.from === 'pt' && v.hex.replace(/\s/g, '').length > 6).map((v) => [v.name, v] as const))('PT→ECR decode/encode/decode is stable: %s', (_n, v) => {
    const once = decodeTerminalMessage(decodeApdu(hexBytes(v.hex)));
    expect(decodeTerminalMessage(decodeApdu(encodeApdu(encodeTerminalMessage(once))))).toEqual(once);
  });

  it.each(ZVT_FRAME_VECTORS.map((v) => [v.name, v] as const))('serial frame (PA00P016): %s', (_n, v) => {
    expect(Buffer.from(encodeFrame(hexBytes(v.apdu))).toString('hex')).toBe(Buffer.from(hexBytes(v.frame)).toString('hex'));
    const events = new FrameDecoder({}).push(hexBytes(v.frame));
    expect(events).toHaveLength(1);
    const ev = events[0];
    expect(ev.type).toBe('frame');
    if (ev.type === 'frame') expect(Buffer.from(ev.apdu).toString('hex')).toBe(Buffer.from(hexBytes(v.apdu)).toString('hex'));
  });
});
