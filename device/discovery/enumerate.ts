import * as fs from 'node:fs';
import * as path from 'node:path';
import type { DeviceClass } from '../../drivers/contract';
import { hasCommand, loadNative, type MissingNative } from './native';

export type Bus = 'usb' | 'hid' | 'serial';

/** One thing found on a bus. `id` is stable: USB serial number, else the port path — never only VID:PID. */
export interface FoundDevice {
  id: string;
  bus: Bus;
  vendorId?: number;
  productId?: number;
  serialNumber?: string;
  manufacturer?: string;
  product?: string;
  path?: string;
  /** HID usage page / usage (0x8C = bar code scanner, 0x01/0x06 = keyboard). */
  usagePage?: number;
  usage?: number;
}

export interface KnownDevice {
  vendorId: number;
  productId?: number;
  name: string;
  deviceClass: DeviceClass;
  driver: string;
  bus?: Bus;
}

export interface Enumeration {
  devices: (FoundDevice & { match: KnownDevice | null })[];
  missing: MissingNative[];
}

const hex = (n: number | undefined) => (n === undefined ? '' : n.toString(16).padStart(4, '0'));

function serialFromSysfs(): FoundDevice[] {
  const byId = '/dev/serial/by-id';
  const stable = new Map<string, string>();
  if (fs.existsSync(byId)) for (const l of fs.readdirSync(byId)) stable.set(fs.realpathSync(path.join(byId, l)), path.join(byId, l));
  const out: FoundDevice[] = [];
  const ttyDir = '/sys/class/tty';
  if (!fs.existsSync(ttyDir)) return out;
  for (const name of fs.readdirSync(ttyDir)) {
    if (!/^tty(USB|ACM|AMA|S)\d+$/.test(name)) continue;
    const devPath = `/dev/${name}`;
    let vendorId: number | undefined;
    let productId: number | undefined;
    let serialNumber: string | undefined;
    try {
      let dir = fs.realpathSync(path.join(ttyDir, name, 'device'));
      for (let i = 0; i < 4 && !fs.existsSync(path.join(dir, 'idVendor')); i++) dir = path.dirname(dir);
      if (fs.existsSync(path.join(dir, 'idVendor'))) {
        vendorId = parseInt(fs.readFileSync(path.join(dir, 'idVendor'), 'utf8'), 16);
        productId = parseInt(fs.readFileSync(path.join(dir, 'idProduct'), 'utf8'), 16);
        if (fs.existsSync(path.join(dir, 'serial'))) serialNumber = fs.readFileSync(path.join(dir, 'serial'), 'utf8').trim();
      }
    } catch {
      /* a plain UART without USB ids */
    }
    if (vendorId === undefined && /^ttyS\d+$/.test(name)) continue; // legacy UART placeholders
    out.push({ id: stable.get(devPath) ?? devPath, bus: 'serial', path: devPath, vendorId, productId, serialNumber });
  }
  return out;
}

async function serialPorts(missing: MissingNative[]): Promise<FoundDevice[]> {
  // serialport's Linux listing shells out to udevadm and crashes the process when it is absent
  if (!hasCommand('udevadm')) return serialFromSysfs();
  const sp = loadNative<typeof import('serialport')>('serialport', "require('serialport')");
  if (!sp.ok) {
    missing.push(sp.missing);
    return serialFromSysfs();
  }
  const ports = await sp.value.SerialPort.list();
  return ports
    .filter((p) => p.vendorId || /USB|ACM/.test(p.path))
    .map((p) => ({
      id: p.serialNumber ? `serial:${p.serialNumber}` : p.path,
      bus: 'serial' as const,
      path: p.path,
      vendorId: p.vendorId ? parseInt(p.vendorId, 16) : undefined,
      productId: p.productId ? parseInt(p.productId, 16) : undefined,
      serialNumber: p.serialNumber,
      manufacturer: p.manufacturer,
    }));
}

function hidDevices(missing: MissingNative[]): FoundDevice[] {
  const hid = loadNative<typeof import('node-hid')>('node-hid', "require('node-hid').devices()");
  if (!hid.ok) {
    missing.push(hid.missing);
    return [];
  }
  return hid.value.devices().map((d) => ({
    id: d.serialNumber ? `hid:${d.serialNumber}:${d.interface}` : `hid:${d.path}`,
    bus: 'hid' as const,
    path: d.path,
    vendorId: d.vendorId,
    productId: d.productId,
    serialNumber: d.serialNumber || undefined,
    manufacturer: d.manufacturer,
    product: d.product,
    usagePage: d.usagePage,
    usage: d.usage,
  }));
}

function usbDevices(missing: MissingNative[]): FoundDevice[] {
  const u = loadNative<typeof import('usb')>('usb', "require('usb').usb.getDeviceList()");
  if (!u.ok) {
    missing.push(u.missing);
    return [];
  }
  return u.value.usb.getDeviceList().map((d) => {
    const busPath = `usb:${d.busNumber}-${d.portNumbers.join('.')}`;
    return {
      id: busPath,
      bus: 'usb' as const,
      path: busPath,
      vendorId: d.deviceDescriptor.idVendor,
      productId: d.deviceDescriptor.idProduct,
    };
  });
}

export function matchKnown(d: FoundDevice, known: KnownDevice[]): KnownDevice | null {
  return (
    known.find((k) => k.vendorId === d.vendorId && k.productId === d.productId && (!k.bus || k.bus === d.bus)) ??
    known.find((k) => k.vendorId === d.vendorId && k.productId === undefined && (!k.bus || k.bus === d.bus)) ??
    null
  );
}

/** Everything on USB, HID and serial, matched against the known-device table. Never throws for a missing library. */
export async function enumerateDevices(known: KnownDevice[]): Promise<Enumeration> {
  const missing: MissingNative[] = [];
  const found = [...usbDevices(missing), ...hidDevices(missing), ...(await serialPorts(missing))];
  return { devices: found.map((d) => ({ ...d, match: matchKnown(d, known) })), missing };
}

export const describeIds = (d: FoundDevice) => (d.vendorId !== undefined ? `${hex(d.vendorId)}:${hex(d.productId)}` : '-');
