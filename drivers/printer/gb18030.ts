import * as iconv from 'iconv-lite';

/**
 * Chinese text for ESC/POS printers. The encoder library has no GB18030 code page (it prints `??`), so CJK runs
 * go to the printer as raw GB18030 bytes while it is in Chinese character mode:
 *
 *   FS &  (1C 26)  — enter Chinese mode: bytes ≥ 0x80 start 2- or 4-byte GB18030 characters
 *   FS .  (1C 2E)  — leave Chinese mode: bytes ≥ 0x80 are single-byte code page characters again
 *
 * Every CJK run is wrapped in its own FS & … FS . pair, so the printer is never left in Chinese mode.
 */
export const FS_CHINESE_ON: readonly number[] = [0x1c, 0x26];
export const FS_CHINESE_OFF: readonly number[] = [0x1c, 0x2e];

export function encodeGb18030(text: string): Uint8Array {
  return new Uint8Array(iconv.encode(text, 'gb18030'));
}

export function decodeGb18030(bytes: Uint8Array): string {
  return iconv.decode(Buffer.from(bytes), 'gb18030');
}

/**
 * East Asian Wide / Fullwidth code points (Unicode UAX #11, the ranges receipts meet): these print double width
 * and go to the printer as GB18030 in Chinese mode.
 */
export function isWide(cp: number): boolean {
  return (
    (cp >= 0x1100 && cp <= 0x115f) || // Hangul Jamo initial consonants
    (cp >= 0x2e80 && cp <= 0x303e) || // CJK radicals, Kangxi, ideographic description, CJK symbols & punctuation
    (cp >= 0x3041 && cp <= 0x33ff) || // Hiragana, Katakana, Bopomofo, Hangul compatibility Jamo, Kanbun, CJK compatibility
    (cp >= 0x3400 && cp <= 0x4dbf) || // CJK extension A
    (cp >= 0x4e00 && cp <= 0x9fff) || // CJK unified ideographs
    (cp >= 0xa000 && cp <= 0xa4cf) || // Yi
    (cp >= 0xac00 && cp <= 0xd7a3) || // Hangul syllables
    (cp >= 0xf900 && cp <= 0xfaff) || // CJK compatibility ideographs
    (cp >= 0xfe30 && cp <= 0xfe4f) || // CJK compatibility forms
    (cp >= 0xff00 && cp <= 0xff60) || // fullwidth forms
    (cp >= 0xffe0 && cp <= 0xffe6) || // fullwidth signs
    (cp >= 0x20000 && cp <= 0x3fffd) // CJK extensions B–G, compatibility supplement
  );
}
