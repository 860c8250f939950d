import { SimulatedClock } from '../../kernel/clock';
import { NodeUsbLink } from './usb-node-link';
import { UsbLinkError, UsbTransport, parseUsbSelector, type UsbBulkLink } from './usb-transport';

function fakeLink(over: Partial<UsbBulkLink> = {}): UsbBulkLink & { out: Uint8Array[] } {
  const out: Uint8Array[] = [];
  return {
    out,
    open: async () => ({ serialNumber: 'SN', path: 'usb:1-2' }),
    claim: async () => undefined,
    release: async () => undefined,
    close: async () => undefined,
    transferOut: async (d) => void out.push(Uint8Array.from(d)),
    transferIn: async () => new Uint8Array(0),
    ...over,
  };
}

describe('parseUsbSelector', () => {
  it('vid:pid in hex, anything else is a serial number', () => {
    expect(parseUsbSelector('04b8:0e28')).toEqual({ vendorId: 0x04b8, productId: 0x0e28 });
    expect(parseUsbSelector(' 0416:5011 ')).toEqual({ vendorId: 0x0416, productId: 0x5011 });
    expect(parseUsbSelector('J7LF012345')).toEqual({ serialNumber: 'J7LF012345' });
  });
});

describe('UsbTransport', () => {
  const clock = new SimulatedClock();

  it.each([
    ['BUSY', 'DEVICE_BUSY'],
    ['ACCESS', 'DEVICE_OFFLINE'],
    ['NOT_FOUND', 'DEVICE_OFFLINE'],
    ['NO_DEVICE', 'DEVICE_OFFLINE'],
  ] as const)('a link %s on claim is %s', async (code, kiosk) => {
    const t = new UsbTransport(
      fakeLink({
        claim: async () => {
          throw new UsbLinkError(code, 'libusb says no');
        },
      }),
      { clock },
    );
    await t.open();
    await expect(t.claim()).rejects.toMatchObject({ code: kiosk });
  });

  it('ACCESS points at the udev rule', async () => {
    const t = new UsbTransport(
      fakeLink({
        open: async () => {
          throw new UsbLinkError('ACCESS', 'LIBUSB_ERROR_ACCESS');
        },
      }),
      { clock },
    );
    await expect(t.open()).rejects.toThrow(/udev/);
  });

  it('writes in chunks; a timed-out IN transfer is an empty read', async () => {
    const link = fakeLink({
      transferIn: async () => {
        throw new UsbLinkError('TIMEOUT', 'LIBUSB_TRANSFER_TIMED_OUT');
      },
    });
    const t = new UsbTransport(link, { clock, chunkSize: 4 });
    await t.claim();
    await t.write(Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]));
    expect(link.out.map((c) => c.length)).toEqual([4, 4, 2]);
    expect((await t.read(100)).length).toBe(0);
    expect(t.identity()).toEqual({ serialNumber: 'SN', path: 'usb:1-2' });
  });

  it('NO_DEVICE on a transfer: DEVICE_OFFLINE, the disconnect listener runs once, later calls reject', async () => {
    const t = new UsbTransport(
      fakeLink({
        transferOut: async () => {
          throw new UsbLinkError('NO_DEVICE', 'gone');
        },
      }),
      { clock },
    );
    await t.claim();
    const lost: Error[] = [];
    t.onDisconnect((e) => lost.push(e));
    await expect(t.write(Uint8Array.of(1))).rejects.toMatchObject({ code: 'DEVICE_OFFLINE' });
    await expect(t.read(10)).rejects.toMatchObject({ code: 'DEVICE_OFFLINE' });
    expect(lost).toHaveLength(1);
    await t.close();
    await t.claim();
  });
});

describe('NodeUsbLink (libusb)', () => {
  it('a vendor:product id that is not attached is NOT_FOUND', async () => {
    const link = new NodeUsbLink({ vendorId: 0xfffe, productId: 0xfffd });
    await expect(link.open()).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await link.close();
  });

  it('an undefined serial number falls back to vendor:product (as config objects pass it); nothing selected is NOT_FOUND', async () => {
    await expect(new NodeUsbLink({ vendorId: 0xfffe, productId: 0xfffd, serialNumber: undefined }).open()).rejects.toThrow(/fffe:fffd/);
    await expect(new NodeUsbLink({ serialNumber: 'NOPE', vendorId: 0xfffe, productId: 0xfffd }).open()).rejects.toThrow(/serial number NOPE/);
    await expect(new NodeUsbLink({}).open()).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});
