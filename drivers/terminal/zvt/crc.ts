import { ETX } from './constants';

/**
 * The ZVT serial checksum: CRC-16 over polynomial x^16 + x^12 + x^5 + 1 (0x1021) processed LSB-first (reflected,
 * table polynomial 0x8408), initial value 0x0000, no final XOR — the catalogue name is CRC-16/KERMIT. It covers
 * the un-stuffed APDU plus the ETX byte and is sent low byte first.
 *
 * Confirmed against published frames (see crc.test.ts): e.g. `10 02 06 00 06 12 34 56 BA 09 78 10 03 24 C3`
 * (registration) and `10 02 80 00 00 10 03 F5 1F` (positive acknowledgement) from the ecrterm test suite.
 * CRC-16/X-25, /XMODEM and /CCITT-FALSE do not reproduce them.
 */
const TABLE = (() => {
  const t = new Uint16Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x8408 : c >>> 1;
    t[i] = c;
  }
  return t;
})();

/** CRC-16/KERMIT of `data`, continuing from `crc` (0 to start). */
export function crc16Kermit(data: ArrayLike<number>, crc = 0): number {
  let c = crc & 0xffff;
  for (let i = 0; i < data.length; i++) c = (c >>> 8) ^ TABLE[(c ^ data[i]) & 0xff];
  return c & 0xffff;
}

/** The checksum a serial frame carries for `apdu`: CRC over the APDU and ETX. */
export function zvtFrameCrc(apdu: ArrayLike<number>): number {
  return crc16Kermit([ETX], crc16Kermit(apdu));
}
