/**
 * The printer simulator's USB link is written apart from the driver's USB transport (it declares its own link and
 * error shapes). Here the driver's transport runs over it: the error conditions reach the driver as the driver's
 * own codes, and bytes and status replies flow both ways.
 */
import { SimulatedClock } from '../../kernel/clock';
import { UsbTransport } from '../../drivers/printer/usb-transport';
import { PrinterSimulator } from '../../simulators/printer/printer-simulator';

describe("the driver's USB transport over the simulator's USB link", () => {
  it('a claim held by another handle is DEVICE_BUSY (BUSY by shape, not by class)', async () => {
    const clock = new SimulatedClock();
    const sim = new PrinterSimulator({ clock });
    const first = new UsbTransport(sim.usbLink(), { clock });
    const second = new UsbTransport(sim.usbLink(), { clock });
    await first.claim();
    await expect(second.claim()).rejects.toMatchObject({ code: 'DEVICE_BUSY', details: { code: 'BUSY' } });
    await first.release();
    await second.claim();
  });

  it('an unplugged printer is DEVICE_OFFLINE with NOT_FOUND; a cable pulled mid-write reports the loss once', async () => {
    const clock = new SimulatedClock();
    const sim = new PrinterSimulator({ clock });
    sim.disconnect();
    const t = new UsbTransport(sim.usbLink(), { clock });
    await expect(t.open()).rejects.toMatchObject({ code: 'DEVICE_OFFLINE', details: { code: 'NOT_FOUND' } });
    sim.reconnect();
    await t.claim();
    const lost: Error[] = [];
    t.onDisconnect((e) => lost.push(e));
    sim.dropAfter(2);
    await expect(t.write(Buffer.from('abcdef'))).rejects.toMatchObject({ code: 'DEVICE_OFFLINE', details: { code: 'NO_DEVICE' } });
    expect(lost).toHaveLength(1);
  });

  it('bytes go out, the DLE EOT reply comes back through bulk IN', async () => {
    const clock = new SimulatedClock();
    const sim = new PrinterSimulator({ clock });
    const t = new UsbTransport(sim.usbLink(), { clock });
    await t.claim();
    sim.paperNearEnd();
    await t.write(Buffer.from('hello\n\x10\x04\x04'));
    expect(sim.last()).toBe('hello');
    expect([...(await t.read(100))]).toEqual([sim.statusByte(4)]);
  });
});
