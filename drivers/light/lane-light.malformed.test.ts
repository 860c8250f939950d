import { statusLog } from '../../test/support/status-log';
import type { KioskError } from '../../kernel/errors';
import { FirmataBoard } from '../../simulators/light/firmata-board';
import { DEFAULT_MAX_SYSEX_BYTES } from './firmata-framer';
import { FirmataLaneLight } from './lane-light';

/**
 * Issue 11 point 9: bytes from the lane light's board can never take the kiosk down. Each case runs the real
 * driver (johnny-five over firmata.js over serialport) on a real pty pair against the simulated StandardFirmata
 * board, which then sends bytes firmata.js itself throws on inside serialport's read callback (an uncaught
 * exception) or buffers without end.
 */

describe('FirmataLaneLight: a board sending what firmata.js cannot take', () => {
  let sim: FirmataBoard;
  let light: FirmataLaneLight;
  let errors: KioskError[];
  const uncaught: Error[] = [];
  const onUncaught = (err: Error): void => {
    uncaught.push(err);
  };

  beforeAll(async () => {
    process.on('uncaughtException', onUncaught);
    sim = await FirmataBoard.start();
  });
  afterAll(async () => {
    process.removeListener('uncaughtException', onUncaught);
    await sim.close();
  });
  beforeEach(async () => {
    light = new FirmataLaneLight({
      path: sim.hostPath,
      blinkMs: 150,
      readyTimeoutMs: 3000,
      probeIntervalMs: 200,
      pollIntervalMs: 0,
      reconnect: { initialMs: 50, maxMs: 200 },
    });
    errors = [];
    light.on('error', (e) => errors.push(e));
    await light.open();
    await light.claim();
    await light.enable();
    await light.set({ color: 'green', mode: 'steady' });
    await sim.waitForLight({ color: 'green', mode: 'steady' });
  });
  afterEach(async () => {
    await light.close();
  });

  /** The bytes arrive, the light reports the fault, reconnects by itself and drives the lamps again. */
  async function faultsAndRecovers(bytes: Buffer, detail: RegExp): Promise<void> {
    const log = statusLog(light, 8000);
    const handshakes = sim.received.get('capabilityQuery') ?? 0;
    void sim.sendRaw(bytes).catch(() => undefined);
    const faulty = await log.next((s) => !s.online);
    expect(faulty).toMatchObject({ online: false, lifecycle: 'enabled', faults: ['HARDWARE'], detail: expect.stringMatching(detail) });
    expect(errors).toEqual([expect.objectContaining({ code: 'PROTOCOL', message: expect.stringMatching(detail) })]);
    const back = await log.next((s) => s.online);
    expect(back).toMatchObject({ online: true, faults: [], detail: expect.stringMatching(/reconnected/) });
    expect(sim.received.get('capabilityQuery')).toBe(handshakes + 1); // a fresh handshake
    await sim.waitForLight({ color: 'green', mode: 'steady' }); // the state was re-applied
    await light.set({ color: 'red', mode: 'blink' });
    await sim.waitForLight({ color: 'red', mode: 'blink' });
    expect(await light.checkHealth('external')).toMatchObject({ ok: true });
    expect(light.inputStats().peakHeldBytes).toBeLessThanOrEqual(DEFAULT_MAX_SYSEX_BYTES);
    expect(uncaught).toEqual([]);
  }

  it('a PIN_STATE_RESPONSE for a pin the board does not have (F0 6E 7F 01 00 F7)', async () => {
    await faultsAndRecovers(Buffer.from([0xf0, 0x6e, 0x7f, 0x01, 0x00, 0xf7]), /PIN_STATE_RESPONSE for pin 127, the board has 20 pins/);
    expect(light.inputStats().malformed).toBe(1);
  });

  it('a zero-length REPORT_FIRMWARE (F0 79 F7)', async () => {
    await faultsAndRecovers(Buffer.from([0xf0, 0x79, 0xf7]), /REPORT_FIRMWARE reply of 3 bytes/);
    expect(light.inputStats().malformed).toBe(1);
  });

  it('an ANALOG_MAPPING_RESPONSE longer than the board has pins', async () => {
    const mapping = Buffer.from([0xf0, 0x6a, ...Array.from({ length: 21 }, () => 0x7f), 0xf7]);
    await faultsAndRecovers(mapping, /ANALOG_MAPPING_RESPONSE for 21 pins, the board has 20/);
  });

  it('a sysex that never ends (1 MB without F7): dropped at the cap, nothing held beyond it', async () => {
    const endless = Buffer.alloc(1 + 1024 * 1024, 0x01);
    endless[0] = 0xf0;
    await faultsAndRecovers(endless, new RegExp(`sysex without F7 longer than ${DEFAULT_MAX_SYSEX_BYTES} bytes`));
    const stats = light.inputStats();
    expect(stats.overflows).toBe(1);
    expect(stats.peakHeldBytes).toBeGreaterThan(DEFAULT_MAX_SYSEX_BYTES / 2); // the cap was reached, not avoided
    expect(stats.peakHeldBytes).toBeLessThanOrEqual(DEFAULT_MAX_SYSEX_BYTES);
  });

  it('line noise and unknown sysex between good replies are skipped without a fault', async () => {
    const log = statusLog(light, 8000);
    await sim.sendRaw(Buffer.from([0x01, 0x02, 0xf7, 0xf0, 0x42, 0x01, 0xf7, 0x55, 0xf0, 0x6e, 0x09])); // last one cut short
    await light.set({ color: 'yellow', mode: 'steady' });
    await sim.waitForLight({ color: 'yellow', mode: 'steady' });
    expect(await light.checkHealth('external')).toMatchObject({ ok: true });
    expect(log.seen).toEqual([]);
    expect(light.status()).toMatchObject({ online: true, faults: [] });
    expect(light.inputStats()).toMatchObject({ malformed: 0, overflows: 0, ignored: 1 });
    expect(light.inputStats().skippedBytes).toBeGreaterThanOrEqual(6);
  });
});

describe('FirmataLaneLight: a malformed reply during the handshake', () => {
  it('claim() rejects PROTOCOL naming the reply, the port is free, and a later claim on good bytes works', async () => {
    const sim = await FirmataBoard.start({ announce: false });
    const light = new FirmataLaneLight({ path: sim.hostPath, readyTimeoutMs: 3000, probeIntervalMs: 200, pollIntervalMs: 0 });
    try {
      await light.open();
      sim.setResponding(false);
      // as soon as the driver asks, answer the version and then a zero-length firmware report
      sim.once('command', () => void sim.sendRaw(Buffer.from([0xf9, 0x02, 0x05, 0xf0, 0x79, 0xf7])));
      const err = await light.claim().catch((e: unknown) => e);
      expect(err).toMatchObject({ name: 'KioskError', code: 'PROTOCOL', message: expect.stringMatching(/REPORT_FIRMWARE reply of 3 bytes/) });
      expect(light.status()).toMatchObject({ online: false, lifecycle: 'opened' });
      sim.setResponding(true);
      await light.claim();
      await light.enable();
      await light.set({ color: 'yellow', mode: 'steady' });
      await sim.waitForLight({ color: 'yellow', mode: 'steady' });
    } finally {
      await light.close();
      await sim.close();
    }
  });
});
