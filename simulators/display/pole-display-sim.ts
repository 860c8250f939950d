import { SerialPort } from 'serialport';
import { PtyPair } from '../pty-pair';
import { PoleDisplayDecoder } from './pole-display-decoder';

/**
 * A 2×20 ESC/POS pole display on the device end of a real pty pair: the driver opens `hostPath`, every byte it
 * writes goes through `PoleDisplayDecoder`, and `lines()` says what a customer would read.
 *
 * `unplug()` / `replug()` pull and reconnect the cable; a replug power-cycles the display (blank screen), as a
 * USB-powered display does.
 */
export interface PoleDisplaySimOptions {
  name?: string;
  columns?: number;
  rows?: number;
}

export class PoleDisplaySimulator {
  readonly decoder: PoleDisplayDecoder;
  private port: SerialPort | null = null;

  private constructor(
    private readonly pair: PtyPair,
    opts: PoleDisplaySimOptions,
  ) {
    this.decoder = new PoleDisplayDecoder(opts);
  }

  static async create(opts: PoleDisplaySimOptions = {}): Promise<PoleDisplaySimulator> {
    const pair = await PtyPair.create(opts.name ?? 'display');
    const sim = new PoleDisplaySimulator(pair, opts);
    await sim.openDeviceEnd();
    return sim;
  }

  get hostPath(): string {
    return this.pair.hostPath;
  }

  /** What the display shows, one string per row (trailing blanks removed). */
  lines(): string[] {
    return this.decoder.lines();
  }

  /** Resolves once the display has received `count` bytes in all (e.g. the driver's `bytesSent`). */
  async received(count: number, timeoutMs = 3000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.decoder.bytesReceived < count) {
      if (Date.now() > deadline) throw new Error(`display received ${this.decoder.bytesReceived} of ${count} bytes within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 2));
    }
  }

  /** Waits until the display shows `expected` (compared after trimming trailing blanks). */
  async waitForLines(expected: string[], timeoutMs = 2000): Promise<string[]> {
    const want = JSON.stringify(expected.map((l) => l.trimEnd()));
    const deadline = Date.now() + timeoutMs;
    while (JSON.stringify(this.lines()) !== want && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    return this.lines();
  }

  async unplug(): Promise<void> {
    const port = this.port;
    this.port = null;
    if (port?.isOpen) await new Promise<void>((resolve) => port.close(() => resolve()));
    await this.pair.unplug();
  }

  async replug(): Promise<void> {
    await this.pair.replug();
    this.decoder.reset();
    await this.openDeviceEnd();
  }

  async close(): Promise<void> {
    await this.unplug();
    await this.pair.close();
  }

  private async openDeviceEnd(): Promise<void> {
    const port = new SerialPort({ path: this.pair.devicePath, baudRate: 9600, autoOpen: false, lock: false });
    await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
    port.on('error', () => undefined);
    port.on('data', (chunk: Buffer) => {
      if (this.port !== port) return;
      this.decoder.write(chunk);
    });
    this.port = port;
  }
}
