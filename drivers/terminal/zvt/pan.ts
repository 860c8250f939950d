import { protocolError } from './errors';

/**
 * Card numbers as the terminal sends them in BMP 22: BCD digits, `E` for a masked digit, `F` as padding, `D` as
 * field separator (anything after it is track data and is dropped). Decoded to digits with `*` for masked ones.
 */
export function decodeMaskedPan(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) {
    for (const nibble of [b >> 4, b & 0x0f]) {
      if (nibble <= 9) s += String.fromCharCode(48 + nibble);
      else if (nibble === 0x0f) continue;
      else if (nibble === 0x0d) return s;
      else s += '*'; // 0xE (masked) and any other non-digit: never guess a digit
    }
  }
  return s;
}

export function encodeMaskedPan(pan: string): Uint8Array {
  if (!/^[0-9*]*$/.test(pan)) throw new RangeError('a masked PAN may only hold digits and *');
  const padded = pan.length % 2 ? pan + 'F' : pan;
  const out = new Uint8Array(padded.length / 2);
  const nib = (c: string) => (c === '*' ? 0x0e : c === 'F' ? 0x0f : c.charCodeAt(0) - 48);
  for (let i = 0; i < out.length; i++) out[i] = (nib(padded[2 * i]) << 4) | nib(padded[2 * i + 1]);
  return out;
}

/**
 * Enforces masking whatever the terminal sent: at most the first 6 and last 4 digits stay visible (only the last 4
 * for numbers shorter than 13 digits). Masks already present are kept; nothing is ever unmasked.
 */
export function maskPan(pan: string): string {
  if (!/^[0-9*]*$/.test(pan)) throw protocolError('masked PAN contains unexpected characters');
  const n = pan.length;
  const head = n >= 13 ? 6 : 0;
  return Array.from(pan, (c, i) => (i < head || i >= n - 4 ? c : '*')).join('');
}

/** For logs: only the last four characters. */
export function panForLog(pan: string | undefined): string | undefined {
  if (pan === undefined) return undefined;
  return '*'.repeat(Math.max(0, pan.length - 4)) + pan.slice(-4);
}
