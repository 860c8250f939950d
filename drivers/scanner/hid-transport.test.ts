import { EventEmitter } from 'node:events';
import { isKioskError } from '../../kernel/errors';
import {
  HID_USAGE,
  loadNodeHid,
  nodeHidTransport,
  resetNodeHidForTests,
  selectHidDevice,
  type HidDeviceInfo,
  type NodeHidModule,
} from './hid-transport';

const scanner = (over: Partial<HidDeviceInfo>): HidDeviceInfo => ({ path: '/dev/hidraw0', vendorId: 0x0c2e, productId: 0x0b61, ...over });
// one Honeywell scanner exposing two interfaces, and a second identical scanner
const kbd1 = scanner({ path: '/dev/hidraw0', serialNumber: 'A1', usagePage: HID_USAGE.GENERIC_DESKTOP, usage: HID_USAGE.KEYBOARD });
const pos1 = scanner({ path: '/dev/hidraw1', serialNumber: 'A1', usagePage: HID_USAGE.POS_PAGE, usage: 2 });
const kbd2 = scanner({ path: '/dev/hidraw2', serialNumber: 'B2', usagePage: HID_USAGE.GENERIC_DESKTOP, usage: HID_USAGE.KEYBOARD });
const pos2 = scanner({ path: '/dev/hidraw3', serialNumber: 'B2', usagePage: HID_USAGE.POS_PAGE, usage: 2 });
const mouse = scanner({ path: '/dev/hidraw4', vendorId: 0x046d, productId: 0xc077, usagePage: 1, usage: 2 });

describe('selectHidDevice', () => {
  it('one scanner listed twice (keyboard + POS interfaces): the mode picks the interface', () => {
    expect(selectHidDevice([kbd1, pos1, mouse], { vendorId: 0x0c2e }, 'pos').path).toBe('/dev/hidraw1');
    expect(selectHidDevice([kbd1, pos1, mouse], { vendorId: 0x0c2e }, 'keyboard').path).toBe('/dev/hidraw0');
  });

  it('keys by serial number first: two identical scanners are told apart, and a new path is followed', () => {
    const all = [kbd1, pos1, kbd2, pos2];
    expect(selectHidDevice(all, { vendorId: 0x0c2e, productId: 0x0b61, serialNumber: 'B2' }, 'pos').path).toBe('/dev/hidraw3');
    // after a replug the kernel numbered it differently: the serial number still finds it, the old path is ignored
    const moved = { ...pos2, path: '/dev/hidraw7' };
    expect(selectHidDevice([kbd1, pos1, moved], { serialNumber: 'B2', path: '/dev/hidraw3' }, 'pos').path).toBe('/dev/hidraw7');
  });

  it('VID:PID alone is ambiguous with two identical scanners: CONFIG_INVALID, not a guess', () => {
    let error: unknown;
    try {
      selectHidDevice([kbd1, pos1, kbd2, pos2], { vendorId: 0x0c2e, productId: 0x0b61 }, 'pos');
    } catch (e) {
      error = e;
    }
    expect(isKioskError(error, 'CONFIG_INVALID')).toBe(true);
    expect((error as Error).message).toMatch(/serialNumber or path/);
  });

  it('by path alone, and DEVICE_OFFLINE when nothing matches', () => {
    expect(selectHidDevice([kbd1, pos1], { path: '/dev/hidraw1' }, 'pos')).toBe(pos1);
    expect(() => selectHidDevice([mouse], { vendorId: 0x0c2e }, 'pos')).toThrow(expect.objectContaining({ code: 'DEVICE_OFFLINE' }));
  });

  it('a backend that reports no usages (older libusb builds) still matches by ids', () => {
    const bare = scanner({ path: '/dev/bus/usb/001/004', serialNumber: 'C3' });
    expect(selectHidDevice([bare], { serialNumber: 'C3' }, 'keyboard')).toBe(bare);
  });
});

class FakeHidDevice extends EventEmitter {
  closed = false;
  async close(): Promise<void> {
    this.closed = true;
  }
}

function fakeModule(opts: { openError?: Error } = {}) {
  const calls: { driverType: string[]; opens: Array<{ path: string; nonExclusive?: boolean }> } = { driverType: [], opens: [] };
  const dev = new FakeHidDevice();
  const mod: NodeHidModule = {
    async devicesAsync() {
      return [pos1, { ...kbd1, path: '' }];
    },
    setDriverType(t) {
      calls.driverType.push(t);
    },
    getHidapiVersion: () => '0.14.0',
    HIDAsync: {
      async open(path: string, options?: { nonExclusive?: boolean }) {
        calls.opens.push({ path, nonExclusive: options?.nonExclusive });
        if (opts.openError) throw opts.openError;
        return dev as unknown as Awaited<ReturnType<NodeHidModule['HIDAsync']['open']>>;
      },
    },
  };
  return { mod, calls, dev };
}

describe('node-hid loading and the node-hid transport', () => {
  beforeEach(() => resetNodeHidForTests());
  afterAll(() => resetNodeHidForTests());

  it('a native library that fails to load becomes a clear KioskError, not a crash', async () => {
    const load = async (): Promise<NodeHidModule> => {
      throw new Error('libusb-1.0.so.0: cannot open shared object file: No such file or directory');
    };
    const t = nodeHidTransport({ load });
    const err = await t.devices().catch((e: unknown) => e);
    expect(isKioskError(err, 'DEVICE_OFFLINE')).toBe(true);
    expect((err as Error).message).toMatch(/USB HID support is unavailable.*libusb.*install libusb-1.0-0/);
    expect((err as { details: Record<string, unknown> }).details.reason).toBe('hid-unavailable');
    await expect(t.open(pos1, { grab: true })).rejects.toMatchObject({ code: 'DEVICE_OFFLINE' });
  });

  it('the real node-hid either loads or fails with a KioskError, never a crash', async () => {
    // whether libusb is installed on this machine or not, the answer is a list or a KioskError
    const result = await loadNodeHid('hidraw').then(
      (m) => typeof m.hid.devicesAsync,
      (e: unknown) => (isKioskError(e, 'DEVICE_OFFLINE') ? 'unavailable' : e),
    );
    expect(['function', 'unavailable']).toContain(result);
  });

  it('lists only devices with a path, opens with nonExclusive = !grab', async () => {
    const { mod, calls, dev } = fakeModule();
    const t = nodeHidTransport({ load: async () => mod, driverType: 'hidraw' });
    expect(await t.devices()).toEqual([pos1]);
    const h = await t.open(pos1, { grab: true });
    expect(calls.opens).toEqual([{ path: '/dev/hidraw1', nonExclusive: false }]);
    const got: Buffer[] = [];
    h.on('data', (b) => got.push(b));
    dev.emit('data', Buffer.from([2, 0]));
    expect(got).toHaveLength(1);
    h.close();
    expect(dev.closed).toBe(true);
  });

  it('grab on Linux means the libusb backend (kernel driver detached); hidraw cannot grab', async () => {
    const libusb = fakeModule();
    const grabbing = nodeHidTransport({ load: async () => libusb.mod, grabKeyboard: true });
    const h1 = await grabbing.open(kbd1, { grab: true });
    if (process.platform === 'linux') {
      expect(libusb.calls.driverType).toEqual(['libusb']);
      expect(h1.grabbed).toBe(true);
    }
    resetNodeHidForTests();
    const raw = fakeModule();
    const hidraw = nodeHidTransport({ load: async () => raw.mod });
    const h2 = await hidraw.open(kbd1, { grab: true });
    if (process.platform === 'linux') {
      expect(raw.calls.driverType).toEqual(['hidraw']);
      expect(h2.grabbed).toBe(false);
    }
  });

  it('maps open failures: busy → DEVICE_BUSY, permission → DEVICE_OFFLINE with a udev hint', async () => {
    const busy = fakeModule({ openError: new Error('Device or resource busy') });
    await expect(nodeHidTransport({ load: async () => busy.mod }).open(pos1, { grab: true })).rejects.toMatchObject({ code: 'DEVICE_BUSY' });
    resetNodeHidForTests();
    const denied = fakeModule({ openError: new Error('cannot open device with path /dev/hidraw1: Permission denied') });
    const err = await nodeHidTransport({ load: async () => denied.mod })
      .open(pos1, { grab: true })
      .catch((e: unknown) => e);
    expect(isKioskError(err, 'DEVICE_OFFLINE')).toBe(true);
    expect((err as Error).message).toMatch(/udev rule/);
  });
});
