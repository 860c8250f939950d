import * as iconv from 'iconv-lite';
import { DeviceEnd } from '../device-end';
import type { CableAccess, CableMaker } from '../serial-cable';

/**
 * A serial barcode scanner on the device end of a simulated serial cable (a real pty pair, or an in-process link). The driver under test opens `hostPath` with
 * serialport exactly as it would open /dev/ttyACM0; the simulator writes what a scanner writes.
 *
 * Control surface: `scan(code, { aim, suffix })`, `garble(bytes)` (line noise, partial reads), `unplug()` /
 * `replug()` (the cable: both pty ends vanish and come back under the same path).
 */
export interface SerialScannerSimOptions {
  /** Name of the pty pair links. */
  name?: string;
  /** The cable it sits on: a socat pty pair (default) or an in-process link (`inProcessCable`). */
  cable?: CableMaker;
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
  /** Bytes handed to the pty since creation. */
  bytesWritten = 0;
  private constructor(
    private readonly end: DeviceEnd,
    private readonly opts: SerialScannerSimOptions,
  ) {}

  static async create(opts: SerialScannerSimOptions = {}): Promise<SerialScannerSimulator> {
    return new SerialScannerSimulator(await DeviceEnd.create(opts.name ?? 'scanner', undefined, opts.cable), opts);
  }

  /** The path the driver opens. */
  get hostPath(): string {
    return this.end.hostPath;
  }

  /** How the driver reaches `hostPath`: the OS for a pty pair, the link itself for an in-process link. */
  get hostAccess(): CableAccess {
    return this.end.cable.access;
  }

  get plugged(): boolean {
    return this.end.plugged;
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
    await this.end.write(bytes);
    this.bytesWritten += bytes.length;
  }

  /** Pulls the cable: both ends of the pty pair disappear; the driver's port closes with a disconnect. */
  unplug(): Promise<void> {
    return this.end.unplug();
  }

  replug(): Promise<void> {
    return this.end.replug();
  }

  close(): Promise<void> {
    return this.end.close();
  }
}
