import { EventEmitter } from 'node:events';
import type { Clock, TimerHandle } from '../../kernel/clock';
import { KioskError } from '../../kernel/errors';
import { FramedLink, type LinkStats } from './framed-link';
import type { TransportEvents, ZvtTransport } from './transport';
import { OS_SERIAL_ACCESS, createSerialPort, type SerialAccess, type SerialPortLike } from '../common/serial-access';

export interface SerialTransportOptions {
  path: string;
  clock: Clock;
  /** ZVT serial defaults: 9600 baud, 8 data bits, no parity, 2 stop bits. */
  baudRate?: number;
  stopBits?: 1 | 2;
  /** T3 (ACK wait) in ms. Default 5000. */
  ackTimeoutMs?: number;
  /** Repeats of a frame on NAK / T3. Default 2 (PA00P016: at most 2 repeats). */
  maxRetries?: number;
  /**
   * How often the port path is checked. A USB-serial adapter (or a pty pair) that vanishes is not reported by a
   * read on Linux until something is written; the path check notices it within this interval. Default 500 ms.
   */
  watchIntervalMs?: number;
  /** Exclusive access (TIOCEXCL + flock). Default true. */
  lock?: boolean;
  /** How the port is reached: the OS (default) or a simulated cable's binding. */
  serial?: SerialAccess;
}

/** ZVT over a serial line: DLE/STX framing, CRC, ACK/NAK with retransmission (see FramedLink). */
export class SerialTransport extends EventEmitter<TransportEvents> implements ZvtTransport {
  readonly kind = 'serial' as const;
  readonly target: string;
  private port: SerialPortLike | null = null;
  private link: FramedLink | null = null;
  private watch: TimerHandle | null = null;
  private _connected = false;
  private generation = 0;
  private readonly access: SerialAccess;

  constructor(private readonly opts: SerialTransportOptions) {
    super();
    this.access = opts.serial ?? OS_SERIAL_ACCESS;
    this.target = opts.path;
  }

  get connected(): boolean {
    return this._connected;
  }

  /** Link-level counters of the current connection (retransmissions, NAKs). */
  get linkStats(): LinkStats | null {
    return this.link?.stats ?? null;
  }

  connect(timeoutMs: number): Promise<void> {
    if (this._connected) return Promise.resolve();
    const gen = ++this.generation;
    const { clock } = this.opts;
    return new Promise<void>((resolve, reject) => {
      let settled = false;
      const port = createSerialPort(this.access, {
        path: this.opts.path,
        baudRate: this.opts.baudRate ?? 9600,
        dataBits: 8,
        parity: 'none',
        stopBits: this.opts.stopBits ?? 2,
        lock: this.opts.lock ?? true,
      });
      const timer = clock.setTimeout(() => {
        if (settled) return;
        settled = true;
        if (port.isOpen) port.close(() => undefined);
        reject(new KioskError('TIMEOUT', `serial port ${this.opts.path} did not open within ${timeoutMs} ms`, { path: this.opts.path }));
      }, timeoutMs);
      port.open((err) => {
        if (settled) {
          if (!err) port.close(() => undefined);
          return;
        }
        settled = true;
        clock.clearTimeout(timer);
        if (err) {
          const busy = /lock|temporarily unavailable|EBUSY|EAGAIN/i.test(err.message);
          reject(new KioskError(busy ? 'DEVICE_BUSY' : 'DEVICE_OFFLINE', `cannot open ${this.opts.path}: ${err.message}`, { path: this.opts.path }));
          return;
        }
        if (gen !== this.generation) {
          port.close(() => undefined);
          reject(new KioskError('DEVICE_OFFLINE', 'connect cancelled'));
          return;
        }
        this.attach(port, gen);
        resolve();
      });
    });
  }

  private attach(port: SerialPortLike, gen: number): void {
    this.port = port;
    const link = new FramedLink(
      (bytes) => {
        port.write(Buffer.from(bytes), (err) => {
          if (err) this.lost(gen, `write failed: ${err.message}`);
        });
      },
      { clock: this.opts.clock, ackTimeoutMs: this.opts.ackTimeoutMs, maxRetries: this.opts.maxRetries },
    );
    link.on('apdu', (a) => this.emit('apdu', a));
    link.on('error', (e) => {
      if (this.listenerCount('error') > 0) this.emit('error', e);
    });
    this.link = link;
    port.on('data', (d: Buffer) => link.receive(d));
    port.on('error', (e: Error) => this.lost(gen, e.message));
    port.on('close', () => this.lost(gen, 'port closed'));
    this._connected = true;
    this.scheduleWatch(gen);
  }

  private scheduleWatch(gen: number): void {
    const interval = this.opts.watchIntervalMs ?? 500;
    this.watch = this.opts.clock.setTimeout(() => {
      this.watch = null;
      if (gen !== this.generation || !this._connected) return;
      if (!this.access.existsSync(this.opts.path)) this.lost(gen, `${this.opts.path} vanished`);
      else this.scheduleWatch(gen);
    }, interval);
  }

  private lost(gen: number, why: string): void {
    if (gen !== this.generation || !this._connected) return;
    const err = new KioskError('DEVICE_OFFLINE', `serial line to the terminal lost: ${why}`, { path: this.opts.path });
    const port = this.teardown(err);
    if (port?.isOpen) port.close(() => undefined);
    this.emit('close', err);
  }

  private teardown(err: KioskError): SerialPortLike | null {
    this.generation++;
    this._connected = false;
    if (this.watch) this.opts.clock.clearTimeout(this.watch);
    this.watch = null;
    this.link?.close(err);
    this.link = null;
    const port = this.port;
    this.port = null;
    if (port) {
      port.removeAllListeners('data');
      port.removeAllListeners('close');
      port.removeAllListeners('error');
      port.on('error', () => undefined);
    }
    return port;
  }

  send(apdu: Uint8Array): Promise<void> {
    if (!this._connected || !this.link) return Promise.reject(new KioskError('DEVICE_OFFLINE', `serial line ${this.opts.path} is not connected`));
    return this.link.send(apdu);
  }

  async close(): Promise<void> {
    const port = this.teardown(new KioskError('DEVICE_OFFLINE', 'serial transport closed'));
    if (!port?.isOpen) return;
    // the last ACK (06) written for the terminal's last frame leaves before the port closes
    await new Promise<void>((r) => port.drain(() => r()));
    await new Promise<void>((r) => port.close(() => r()));
  }
}
