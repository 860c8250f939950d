import { encodeHidPosReports, encodeKeyboardReports, type KeyboardReportOptions, type ScannedDataReportFormat } from './hid-reports';
import { BCS_USAGE, DESKTOP_USAGE, USAGE_PAGE } from './hid-usages';
import { SimulatedHidTransport, type SimHidDeviceInfo } from './simulated-hid-transport';
import type { TypingLayout, TypingLayoutName } from './typing-layouts';

export { SimulatedHidTransport };

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
  layout?: TypingLayoutName | TypingLayout;
  format?: Partial<ScannedDataReportFormat>;
  keyboard?: Omit<KeyboardReportOptions, 'enter'>;
}

export interface HidScanOptions {
  mode?: 'pos' | 'keyboard';
  layout?: TypingLayoutName | TypingLayout;
  /** POS mode: AIM bytes. Keyboard mode: typed in front of the data. */
  aim?: string;
  rollover?: boolean;
  holdReports?: number;
  encoding?: 'latin1' | 'utf8';
}

/**
 * A USB HID barcode scanner behind the injectable `HidTransport`: the driver under test gets `sim.transport`
 * instead of node-hid and sees devices, opens, reports, read errors and unplugs exactly as node-hid reports them.
 *
 * Like real scanners (Honeywell, Zebra), one device may expose two interfaces — a keyboard (usage page 0x01,
 * usage 0x06) and a HID POS scanner (usage page 0x8C) — listed as two entries with the same serial number and
 * different paths (`interfaces: 'both'`, the default).
 */
export class HidScannerSimulator {
  readonly transport: SimulatedHidTransport;
  keyboardInfo: SimHidDeviceInfo;
  posInfo: SimHidDeviceInfo;
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
    this.keyboardInfo = { ...base, path: `${path}.0`, usagePage: USAGE_PAGE.GENERIC_DESKTOP, usage: DESKTOP_USAGE.KEYBOARD, interface: 0 };
    this.posInfo = { ...base, path: `${path}.1`, usagePage: USAGE_PAGE.BAR_CODE_SCANNER, usage: BCS_USAGE.BAR_CODE_SCANNER, interface: 1 };
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
