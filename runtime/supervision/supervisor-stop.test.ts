/**
 * Stopping the supervisor is quiet: a device that goes offline because the kiosk is closing it changes neither the
 * lane's condition nor the light, and nothing is reported as a device error (a clean SIGTERM used to log a
 * warn-level `device error` for the light: closing the terminal turned the condition red, and the light, being
 * closed at the same moment, refused the set).
 */
import { EventEmitter } from 'node:events';
import type { DeviceClass, DeviceStatus, LightState } from '../../drivers/contract';
import { SimulatedClock } from '../../kernel/clock';
import { KioskError } from '../../kernel/errors';
import { DeviceSupervisor, type LaneDevices } from './supervisor';

class FakeDevice extends EventEmitter {
  lifecycle: 'closed' | 'enabled' = 'closed';
  online = false;
  constructor(
    readonly cls: DeviceClass,
    /** Runs when the device is being closed, before it reports closed (what a real driver may do). */
    private readonly onClose: (d: FakeDevice) => void = () => undefined,
  ) {
    super();
  }
  get info() {
    return { id: this.cls, deviceClass: this.cls, driver: 'fake' };
  }
  status(): DeviceStatus {
    return { online: this.online, lifecycle: this.lifecycle, faults: [], since: 0 };
  }
  async open() {}
  async claim() {}
  async enable() {
    this.lifecycle = 'enabled';
    this.online = true;
  }
  async close() {
    this.onClose(this);
    await Promise.resolve();
    this.lifecycle = 'closed';
    this.online = false;
  }
}

class FakeLight extends FakeDevice {
  lamp: LightState = { color: 'off', mode: 'steady' };
  readonly sets: LightState[] = [];
  private closing = false;
  current() {
    return { ...this.lamp };
  }
  async set(s: LightState) {
    this.sets.push(s);
    if (this.closing) throw new KioskError('DEVICE_STATE', 'light is closing');
    this.lamp = s;
  }
  override async close() {
    this.closing = true;
    await super.close();
  }
}

describe('DeviceSupervisor.stop', () => {
  it('a device going offline while the supervisor closes it: no condition change, no light set, no device error', async () => {
    // the terminal reports offline while it is being closed, before the light's own close has finished
    const terminal = new FakeDevice('terminal', (d) => {
      d.online = false;
      d.emit('status', d.status());
    });
    const light = new FakeLight('light');
    // the light comes first: its close starts first, so it is "closing" when the terminal's offline status arrives
    const devices = { light, terminal } as unknown as LaneDevices;
    const sup = new DeviceSupervisor(devices, { clock: new SimulatedClock(), required: ['terminal'] });
    const first = await sup.start();
    expect(first.inService).toBe(true);
    // the light follows the condition while running
    terminal.emit('status', terminal.status());
    await new Promise((r) => setImmediate(r));
    expect(light.current()).toEqual({ color: 'green', mode: 'steady' });
    const setsBefore = light.sets.length;

    const conditions: unknown[] = [];
    const errors: unknown[] = [];
    sup.on('condition', (c) => conditions.push(c));
    sup.on('deviceError', (cls, e) => errors.push([cls, e.message]));
    await sup.stop();
    await new Promise((r) => setImmediate(r));
    expect({ sets: light.sets.slice(setsBefore), conditions, errors }).toEqual({ sets: [], conditions: [], errors: [] });
    expect(sup.condition().inService).toBe(true); // the last condition while running, not the shutdown's
  });
});
