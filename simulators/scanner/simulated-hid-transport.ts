import { EventEmitter } from 'node:events';
import { KioskError } from '../../kernel/errors';

/**
 * A fake node-hid: a set of plugged devices, each possibly open, behind the same shape as the driver's injectable
 * HID transport. The shapes are declared here, from node-hid v3's documented API (`devices()` entries, `HIDAsync`
 * handles emitting `data` / `error`), not imported from the driver: TypeScript's structural typing lets the driver
 * accept this transport as its own.
 */

/** One entry of node-hid's device list. */
export interface SimHidDeviceInfo {
  path: string;
  vendorId: number;
  productId: number;
  serialNumber?: string;
  manufacturer?: string;
  product?: string;
  usagePage?: number;
  usage?: number;
  interface?: number;
}

export interface SimHidHandle {
  on(event: 'data', listener: (report: Buffer) => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
  close(): void;
  /** True when the device was taken from the kernel's input driver while open. */
  readonly grabbed?: boolean;
}

export interface SimHidOpenOptions {
  grab: boolean;
}

class SimulatedHandle extends EventEmitter implements SimHidHandle {
  closed = false;
  constructor(
    readonly device: SimHidDeviceInfo,
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

/** The fake node-hid: plugged devices, open handles, unplug errors, grabs. */
export class SimulatedHidTransport {
  private readonly plugged = new Map<string, SimHidDeviceInfo>();
  private readonly handles = new Set<SimulatedHandle>();
  /** When set, devices()/open() reject with it (e.g. node-hid failing to load). */
  failWith: Error | null = null;
  /** Grab support of the simulated backend (libusb detach: true; Linux hidraw: false). */
  canGrab = true;
  opens = 0;

  plug(device: SimHidDeviceInfo): void {
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

  async devices(): Promise<SimHidDeviceInfo[]> {
    if (this.failWith) throw this.failWith;
    return [...this.plugged.values()].map((d) => ({ ...d }));
  }

  async open(device: SimHidDeviceInfo, opts: SimHidOpenOptions): Promise<SimHidHandle> {
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
