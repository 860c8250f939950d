import { KioskError } from '../../kernel/errors';

/**
 * USB HID access for scanners, behind an injectable interface: the driver talks to a `HidTransport`, tests and the
 * simulator provide their own, production uses `nodeHidTransport()` (node-hid v3).
 *
 * ## Loading node-hid
 * node-hid's native binding needs libusb-1.0 / libudev at load time. It is loaded LAZILY, on the first `devices()` or
 * `open()`, never at import: a kiosk without an HID scanner (or without libusb) never breaks. A load failure becomes a
 * `KioskError('DEVICE_OFFLINE')` whose message says what is missing and `details.reason = 'hid-unavailable'`.
 *
 * ## Grabbing (what `claim()` can and cannot guarantee)
 * "Grab" means: while the kiosk holds the scanner, its reads reach only the kiosk — a keyboard-wedge scanner must
 * not type into the console or the UI. What node-hid can do depends on its backend:
 * - Linux `hidraw` (node-hid's default there): /dev/hidrawN is a parallel view of the device. Opening it does NOT
 *   stop the kernel's HID input driver, so a keyboard-mode scanner still types on the console. No grab.
 *   (EVIOCGRAB on the evdev node would grab, node-hid does not offer it.)
 * - Linux `libusb`: hidapi detaches the kernel driver from the interface (`libusb_detach_kernel_driver`) and claims
 *   it; the kernel sees nothing until the device is closed (it re-attaches then). A real grab. Needs write access
 *   to /dev/bus/usb/… (udev rule).
 * - macOS: opened exclusively (`nonExclusive: false`, IOHIDDeviceOpen with seize): a real grab.
 * - Windows: keyboards cannot be opened through the HID API at all; HID POS interfaces can.
 * So: `grab: true` with a keyboard-wedge scanner on Linux selects the libusb backend. HID POS mode (usage page 0x8C)
 * creates no input device, so nothing leaks and hidraw is fine — the recommended setup. node-hid's backend is
 * process-wide and fixed at its first use (`setDriverType` after that has no effect); `HidDeviceHandle.grabbed`
 * reports what was actually obtained.
 *
 * ## Identity
 * One physical scanner may appear several times (keyboard interface + HID POS interface, different usages). Devices
 * are selected by serial number (stable across reboots and replugs), then path, and by the usage matching the mode;
 * never by VID:PID alone when two identical scanners are attached (`selectHidDevice`).
 */

export interface HidDeviceInfo {
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

export interface HidDeviceHandle {
  on(event: 'data', listener: (report: Buffer) => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
  close(): void;
  /** True when the kernel / other programs no longer see the device's input while it is open. */
  readonly grabbed?: boolean;
}

export interface HidOpenOptions {
  /** Try to take the device from the kernel's input driver (see "Grabbing"). */
  grab: boolean;
}

export interface HidTransport {
  devices(): Promise<HidDeviceInfo[]>;
  open(device: HidDeviceInfo, opts: HidOpenOptions): Promise<HidDeviceHandle>;
}

export interface HidDeviceSelector {
  path?: string;
  vendorId?: number;
  productId?: number;
  serialNumber?: string;
  usagePage?: number;
  usage?: number;
}

export type HidScanMode = 'pos' | 'keyboard';

/** HID POS scanners: usage page 0x8C. Keyboards: Generic Desktop (0x01) usage Keyboard (0x06). */
export const HID_USAGE = {
  POS_PAGE: 0x8c,
  GENERIC_DESKTOP: 0x01,
  KEYBOARD: 0x06,
} as const;

function modeMatches(d: HidDeviceInfo, mode: HidScanMode): boolean | undefined {
  if (d.usagePage === undefined) return undefined;
  return mode === 'pos' ? d.usagePage === HID_USAGE.POS_PAGE : d.usagePage === HID_USAGE.GENERIC_DESKTOP && d.usage === HID_USAGE.KEYBOARD;
}

/**
 * Picks the one device a selector means. Serial number (then path) identifies the scanner; among its interfaces
 * the one whose usage fits the mode wins. Throws `DEVICE_OFFLINE` when none matches and `CONFIG_INVALID` when the
 * selector is ambiguous (two identical scanners and no serial number / path configured).
 */
export function selectHidDevice(devices: HidDeviceInfo[], sel: HidDeviceSelector, mode: HidScanMode): HidDeviceInfo {
  let found = devices.filter(
    (d) =>
      (sel.vendorId === undefined || d.vendorId === sel.vendorId) &&
      (sel.productId === undefined || d.productId === sel.productId) &&
      (sel.serialNumber === undefined || d.serialNumber === sel.serialNumber) &&
      (sel.path === undefined || sel.serialNumber !== undefined || d.path === sel.path) &&
      (sel.usagePage === undefined || d.usagePage === sel.usagePage) &&
      (sel.usage === undefined || d.usage === sel.usage),
  );
  if (sel.usagePage === undefined && found.some((d) => modeMatches(d, mode) === true)) {
    found = found.filter((d) => modeMatches(d, mode) !== false);
  }
  // a serial-number match may list several paths over time; prefer the configured one when it is there
  if (sel.path !== undefined && found.length > 1 && found.some((d) => d.path === sel.path)) found = found.filter((d) => d.path === sel.path);
  const unique = [...new Map(found.map((d) => [d.path, d])).values()];
  if (unique.length === 0) {
    throw new KioskError('DEVICE_OFFLINE', `no HID ${mode === 'pos' ? 'POS' : 'keyboard'} scanner matches ${describeSelector(sel)}`, { selector: sel });
  }
  if (unique.length > 1) {
    throw new KioskError(
      'CONFIG_INVALID',
      `${unique.length} HID devices match ${describeSelector(sel)}; configure the scanner's serialNumber or path`,
      { selector: sel, paths: unique.map((d) => d.path) },
    );
  }
  return unique[0];
}

export function describeSelector(sel: HidDeviceSelector): string {
  const parts: string[] = [];
  if (sel.serialNumber !== undefined) parts.push(`serial ${sel.serialNumber}`);
  if (sel.path !== undefined) parts.push(`path ${sel.path}`);
  if (sel.vendorId !== undefined) parts.push(`VID ${sel.vendorId.toString(16).padStart(4, '0')}`);
  if (sel.productId !== undefined) parts.push(`PID ${sel.productId.toString(16).padStart(4, '0')}`);
  if (sel.usagePage !== undefined) parts.push(`usage page ${sel.usagePage.toString(16)}`);
  return parts.length ? parts.join(', ') : 'any device';
}

/** The part of node-hid v3 this transport uses. */
export interface NodeHidModule {
  devicesAsync(): Promise<HidDeviceInfo[]>;
  setDriverType(type: 'hidraw' | 'libusb'): void;
  getHidapiVersion(): string;
  HIDAsync: {
    open(path: string, options?: { nonExclusive?: boolean }): Promise<{
      on(event: string, listener: (...args: never[]) => void): unknown;
      close(): Promise<void>;
    }>;
  };
}

export interface NodeHidTransportOptions {
  /** Linux backend; default: `libusb` when a keyboard-mode grab is wanted, else `hidraw`. Fixed at first load. */
  driverType?: 'hidraw' | 'libusb';
  /** Loads node-hid (injectable for tests). Default: `import('node-hid')`, at first use. */
  load?: () => Promise<NodeHidModule>;
}

let loaded: { hid: NodeHidModule; driverType: 'hidraw' | 'libusb' } | null = null;

/** Forgets the process-wide loaded module (tests only). */
export function resetNodeHidForTests(): void {
  loaded = null;
}

/** Loads node-hid and its native binding; failures become a clear `KioskError`. */
export async function loadNodeHid(
  driverType: 'hidraw' | 'libusb',
  load: () => Promise<NodeHidModule> = async () => (await import('node-hid')) as unknown as NodeHidModule,
): Promise<{ hid: NodeHidModule; driverType: 'hidraw' | 'libusb' }> {
  if (loaded) return loaded;
  try {
    const hid = await load();
    if (process.platform === 'linux') hid.setDriverType(driverType);
    hid.getHidapiVersion(); // forces the native binding to load now, not at the first read
    loaded = { hid, driverType: process.platform === 'linux' ? driverType : 'hidraw' };
    return loaded;
  } catch (e) {
    const cause = e instanceof Error ? e.message : String(e);
    const hint = /libusb|libudev/.test(cause) ? ' (install libusb-1.0-0 and libudev1: node scripts/setup.js)' : '';
    throw new KioskError('DEVICE_OFFLINE', `USB HID support is unavailable: node-hid could not be loaded: ${cause}${hint}`, {
      reason: 'hid-unavailable',
      cause,
    });
  }
}

/** The production transport over node-hid (`HIDAsync`, so opening and reading never block the event loop). */
export function nodeHidTransport(opts: NodeHidTransportOptions & { grabKeyboard?: boolean } = {}): HidTransport {
  const driverType = opts.driverType ?? (opts.grabKeyboard ? 'libusb' : 'hidraw');
  const get = () => loadNodeHid(driverType, opts.load);
  return {
    async devices() {
      const { hid } = await get();
      const list = await hid.devicesAsync();
      return list.filter((d): d is HidDeviceInfo => typeof d.path === 'string' && d.path !== '');
    },
    async open(device, { grab }) {
      const { hid, driverType: backend } = await get();
      let dev: Awaited<ReturnType<NodeHidModule['HIDAsync']['open']>>;
      try {
        dev = await hid.HIDAsync.open(device.path, { nonExclusive: !grab });
      } catch (e) {
        const cause = e instanceof Error ? e.message : String(e);
        const busy = /busy|exclusive/i.test(cause);
        const hint = /access|permission/i.test(cause) ? ' (no permission: install a udev rule for the scanner)' : '';
        throw new KioskError(busy ? 'DEVICE_BUSY' : 'DEVICE_OFFLINE', `cannot open HID device ${device.path}: ${cause}${hint}`, { path: device.path, cause });
      }
      const grabbed = grab && (process.platform === 'darwin' || (process.platform === 'linux' && backend === 'libusb'));
      return {
        grabbed,
        on(event: 'data' | 'error', listener: (arg: never) => void) {
          dev.on(event, listener as (...args: never[]) => void);
          return this;
        },
        close() {
          dev.close().catch(() => undefined);
        },
      } as HidDeviceHandle;
    },
  };
}
