import { EventEmitter } from 'node:events';
import { KioskError } from '../../kernel/errors';
import type { HidPosReportFormat } from '../../drivers/scanner/hid-pos';
import { HID_USAGE, type HidDeviceHandle, type HidDeviceInfo, type HidOpenOptions, type HidTransport } from '../../drivers/scanner/hid-transport';
import type { KeyboardLayout, LayoutName } from '../../drivers/scanner/keyboard-layouts';
import { encodeHidPosReports, encodeKeyboardReports, type KeyboardReportOptions } from './hid-reports';

/**
 * A USB HID barcode scanner behind the injectable `HidTransport`: the driver under test gets `sim.transport`
 * instead of node-hid and sees devices, opens, reports, read errors and unplugs exactly as node-hid reports them.
 *
 * Like real scanners (Honeywell, Zebra), one device may expose two interfaces — a keyboard (usage page 0x01,
 * usage 0x06) and a HID POS scanner (usage page 0x8C) — listed as two entries with the same serial number and
 * different paths (`interfaces: 'both'`, the default).
 */

class SimulatedHandle extends EventEmitter implements HidDeviceHandle {
  closed = false;
  constructor(
    readonly device: HidDeviceInfo,
    readonly grabbed: boolean,
    private readonly onClose: (h: SimulatedHandle) => void,
  ) {
    super();
  }
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.removeAllListeners();
    this.onClose(this);
  }
  /** node-hid: a read on an unplugged device fails with this error, once. */
  fail(message: string): void {
    if (this.closed) return;
    this.emit('error', new Error(message));
  }
}

/** A fake node-hid: a set of plugged devices, each possibly open. */
export class SimulatedHidTransport implements HidTransport {
  private readonly plugged = new Map<string, HidDeviceInfo>();
  private readonly handles = new Set<SimulatedHandle>();
  /** When set, devices()/open() reject with it (e.g. node-hid failing to load). */
  failWith: Error | null = null;
  /** Grab support of the simulated backend (libusb detach: true; Linux hidraw: false). */
  canGrab = true;
  opens = 0;

  plug(device: HidDeviceInfo): void {
    this.plugged.set(device.path, { ...device });
  }

  /** Removes a device: open handles get a read error, as node-hid reports an unplug. */
  unplug(path: string): void {
    this.plugged.delete(path);
    for (const h of [...this.handles]) if (h.device.path === path) h.fail('could not read from HID device');
  }

  /** Sends one input report to every open handle of `path`. */
  report(path: string, bytes: Buffer): void {
    for (const h of [...this.handles]) if (!h.closed && h.device.path === path) h.emit('data', Buffer.from(bytes));
  }

  openHandles(path?: string): number {
    return [...this.handles].filter((h) => !h.closed && (path === undefined || h.device.path === path)).length;
  }

  async devices(): Promise<HidDeviceInfo[]> {
    if (this.failWith) throw this.failWith;
    return [...this.plugged.values()].map((d) => ({ ...d }));
  }

  async open(device: HidDeviceInfo, opts: HidOpenOptions): Promise<HidDeviceHandle> {
    if (this.failWith) throw this.failWith;
    const d = this.plugged.get(device.path);
    if (!d) throw new KioskError('DEVICE_OFFLINE', `cannot open HID device ${device.path}: not found`, { path: device.path });
    const grabbedBySomeone = [...this.handles].some((h) => !h.closed && h.device.path === d.path && h.grabbed);
    if (grabbedBySomeone || (opts.grab && this.canGrab && this.openHandles(d.path) > 0)) {
      throw new KioskError('DEVICE_BUSY', `cannot open HID device ${device.path}: busy`, { path: device.path });
    }
    const h = new SimulatedHandle({ ...d }, opts.grab && this.canGrab, (x) => this.handles.delete(x));
    this.handles.add(h);
    this.opens++;
    return h;
  }
}

export interface HidScannerSimOptions {
  transport?: SimulatedHidTransport;
  vendorId?: number;
  productId?: number;
  serialNumber?: string;
  /** Base of the hidraw paths; interfaces get `<base>.0` (keyboard) and `<base>.1` (POS). */
  path?: string;
  /** Which interfaces the scanner exposes. Default both. */
  interfaces?: 'pos' | 'keyboard' | 'both';
  /** The layout the scanner types with in keyboard mode. Default `us`. */
  layout?: LayoutName | KeyboardLayout;
  format?: Partial<HidPosReportFormat>;
  keyboard?: Omit<KeyboardReportOptions, 'enter'>;
}

export interface HidScanOptions {
  mode?: 'pos' | 'keyboard';
  layout?: LayoutName | KeyboardLayout;
  /** POS mode: AIM bytes. Keyboard mode: typed in front of the data. */
  aim?: string;
  rollover?: boolean;
  holdReports?: number;
  encoding?: 'latin1' | 'utf8';
}

export class HidScannerSimulator {
  readonly transport: SimulatedHidTransport;
  keyboardInfo: HidDeviceInfo;
  posInfo: HidDeviceInfo;
  private readonly opts: HidScannerSimOptions;
  private readonly exposes: 'pos' | 'keyboard' | 'both';
  private isPlugged = false;

  constructor(opts: HidScannerSimOptions = {}) {
    this.opts = opts;
    this.transport = opts.transport ?? new SimulatedHidTransport();
    this.exposes = opts.interfaces ?? 'both';
    const base = {
      vendorId: opts.vendorId ?? 0x0c2e,
      productId: opts.productId ?? 0x0b61,
      serialNumber: opts.serialNumber ?? 'SIM0001',
      manufacturer: 'Simulated',
      product: 'HID barcode scanner',
    };
    const path = opts.path ?? `/dev/hidraw-sim-${base.serialNumber}`;
    this.keyboardInfo = { ...base, path: `${path}.0`, usagePage: HID_USAGE.GENERIC_DESKTOP, usage: HID_USAGE.KEYBOARD, interface: 0 };
    this.posInfo = { ...base, path: `${path}.1`, usagePage: HID_USAGE.POS_PAGE, usage: 0x02, interface: 1 };
    this.replug();
  }

  get plugged(): boolean {
    return this.isPlugged;
  }

  /** The scanner reads `code`: the reports for it are delivered (synchronously) to every open handle. */
  scan(code: string, opts: HidScanOptions = {}): void {
    const mode = opts.mode ?? (this.exposes === 'keyboard' ? 'keyboard' : 'pos');
    if (!this.isPlugged) return;
    if (mode === 'pos') {
      const reports = encodeHidPosReports(code, { aim: opts.aim, format: this.opts.format, encoding: opts.encoding, codeId: 0x3f });
      for (const r of reports) this.transport.report(this.posInfo.path, r);
    } else {
      const reports = encodeKeyboardReports((opts.aim ?? '') + code, opts.layout ?? this.opts.layout ?? 'us', {
        ...this.opts.keyboard,
        rollover: opts.rollover ?? this.opts.keyboard?.rollover,
        holdReports: opts.holdReports ?? this.opts.keyboard?.holdReports,
      });
      for (const r of reports) this.transport.report(this.keyboardInfo.path, r);
    }
  }

  /** Raw bytes as one report on the given interface (garbage, truncated reports…). */
  sendReport(bytes: Buffer | number[], mode: 'pos' | 'keyboard' = 'pos'): void {
    if (!this.isPlugged) return;
    this.transport.report(mode === 'pos' ? this.posInfo.path : this.keyboardInfo.path, Buffer.from(bytes));
  }

  /** Pulls the cable: the devices vanish, open handles get a read error. */
  unplug(): void {
    if (!this.isPlugged) return;
    this.isPlugged = false;
    if (this.exposes !== 'pos') this.transport.unplug(this.keyboardInfo.path);
    if (this.exposes !== 'keyboard') this.transport.unplug(this.posInfo.path);
  }

  /**
   * Plugs the cable back in. Same serial number; same paths unless `path` gives a new base (the kernel may hand
   * out another hidraw number after a replug).
   */
  replug(opts: { path?: string } = {}): void {
    if (this.isPlugged) return;
    this.isPlugged = true;
    if (opts.path !== undefined) {
      this.keyboardInfo = { ...this.keyboardInfo, path: `${opts.path}.0` };
      this.posInfo = { ...this.posInfo, path: `${opts.path}.1` };
    }
    if (this.exposes !== 'pos') this.transport.plug(this.keyboardInfo);
    if (this.exposes !== 'keyboard') this.transport.plug(this.posInfo);
  }
}
