import type { DeviceInfo, HealthLevel } from '../contract/device';
import type { CustomerDisplay } from '../contract/display';
import { KioskError, assert } from '../../kernel/errors';
import { ConnectedDevice, type ConnectionOptions, type HealthOptions, type HealthOutcome } from '../common/connected-device';
import { OS_SERIAL_ACCESS, closeSerialPort, openSerialPort, writeAndDrain, type SerialAccess, type SerialLineOptions, type SerialPortLike } from '../common/serial-port';
import { CMD, CODE_PAGES, encodeFrame, encodeInit, encodeLine, type CodePageName } from './pole-protocol';

export interface PoleDisplayOptions extends ConnectionOptions, SerialLineOptions {
  /** The port, e.g. /dev/ttyUSB1 or a /dev/serial/by-id/… link. */
  path: string;
  /** Default 20. */
  columns?: number;
  /** Default 2. */
  rows?: number;
  /** Code table the text is sent in (selected with ESC t at init). Default `pc858` (PC850 with €). */
  codePage?: CodePageName;
  /** Chinese-capable display: GB18030 double-byte mode (FS &), CJK characters take two columns. Default false. */
  gb18030?: boolean;
  /** Send ESC = 2 first (display behind a printer's pass-through port). Default true; harmless standalone. */
  selectPeripheral?: boolean;
  /** A write not drained within this time rejects with TIMEOUT. Default 2000 ms. */
  writeTimeoutMs?: number;
  serialNumber?: string;
  vendor?: string;
  model?: string;
  /** How the port is reached: the OS (default) or a simulated cable's binding. */
  serial?: SerialAccess;
}

/**
 * A 2×20 serial pole display speaking the ESC/POS customer display command set (`CustomerDisplay`).
 *
 * - `claim()` opens the port exclusively and initialises the display (`encodeInit`); `show()`/`clear()` need the
 *   display enabled and online, and resolve once the bytes are drained to the port.
 * - Each `show()` addresses every row with `US $ 1 y` and writes it full width (padded): no clear, no flicker, and
 *   a garbled frame heals with the next one. Text is truncated at the right edge, never wrapped; characters the
 *   code page lacks become '?'. Lines beyond `rows` are ignored.
 * - Pole displays never answer, so the port being open and writes draining is all "online" can mean. A lost port
 *   (cable pulled) goes offline after the debounce, reconnects with backoff, and is re-initialised and redrawn with
 *   the last lines shown — a display that lost power shows the right text again.
 */
export class PoleDisplay extends ConnectedDevice implements CustomerDisplay {
  readonly info: DeviceInfo;
  readonly columns: number;
  readonly rows: number;
  private readonly opts: PoleDisplayOptions;
  private readonly codePage: CodePageName;
  private readonly gb18030: boolean;
  private port: SerialPortLike | null = null;
  private readonly access: SerialAccess;
  /** What the display should show (restored after a reconnect). */
  private current: string[] = [];
  private writes: Promise<unknown> = Promise.resolve();
  private sent = 0;
  private rdev: number | null = null;

  constructor(opts: PoleDisplayOptions) {
    super(opts);
    this.opts = opts;
    this.access = opts.serial ?? OS_SERIAL_ACCESS;
    this.columns = opts.columns ?? 20;
    this.rows = opts.rows ?? 2;
    this.codePage = opts.codePage ?? 'pc858';
    this.gb18030 = opts.gb18030 ?? false;
    if (!CODE_PAGES[this.codePage]) throw new KioskError('CONFIG_INVALID', `unknown display code page "${this.codePage}"`, { codePage: this.codePage });
    if (!Number.isInteger(this.columns) || this.columns < 1 || this.columns > 255 || !Number.isInteger(this.rows) || this.rows < 1 || this.rows > 255) {
      throw new KioskError('CONFIG_INVALID', `display size ${this.columns}×${this.rows} is not valid`);
    }
    this.info = {
      id: opts.serialNumber ?? opts.path,
      deviceClass: 'display',
      driver: 'pole-display',
      path: opts.path,
      ...(opts.serialNumber !== undefined && { serialNumber: opts.serialNumber }),
      ...(opts.vendor !== undefined && { vendor: opts.vendor }),
      ...(opts.model !== undefined && { model: opts.model }),
    };
  }

  /** Bytes drained to the port since construction (diagnostics; tests use it to know the line is drained). */
  get bytesSent(): number {
    return this.sent;
  }

  /** The lines last shown (what the display shows while online). */
  currentLines(): string[] {
    return [...this.current];
  }

  async show(lines: string[]): Promise<void> {
    this.requireReady('show()');
    const frame = encodeFrame(lines, this.frameOptions());
    await this.send(frame.bytes);
    this.current = frame.lines.map((l) => l.text);
  }

  async clear(): Promise<void> {
    this.requireReady('clear()');
    await this.send(CMD.clear());
    this.current = [];
  }

  private frameOptions() {
    return { columns: this.columns, rows: this.rows, codePage: this.codePage, gb18030: this.gb18030 };
  }

  /** Writes are queued so frames never interleave; a port lost meanwhile rejects with DEVICE_OFFLINE. */
  private send(bytes: Buffer): Promise<void> {
    const run = this.writes.then(() => this.write(bytes));
    this.writes = run.catch(() => undefined);
    return run;
  }

  private async write(bytes: Buffer): Promise<void> {
    const port = this.port;
    if (!port || !port.isOpen) throw new KioskError('DEVICE_OFFLINE', `${this.info.id}: display offline`);
    try {
      await writeAndDrain(port, bytes, this.opts.writeTimeoutMs ?? 2000, (fn, ms) => {
        const t = this.clock.setTimeout(fn, ms);
        return () => this.clock.clearTimeout(t);
      });
      this.sent += bytes.length;
    } catch (e) {
      if (this.port !== port || !port.isOpen) throw new KioskError('DEVICE_OFFLINE', `${this.info.id}: display lost during write`);
      throw e;
    }
  }

  protected async probe(): Promise<void> {
    if (!(await this.access.pathExists(this.opts.path))) throw new KioskError('DEVICE_OFFLINE', `display port ${this.opts.path} is not there`, { path: this.opts.path });
  }

  protected async connect(): Promise<void> {
    assert(this.port === null, 'pole display connects twice');
    const port = await openSerialPort(this.opts.path, this.opts, true, this.access);
    this.rdev = await this.access.deviceNumber(this.opts.path);
    this.port = port;
    // displays send nothing, but reading keeps the poller on the line: that is how a pulled cable is noticed
    port.on('data', () => undefined);
    port.on('close', (err: Error | null) => {
      if (this.port !== port) return;
      this.port = null;
      this.connectionLost(err?.message ?? 'port closed');
    });
    port.on('error', (err: Error) => {
      if (this.port !== port || port.isOpen) return;
      this.port = null;
      this.connectionLost(err.message);
    });
    port.on('end', () => {
      if (this.port !== port) return;
      this.port = null;
      void closeSerialPort(port);
      this.connectionLost('end of stream (hang-up)');
    });
    const init = encodeInit({ codePage: this.codePage, gb18030: this.gb18030, selectPeripheral: this.opts.selectPeripheral ?? true });
    const redraw = this.current.length > 0 ? encodeFrame(this.current, this.frameOptions()).bytes : Buffer.alloc(0);
    await this.write(Buffer.concat([init, redraw]));
  }

  protected async disconnect(): Promise<void> {
    const port = this.port;
    this.port = null;
    await closeSerialPort(port);
  }

  /** The port's device node is still there and is still the one we opened. */
  protected override async stillPresent(): Promise<boolean> {
    const now = await this.access.deviceNumber(this.opts.path);
    return now !== null && now === this.rdev;
  }

  protected async health(level: HealthLevel, opts: HealthOptions): Promise<HealthOutcome> {
    if (level === 'internal') {
      const sample = encodeLine('Total € 12,34 ÆØÅ 漢 overflowing text', this.columns, { codePage: this.codePage, gb18030: this.gb18030 });
      if (sample.bytes.length < this.columns || sample.truncated === 0) throw new KioskError('PROTOCOL', 'display encoder self-test failed');
      return { ok: true, reason: `encoder ok (${this.columns}×${this.rows}, ${this.gb18030 ? 'GB18030' : this.codePage})` };
    }
    if (this.lifecycle === 'closed' || this.lifecycle === 'opened') return { ok: false, reason: 'display not claimed', code: 'DEVICE_STATE' };
    if (!this.isConnected) return { ok: false, reason: `display offline (${this.status().detail ?? 'connection lost'})`, code: 'DEVICE_OFFLINE' };
    if (level === 'external') {
      // harmless round trip: the display never answers, so a drained no-op command is what we can check
      await this.send(CMD.cursor(false));
      return { ok: true, reason: `${this.opts.path} open, writes drain` };
    }
    if (!opts.prompt) return { ok: false, reason: 'the interactive check needs a prompt to ask a person' };
    const test = ['DISPLAY TEST 1234567', 'ABCDEFGHIJKLMNOPQRST'];
    const before = this.current;
    await this.send(encodeFrame(test, this.frameOptions()).bytes);
    try {
      const ok = await opts.prompt(`Does the customer display read "${test[0]}" / "${test[1]}"?`);
      return ok ? { ok: true, reason: 'confirmed by a person' } : { ok: false, reason: 'a person saw something else' };
    } finally {
      await this.send(encodeFrame(before, this.frameOptions()).bytes).catch(() => undefined);
    }
  }
}
