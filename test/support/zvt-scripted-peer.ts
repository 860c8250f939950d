import { EventEmitter } from 'node:events';
import * as net from 'node:net';
import { SerialPort } from 'serialport';

/**
 * Test support: a payment terminal played byte by byte by a test script, written out by hand from the spec and
 * sharing no code with the driver (no codec, no framing). The test reacts to what the ECR sends (`on('apdu')`)
 * and answers with hex strings, so each test shows the exact bytes a terminal may legally send.
 *
 * - `TcpPeer`: bare APDUs on TCP loopback (PA00P016 TCP/IP: no framing).
 * - `SerialPeer`: the device end of a pty pair, serial framing per PA00P016: DLE STX, APDU with DLE doubled,
 *   DLE ETX, CRC-16 (KERMIT: poly 0x8408 reflected, init 0, over APDU + ETX) low byte first; ACK 06 / NAK 15.
 */

const hexOf = (b: Uint8Array | number[]) => Array.from(b, (x) => x.toString(16).toUpperCase().padStart(2, '0')).join(' ');

export function bytesOf(hex: string): Uint8Array {
  const clean = hex.replace(/\s+/g, '');
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** Splits a byte stream into APDUs: CLASS INSTR LEN(1, or FF + 2 bytes little-endian) DATA. */
class ApduSplitter {
  private buf: number[] = [];
  push(chunk: Uint8Array): string[] {
    this.buf.push(...chunk);
    const out: string[] = [];
    for (;;) {
      if (this.buf.length < 3) break;
      let len = this.buf[2];
      let head = 3;
      if (len === 0xff) {
        if (this.buf.length < 5) break;
        len = this.buf[3] | (this.buf[4] << 8);
        head = 5;
      }
      if (this.buf.length < head + len) break;
      out.push(hexOf(this.buf.splice(0, head + len)));
    }
    return out;
  }
}

export type PeerEvents = { apdu: [string] };

export class TcpPeer extends EventEmitter<PeerEvents> {
  /** APDUs the ECR sent, hex, in order. */
  readonly received: string[] = [];
  private socket: net.Socket | null = null;
  private readonly server: net.Server;
  /** Resolves when the ECR's connection closed. */
  readonly closed: Promise<void>;
  private markClosed!: () => void;

  private constructor() {
    super();
    this.closed = new Promise((r) => (this.markClosed = r));
    this.server = net.createServer((s) => {
      this.socket = s;
      const split = new ApduSplitter();
      s.on('data', (d: Buffer) => {
        for (const a of split.push(d)) {
          this.received.push(a);
          this.emit('apdu', a);
        }
      });
      s.on('error', () => undefined);
      s.on('close', () => this.markClosed());
    });
  }

  static async listen(): Promise<TcpPeer> {
    const p = new TcpPeer();
    await new Promise<void>((r) => p.server.listen(0, '127.0.0.1', () => r()));
    return p;
  }

  get port(): number {
    return (this.server.address() as net.AddressInfo).port;
  }

  send(hex: string): void {
    this.socket?.write(bytesOf(hex));
  }

  async close(): Promise<void> {
    this.socket?.destroy();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}

function crcKermit(bytes: number[]): number {
  let crc = 0;
  for (const b of bytes) {
    crc ^= b;
    for (let i = 0; i < 8; i++) crc = crc & 1 ? (crc >>> 1) ^ 0x8408 : crc >>> 1;
  }
  return crc;
}

/** DLE STX, APDU (DLE doubled), DLE ETX, CRC low byte first. */
export function serialFrame(apduHex: string): Uint8Array {
  const apdu = Array.from(bytesOf(apduHex));
  const crc = crcKermit([...apdu, 0x03]);
  const body = apdu.flatMap((b) => (b === 0x10 ? [0x10, 0x10] : [b]));
  return Uint8Array.from([0x10, 0x02, ...body, 0x10, 0x03, crc & 0xff, crc >> 8]);
}

/** What crossed the line from the ECR, in order: its frames (APDU hex), ACKs and NAKs. */
export type LineEvent = { type: 'frame'; apdu: string } | { type: 'ack' } | { type: 'nak' };

export class SerialPeer extends EventEmitter<PeerEvents> {
  readonly line: LineEvent[] = [];
  /** Link-level: answer each good frame with ACK (06). A test turns it off to play a terminal that does not hear. */
  autoAck = true;
  /** NAK (15) this many of the next frames instead of ACKing them (line noise). */
  nakNext = 0;
  /** Say nothing to this many of the next frames, as if they were lost on the line (the ECR repeats after T3). */
  ignoreNext = 0;
  private state: 'idle' | 'dle' | 'body' | 'body-dle' | 'crc1' | 'crc2' = 'idle';
  private body: number[] = [];
  private crc: number[] = [];

  private constructor(private readonly port: SerialPort) {
    super();
    port.on('data', (d: Buffer) => this.receive(d));
    port.on('error', () => undefined);
  }

  static async open(path: string): Promise<SerialPeer> {
    const port = new SerialPort({ path, baudRate: 9600, lock: false, autoOpen: false });
    await new Promise<void>((resolve, reject) => port.open((e) => (e ? reject(e) : resolve())));
    return new SerialPeer(port);
  }

  /** APDUs the ECR framed, hex, in order (repeats included). */
  get frames(): string[] {
    return this.line.flatMap((e) => (e.type === 'frame' ? [e.apdu] : []));
  }

  /** Sends a frame (the link ACK from the ECR shows up in `line`). */
  send(apduHex: string): void {
    this.port.write(Buffer.from(serialFrame(apduHex)));
  }

  raw(bytes: number[]): void {
    this.port.write(Buffer.from(bytes));
  }

  private receive(chunk: Uint8Array): void {
    for (const b of chunk) {
      switch (this.state) {
        case 'idle':
          if (b === 0x06) this.line.push({ type: 'ack' });
          else if (b === 0x15) this.line.push({ type: 'nak' });
          else if (b === 0x10) this.state = 'dle';
          break;
        case 'dle':
          if (b === 0x02) {
            this.state = 'body';
            this.body = [];
          } else this.state = 'idle';
          break;
        case 'body':
          if (b === 0x10) this.state = 'body-dle';
          else this.body.push(b);
          break;
        case 'body-dle':
          if (b === 0x10) {
            this.body.push(0x10);
            this.state = 'body';
          } else if (b === 0x03) {
            this.state = 'crc1';
            this.crc = [];
          } else this.state = 'idle';
          break;
        case 'crc1':
          this.crc.push(b);
          this.state = 'crc2';
          break;
        case 'crc2': {
          this.crc.push(b);
          this.state = 'idle';
          const expected = crcKermit([...this.body, 0x03]);
          if (this.crc[0] !== (expected & 0xff) || this.crc[1] !== expected >> 8) {
            this.port.write(Buffer.from([0x15]));
            break;
          }
          const apdu = hexOf(this.body);
          this.line.push({ type: 'frame', apdu });
          if (this.ignoreNext > 0) {
            this.ignoreNext--;
            break;
          }
          if (this.nakNext > 0) {
            this.nakNext--;
            this.port.write(Buffer.from([0x15]));
            break;
          }
          if (!this.autoAck) break;
          this.port.write(Buffer.from([0x06]));
          this.emit('apdu', apdu);
          break;
        }
      }
    }
  }

  async close(): Promise<void> {
    if (this.port.isOpen) await new Promise<void>((r) => this.port.close(() => r()));
  }
}

/** Waits (real time) until `cond` holds; for tests. */
export async function until(cond: () => boolean, ms = 3000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
