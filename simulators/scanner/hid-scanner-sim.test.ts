import { BCS_USAGE, DESKTOP_USAGE, USAGE_PAGE } from './hid-usages';
import { encodeHidPosReports, encodeKeyboardReports } from './hid-reports';
import { HidScannerSimulator, SimulatedHidTransport } from './hid-scanner-sim';

describe('HidScannerSimulator and SimulatedHidTransport', () => {
  it('lists one scanner twice, keyboard and HID POS interfaces, same serial number', async () => {
    const sim = new HidScannerSimulator({ serialNumber: 'S1' });
    const list = await sim.transport.devices();
    expect(list.map((d) => [d.serialNumber, d.usagePage, d.usage])).toEqual([
      ['S1', USAGE_PAGE.GENERIC_DESKTOP, DESKTOP_USAGE.KEYBOARD],
      ['S1', USAGE_PAGE.BAR_CODE_SCANNER, BCS_USAGE.BAR_CODE_SCANNER],
    ]);
    expect(new Set(list.map((d) => d.path)).size).toBe(2);
  });

  it('delivers each mode to its own interface, as the encoders build the reports', async () => {
    const sim = new HidScannerSimulator({ layout: 'de' });
    const pos: Buffer[] = [];
    const kbd: Buffer[] = [];
    (await sim.transport.open(sim.posInfo, { grab: true })).on('data', (b) => pos.push(b));
    (await sim.transport.open(sim.keyboardInfo, { grab: true })).on('data', (b) => kbd.push(b));
    sim.scan('4006381333931', { mode: 'pos', aim: ']E0' });
    sim.scan('yz', { mode: 'keyboard' });
    expect(pos).toEqual(encodeHidPosReports('4006381333931', { aim: ']E0', codeId: 0x3f }));
    expect(kbd).toEqual(encodeKeyboardReports('yz', 'de'));
    expect(kbd[0][2]).toBe(0x1d); // y sits where US has z
  });

  it('unplug: open handles get one read error and the devices vanish; replug may bring a new path', async () => {
    const sim = new HidScannerSimulator();
    const h = await sim.transport.open(sim.posInfo, { grab: false });
    const errors: Error[] = [];
    h.on('error', (e) => errors.push(e));
    sim.unplug();
    expect(errors.map((e) => e.message)).toEqual(['could not read from HID device']);
    expect(await sim.transport.devices()).toEqual([]);
    await expect(sim.transport.open(sim.posInfo, { grab: false })).rejects.toMatchObject({ code: 'DEVICE_OFFLINE' });
    sim.replug({ path: '/dev/hidraw9' });
    expect((await sim.transport.devices()).map((d) => d.path)).toEqual(['/dev/hidraw9.0', '/dev/hidraw9.1']);
  });

  it('a grabbed device cannot be opened again; a non-grabbing backend shares it', async () => {
    const t = new SimulatedHidTransport();
    const sim = new HidScannerSimulator({ transport: t });
    const h = await t.open(sim.posInfo, { grab: true });
    expect(h.grabbed).toBe(true);
    await expect(t.open(sim.posInfo, { grab: false })).rejects.toMatchObject({ code: 'DEVICE_BUSY' });
    h.close();
    t.canGrab = false;
    const a = await t.open(sim.posInfo, { grab: true });
    const b = await t.open(sim.posInfo, { grab: true });
    expect([a.grabbed, b.grabbed]).toEqual([false, false]);
    expect(t.openHandles(sim.posInfo.path)).toBe(2);
  });

  it('failWith makes the transport fail like a node-hid that cannot load', async () => {
    const t = new SimulatedHidTransport();
    t.failWith = new Error('libusb missing');
    await expect(t.devices()).rejects.toThrow('libusb missing');
  });
});
