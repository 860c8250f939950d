import { EscPosPage, NEED_MORE } from './escpos-page';
import type { BarcodeSymbologyName, DecodedItem } from './escpos-receipt';

/**
 * Symbols on the paper: `GS k` barcodes (CODE128 code sets decoded; EAN/UPC reported with the check digit the
 * printer adds) and `GS ( k` 2D codes (QR model/size/error level, store then print; PDF417 and the others by
 * their cn). The rest of the command set is parsed in `escpos-decoder.ts`.
 */

const BARCODES: Record<number, BarcodeSymbologyName> = {
  0: 'upca',
  1: 'upce',
  2: 'ean13',
  3: 'ean8',
  4: 'code39',
  5: 'itf',
  6: 'codabar',
  65: 'upca',
  66: 'upce',
  67: 'ean13',
  68: 'ean8',
  69: 'code39',
  70: 'itf',
  71: 'codabar',
  72: 'code93',
  73: 'code128',
  74: 'gs1-128',
  75: 'gs1-databar-omni',
  76: 'gs1-databar-truncated',
  77: 'gs1-databar-limited',
  78: 'gs1-databar-expanded',
  79: 'code128-auto',
};

const SYMBOLS_2D: Record<number, (DecodedItem & { kind: '2d' })['symbology']> = {
  0x30: 'pdf417',
  0x32: 'maxicode',
  0x33: 'gs1-databar',
  0x34: 'composite',
  0x35: 'aztec',
  0x36: 'datamatrix',
};

export abstract class EscPosSymbols extends EscPosPage {
  private qr = { data: null as Uint8Array | null, model: 2, size: 3, errorLevel: 'L' };
  private readonly stored2d = new Map<number, Uint8Array>();

  /** ESC @: the QR settings go back to their defaults (stored 2D symbol data is left as it is). */
  protected resetSymbols(): void {
    this.qr = { data: null, model: 2, size: 3, errorLevel: 'L' };
  }

  /** GS k m … barcode. */
  protected barcode(p: number): number {
    if (!this.has(p, 3)) return NEED_MORE;
    const m = this.buf[p + 2];
    let data: Uint8Array;
    let used: number;
    if (m <= 6) {
      let end = -1;
      for (let i = p + 3; i < this.buf.length; i++) {
        if (this.buf[i] === 0) {
          end = i;
          break;
        }
      }
      if (end < 0) return NEED_MORE;
      data = this.buf.slice(p + 3, end);
      used = end - p + 1;
    } else {
      if (!this.has(p, 4)) return NEED_MORE;
      const n = this.buf[p + 3];
      if (!this.has(p, 4 + n)) return NEED_MORE;
      data = this.buf.slice(p + 4, p + 4 + n);
      used = 4 + n;
    }
    const symbology = BARCODES[m] ?? 'unknown';
    if (symbology === 'unknown') this.warn('invalid-data', p, 3, `unknown barcode system ${m}`);
    let text = latin1(data);
    if (symbology === 'code128') text = this.code128(data, p);
    else if (symbology === 'ean13' || symbology === 'upca' || symbology === 'ean8') text = withCheckDigit(text, symbology);
    this.flushPending();
    this.items.push({ kind: 'barcode', symbology, data: text });
    return used;
  }

  /** CODE128 data with ESC/POS code set characters: {A {B {C select a set, {{ is '{', {S/{1–{4 are functions. */
  private code128(data: Uint8Array, p: number): string {
    let set: 'A' | 'B' | 'C' | null = null;
    let out = '';
    for (let i = 0; i < data.length; i++) {
      const b = data[i];
      if (b === 0x7b && i + 1 < data.length) {
        const c = String.fromCharCode(data[++i]);
        if (c === 'A' || c === 'B' || c === 'C') set = c;
        else if (c === '{') out += '{';
        else if (!'S1234'.includes(c)) this.warn('invalid-data', p, 3, `unknown CODE128 function character {${c}`);
        continue;
      }
      if (set === null) {
        this.warn('invalid-data', p, 3, 'CODE128 data does not start with a code set ({A, {B or {C)');
        set = 'B';
      }
      out += set === 'C' ? String(b).padStart(2, '0') : String.fromCharCode(b);
    }
    return out;
  }

  /** GS ( fn pL pH … — 2D codes (GS ( k) and the rest (skipped by length). */
  protected gsParen(p: number): number {
    if (!this.has(p, 5)) return NEED_MORE;
    const fn = this.buf[p + 2];
    const len = this.u16(p + 3);
    if (!this.has(p, 5 + len)) return NEED_MORE;
    if (fn === 0x6b && len >= 2) {
      const cn = this.buf[p + 5];
      const f = this.buf[p + 6];
      const body = this.buf.slice(p + 7, p + 5 + len);
      if (cn === 0x31) {
        // QR code
        if (f === 0x41) this.qr.model = body[0] - 0x30;
        else if (f === 0x43) this.qr.size = body[0];
        else if (f === 0x45) this.qr.errorLevel = ['L', 'M', 'Q', 'H'][body[0] - 0x30] ?? '?';
        else if (f === 0x50) this.qr.data = body.slice(1);
        else if (f === 0x51) {
          if (this.qr.data === null) this.warn('invalid-data', p, 8, 'QR print without stored data');
          else {
            this.flushPending();
            this.items.push({ kind: 'qr', data: utf8OrLatin1(this.qr.data), model: this.qr.model, size: this.qr.size, errorLevel: this.qr.errorLevel });
          }
        }
      } else {
        if (f === 0x50) this.stored2d.set(cn, body.slice(1));
        else if (f === 0x51) {
          const stored = this.stored2d.get(cn);
          if (!stored) this.warn('invalid-data', p, 8, `2D symbol print without stored data (cn 0x${cn.toString(16)})`);
          else {
            this.flushPending();
            this.items.push({ kind: '2d', symbology: SYMBOLS_2D[cn] ?? 'unknown', data: utf8OrLatin1(stored) });
          }
        }
      }
    }
    return 5 + len;
  }
}

function latin1(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('latin1');
}

function utf8OrLatin1(bytes: Uint8Array): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return latin1(bytes);
  }
}

/** EAN-13 / UPC-A / EAN-8 sent without their check digit print with it: report what is printed. */
function withCheckDigit(data: string, sym: 'ean13' | 'upca' | 'ean8'): string {
  const full = { ean13: 13, upca: 12, ean8: 8 }[sym];
  if (!/^[0-9]+$/.test(data) || data.length !== full - 1) return data;
  let sum = 0;
  for (let i = 0; i < data.length; i++) sum += (data.charCodeAt(data.length - 1 - i) - 48) * (i % 2 === 0 ? 3 : 1);
  return data + String((10 - (sum % 10)) % 10);
}
