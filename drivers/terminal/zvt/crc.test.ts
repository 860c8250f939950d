import { crc16Kermit, zvtFrameCrc } from './crc';
import { encodeFrame, FrameDecoder } from './frame';
import { fromHex, hex } from './hex';

/**
 * Published serial frames. Each was captured/asserted by an independent implementation; all of them carry the
 * CRC this codec computes (CRC-16/KERMIT over APDU + ETX, low byte first).
 *
 * Source A: wirelane/ecrterm (python), ecrterm/tests/test_data_encoding.py — "Unter docs/examples finden sich
 *   dateien mit logs. Diese Tests sehen nach ob unsere Klassen dieselben binären daten erzeugen."
 *   https://github.com/wirelane/ecrterm/blob/master/ecrterm/tests/test_data_encoding.py
 * Source B: wirelane/ecrterm, ecrterm/tests/test_parsing.py, test_version_completion — a completion the PT sends
 *   after a status enquiry.
 *   https://github.com/wirelane/ecrterm/blob/master/ecrterm/tests/test_parsing.py
 */
export const PUBLISHED_FRAMES: { name: string; source: string; frame: string }[] = [
  { name: 'registration 06 00 (password 123456, config BA, EUR)', source: 'A test_Anmeldung', frame: '10 02 06 00 06 12 34 56 BA 09 78 10 03 24 C3' },
  { name: 'initialisation 06 93', source: 'A test_Initialisierung', frame: '10 02 06 93 03 12 34 56 10 03 CA A4' },
  {
    name: 'authorization 06 01 of 110.00 EUR (0x10 in the amount is doubled)',
    source: 'A test_Zahlung_eccash',
    frame: '10 02 06 01 0A 04 00 00 00 01 10 10 00 49 09 78 10 03 F2 FF',
  },
  { name: 'diagnosis 06 70', source: 'A test_packet_diagnosis', frame: '10 02 06 70 00 10 03 D9 F9' },
  {
    name: 'print line 06 D1 "Gesamt      0       0,00"',
    source: 'A test_packet_printline',
    frame: '10 02 06 D1 19 00 47 65 73 61 6D 74 20 20 20 20 20 20 30 20 20 20 20 20 20 20 30 2C 30 30 10 03 B5 AB',
  },
  { name: 'positive acknowledgement 80 00 00', source: 'A test_packet_received', frame: '10 02 80 00 00 10 03 F5 1F' },
  { name: 'negative acknowledgement 84 9C 00', source: 'A test_packet_received_error', frame: '10 02 84 9C 00 10 03 C3 41' },
  { name: 'reset terminal 06 18', source: 'A test_packet_resetterminal', frame: '10 02 06 18 00 10 03 56 3A' },
  {
    name: 'display text 06 E0',
    source: 'A test_packet_showtext',
    frame:
      '10 02 06 E0 25 F1 F1 F6 46 41 48 52 45 52 4E 55 4D 4D 45 52 20 20 20 20 F2 F1 F5 45 49 4E 47 45 42 45 4E 20 55 4E 44 20 4F 4B 10 03 DE CD',
  },
  { name: 'status enquiry 05 01', source: 'A test_packet_statusenquiry', frame: '10 02 05 01 03 12 34 56 10 03 E0 43' },
  {
    name: 'completion 06 0F with software version (from a PT)',
    source: 'B test_version_completion',
    frame: '10 02 06 0F 0B F0 F0 F7 32 2E 31 34 2E 31 35 00 10 03 B1 11',
  },
];

/** Un-stuffs the APDU out of a frame (test helper, independent of FrameDecoder). */
function apduOf(frame: Uint8Array): Uint8Array {
  const body = frame.subarray(2, frame.length - 4);
  const out: number[] = [];
  for (let i = 0; i < body.length; i++) {
    out.push(body[i]);
    if (body[i] === 0x10) i++;
  }
  return Uint8Array.from(out);
}

/** Textbook CRC variants, to show only KERMIT reproduces the published frames. */
function reflected(init: number, xorOut: number, data: Uint8Array): number {
  let c = init;
  for (const b of data) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x8408 : c >>> 1;
  }
  return (c ^ xorOut) & 0xffff;
}
function msbFirst(init: number, data: Uint8Array): number {
  let c = init;
  for (const b of data) {
    c ^= b << 8;
    for (let k = 0; k < 8; k++) c = c & 0x8000 ? ((c << 1) ^ 0x1021) & 0xffff : (c << 1) & 0xffff;
  }
  return c;
}

describe('ZVT CRC (CRC-16/KERMIT over APDU + ETX, low byte first)', () => {
  it('has the catalogue check value 0x2189 for "123456789"', () => {
    expect(crc16Kermit(Buffer.from('123456789'))).toBe(0x2189);
  });

  describe.each(PUBLISHED_FRAMES)('published frame: $name ($source)', ({ frame }) => {
    const bytes = fromHex(frame);
    const apdu = apduOf(bytes);
    const crc = bytes[bytes.length - 2] | (bytes[bytes.length - 1] << 8);

    it('CRC matches', () => {
      expect(zvtFrameCrc(apdu)).toBe(crc);
    });

    it('encodeFrame reproduces the frame byte for byte', () => {
      expect(hex(encodeFrame(apdu))).toBe(frame);
    });

    it('FrameDecoder yields the APDU', () => {
      expect(new FrameDecoder().push(bytes)).toEqual([{ type: 'frame', apdu }]);
    });
  });

  it('X-25, XMODEM and CCITT-FALSE do not reproduce the published frames', () => {
    for (const { frame } of PUBLISHED_FRAMES) {
      const bytes = fromHex(frame);
      const data = Uint8Array.from([...apduOf(bytes), 0x03]);
      const crc = bytes[bytes.length - 2] | (bytes[bytes.length - 1] << 8);
      expect(reflected(0, 0, data)).toBe(crc);
      expect(reflected(0xffff, 0xffff, data)).not.toBe(crc);
      expect(msbFirst(0, data)).not.toBe(crc);
      expect(msbFirst(0xffff, data)).not.toBe(crc);
    }
  });

  it('the brief\'s registration example (password 000000, config 08, EUR) frames as 10 02 06 00 06 00 00 00 08 09 78 10 03 3A 80', () => {
    expect(hex(encodeFrame(fromHex('06 00 06 00 00 00 08 09 78')))).toBe('10 02 06 00 06 00 00 00 08 09 78 10 03 3A 80');
  });
});
