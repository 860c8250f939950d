import * as net from 'node:net';

/**
 * Test helper: an ECR written out by hand at the byte level over TCP — no codec from drivers/ or from the
 * simulator. APDUs are cut by their length byte (or FF + 2 bytes low first) and compared as upper-case hex.
 */
export function hexOf(b: ArrayLike<number>): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0').toUpperCase()).join(' ');
}

export function bytesOf(hex: string): Buffer {
  return Buffer.from(hex.replace(/\s+/g, ''), 'hex');
}

/** "04 0F" + body hex → the APDU with its length byte, as hex. */
export function apduHex(control: string, body = ''): string {
  const data = bytesOf(body);
  if (data.length >= 0xff) throw new Error('long APDUs are not needed here');
  return hexOf([...bytesOf(control), data.length, ...data]);
}

/** ASCII text as hex. */
export function asciiHex(s: string): string {
  return hexOf(Buffer.from(s, 'latin1'));
}

export class RawTcpEcr {
  private buf = Buffer.alloc(0);
  private readonly inbox: string[] = [];
  closed = false;

  private constructor(readonly socket: net.Socket) {
    socket.on('data', (d: Buffer) => {
      this.buf = Buffer.concat([this.buf, d]);
      for (;;) {
        if (this.buf.length < 3) break;
        const ext = this.buf[2] === 0xff;
        if (ext && this.buf.length < 5) break;
        const len = ext ? this.buf[3] | (this.buf[4] << 8) : this.buf[2];
        const total = (ext ? 5 : 3) + len;
        if (this.buf.length < total) break;
        this.inbox.push(hexOf(this.buf.subarray(0, total)));
        this.buf = this.buf.subarray(total);
      }
    });
    socket.on('close', () => (this.closed = true));
    socket.on('error', () => undefined);
  }

  static connect(port: number): Promise<RawTcpEcr> {
    return new Promise((resolve, reject) => {
      const s = net.connect({ host: '127.0.0.1', port }, () => resolve(new RawTcpEcr(s)));
      s.once('error', reject);
    });
  }

  send(hex: string): void {
    this.socket.write(bytesOf(hex));
  }

  ack(): void {
    this.send('80 00 00');
  }

  /** The next APDU from the terminal, as hex. */
  async next(ms = 2000): Promise<string> {
    const deadline = Date.now() + ms;
    while (this.inbox.length === 0) {
      if (this.closed) throw new Error('connection closed');
      if (Date.now() > deadline) throw new Error('no message');
      await new Promise((r) => setTimeout(r, 5));
    }
    return this.inbox.shift()!;
  }

  /** Nothing arrives for `ms`. */
  async silent(ms: number): Promise<boolean> {
    try {
      await this.next(ms);
      return false;
    } catch (e) {
      if ((e as Error).message === 'no message') return true;
      throw e;
    }
  }

  /**
   * Reads until the terminal ends the exchange (06 0F, 06 1E, or a negative acknowledgement), answering each
   * terminal message with `answer(hex)` (default 80 00 00). Returns everything received, in order.
   */
  async follow(answer: (hex: string) => string | null = () => '80 00 00'): Promise<string[]> {
    const seen: string[] = [];
    for (;;) {
      const m = await this.next();
      seen.push(m);
      if (m.startsWith('84')) return seen;
      if (m !== '80 00 00') {
        const a = answer(m);
        if (a) this.send(a);
      }
      if (m.startsWith('06 0F') || m.startsWith('06 1E')) return seen;
    }
  }

  close(): void {
    this.socket.destroy();
  }
}
