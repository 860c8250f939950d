import type { Clock } from '../../kernel/clock';
import { KioskError } from '../../kernel/errors';
import { PendingSet, errorMessage, withTimeout } from '../../kernel/async';
import type { PrinterTransport, TransportIdentity } from './transport';

/**
 * The USB side as the driver sees it: one printer-class interface with a bulk OUT endpoint (data) and a bulk IN
 * endpoint (status replies). `NodeUsbLink` (usb-node-link.ts) implements it with the `usb` package; the printer
 * simulator implements it in memory, so the whole driver runs in tests without hardware.
 */
export interface UsbBulkLink {
  /** Finds and opens the device; resolves with what it knows about it (serial number, bus-port path). */
  open(): Promise<TransportIdentity>;
  /** Claims the printer interface (detaching a kernel driver such as usblp first). */
  claim(): Promise<void>;
  release(): Promise<void>;
  close(): Promise<void>;
  /** Bulk OUT transfer of all of `data`. */
  transferOut(data: Uint8Array): Promise<void>;
  /** One bulk IN transfer: up to `maxLength` bytes, or empty when nothing came within `timeoutMs`. */
  transferIn(maxLength: number, timeoutMs: number): Promise<Uint8Array>;
}

export type UsbLinkErrorCode = 'NOT_FOUND' | 'BUSY' | 'ACCESS' | 'NO_DEVICE' | 'IO' | 'TIMEOUT';

/** What a `UsbBulkLink` rejects with (NodeUsbLink maps libusb's errors to these). */
export class UsbLinkError extends Error {
  constructor(
    readonly code: UsbLinkErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'UsbLinkError';
  }
}

const LINK_ERROR_CODES: ReadonlySet<string> = new Set<UsbLinkErrorCode>(['NOT_FOUND', 'BUSY', 'ACCESS', 'NO_DEVICE', 'IO', 'TIMEOUT']);

/**
 * The link error code of `e`, recognised by shape (an Error whose `code` is one of `UsbLinkErrorCode`), not by class:
 * a link written independently of this module (the printer simulator) need not share the `UsbLinkError` class.
 */
export function usbLinkErrorCode(e: unknown): UsbLinkErrorCode | null {
  const code: unknown = e instanceof Error ? (e as { code?: unknown }).code : undefined;
  return typeof code === 'string' && LINK_ERROR_CODES.has(code) ? (code as UsbLinkErrorCode) : null;
}

export interface UsbTransportOptions {
  clock: Clock;
  /** Reads per status query, default 5 (as Odoo's IoT box: USB printers often answer a read or two late). */
  statusReadAttempts?: number;
  /** Bytes per bulk OUT transfer, default 4096. */
  chunkSize?: number;
  /** Per bulk OUT transfer, default 10 000 ms. */
  writeTimeoutMs?: number;
}

type State = 'closed' | 'opened' | 'claimed';

/** `PrinterTransport` over a `UsbBulkLink`. */
export class UsbTransport implements PrinterTransport {
  readonly kind = 'usb' as const;
  readonly statusReadAttempts: number;
  private state: State = 'closed';
  private lost = false;
  private ident: TransportIdentity = {};
  private readonly listeners = new Set<(e: Error) => void>();
  private readonly pending = new PendingSet();
  private readonly clock: Clock;
  private readonly chunkSize: number;
  private readonly writeTimeoutMs: number;

  constructor(
    private readonly link: UsbBulkLink,
    opts: UsbTransportOptions,
  ) {
    this.clock = opts.clock;
    this.statusReadAttempts = opts.statusReadAttempts ?? 5;
    this.chunkSize = opts.chunkSize ?? 4096;
    this.writeTimeoutMs = opts.writeTimeoutMs ?? 10_000;
  }

  identity(): TransportIdentity {
    return { ...this.ident };
  }

  async open(): Promise<void> {
    if (this.state !== 'closed') return;
    try {
      this.ident = await this.link.open();
    } catch (e) {
      throw this.mapOpenError(e, 'open');
    }
    this.state = 'opened';
    this.lost = false;
  }

  async claim(): Promise<void> {
    if (this.state === 'claimed') return;
    if (this.state === 'closed') await this.open();
    try {
      await this.link.claim();
    } catch (e) {
      throw this.mapOpenError(e, 'claim');
    }
    this.state = 'claimed';
    this.lost = false;
  }

  async release(): Promise<void> {
    if (this.state !== 'claimed') return;
    this.state = 'opened';
    this.pending.rejectAll(new KioskError('DEVICE_OFFLINE', 'USB interface released'));
    await this.link.release().catch(() => undefined);
  }

  async close(): Promise<void> {
    const was = this.state;
    this.state = 'closed';
    this.pending.rejectAll(new KioskError('DEVICE_OFFLINE', 'USB printer closed'));
    if (was === 'claimed') await this.link.release().catch(() => undefined);
    if (was !== 'closed') await this.link.close().catch(() => undefined);
  }

  async write(data: Uint8Array): Promise<void> {
    this.requireClaimed();
    for (let off = 0; off < data.length; off += this.chunkSize) {
      const chunk = data.subarray(off, Math.min(data.length, off + this.chunkSize));
      try {
        await this.pending.track(
          withTimeout(this.clock, this.link.transferOut(chunk), this.writeTimeoutMs, () => new KioskError('TIMEOUT', `USB bulk OUT did not complete within ${this.writeTimeoutMs} ms`, { sent: off })),
        );
      } catch (e) {
        throw this.mapIoError(e);
      }
    }
  }

  async read(timeoutMs: number): Promise<Uint8Array> {
    this.requireClaimed();
    try {
      // the link times out by itself (libusb); the clock guard only catches a link that never returns
      return await this.pending.track(
        withTimeout(this.clock, this.link.transferIn(64, timeoutMs), timeoutMs + 1000, () => new UsbLinkError('TIMEOUT', 'bulk IN transfer never returned')),
      );
    } catch (e) {
      if (usbLinkErrorCode(e) === 'TIMEOUT') return new Uint8Array(0);
      throw this.mapIoError(e);
    }
  }

  discardInput(): void {
    // nothing is buffered host-side: every bulk IN transfer is a fresh read
  }

  onDisconnect(listener: (reason: Error) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private requireClaimed(): void {
    if (this.state !== 'claimed' || this.lost) throw new KioskError('DEVICE_OFFLINE', `USB printer ${this.describe()} is not connected`);
  }

  private describe(): string {
    return this.ident.serialNumber ?? this.ident.path ?? this.ident.usbId ?? '(not opened)';
  }

  private mapOpenError(e: unknown, what: string): KioskError {
    if (e instanceof KioskError) return e;
    const code = usbLinkErrorCode(e) ?? 'IO';
    const msg = `USB printer ${this.describe()}: ${what} failed: ${errorMessage(e)}`;
    if (code === 'BUSY') return new KioskError('DEVICE_BUSY', `${msg} (another process or a kernel driver holds the interface)`, { code });
    if (code === 'ACCESS') return new KioskError('DEVICE_OFFLINE', `${msg} (no permission: install the udev rule rather than running as root)`, { code });
    if (code === 'TIMEOUT') return new KioskError('TIMEOUT', msg, { code });
    return new KioskError('DEVICE_OFFLINE', msg, { code });
  }

  private mapIoError(e: unknown): KioskError {
    if (e instanceof KioskError) return e;
    const code = usbLinkErrorCode(e) ?? 'IO';
    if (code === 'TIMEOUT') return new KioskError('TIMEOUT', `USB printer ${this.describe()}: ${errorMessage(e)}`, { code });
    const err = new KioskError('DEVICE_OFFLINE', `USB printer ${this.describe()} lost: ${errorMessage(e)}`, { code });
    this.markLost(err);
    return err;
  }

  private markLost(err: Error): void {
    if (this.lost || this.state === 'closed') return;
    this.lost = true;
    for (const l of [...this.listeners]) l(err);
  }
}

/** `KIOSK_PRINTER_USB`-style selector: `04b8:0202` (vendor:product, hex) or anything else = a USB serial number. */
export type UsbSelector = { vendorId: number; productId: number } | { serialNumber: string };

export function parseUsbSelector(s: string): UsbSelector {
  const m = /^([0-9a-f]{4}):([0-9a-f]{4})$/i.exec(s.trim());
  if (m) return { vendorId: parseInt(m[1], 16), productId: parseInt(m[2], 16) };
  return { serialNumber: s.trim() };
}
