import * as iconv from 'iconv-lite';
import { KioskError } from '../../kernel/errors';

/** Text rules shared by every scanner transport (serial framer, HID POS, keyboard wedge). */

export const DEFAULT_ALLOWED_CONTROLS: readonly number[] = [0x09, 0x04, 0x1c, 0x1d, 0x1e];

/**
 * Longest read every transport accepts by default, AIM identifier included: the barcode parser's MAX_SCAN_LENGTH
 * (runtime/barcodes/parse-scan.ts; a test keeps the two equal). The largest 2-D symbols carry less (QR version 40:
 * 7089 digits or 2953 bytes; Data Matrix 144×144: 3116 digits or 1556 bytes), so no real read is cut.
 */
export const MAX_READ_LENGTH = 8192;

/**
 * The default scanner encoding: a read that is valid UTF-8 is UTF-8 (2-D codes carry UTF-8 text, e.g. Chinese in a
 * QR, whose bytes include 0x80–0x9F and would otherwise be dropped as C1 controls), anything else is Latin-1 (a 1-D
 * scanner's `é` as 0xE9). ASCII, and so every GS1 element string and Digital Link URL, reads the same either way.
 */
export const AUTO_ENCODING = 'auto';

/** Hex preview of the first bytes of a buffer, for error details. */
export function hexPreview(bytes: Uint8Array, max = 16): string {
  const shown = Array.from(bytes.subarray(0, max), (b) => b.toString(16).padStart(2, '0')).join(' ');
  return bytes.length > max ? `${shown} … (${bytes.length} bytes)` : shown;
}

/**
 * Decodes one read's bytes, or returns why they cannot be a scanner read. Shared by the serial framer and the HID
 * decoders so every transport applies the same rules.
 */
export function decodeReadBytes(bytes: Buffer, encoding: string, allowed: ReadonlySet<number>): { text: string } | { problem: string } {
  const utf8 = encoding === 'utf8' || encoding === 'utf-8';
  let text: string;
  if (utf8 || encoding === AUTO_ENCODING) {
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    } catch {
      if (utf8) return { problem: 'invalid UTF-8' };
      text = iconv.decode(bytes, 'latin1');
    }
  } else {
    text = iconv.decode(bytes, encoding);
  }
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    if ((cp < 0x20 && !allowed.has(cp)) || cp === 0x7f || (cp >= 0x80 && cp <= 0x9f)) {
      return { problem: `control character U+${cp.toString(16).padStart(4, '0').toUpperCase()}` };
    }
  }
  return { text };
}

/** `]` + symbology code + modifier at the start of a read. */
export function aimOf(raw: string): string | undefined {
  return /^\][\x21-\x7e]{2}/.test(raw) ? raw.slice(0, 3) : undefined;
}

export function checkEncoding(encoding: string): void {
  if (encoding !== 'utf8' && encoding !== 'utf-8' && encoding !== AUTO_ENCODING && !iconv.encodingExists(encoding)) {
    throw new KioskError('CONFIG_INVALID', `unknown scanner encoding "${encoding}"`, { encoding });
  }
}

export function protocolError(source: string, message: string, details: Record<string, unknown> = {}): KioskError {
  return new KioskError('PROTOCOL', `scanner (${source}): ${message}`, { source, ...details });
}

