/**
 * Fuzz target (issue 11): the ZVT card-terminal codec of the driver (drivers/terminal/zvt) — serial framing
 * (DLE STX … DLE ETX + CRC), the TCP APDU stream, APDU, BMP, TLV and status-information decoding, and the
 * PT → ECR / ECR → PT message decoders. Inputs: the spec vectors (test/zvt-spec/vectors.ts) and frames built from
 * them, mutated, glued together, split at arbitrary points; plus random bytes.
 * Asserted: the streaming decoders never throw, give the same events however the bytes are split, and hold at
 * most their caps; the one-shot decoders return or throw KioskError PROTOCOL with a bounded message.
 */
import fc from 'fast-check';
import {
  ApduDecoder,
  decodeApdu,
  decodeBmps,
  decodeEcrCommand,
  decodeStatusInfo,
  decodeTerminalMessage,
  decodeTlv,
  encodeFrame,
  FrameDecoder,
  fromHex,
  type FrameEvent,
} from '../../drivers/terminal/zvt';
import { bytesFrom, cuts, onlyKioskErrors, params, splitAt } from '../support/fuzz';
import { ZVT_FRAME_VECTORS, ZVT_VECTORS } from '../zvt-spec/vectors';

const APDUS = ZVT_VECTORS.map((v) => fromHex(v.hex));
const FRAMES = [...ZVT_FRAME_VECTORS.map((v) => fromHex(v.frame)), ...APDUS.map((a) => encodeFrame(a)), Uint8Array.of(0x06), Uint8Array.of(0x15)];
const MAX_FRAME = 512;

/** Events as comparable data (errors by code and message). */
const plain = (events: FrameEvent[]) => events.map((e) => ('apdu' in e ? { type: e.type, apdu: [...e.apdu] } : 'error' in e ? { type: e.type, code: e.error.code, message: e.error.message } : { type: e.type }));

describe('fuzz: ZVT driver codec', () => {
  it('serial FrameDecoder: never throws, split-invariant, frames within the cap', () => {
    fc.assert(
      fc.property(bytesFrom(FRAMES, 600), cuts, (bytes, at) => {
        const whole = new FrameDecoder({ maxFrameBytes: MAX_FRAME });
        const once = [...whole.push(bytes), ...whole.flush()];
        const pieces = new FrameDecoder({ maxFrameBytes: MAX_FRAME });
        const split = [...splitAt(bytes, at).flatMap((p) => pieces.push(p)), ...pieces.flush()];
        expect(plain(split)).toEqual(plain(once));
        for (const e of once) {
          if (e.type === 'frame') expect(e.apdu.length).toBeLessThanOrEqual(MAX_FRAME);
          if (e.type === 'error' || e.type === 'crc-error') expect(e.error.message.length).toBeLessThan(2000);
        }
        expect(once.length).toBeLessThanOrEqual(bytes.length + 1);
      }),
      params,
    );
  });

  it('TCP ApduDecoder: never throws, never buffers more than the cap, APDUs complete and split-invariant', () => {
    fc.assert(
      fc.property(bytesFrom(APDUS, 600), cuts, (bytes, at) => {
        const max = 300;
        const a = new ApduDecoder({ maxApduBytes: max });
        const once = a.push(bytes);
        const b = new ApduDecoder({ maxApduBytes: max });
        const split = splitAt(bytes, at).flatMap((p) => b.push(p));
        // a split stream may report the oversized APDU at a different point, but never delivers other APDUs
        const apdus = (ev: typeof once) => ev.flatMap((e) => (e.type === 'apdu' ? [[...e.apdu]] : []));
        if (!once.some((e) => e.type === 'error')) expect(apdus(split)).toEqual(apdus(once));
        expect(a.buffered).toBeLessThanOrEqual(max);
        for (const e of once) if (e.type === 'apdu') expect(() => decodeApdu(e.apdu)).not.toThrow();
      }),
      params,
    );
  });

  it('APDU → PT and ECR message decoders: a message or PROTOCOL, nothing else', () => {
    fc.assert(
      fc.property(bytesFrom(APDUS, 400), (bytes) => {
        const a = onlyKioskErrors(['PROTOCOL'], () => decodeApdu(bytes));
        if (!a) return;
        onlyKioskErrors(['PROTOCOL'], () => decodeTerminalMessage(a));
        onlyKioskErrors(['PROTOCOL'], () => decodeEcrCommand(a));
      }),
      params,
    );
  });

  it('BMP, TLV and status-information decoders on any data field: PROTOCOL or a value', () => {
    const datas = APDUS.map((a) => a.subarray(a[2] === 0xff ? 5 : 3)).filter((d) => d.length > 0);
    fc.assert(
      fc.property(bytesFrom(datas, 400), fc.nat({ max: 8 }), (data, offset) => {
        onlyKioskErrors(['PROTOCOL'], () => decodeBmps(data, Math.min(offset, data.length)));
        onlyKioskErrors(['PROTOCOL'], () => decodeTlv(data));
        onlyKioskErrors(['PROTOCOL'], () => decodeStatusInfo(data, Math.min(offset, data.length)));
      }),
      params,
    );
  });
});
