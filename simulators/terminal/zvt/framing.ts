/**
 * The serial transport of ZVT (PA00P016): an APDU travels as `DLE STX <data> DLE ETX <CRC low> <CRC high>`,
 * every DLE inside the data doubled. The CRC is CRC-16/CCITT in its reflected form (polynomial 0x1021 →
 * 0x8408, initial value 0, no final XOR — the "KERMIT" variant) over the un-doubled data plus the ETX byte,
 * sent low byte first; the CRC bytes themselves are not DLE-doubled. The receiver answers ACK (06) or
 * NAK (15). Cross-checked against Portalum.Zvt `ChecksumHelper.CalcCrc2` (same table, data + 0x03, low byte
 * first) and Wireshark `epan/dissectors/packet-zvt.c` (STX 02, ETX 03, ACK 06, DLE 10, NAK 15).
 */
export const STX = 0x02;
export const ETX = 0x03;
export const ACK = 0x06;
export const DLE = 0x10;
export const NAK = 0x15;

/** The biggest frame payload the simulator buffers before it drops the frame as noise. */
export const MAX_FRAME_DATA = 4200;

export function crc16(data: ArrayLike<number>): number {
  let crc = 0;
  const step = (byte: number) => {
    crc ^= byte;
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ 0x8408 : crc >>> 1;
  };
  for (let i = 0; i < data.length; i++) step(data[i]);
  step(ETX);
  return crc & 0xffff;
}

/** Frames an APDU. `corrupt` flips the CRC (fault injection: the peer must NAK it). */
export function encodeFrame(apdu: Uint8Array, corrupt = false): Uint8Array {
  const out: number[] = [DLE, STX];
  for (const b of apdu) {
    out.push(b);
    if (b === DLE) out.push(DLE);
  }
  let crc = crc16(apdu);
  if (corrupt) crc ^= 0xffff;
  out.push(DLE, ETX, crc & 0xff, crc >> 8);
  return Uint8Array.from(out);
}

export type LineEvent =
  | { type: 'frame'; apdu: Uint8Array }
  | { type: 'bad-crc'; apdu: Uint8Array }
  | { type: 'ack' }
  | { type: 'nak' }
  /** Bytes that are neither ACK/NAK nor part of a frame, or a frame cut off by a new DLE STX / overlong. */
  | { type: 'noise'; count: number };

type State = 'idle' | 'dle' | 'data' | 'data-dle' | 'crc1' | 'crc2';

/** Splits the byte stream from the line into frames, ACKs and NAKs. Never throws; bounded memory. */
export class FrameReader {
  private state: State = 'idle';
  private data: number[] = [];
  private crcLow = 0;
  private noise = 0;

  push(chunk: Uint8Array): LineEvent[] {
    const out: LineEvent[] = [];
    const flushNoise = () => {
      if (this.noise > 0) out.push({ type: 'noise', count: this.noise });
      this.noise = 0;
    };
    for (const b of chunk) {
      switch (this.state) {
        case 'idle':
          if (b === DLE) this.state = 'dle';
          else if (b === ACK || b === NAK) {
            flushNoise();
            out.push({ type: b === ACK ? 'ack' : 'nak' });
          } else this.noise++;
          break;
        case 'dle':
          if (b === STX) {
            flushNoise();
            this.data = [];
            this.state = 'data';
          } else {
            this.noise += 2;
            this.state = b === DLE ? 'dle' : 'idle';
            if (b === DLE) this.noise--;
          }
          break;
        case 'data':
          if (b === DLE) this.state = 'data-dle';
          else this.add(b, out);
          break;
        case 'data-dle':
          if (b === DLE) {
            this.state = 'data';
            this.add(DLE, out);
          } else if (b === ETX) this.state = 'crc1';
          else if (b === STX) {
            // a new frame starts inside the old one: the old one is lost
            out.push({ type: 'noise', count: this.data.length + 2 });
            this.data = [];
            this.state = 'data';
          } else {
            out.push({ type: 'noise', count: this.data.length + 4 });
            this.data = [];
            this.state = 'idle';
          }
          break;
        case 'crc1':
          this.crcLow = b;
          this.state = 'crc2';
          break;
        case 'crc2': {
          const apdu = Uint8Array.from(this.data);
          const got = this.crcLow | (b << 8);
          out.push(got === crc16(apdu) ? { type: 'frame', apdu } : { type: 'bad-crc', apdu });
          this.data = [];
          this.state = 'idle';
          break;
        }
      }
    }
    flushNoise();
    return out;
  }

  private add(b: number, out: LineEvent[]): void {
    this.data.push(b);
    if (this.data.length > MAX_FRAME_DATA) {
      out.push({ type: 'noise', count: this.data.length + 2 });
      this.data = [];
      this.state = 'idle';
    }
  }

  reset(): void {
    this.state = 'idle';
    this.data = [];
    this.noise = 0;
  }
}
