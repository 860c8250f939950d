import type { Clock, TimerHandle } from '../../kernel/clock';
import { KioskError } from '../../kernel/errors';
import { PendingSet, errorMessage, withTimeout } from '../../kernel/async';
import type { PrinterTransport, TransportIdentity } from './transport';
import { OS_SERIAL_ACCESS, createSerialPort, type SerialAccess, type SerialPortLike } from '../common/serial-access';

export interface SerialTransportOptions {
  /** e.g. /dev/ttyUSB0, or a pty's host end in tests. */
  path: string;
  clock: Clock;
  /** Default 9600 (most receipt printers ship at 9600 or 38400; match the printer's DIP switches). */
  baudRate?: number;
  /** Hardware flow control (RTS/CTS), default false. */
  rtscts?: boolean;
  /** Reads per status query, default 1 (a serial read already waits for the byte). */
  statusReadAttempts?: number;
  /** Write + drain, default 30 000 ms (a long receipt at 9600 baud takes seconds). */
  writeTimeoutMs?: number;
  /** How the port is reached: the OS (default) or a simulated cable's binding. */
  serial?: SerialAccess;
}

type State = 'closed' | 'opened' | 'claimed';

/**
 * `PrinterTransport` over a serial port (serialport v13). `claim()` opens the port with an exclusive lock
 * (another holder → `DEVICE_BUSY`); a port that closes or errors underneath us, fails a write, or whose path has
 * gone (a USB-serial adapter pulled) is reported to the disconnect listeners once, and every pending read/write
 * rejects `DEVICE_OFFLINE`.
 */
export class SerialTransport implements PrinterTransport {
  readonly kind = 'serial' as const;
  readonly statusReadAttempts: number;
  private state: State = 'closed';
  private port: SerialPortLike | null = null;
  private lost = false;
  private input: Buffer[] = [];
  private waiter: (() => void) | null = null;
  private readonly listeners = new Set<(e: Error) => void>();
  private readonly pending = new PendingSet();
  private readonly clock: Clock;
  private readonly access: SerialAccess;

  constructor(private readonly opts: SerialTransportOptions) {
    this.clock = opts.clock;
    this.access = opts.serial ?? OS_SERIAL_ACCESS;
    this.statusReadAttempts = opts.statusReadAttempts ?? 1;
  }

  identity(): TransportIdentity {
    return { path: this.opts.path };
  }

  async open(): Promise<void> {
    if (this.state !== 'closed') return;
    if (!this.access.existsSync(this.opts.path)) throw new KioskError('DEVICE_OFFLINE', `serial port ${this.opts.path} does not exist`, { path: this.opts.path });
    this.state = 'opened';
  }

  async claim(): Promise<void> {
    if (this.state === 'claimed') return;
    if (this.state === 'closed') await this.open();
    const port = createSerialPort(this.access, { path: this.opts.path, baudRate: this.opts.baudRate ?? 9600, rtscts: this.opts.rtscts ?? false, lock: true });
    try {
      await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
    } catch (e) {
      const msg = errorMessage(e);
      if (/lock/i.test(msg) || /temporarily unavailable/i.test(msg)) {
        throw new KioskError('DEVICE_BUSY', `serial port ${this.opts.path} is held by another process: ${msg}`, { path: this.opts.path });
      }
      throw new KioskError('DEVICE_OFFLINE', `serial port ${this.opts.path} cannot be opened: ${msg}`, { path: this.opts.path });
    }
    this.port = port;
    this.lost = false;
    this.input = [];
    port.on('data', (d: Buffer) => {
      if (this.port !== port) return;
      this.input.push(d);
      this.wake();
    });
    port.on('close', (err?: Error) => {
      if (this.port === port) this.markLost(new KioskError('DEVICE_OFFLINE', `serial port ${this.opts.path} closed${err ? `: ${err.message}` : ''}`));
    });
    port.on('error', (err: Error) => {
      if (this.port === port) this.markLost(new KioskError('DEVICE_OFFLINE', `serial port ${this.opts.path} error: ${err.message}`));
    });
    this.state = 'claimed';
  }

  async release(): Promise<void> {
    if (this.state !== 'claimed') return;
    this.state = 'opened';
    await this.shut('serial port released');
  }

  async close(): Promise<void> {
    this.state = 'closed';
    await this.shut('serial printer closed');
  }

  async write(data: Uint8Array): Promise<void> {
    const port = this.requirePort();
    const ms = this.opts.writeTimeoutMs ?? 30_000;
    const op = new Promise<void>((resolve, reject) => {
      port.write(Buffer.from(data), (err) => {
        if (err) return reject(err);
        port.drain((e) => (e ? reject(e) : resolve()));
      });
    });
    try {
      await this.pending.track(withTimeout(this.clock, op, ms, () => new KioskError('TIMEOUT', `serial write to ${this.opts.path} did not drain within ${ms} ms (flow control?)`)));
    } catch (e) {
      if (e instanceof KioskError) throw e;
      const err = new KioskError('DEVICE_OFFLINE', `serial write to ${this.opts.path} failed: ${errorMessage(e)}`);
      this.markLost(err);
      throw err;
    }
  }

  async read(timeoutMs: number): Promise<Uint8Array> {
    this.requirePort();
    if (this.input.length === 0) {
      let wake: () => void = () => undefined;
      const arrived = new Promise<void>((resolve) => (wake = resolve));
      this.waiter = wake;
      const timer: TimerHandle = this.clock.setTimeout(wake, timeoutMs);
      // while waiting, notice a port whose path went away (it may never raise 'close')
      let watch: TimerHandle | null = null;
      const check = () => {
        if (!this.access.existsSync(this.opts.path)) this.markLost(new KioskError('DEVICE_OFFLINE', `serial port ${this.opts.path} is gone`, { path: this.opts.path }));
        else watch = this.clock.setTimeout(check, 100);
      };
      watch = this.clock.setTimeout(check, 100);
      try {
        await this.pending.track(arrived);
      } finally {
        this.clock.clearTimeout(timer);
        if (watch) this.clock.clearTimeout(watch);
        this.waiter = null;
      }
    }
    const out = Buffer.concat(this.input);
    this.input = [];
    return new Uint8Array(out);
  }

  discardInput(): void {
    this.input = [];
  }

  onDisconnect(listener: (reason: Error) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = null;
    w?.();
  }

  private requirePort(): SerialPortLike {
    if (this.state !== 'claimed' || this.lost || !this.port) throw new KioskError('DEVICE_OFFLINE', `serial port ${this.opts.path} is not connected`, { path: this.opts.path });
    // a pulled adapter's port does not always raise 'close' (a pty whose other end died never does): check the path
    if (!this.access.existsSync(this.opts.path)) {
      const err = new KioskError('DEVICE_OFFLINE', `serial port ${this.opts.path} is gone`, { path: this.opts.path });
      this.markLost(err);
      throw err;
    }
    return this.port;
  }

  private markLost(err: KioskError): void {
    if (this.lost || !this.port) return;
    this.lost = true;
    this.pending.rejectAll(err);
    const port = this.port;
    this.port = null;
    if (port.isOpen) port.close(() => undefined);
    for (const l of [...this.listeners]) l(err);
  }

  private async shut(why: string): Promise<void> {
    const port = this.port;
    this.port = null;
    this.input = [];
    this.pending.rejectAll(new KioskError('DEVICE_OFFLINE', why));
    if (port?.isOpen) await new Promise<void>((resolve) => port.close(() => resolve()));
  }
}
