import { apduTotalLength } from './apdu';
import { KioskError } from '../../../kernel/errors';

export type ApduStreamEvent = { type: 'apdu'; apdu: Uint8Array } | { type: 'error'; error: KioskError };

/**
 * TCP carries bare APDUs back to back; the length field is the only delimiter. `push(bytes)` returns the APDUs
 * completed so far. An APDU longer than `maxApduBytes` cannot be trusted (and would buffer without bound): it is
 * reported and everything buffered is dropped — the caller should then drop the connection, since a bare stream
 * has no way to find the next APDU boundary.
 */
export class ApduDecoder {
  private buf = new Uint8Array(0);
  private readonly max: number;

  constructor(opts: { maxApduBytes?: number } = {}) {
    this.max = opts.maxApduBytes ?? 65540;
  }

  push(chunk: Uint8Array): ApduStreamEvent[] {
    const out: ApduStreamEvent[] = [];
    const merged = new Uint8Array(this.buf.length + chunk.length);
    merged.set(this.buf);
    merged.set(chunk, this.buf.length);
    let i = 0;
    for (;;) {
      const total = apduTotalLength(merged, i);
      if (total === null) break;
      if (total > this.max) {
        out.push({ type: 'error', error: new KioskError('PROTOCOL', `ZVT: APDU of ${total} bytes exceeds the ${this.max}-byte limit`, { total }) });
        this.buf = new Uint8Array(0);
        return out;
      }
      if (merged.length - i < total) break;
      out.push({ type: 'apdu', apdu: merged.slice(i, i + total) });
      i += total;
    }
    this.buf = merged.slice(i);
    return out;
  }

  get buffered(): number {
    return this.buf.length;
  }

  reset(): void {
    this.buf = new Uint8Array(0);
  }
}
