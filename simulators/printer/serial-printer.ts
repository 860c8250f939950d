import type { SerialPortStream } from '@serialport/stream';
import { OS_CABLE_ACCESS } from '../os-serial-access';
import { openCablePort, type CableAccess } from '../serial-cable';
import type { PrinterSimulator } from './printer-simulator';

/**
 * Puts a `PrinterSimulator` on the device end of a serial line (a `PtyPair`'s `devicePath`, opened with
 * serialport like a real printer's UART; or an `InProcessLink`'s, given its `access`).
 *
 * When the line goes away (`PtyPair.unplug()`) the port does not reliably see it — a pty whose master died often
 * raises no close event — so a watchdog also checks every 25 ms that the path still exists; once the port is
 * known dead it reopens the path by itself when it comes back. A replug faster than the watchdog can leave it on
 * the dead pty, so test code that replugs calls `reopen()` (real time, not the injected clock: this is the far
 * side of the cable).
 */
export class SerialPrinterSimulator {
  private port: SerialPortStream | null = null;
  private closed = false;
  private reopenTimer: NodeJS.Timeout | null = null;
  private readonly watchdog: NodeJS.Timeout;
  private readonly offReply: () => void;
  private attachedWaiters: (() => void)[] = [];

  private constructor(
    readonly sim: PrinterSimulator,
    readonly devicePath: string,
    private readonly baudRate: number,
    private readonly access: CableAccess,
  ) {
    this.offReply = sim.onReply((b) => {
      const p = this.port;
      if (p?.isOpen) p.write(Buffer.from(b), () => undefined);
    });
    this.watchdog = setInterval(() => {
      if (this.port && !this.access.existsSync(this.devicePath)) this.lost(this.port);
    }, 25);
    this.watchdog.unref();
  }

  /** `access`: how the line is opened — the OS (a pty, the default) or an in-process link. */
  static async attach(sim: PrinterSimulator, devicePath: string, opts: { baudRate?: number; access?: CableAccess } = {}): Promise<SerialPrinterSimulator> {
    const s = new SerialPrinterSimulator(sim, devicePath, opts.baudRate ?? 9600, opts.access ?? OS_CABLE_ACCESS);
    await s.openPort();
    return s;
  }

  get attached(): boolean {
    return this.port?.isOpen ?? false;
  }

  /** Resolves once the port is open (again); rejects after `timeoutMs`. */
  whenAttached(timeoutMs = 5000): Promise<void> {
    if (this.attached) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${this.devicePath} was not reattached within ${timeoutMs} ms`)), timeoutMs);
      timer.unref();
      this.attachedWaiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /** Drops the current port (dead or not) and opens the path again, waiting for it to exist. */
  async reopen(timeoutMs = 5000): Promise<void> {
    if (this.port) this.lost(this.port);
    else this.scheduleReopen();
    await this.whenAttached(timeoutMs);
  }

  private async openPort(): Promise<void> {
    const port = await openCablePort(this.access, { path: this.devicePath, baudRate: this.baudRate, lock: false });
    if (this.closed || this.port) {
      port.close(() => undefined);
      return;
    }
    this.port = port;
    port.on('data', (d: Buffer) => {
      if (this.port === port) this.sim.receive(new Uint8Array(d));
    });
    port.on('close', () => this.lost(port));
    port.on('error', () => this.lost(port));
    const waiters = this.attachedWaiters;
    this.attachedWaiters = [];
    for (const w of waiters) w();
  }

  private lost(port: SerialPortStream): void {
    if (this.port !== port) return;
    this.port = null;
    if (port.isOpen) port.close(() => undefined);
    this.scheduleReopen();
  }

  private scheduleReopen(): void {
    if (this.closed || this.reopenTimer) return;
    this.reopenTimer = setTimeout(() => {
      this.reopenTimer = null;
      if (this.closed || this.port) return;
      if (!this.access.existsSync(this.devicePath)) return this.scheduleReopen();
      this.openPort().catch(() => this.scheduleReopen());
    }, 20);
    this.reopenTimer.unref();
  }

  async close(): Promise<void> {
    this.closed = true;
    this.offReply();
    clearInterval(this.watchdog);
    if (this.reopenTimer) clearTimeout(this.reopenTimer);
    this.reopenTimer = null;
    const p = this.port;
    this.port = null;
    if (p?.isOpen) await new Promise<void>((resolve) => p.close(() => resolve()));
  }
}
