import { SerialPort } from 'serialport';
import * as iconv from 'iconv-lite';
import { PtyPair } from '../pty-pair';

/**
 * A serial barcode scanner on the device end of a real pty pair. The driver under test opens `hostPath` with
 * serialport exactly as it would open /dev/ttyACM0; the simulator writes what a scanner writes.
 *
 * Control surface: `scan(code, { aim, suffix })`, `garble(bytes)` (line noise, partial reads), `unplug()` /
 * `replug()` (the cable: both pty ends vanish and come back under the same path).
 */
export interface SerialScannerSimOptions {
  /** Name of the pty pair links. */
  name?: string;
  /** How the scanner encodes text: `latin1` (default) or `utf8`. */
  encoding?: 'latin1' | 'utf8';
  /** Suffix sent after each read unless `scan()` says otherwise. Default CR. */
  suffix?: '\r' | '\n' | '\r\n';
}

export interface SerialScanOptions {
  /** AIM symbology identifier sent before the data, e.g. `]E0`. */
  aim?: string;
  suffix?: '\r' | '\n' | '\r\n';
}

export class SerialScannerSimulator {
  private port: SerialPort | null = null;
  /** Bytes handed to the pty since creation. */
  bytesWritten = 0;
  private constructor(
    private readonly pair: PtyPair,
    private readonly opts: SerialScannerSimOptions,
  ) {}

  static async create(opts: SerialScannerSimOptions = {}): Promise<SerialScannerSimulator> {
    const pair = await PtyPair.create(opts.name ?? 'scanner');
    const sim = new SerialScannerSimulator(pair, opts);
    await sim.openDeviceEnd();
    return sim;
  }

  /** The path the driver opens. */
  get hostPath(): string {
    return this.pair.hostPath;
  }

  get plugged(): boolean {
    return this.pair.plugged;
  }

  /** The bytes a scan of `code` puts on the line. */
  bytesFor(code: string, opts: SerialScanOptions = {}): Buffer {
    const text = (opts.aim ?? '') + code + (opts.suffix ?? this.opts.suffix ?? '\r');
    return this.opts.encoding === 'utf8' ? Buffer.from(text, 'utf8') : iconv.encode(text, 'latin1');
  }

  /** The scanner reads `code`. Resolves when the bytes are handed to the pty. */
  scan(code: string, opts: SerialScanOptions = {}): Promise<void> {
    return this.write(this.bytesFor(code, opts));
  }

  /** Arbitrary bytes on the line: noise, half a read, a read without suffix. */
  garble(bytes: Buffer | number[] | string): Promise<void> {
    return this.write(typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : Buffer.from(bytes));
  }

  async write(bytes: Buffer): Promise<void> {
    const port = this.port;
    if (!port) throw new Error('simulated scanner is unplugged');
    await new Promise<void>((resolve, reject) => {
      port.write(bytes, (err) => (err ? reject(err) : port.drain((e) => (e ? reject(e) : resolve()))));
    });
    this.bytesWritten += bytes.length;
  }

  /** Pulls the cable: both ends of the pty pair disappear; the driver's port closes with a disconnect. */
  async unplug(): Promise<void> {
    const port = this.port;
    this.port = null;
    if (port?.isOpen) await new Promise<void>((resolve) => port.close(() => resolve()));
    await this.pair.unplug();
  }

  async replug(): Promise<void> {
    await this.pair.replug();
    await this.openDeviceEnd();
  }

  async close(): Promise<void> {
    await this.unplug();
    await this.pair.close();
  }

  private async openDeviceEnd(): Promise<void> {
    const port = new SerialPort({ path: this.pair.devicePath, baudRate: 9600, autoOpen: false, lock: false });
    await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
    port.on('error', () => undefined); // the pair vanishing under us is expected
    this.port = port;
  }
}
