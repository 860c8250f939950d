import { crc16Kermit } from './zvt/crc';
import { encodeFrame, FrameDecoder } from './zvt/frame';
import { encodeApdu, decodeApdu } from './zvt/apdu';
import { encodeEcrCommand } from './zvt/commands';
import { decodeTerminalMessage } from './zvt/messages';
import { fromHex, hex } from './zvt/hex';

/**
 * Codec sanity check for `checkHealth('internal')`: reproduces a published registration frame (ecrterm test suite)
 * and decodes a published status information APDU. Returns null when all is well, else what failed.
 */
export function zvtCodecSelfTest(): string | null {
  try {
    if (crc16Kermit(Buffer.from('123456789')) !== 0x2189) return 'CRC check value mismatch';
    const reg = encodeFrame(encodeApdu(encodeEcrCommand({ kind: 'registration', password: '123456', config: 0xba, currency: 978 })));
    if (hex(reg) !== '10 02 06 00 06 12 34 56 BA 09 78 10 03 24 C3') return `registration frame encodes as ${hex(reg)}`;
    const ev = new FrameDecoder().push(reg);
    if (ev.length !== 1 || ev[0].type !== 'frame') return 'frame decoder did not return the registration frame';
    const m = decodeTerminalMessage(decodeApdu(fromHex('04 0F 13 27 00 04 00 00 00 00 40 00 22 F0 F3 67 99 EE 0B 61 39 95')));
    if (m.kind !== 'status-info' || m.info.amount !== 4000 || m.info.traceNumber !== 613995 || m.info.maskedPan !== '6799**') return 'status information decodes wrongly';
    return null;
  } catch (e) {
    return `codec threw: ${(e as Error).message}`;
  }
}
