import type { DeviceInfo } from '../contract/device';
import { assert } from '../../kernel/errors';
import { ScannerBase, type ScannerBaseOptions } from './scanner-base';
import { SerialFramer, SerialReadDecoder, type FramedRead, type SerialFramerOptions } from './serial-framer';
import { OS_SERIAL_ACCESS, closeSerialPort, flushInput, openSerialPort, type SerialAccess, type SerialLineOptions, type SerialPortLike } from '../common/serial-port';
import { KioskError } from '../../kernel/errors';
import type { TimerHandle } from '../../kernel/clock';
import { protocolError } from './read-text';

/** Suffix `'none'`: the idle gap that ends a read. */
export const DEFAULT_IDLE_MS = 50;

export interface SerialScannerOptions extends ScannerBaseOptions, SerialLineOptions {
  /** The port, e.g. /dev/ttyACM0 or better a stable /dev/serial/by-id/… link. */
  path: string;
  /** Framing: suffix, max read length, encoding (see SerialFramer). */
  framer?: Omit<SerialFramerOptions, 'now'>;
  /**
   * Suffix `'none'` only: a read ends when no byte has arrived for this many ms (injected clock). Default 50: a
   * scanner sends a read as one burst, and re-reads come hundreds of ms apart.
   */
  idleMs?: number;
  /** USB serial number of the scanner, when known: preferred as `info.id`. */
  serialNumber?: string;
  vendor?: string;
  model?: string;
  /** How the port is reached: the OS (default) or a simulated cable's binding. */
  serial?: SerialAccess;
}

/**
 * A barcode scanner on a serial port (RS-232, or USB in CDC-ACM "USB serial" mode): `BarcodeScanner` over
 * serialport + `SerialFramer`.
 *
 * - `open()` checks the port exists; `claim()` opens it with an exclusive lock (`DEVICE_BUSY` when another process
 *   holds it) and discards input received before; `enable()` starts `data` events.
 * - Bytes arriving while not enabled are framed and dropped, so a read is never delivered half.
 * - When the port disappears (cable pulled) the half-received read is dropped (a `PROTOCOL` error says so),
 *   `status` goes offline after the debounce, and the port is reopened with backoff (`ConnectedDevice`).
 */
export class SerialScanner extends ScannerBase {
  readonly info: DeviceInfo;
  private readonly opts: SerialScannerOptions;
  private port: SerialPortLike | null = null;
  private readonly access: SerialAccess;
  private framer: SerialFramer;
  private received = 0;
  /** Device number of the port when it was opened (see `stillPresent`). */
  private rdev: number | null = null;
  /** Suffix `'none'`: ends the read in progress when the line has been quiet for `idleMs`. */
  private idleTimer: TimerHandle | null = null;
  private readonly idleMs: number;

  constructor(opts: SerialScannerOptions) {
    super(opts);
    this.opts = opts;
    this.access = opts.serial ?? OS_SERIAL_ACCESS;
    this.info = {
      id: opts.serialNumber ?? opts.path,
      deviceClass: 'scanner',
      driver: 'serial-scanner',
      path: opts.path,
      ...(opts.serialNumber !== undefined && { serialNumber: opts.serialNumber }),
      ...(opts.vendor !== undefined && { vendor: opts.vendor }),
      ...(opts.model !== undefined && { model: opts.model }),
    };
    this.framer = this.makeFramer();
    this.idleMs = opts.idleMs ?? DEFAULT_IDLE_MS;
    if (!Number.isFinite(this.idleMs) || this.idleMs <= 0) throw new KioskError('CONFIG_INVALID', 'scanner idleMs must be a positive number', { idleMs: opts.idleMs });
  }

  /** Bytes received from the port since construction (diagnostics; tests use it to know the line is drained). */
  get bytesReceived(): number {
    return this.received;
  }

  private makeFramer(): SerialFramer {
    const framer = new SerialFramer({ ...this.opts.framer, now: () => this.clock.now() });
    framer.on('data', (read: FramedRead) => this.deliver(read.raw, read.at, 'serial'));
    framer.on('protocolError', (e: KioskError) => this.reportError(e));
    return framer;
  }

  protected async probe(): Promise<void> {
    if (!(await this.access.pathExists(this.opts.path))) throw new KioskError('DEVICE_OFFLINE', `scanner port ${this.opts.path} is not there`, { path: this.opts.path });
  }

  protected async connect(reconnect: boolean): Promise<void> {
    assert(this.port === null, 'serial scanner connects twice');
    const port = await openSerialPort(this.opts.path, this.opts, true, this.access);
    this.rdev = await this.access.deviceNumber(this.opts.path);
    if (!reconnect) await flushInput(port);
    this.framer.reset();
    this.port = port;
    port.on('data', (chunk: Buffer) => {
      if (this.port !== port) return;
      this.received += chunk.length;
      this.framer.write(chunk);
      if (this.framer.decoder.suffix === 'none') this.armIdle();
    });
    port.on('close', (err: (Error & { disconnected?: boolean }) | null) => {
      if (this.port !== port) return;
      this.port = null;
      this.dropPartial('the port closed');
      this.connectionLost(err?.message ?? 'port closed');
    });
    port.on('error', (err: Error) => {
      if (this.port !== port || port.isOpen) return;
      this.port = null;
      this.dropPartial('the port failed');
      this.connectionLost(err.message);
    });
    // a hung-up tty may read as end of file instead of an error
    port.on('end', () => {
      if (this.port !== port) return;
      this.port = null;
      this.dropPartial('the port hung up');
      void closeSerialPort(port);
      this.connectionLost('end of stream (hang-up)');
    });
  }

  /** The port's device node is still there and is still the one we opened. */
  protected override async stillPresent(): Promise<boolean> {
    const now = await this.access.deviceNumber(this.opts.path);
    return now !== null && now === this.rdev;
  }

  protected async disconnect(): Promise<void> {
    const port = this.port;
    this.port = null;
    this.clearIdle();
    this.framer.reset();
    await closeSerialPort(port);
  }

  /** (Re)starts the idle timer: the read ends when the line stays quiet for `idleMs`. */
  private armIdle(): void {
    this.clearIdle();
    this.idleTimer = this.clock.setTimeout(() => {
      this.idleTimer = null;
      this.framer.endRead();
    }, this.idleMs);
  }

  private clearIdle(): void {
    if (this.idleTimer) this.clock.clearTimeout(this.idleTimer);
    this.idleTimer = null;
  }

  private dropPartial(why: string): void {
    this.clearIdle();
    const dropped = this.framer.reset();
    if (dropped > 0) this.reportError(protocolError('serial', `${why} inside a read; ${dropped} bytes discarded`, { path: this.opts.path }));
  }

  protected selfTest(): string {
    const decoder = new SerialReadDecoder({ ...this.opts.framer, now: () => 0 });
    const suffix = decoder.suffix === 'auto' ? '\r\n' : decoder.suffix === 'none' ? '' : decoder.suffix;
    const sample = ']E04006381333931';
    const bytes = Buffer.from(`${sample.slice(0, 7)}`, 'latin1');
    const out = [...decoder.feed(bytes), ...decoder.feed(Buffer.from(sample.slice(7) + suffix, 'latin1')), ...decoder.end()];
    const read = out[0];
    if (out.length !== 1 || read instanceof KioskError || read.raw !== sample) {
      throw new KioskError('PROTOCOL', `framer self-test failed: ${JSON.stringify(out)}`);
    }
    const idle = decoder.suffix === 'none' ? `, reads end after ${this.idleMs} ms idle` : '';
    return `framer ok (suffix ${JSON.stringify(decoder.suffix)}${idle}, max ${decoder.maxLength} bytes, ${decoder.encoding})`;
  }

  protected async externalCheck(): Promise<string> {
    const port = this.port;
    if (!port || !port.isOpen) throw new KioskError('DEVICE_OFFLINE', `${this.opts.path} is not open`);
    if (!(await this.access.pathExists(this.opts.path))) throw new KioskError('DEVICE_OFFLINE', `${this.opts.path} disappeared`);
    return `${this.opts.path} open at ${port.baudRate} baud`;
  }
}
