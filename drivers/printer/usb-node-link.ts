import { usb, type Device, type InEndpoint, type Interface, type OutEndpoint } from 'usb';
import type { TransportIdentity } from './transport';
import { UsbLinkError, type UsbBulkLink, type UsbLinkErrorCode } from './usb-transport';

const PRINTER_CLASS = 7;

/**
 * Which printer: a USB serial number (optionally narrowed by vendor/product id, so only those devices are opened
 * to read their serial numbers), or a vendor:product id (then, when several identical printers are attached, the
 * bus-port `path` such as `usb:1-1.4` if given, else the lowest path). `parseUsbSelector` output fits.
 */
export interface NodeUsbSelector {
  serialNumber?: string;
  vendorId?: number;
  productId?: number;
  path?: string;
}

/**
 * `UsbBulkLink` over libusb (the `usb` package): finds the printer (see `NodeUsbSelector`), claims its
 * printer-class interface (detaching usblp if the kernel bound it) and uses its bulk endpoints.
 *
 * Not covered by the unit tests (they inject the simulator's link); the contract suite runs against it when
 * `KIOSK_PRINTER_USB` names a real printer.
 */
export class NodeUsbLink implements UsbBulkLink {
  private device: Device | null = null;
  private iface: Interface | null = null;
  private out: OutEndpoint | null = null;
  private in: InEndpoint | null = null;

  constructor(
    private readonly selector: NodeUsbSelector,
    private readonly opts: { writeTimeoutMs?: number } = {},
  ) {}

  async open(): Promise<TransportIdentity> {
    if (this.device) return this.identityOf(this.device);
    const device = await this.find();
    try {
      device.open();
    } catch (e) {
      throw toLinkError(e, 'open');
    }
    this.device = device;
    return this.identityOf(device);
  }

  async claim(): Promise<void> {
    const device = this.device;
    if (!device) throw new UsbLinkError('NO_DEVICE', 'device not open');
    const ifaces = device.interfaces ?? [];
    const iface = ifaces.find((i) => i.descriptor.bInterfaceClass === PRINTER_CLASS) ?? ifaces[0];
    if (!iface) throw new UsbLinkError('NOT_FOUND', 'device has no interface');
    try {
      if (iface.isKernelDriverActive()) iface.detachKernelDriver();
    } catch {
      // not supported on this platform, or already detached: claim() below says what is wrong
    }
    try {
      iface.claim();
    } catch (e) {
      throw toLinkError(e, 'claim');
    }
    const out = iface.endpoints.find((e) => e.direction === 'out' && e.transferType === usb.LIBUSB_TRANSFER_TYPE_BULK) as OutEndpoint | undefined;
    const inp = iface.endpoints.find((e) => e.direction === 'in' && e.transferType === usb.LIBUSB_TRANSFER_TYPE_BULK) as InEndpoint | undefined;
    if (!out) throw new UsbLinkError('NOT_FOUND', 'printer interface has no bulk OUT endpoint');
    this.iface = iface;
    this.out = out;
    this.in = inp ?? null;
  }

  async release(): Promise<void> {
    const iface = this.iface;
    this.iface = null;
    this.out = null;
    this.in = null;
    if (iface) await iface.releaseAsync().catch(() => undefined);
  }

  async close(): Promise<void> {
    await this.release();
    const d = this.device;
    this.device = null;
    try {
      d?.close();
    } catch {
      // already gone
    }
  }

  async transferOut(data: Uint8Array): Promise<void> {
    const out = this.out;
    if (!out) throw new UsbLinkError('NO_DEVICE', 'interface not claimed');
    out.timeout = this.opts.writeTimeoutMs ?? 10_000;
    try {
      await out.transferAsync(Buffer.from(data));
    } catch (e) {
      throw toLinkError(e, 'bulk OUT');
    }
  }

  async transferIn(maxLength: number, timeoutMs: number): Promise<Uint8Array> {
    const inp = this.in;
    if (!this.out) throw new UsbLinkError('NO_DEVICE', 'interface not claimed');
    if (!inp) return new Uint8Array(0); // a write-only printer: status reads time out
    inp.timeout = Math.max(1, timeoutMs);
    try {
      const buf = await inp.transferAsync(maxLength);
      return new Uint8Array(buf ?? []);
    } catch (e) {
      const err = toLinkError(e, 'bulk IN');
      if (err.code === 'TIMEOUT') return new Uint8Array(0);
      throw err;
    }
  }

  private async find(): Promise<Device> {
    const { serialNumber, vendorId, productId, path } = this.selector;
    const hasIds = vendorId !== undefined && productId !== undefined;
    if (!serialNumber && !hasIds) throw new UsbLinkError('NOT_FOUND', 'no USB printer selected: give a serial number or a vendor:product id');
    const all = usb
      .getDeviceList()
      .filter((d) => !hasIds || (d.deviceDescriptor.idVendor === vendorId && d.deviceDescriptor.idProduct === productId))
      .sort((a, b) => pathOf(a).localeCompare(pathOf(b)));
    if (serialNumber) {
      for (const d of all) {
        if (d.deviceDescriptor.iSerialNumber === 0) continue;
        try {
          d.open();
          const sn = await stringDescriptor(d, d.deviceDescriptor.iSerialNumber);
          d.close();
          if (sn === serialNumber) return d;
        } catch {
          try {
            d.close();
          } catch {
            // not open
          }
        }
      }
      throw new UsbLinkError('NOT_FOUND', `no USB device with serial number ${serialNumber}`);
    }
    const found = path ? all.find((d) => pathOf(d) === path) : all[0];
    if (!found) throw new UsbLinkError('NOT_FOUND', `no USB device ${hex4(vendorId ?? 0)}:${hex4(productId ?? 0)}${path ? ` at ${path}` : ''}`);
    return found;
  }

  private async identityOf(d: Device): Promise<TransportIdentity> {
    const dd = d.deviceDescriptor;
    const read = (i: number) => (i ? stringDescriptor(d, i).catch(() => undefined) : Promise.resolve(undefined));
    const [serialNumber, vendor, model] = await Promise.all([read(dd.iSerialNumber), read(dd.iManufacturer), read(dd.iProduct)]);
    return { serialNumber: serialNumber || undefined, vendor, model, path: pathOf(d), usbId: `${hex4(dd.idVendor)}:${hex4(dd.idProduct)}` };
  }
}

const hex4 = (n: number) => n.toString(16).padStart(4, '0');

function pathOf(d: Device): string {
  return `usb:${d.busNumber}-${(d.portNumbers ?? [d.deviceAddress]).join('.')}`;
}

function stringDescriptor(d: Device, index: number): Promise<string | undefined> {
  return new Promise((resolve, reject) => d.getStringDescriptor(index, (err, value) => (err ? reject(err) : resolve(value))));
}

function toLinkError(e: unknown, what: string): UsbLinkError {
  if (e instanceof UsbLinkError) return e;
  const errno = (e as { errno?: number }).errno;
  const msg = `${what}: ${e instanceof Error ? e.message : String(e)}`;
  const table: [number, UsbLinkErrorCode][] = [
    [usb.LIBUSB_ERROR_BUSY, 'BUSY'],
    [usb.LIBUSB_ERROR_ACCESS, 'ACCESS'],
    [usb.LIBUSB_ERROR_NO_DEVICE, 'NO_DEVICE'],
    [usb.LIBUSB_ERROR_NOT_FOUND, 'NOT_FOUND'],
    [usb.LIBUSB_ERROR_TIMEOUT, 'TIMEOUT'],
    [usb.LIBUSB_TRANSFER_TIMED_OUT, 'TIMEOUT'],
    [usb.LIBUSB_TRANSFER_NO_DEVICE, 'NO_DEVICE'],
  ];
  const hit = table.find(([n]) => n === errno);
  return new UsbLinkError(hit ? hit[1] : 'IO', msg);
}
