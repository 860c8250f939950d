import { ACK, DLE, ETX, NAK, STX } from './constants';
import { zvtFrameCrc } from './crc';
import { hex } from './hex';
import { KioskError } from '../../../kernel/errors';

/**
 * Serial framing: `DLE STX` + APDU with every 0x10 doubled + `DLE ETX` + CRC low, CRC high. Single ACK (06) and
 * NAK (15) bytes travel between frames.
 */
export function encodeFrame(apdu: Uint8Array, opts: { corruptCrc?: boolean } = {}): Uint8Array {
  const out: number[] = [DLE, STX];
  for (const b of apdu) {
    out.push(b);
    if (b === DLE) out.push(DLE);
  }
  let crc = zvtFrameCrc(apdu);
  if (opts.corruptCrc) crc ^= 0x5a5a;
  out.push(DLE, ETX, crc & 0xff, crc >> 8);
  return Uint8Array.from(out);
}

export type FrameEvent =
  | { type: 'frame'; apdu: Uint8Array }
  | { type: 'ack' }
  | { type: 'nak' }
  /** A complete frame whose checksum does not match: the receiver answers NAK. */
  | { type: 'crc-error'; error: KioskError }
  /** Bytes outside any frame, a broken DLE sequence or an oversized frame: reported, then resynchronised. */
  | { type: 'error'; error: KioskError };

export interface FrameDecoderOptions {
  /** Largest un-stuffed APDU accepted; longer frames are dropped with an error. Default 4096. */
  maxFrameBytes?: number;
  /** A run of stray bytes is reported once it ends, or every this many bytes. Default 256. */
  maxGarbageRun?: number;
}

type State = 'hunt' | 'hunt-dle' | 'frame' | 'frame-dle' | 'crc-lo' | 'crc-hi';

/**
 * Incremental decoder: `push(bytes)` returns whatever completed. Never throws and never holds more than one frame
 * (capped). Splitting the input anywhere yields the same events: a stray-byte run is reported when it ends (at the
 * next DLE STX, ACK or NAK), when it reaches `maxGarbageRun`, or on `flush()`.
 */
export class FrameDecoder {
  private state: State = 'hunt';
  private buf: number[] = [];
  private crcLo = 0;
  private garbage = 0;
  private garbageSample: number[] = [];
  private readonly maxFrame: number;
  private readonly maxGarbage: number;

  constructor(opts: FrameDecoderOptions = {}) {
    this.maxFrame = opts.maxFrameBytes ?? 4096;
    this.maxGarbage = opts.maxGarbageRun ?? 256;
  }

  push(chunk: Uint8Array): FrameEvent[] {
    const out: FrameEvent[] = [];
    for (const b of chunk) this.byte(b, out);
    return out;
  }

  /** Reports a pending stray-byte run now (e.g. when a timer expires with nothing else arriving). */
  flush(): FrameEvent[] {
    const out: FrameEvent[] = [];
    this.flushGarbage(out);
    return out;
  }

  reset(): void {
    this.state = 'hunt';
    this.buf = [];
    this.garbage = 0;
    this.garbageSample = [];
  }

  /** True while a frame is partly received. */
  get midFrame(): boolean {
    return this.state !== 'hunt' && this.state !== 'hunt-dle';
  }

  private stray(b: number, out: FrameEvent[]): void {
    this.garbage++;
    if (this.garbageSample.length < 16) this.garbageSample.push(b);
    if (this.garbage >= this.maxGarbage) this.flushGarbage(out);
  }

  private flushGarbage(out: FrameEvent[]): void {
    if (this.garbage === 0) return;
    out.push({
      type: 'error',
      error: new KioskError('PROTOCOL', `ZVT: ${this.garbage} stray byte(s) outside a frame`, { count: this.garbage, bytes: hex(Uint8Array.from(this.garbageSample)) }),
    });
    this.garbage = 0;
    this.garbageSample = [];
  }

  private error(message: string, out: FrameEvent[], details: Record<string, unknown> = {}): void {
    out.push({ type: 'error', error: new KioskError('PROTOCOL', `ZVT: ${message}`, details) });
  }

  private byte(b: number, out: FrameEvent[]): void {
    switch (this.state) {
      case 'hunt':
        if (b === DLE) this.state = 'hunt-dle';
        else if (b === ACK || b === NAK) {
          this.flushGarbage(out);
          out.push({ type: b === ACK ? 'ack' : 'nak' });
        } else this.stray(b, out);
        return;
      case 'hunt-dle':
        if (b === STX) {
          this.flushGarbage(out);
          this.buf = [];
          this.state = 'frame';
        } else if (b === DLE) {
          this.stray(DLE, out); // the first DLE was stray, this one may start a frame
        } else {
          this.stray(DLE, out);
          this.state = 'hunt';
          this.byte(b, out);
        }
        return;
      case 'frame':
        if (b === DLE) this.state = 'frame-dle';
        else this.add(b, out);
        return;
      case 'frame-dle':
        if (b === DLE) {
          this.state = 'frame';
          this.add(DLE, out);
        } else if (b === ETX) this.state = 'crc-lo';
        else if (b === STX) {
          this.error('frame restarted before it ended (DLE STX inside a frame)', out, { dropped: this.buf.length });
          this.buf = [];
          this.state = 'frame';
        } else {
          this.error(`invalid DLE sequence 10 ${b.toString(16).padStart(2, '0')} inside a frame`, out, { dropped: this.buf.length });
          this.buf = [];
          this.state = 'hunt';
          this.byte(b, out);
        }
        return;
      case 'crc-lo':
        this.crcLo = b;
        this.state = 'crc-hi';
        return;
      case 'crc-hi': {
        const apdu = Uint8Array.from(this.buf);
        this.buf = [];
        this.state = 'hunt';
        const got = this.crcLo | (b << 8);
        const want = zvtFrameCrc(apdu);
        if (got === want) out.push({ type: 'frame', apdu });
        else
          out.push({
            type: 'crc-error',
            error: new KioskError('PROTOCOL', 'ZVT: frame checksum mismatch', { received: got.toString(16), computed: want.toString(16), length: apdu.length }),
          });
        return;
      }
    }
  }

  private add(b: number, out: FrameEvent[]): void {
    if (this.buf.length >= this.maxFrame) {
      this.error(`frame longer than ${this.maxFrame} bytes dropped`, out, { max: this.maxFrame });
      this.buf = [];
      this.state = 'hunt';
      return;
    }
    this.buf.push(b);
  }
}
