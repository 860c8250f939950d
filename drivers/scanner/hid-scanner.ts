import type { DeviceInfo } from '../contract/device';
import { KioskError } from '../../kernel/errors';
import { HidPosDecoder, type HidPosDecoderOptions, type HidReportDecoder } from './hid-pos';
import {
  describeSelector,
  nodeHidTransport,
  selectHidDevice,
  type HidDeviceHandle,
  type HidDeviceInfo,
  type HidDeviceSelector,
  type HidScanMode,
  type HidTransport,
} from './hid-transport';
import { KeyboardWedgeDecoder, type KeyboardWedgeOptions } from './keyboard-wedge';
import type { KeyboardLayout, LayoutName } from './keyboard-layouts';
import { protocolError } from './read-text';
import { ScannerBase, type ScannerBaseOptions } from './scanner-base';

export interface HidScannerOptions extends ScannerBaseOptions {
  /** `pos`: HID POS reports (usage page 0x8C). `keyboard`: keyboard-wedge boot reports through `layout`. */
  mode: HidScanMode;
  /** Which device: serial number (preferred) and/or path, VID/PID, usage page. */
  device: HidDeviceSelector;
  /** Default: node-hid, loaded at first use. Tests and the simulator inject their own. */
  transport?: HidTransport;
  /** Take the device away from the kernel's keyboard driver while claimed (see hid-transport.ts). Default true. */
  grab?: boolean;
  /** Keyboard mode: the layout the scanner is configured for. Default `us`. */
  layout?: LayoutName | KeyboardLayout;
  keyboard?: Omit<KeyboardWedgeOptions, 'layout'>;
  pos?: HidPosDecoderOptions;
}

/**
 * A USB HID barcode scanner (HID POS or keyboard wedge): `BarcodeScanner` over an injectable `HidTransport`.
 *
 * - `open()` finds the device (`selectHidDevice`: serial number, then path, usage matching the mode);
 *   `claim()` opens it (grabbing it when possible); `enable()` starts `data` events.
 * - After a replug the device is looked up again by serial number, so a new hidraw path is followed.
 * - A transport `error` (node-hid reports an unplug as a read error) counts as a lost connection.
 */
export class HidScanner extends ScannerBase {
  private readonly opts: HidScannerOptions;
  private readonly transport: HidTransport;
  private readonly decoder: HidReportDecoder;
  private handle: HidDeviceHandle | null = null;
  private device: HidDeviceInfo | null = null;

  constructor(opts: HidScannerOptions) {
    super(opts);
    this.opts = opts;
    this.transport = opts.transport ?? nodeHidTransport({ grabKeyboard: opts.mode === 'keyboard' && (opts.grab ?? true) });
    this.decoder = this.makeDecoder();
  }

  private makeDecoder(): HidReportDecoder {
    return this.opts.mode === 'pos' ? new HidPosDecoder(this.opts.pos) : new KeyboardWedgeDecoder({ ...this.opts.keyboard, layout: this.opts.layout });
  }

  get info(): DeviceInfo {
    const d = this.device;
    const sel = this.opts.device;
    const serialNumber = d?.serialNumber ?? sel.serialNumber;
    const path = d?.path ?? sel.path;
    const info: DeviceInfo = {
      id: serialNumber || path || `hid:${describeSelector(sel)}`,
      deviceClass: 'scanner',
      driver: this.opts.mode === 'pos' ? 'hid-pos-scanner' : 'hid-keyboard-scanner',
    };
    if (serialNumber) info.serialNumber = serialNumber;
    if (path) info.path = path;
    if (d?.manufacturer) info.vendor = d.manufacturer;
    if (d?.product) info.model = d.product;
    return info;
  }

  /** Whether the open device is grabbed (its input hidden from the kernel's keyboard driver). */
  get grabbed(): boolean {
    return this.handle?.grabbed === true;
  }

  private async find(): Promise<HidDeviceInfo> {
    // once found, follow the scanner by its serial number (a replug may give it a new path)
    const sel: HidDeviceSelector = { ...this.opts.device };
    if (this.device?.serialNumber && sel.serialNumber === undefined) sel.serialNumber = this.device.serialNumber;
    return selectHidDevice(await this.transport.devices(), sel, this.opts.mode);
  }

  protected async probe(): Promise<void> {
    this.device = await this.find();
  }

  protected async connect(): Promise<void> {
    const device = await this.find();
    const handle = await this.transport.open(device, { grab: this.opts.grab ?? true });
    this.device = device;
    this.decoder.reset();
    this.handle = handle;
    handle.on('data', (report: Buffer) => {
      if (this.handle === handle) this.onReport(report);
    });
    handle.on('error', (err: Error) => {
      if (this.handle !== handle) return;
      this.handle = null;
      try {
        handle.close();
      } catch {
        // already gone
      }
      if (this.decoder.reset()) this.reportError(protocolError(this.source(), 'device lost inside a read; the partial read was discarded'));
      this.connectionLost(err.message);
    });
  }

  protected async disconnect(): Promise<void> {
    const handle = this.handle;
    this.handle = null;
    this.decoder.reset();
    try {
      handle?.close();
    } catch {
      // closing a device that is gone
    }
  }

  private source(): 'hid-pos' | 'hid-keyboard' {
    return this.opts.mode === 'pos' ? 'hid-pos' : 'hid-keyboard';
  }

  private onReport(report: Buffer): void {
    const at = this.clock.now();
    for (const r of this.decoder.push(report)) {
      if (r instanceof KioskError) this.reportError(r);
      else this.deliver(r.raw, at, this.source());
    }
  }

  protected selfTest(): string {
    const decoder = this.makeDecoder();
    const out =
      this.opts.mode === 'pos'
        ? decoder.push(posSample(decoder as HidPosDecoder))
        : [
            // "1" typed on the configured layout, then Enter, in reports of the configured shape
            ...keyboardSample(decoder as KeyboardWedgeDecoder, this.opts.keyboard?.reportId ?? null).flatMap((r) => decoder.push(r)),
          ];
    const read = out[0];
    const expected = this.opts.mode === 'pos' ? ']E04006381333931' : '1';
    if (out.length !== 1 || read instanceof KioskError || read.raw !== expected) {
      throw new KioskError('PROTOCOL', `decoder self-test failed: ${JSON.stringify(out.map((r) => (r instanceof KioskError ? r.message : r.raw)))}`);
    }
    return this.opts.mode === 'pos'
      ? 'HID POS decoder ok'
      : `keyboard decoder ok (layout ${(decoder as KeyboardWedgeDecoder).layout.name})`;
  }

  protected async externalCheck(): Promise<string> {
    const device = await this.find();
    if (!this.handle) throw new KioskError('DEVICE_OFFLINE', `${this.info.id}: device not open`);
    const grab = this.opts.mode === 'keyboard' ? (this.grabbed ? ', grabbed' : ', NOT grabbed: key strokes may reach the console') : '';
    return `HID device ${device.path} present and open${grab}`;
  }
}

function posSample(decoder: HidPosDecoder): Buffer {
  const f = decoder.format;
  const report = Buffer.alloc(f.reportSize);
  const data = Buffer.from('4006381333931', 'latin1');
  if (f.reportId !== null) report[0] = f.reportId;
  report[f.lengthOffset] = data.length;
  if (f.aimOffset !== null) report.write(']E0', f.aimOffset, 'latin1');
  data.copy(report, f.dataOffset);
  return report;
}

function keyboardSample(decoder: KeyboardWedgeDecoder, reportId: number | null): Buffer[] {
  // find the key typing "1" on this layout, plain or shifted
  let press: number[] | null = null;
  for (const [usage, levels] of decoder.layout.keys) {
    if (levels[0] === '1') press = [0, 0, usage];
    else if (levels[1] === '1' && !press) press = [0x02, 0, usage];
  }
  const report = (bytes: number[]) => {
    const b = Buffer.alloc(8);
    Buffer.from(bytes).copy(b);
    return reportId === null ? b : Buffer.concat([Buffer.from([reportId]), b]);
  };
  return [report(press ?? [0, 0, 0x1e]), report([]), report([0, 0, 0x28]), report([])];
}
