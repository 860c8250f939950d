import type { Clock, TimerHandle } from '../../kernel/clock';

/**
 * The USB side of the simulated printer: a bulk-OUT/bulk-IN handle in place of libusb, with the shapes the USB
 * printer transport takes declared here (structural typing lets the driver accept them; the simulator imports no
 * driver code). Errors carry libusb's conditions as a `code`: NOT_FOUND (no such device), BUSY (interface claimed
 * elsewhere), NO_DEVICE (gone while open), IO, TIMEOUT.
 */

/** What an opened USB printer reports about itself. */
export interface SimUsbIdentity {
  serialNumber?: string;
  /** USB bus-port path such as `usb:1-1.4`. */
  path?: string;
  vendor?: string;
  model?: string;
  /** `vid:pid` in hex. */
  usbId?: string;
}

/** A handle on one USB printer: open, claim interface 0, bulk OUT, bulk IN with a timeout. */
export interface SimUsbBulkLink {
  open(): Promise<SimUsbIdentity>;
  claim(): Promise<void>;
  release(): Promise<void>;
  close(): Promise<void>;
  transferOut(data: Uint8Array): Promise<void>;
  /** Up to `maxLength` bytes, or empty when nothing came within `timeoutMs`. */
  transferIn(maxLength: number, timeoutMs: number): Promise<Uint8Array>;
}

export type SimUsbErrorCode = 'NOT_FOUND' | 'BUSY' | 'ACCESS' | 'NO_DEVICE' | 'IO' | 'TIMEOUT';

export class SimUsbLinkError extends Error {
  constructor(
    readonly code: SimUsbErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'UsbLinkError';
  }
}

/** The printer's bulk IN endpoint: status replies queue here until the host reads them. */
export class BulkInEndpoint {
  /** Reads that come back empty before each reply (USB printers do this). */
  emptyBeforeReply: number;
  private queued: number[] = [];
  private emptyPending = 0;
  private readonly waiters = new Set<() => void>();

  constructor(
    private readonly clock: Clock,
    emptyBeforeReply: number,
  ) {
    this.emptyBeforeReply = emptyBeforeReply;
  }

  push(bytes: Uint8Array): void {
    this.queued.push(...bytes);
    this.emptyPending = this.emptyBeforeReply;
    this.wake();
  }

  /** The device went away: nothing queued survives, every read in progress returns. */
  reset(): void {
    this.queued = [];
    this.wake();
  }

  async read(maxLength: number, timeoutMs: number, alive: () => boolean): Promise<Uint8Array> {
    const now = this.take(maxLength);
    if (now) return now;
    await new Promise<void>((resolve) => {
      let timer: TimerHandle | null = null;
      const done = () => {
        this.waiters.delete(done);
        if (timer) this.clock.clearTimeout(timer);
        resolve();
      };
      this.waiters.add(done);
      timer = this.clock.setTimeout(done, timeoutMs);
    });
    if (!alive()) throw new SimUsbLinkError('NO_DEVICE', 'device disconnected during bulk IN');
    return this.take(maxLength) ?? new Uint8Array(0);
  }

  private take(maxLength: number): Uint8Array | null {
    if (this.queued.length === 0) return null;
    if (this.emptyPending > 0) {
      this.emptyPending--;
      return new Uint8Array(0);
    }
    return Uint8Array.from(this.queued.splice(0, maxLength));
  }

  private wake(): void {
    for (const w of [...this.waiters]) w();
  }
}

/** What a handle needs of the printer it is attached to. */
export interface UsbPrinterSide {
  readonly connected: boolean;
  /** Bumped on every disconnect: handles opened before are dead. */
  readonly generation: number;
  usbClaimedBy: object | null;
  readonly bulkIn: BulkInEndpoint;
  identity(): SimUsbIdentity;
  receive(bytes: Uint8Array): void;
}

export class SimUsbLink implements SimUsbBulkLink {
  private generation = -1;
  private claimed = false;

  constructor(private readonly printer: UsbPrinterSide) {}

  private alive = (): boolean => this.generation === this.printer.generation && this.printer.connected;

  async open(): Promise<SimUsbIdentity> {
    if (!this.printer.connected) throw new SimUsbLinkError('NOT_FOUND', 'simulated USB printer is not attached');
    this.generation = this.printer.generation;
    this.claimed = false;
    return this.printer.identity();
  }

  async claim(): Promise<void> {
    if (!this.alive()) throw new SimUsbLinkError('NO_DEVICE', 'device not open');
    if (this.printer.usbClaimedBy && this.printer.usbClaimedBy !== this) throw new SimUsbLinkError('BUSY', 'interface 0 is claimed by another handle');
    this.printer.usbClaimedBy = this;
    this.claimed = true;
  }

  async release(): Promise<void> {
    if (this.printer.usbClaimedBy === this) this.printer.usbClaimedBy = null;
    this.claimed = false;
  }

  async close(): Promise<void> {
    await this.release();
    this.generation = -1;
  }

  async transferOut(data: Uint8Array): Promise<void> {
    this.check();
    this.printer.receive(data);
    if (!this.alive()) throw new SimUsbLinkError('NO_DEVICE', 'device disconnected during bulk OUT');
  }

  async transferIn(maxLength: number, timeoutMs: number): Promise<Uint8Array> {
    this.check();
    return this.printer.bulkIn.read(maxLength, timeoutMs, this.alive);
  }

  private check(): void {
    if (!this.alive()) throw new SimUsbLinkError('NO_DEVICE', 'no such device (it may have been disconnected)');
    if (!this.claimed || this.printer.usbClaimedBy !== this) throw new SimUsbLinkError('IO', 'interface not claimed');
  }
}
