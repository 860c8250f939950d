import * as iconv from 'iconv-lite';
import { KioskError } from '../../kernel/errors';

/** Text rules shared by every scanner transport (serial framer, HID POS, keyboard wedge). */

export const DEFAULT_ALLOWED_CONTROLS: readonly number[] = [0x09, 0x04, 0x1c, 0x1d, 0x1e];

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
  if (utf8) {
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    } catch {
      return { problem: 'invalid UTF-8' };
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
  if (encoding !== 'utf8' && encoding !== 'utf-8' && !iconv.encodingExists(encoding)) {
    throw new KioskError('CONFIG_INVALID', `unknown scanner encoding "${encoding}"`, { encoding });
  }
}

export function protocolError(source: string, message: string, details: Record<string, unknown> = {}): KioskError {
  return new KioskError('PROTOCOL', `scanner (${source}): ${message}`, { source, ...details });
}

