import fc from 'fast-check';
import { isKioskError } from '../../../kernel/errors';
import { toResult } from '../zvt-result';
import type { Outcome } from '../transaction-runner';
import { ApduDecoder } from './apdu-stream';
import { decodeApdu } from './apdu';
import { fromHex } from './hex';
import { CARD_GROUPS, decodeIndividualTotals, encodeIndividualTotals, tryDecodeIndividualTotals } from './individual-totals';
import { decodeTerminalMessage } from './messages';

// PA00P015 BMP 60 (individual totals): receipts 0001–0003, girocard 2 × 17.34 in all, VISA 1 × 0.99 (see individual-totals.ts)
const BMP60_VALUE =
  '00 01 00 03  02 00 00 00 00 17 34  00 00 00 00 00 00 00  00 00 00 00 00 00 00  00 00 00 00 00 00 00  01 00 00 00 00 00 99  00 00 00 00 00 00 00  00 00 00 00 00 00 00';
// the end-of-day status information carrying it: 04 0F <len> 27 00 (result) 04 <amount 18.33> 0B <trace 000042> 60 F0 F5 F3 <value>
const STATUS_INFO = `04 0F 46  27 00  04 00 00 00 00 18 33  0B 00 00 42  60 F0 F5 F3 ${BMP60_VALUE}`;

const EXPECTED = [
  { scheme: 'girocard', count: 2, amount: 1734 },
  { scheme: 'jcb', count: 0, amount: 0 },
  { scheme: 'mastercard', count: 0, amount: 0 },
  { scheme: 'amex', count: 0, amount: 0 },
  { scheme: 'visa', count: 1, amount: 99 },
  { scheme: 'diners', count: 0, amount: 0 },
  { scheme: 'other', count: 0, amount: 0 },
];

function completionWith(info: Outcome['info']): Outcome {
  return { type: 'completion', msg: { kind: 'completion', info: {} }, info, statusInfo: true, garbled: false };
}

describe('ZVT BMP 60 individual totals (end-of-day)', () => {
  it('decodes the spec layout: receipt range, then count + BCD turnover per card group', () => {
    expect(decodeIndividualTotals(fromHex(BMP60_VALUE))).toEqual({ receiptStart: 1, receiptEnd: 3, totals: EXPECTED });
  });

  it('the status information byte sequence gives the end-of-day result its totals, split at every position', () => {
    const bytes = fromHex(STATUS_INFO);
    expect(bytes.length).toBe(3 + 0x46);
    for (let cut = 0; cut <= bytes.length; cut++) {
      const stream = new ApduDecoder();
      const events = [...stream.push(bytes.subarray(0, cut)), ...stream.push(bytes.subarray(cut))];
      expect(events).toHaveLength(1);
      const ev = events[0];
      if (ev.type !== 'apdu') throw new Error('expected an APDU');
      const msg = decodeTerminalMessage(decodeApdu(ev.apdu));
      if (msg.kind !== 'status-info') throw new Error('expected status information');
      const result = toResult(completionWith(msg.info), 978, undefined);
      expect(result).toMatchObject({ approved: true, amount: 1833, traceNumber: 42, totals: EXPECTED });
      expect(result.totalsError).toBeUndefined();
    }
  });

  it('without BMP 60 the result has no totals (the BMP is optional)', () => {
    const msg = decodeTerminalMessage(decodeApdu(fromHex('04 0F 0D 27 00 04 00 00 00 00 18 33 0B 00 00 42')));
    if (msg.kind !== 'status-info') throw new Error('expected status information');
    const result = toResult(completionWith(msg.info), 978, undefined);
    expect(result.totals).toBeUndefined();
    expect(result.totalsError).toBeUndefined();
  });

  it.each([
    ['one byte short', BMP60_VALUE.slice(0, -3)],
    ['one byte too many', `${BMP60_VALUE} 00`],
    ['empty', ''],
    ['a non-BCD turnover digit', BMP60_VALUE.replace('17 34', '1A 34')],
    ['a non-BCD receipt number', `0F ${BMP60_VALUE.slice(3)}`],
  ])('malformed (%s): reported as totalsError, never thrown, and the rest of the result stands', (_name, value) => {
    const v = fromHex(value);
    const r = tryDecodeIndividualTotals(v);
    expect(r.ok).toBe(false);
    let thrown: unknown = null;
    try {
      decodeIndividualTotals(v);
    } catch (e) {
      thrown = e;
    }
    expect(isKioskError(thrown) && thrown.code).toBe('PROTOCOL');
    const len = String(v.length).padStart(3, '0');
    const bmp = `60 F${len[0]} F${len[1]} F${len[2]} ${value}`;
    const data = fromHex(`27 00 04 00 00 00 00 18 33 ${bmp}`);
    const apdu = new Uint8Array([0x04, 0x0f, data.length, ...data]);
    const msg = decodeTerminalMessage(decodeApdu(apdu));
    if (msg.kind !== 'status-info') throw new Error('expected status information');
    const result = toResult(completionWith(msg.info), 978, undefined);
    expect(result).toMatchObject({ approved: true, amount: 1833 });
    expect(result.totals).toBeUndefined();
    expect(result.totalsError).toMatch(/BMP 60|BCD/);
  });

  it('property: encode → decode round-trips; any bytes at all decode or are reported, never thrown', () => {
    const group = fc.record({ count: fc.integer({ min: 0, max: 255 }), amount: fc.integer({ min: 0, max: 999_999_999_999 }) });
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 9999 }), fc.integer({ min: 0, max: 9999 }), fc.array(group, { minLength: 7, maxLength: 7 }), (start, end, groups) => {
        const t = { receiptStart: start, receiptEnd: end, totals: groups.map((g, i) => ({ scheme: CARD_GROUPS[i], ...g })) };
        expect(decodeIndividualTotals(encodeIndividualTotals(t))).toEqual(t);
      }),
      { numRuns: 500 },
    );
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 80 }), (bytes) => {
        const r = tryDecodeIndividualTotals(bytes);
        if (r.ok) {
          expect(bytes.length).toBe(53);
          expect(r.value.totals).toHaveLength(7);
        } else expect(typeof r.error).toBe('string');
      }),
      { numRuns: 2000 },
    );
  });
});
