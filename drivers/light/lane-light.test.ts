import * as os from 'node:os';
import { statusLog } from '../../test/support/status-log';
import * as path from 'node:path';
import { Board } from 'johnny-five';
import { AssertionFailed, type KioskErrorCode } from '../../kernel/errors';
import { FirmataBoard } from '../../simulators/light/firmata-board';
import { FirmataLaneLight, type FirmataLaneLightOptions } from './lane-light';

const rejectsWith = (p: Promise<unknown>, code: KioskErrorCode) => expect(p).rejects.toMatchObject({ name: 'KioskError', code });

/** Every driver a test makes is closed after it, pass or fail, so the port is never left held. */
const made: FirmataLaneLight[] = [];
afterEach(async () => {
  await Promise.all(made.splice(0).map((l) => l.close()));
});

/** Driver options for tests: short timers, no heartbeat unless asked. */
function lightOn(sim: FirmataBoard, opts: Partial<FirmataLaneLightOptions> = {}): FirmataLaneLight {
  const light = new FirmataLaneLight({ path: sim.hostPath, blinkMs: 150, readyTimeoutMs: 3000, probeIntervalMs: 200, pollIntervalMs: 0, ...opts });
  made.push(light);
  return light;
}

async function ready(light: FirmataLaneLight): Promise<FirmataLaneLight> {
  await light.open();
  await light.claim();
  await light.enable();
  return light;
}

describe('FirmataLaneLight without a board', () => {
  const missing = path.join(os.tmpdir(), 'kiosk-no-such-light-port');

  it('follows the lifecycle order and rejects calls out of order with DEVICE_STATE', async () => {
    const light = new FirmataLaneLight({ path: missing });
    expect(light.status()).toMatchObject({ online: false, lifecycle: 'closed' });
    expect(light.info).toMatchObject({ id: missing, deviceClass: 'light', path: missing });
    await rejectsWith(light.claim(), 'DEVICE_STATE');
    await rejectsWith(light.enable(), 'DEVICE_STATE');
    await rejectsWith(light.set({ color: 'green', mode: 'steady' }), 'DEVICE_STATE');
    await light.open();
    await light.open(); // idempotent
    expect(light.status().lifecycle).toBe('opened');
    await rejectsWith(light.enable(), 'DEVICE_STATE');
    await light.disable(); // going down is always allowed
    expect(light.status().lifecycle).toBe('opened');
    await rejectsWith(light.set({ color: 'green', mode: 'steady' }), 'DEVICE_STATE');
    await light.release(); // already released
    await light.close();
    await light.close();
    expect(light.status().lifecycle).toBe('closed');
  });

  it('claim() on a port that is not there rejects DEVICE_OFFLINE and stays opened', async () => {
    const light = new FirmataLaneLight({ path: missing });
    await light.open();
    await rejectsWith(light.claim(), 'DEVICE_OFFLINE');
    expect(light.status()).toMatchObject({ online: false, lifecycle: 'opened' });
    await light.close();
  });

  it('open() rejects a bad configuration with CONFIG_INVALID, naming each problem', async () => {
    const light = new FirmataLaneLight({ path: missing, pins: { green: 9, yellow: 9, red: 200 }, blinkMs: 10 });
    const err = await light.open().catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'CONFIG_INVALID' });
    expect((err as Error).message).toMatch(/red pin 200/);
    expect((err as Error).message).toMatch(/must differ/);
    expect((err as Error).message).toMatch(/blinkMs/);
  });

  it('an invalid light state is a caller bug (assertion), not a device error', async () => {
    const light = new FirmataLaneLight({ path: missing });
    await expect(light.set({ color: 'blue', mode: 'steady' } as never)).rejects.toBeInstanceOf(AssertionFailed);
  });

  it('health: internal passes while closed, external and interactive say why they cannot run', async () => {
    const light = new FirmataLaneLight({ path: missing });
    expect(await light.checkHealth('internal')).toMatchObject({ level: 'internal', ok: true });
    expect(await light.checkHealth('external')).toMatchObject({ level: 'external', ok: false, code: 'DEVICE_STATE' });
    expect(await light.checkHealth('interactive')).toMatchObject({ level: 'interactive', ok: false, reason: expect.stringMatching(/prompt/) });
  });
});

describe('FirmataLaneLight on the simulated board over a pty pair', () => {
  let sim: FirmataBoard;
  beforeAll(async () => {
    sim = await FirmataBoard.start();
  });
  afterAll(async () => {
    await sim.close();
  });
  afterEach(() => sim.setResponding(true));

  it('claims with the Firmata handshake, reports the firmware and starts dark', async () => {
    sim.receive(Buffer.from([0xf5, 11, 1])); // leftovers from a previous owner: red on
    const light = lightOn(sim);
    const log = statusLog(light);
    await light.open();
    await light.claim();
    expect(light.firmware).toEqual({ name: 'StandardFirmata.ino', version: '2.5', protocol: '2.5' });
    expect(light.info.model).toBe('StandardFirmata.ino');
    expect(light.status()).toMatchObject({ online: true, lifecycle: 'claimed' });
    expect(log.seen).toEqual([]); // status events only while enabled
    await light.enable();
    expect(log.seen).toMatchObject([{ online: true, lifecycle: 'enabled' }]);
    await sim.waitForLight({ color: 'off', mode: 'steady' });
    expect(sim.received.get('capabilityQuery')).toBeGreaterThan(0);
    await light.disable();
    await light.release();
    await light.close();
  });

  it('a second driver on the same port gets DEVICE_BUSY until the first releases it', async () => {
    const first = await ready(lightOn(sim));
    const second = lightOn(sim);
    await second.open();
    await rejectsWith(second.claim(), 'DEVICE_BUSY');
    await first.disable();
    await first.release();
    await second.claim();
    expect(second.status()).toMatchObject({ online: true, lifecycle: 'claimed' });
    await second.close();
    await first.close();
  });

  it('claim() rejects TIMEOUT when the board never answers, and the port is free again', async () => {
    sim.setResponding(false);
    const light = lightOn(sim);
    await light.open();
    const t0 = Date.now();
    const err = await light.claim(600).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'TIMEOUT' });
    expect((err as Error).message).toMatch(/no REPORT_VERSION/);
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(light.status().lifecycle).toBe('opened');
    sim.setResponding(true);
    await light.claim();
    await light.close();
  });

  it('close() during a claim rejects the claim with DEVICE_OFFLINE', async () => {
    sim.setResponding(false);
    const light = lightOn(sim);
    await light.open();
    const claim = light.claim(5000);
    await new Promise((r) => setTimeout(r, 100));
    await light.close();
    await rejectsWith(claim, 'DEVICE_OFFLINE');
    expect(light.status().lifecycle).toBe('closed');
  });

  it('leaves no johnny-five residue behind: no SIGINT handler, no Board kept in its registry', async () => {
    const sigint = process.listenerCount('SIGINT');
    const boards = Board.cache.length;
    const light = lightOn(sim);
    await light.open();
    for (let i = 0; i < 3; i++) {
      await light.claim();
      await light.set({ color: 'yellow', mode: 'blink' });
      expect(process.listenerCount('SIGINT')).toBe(sigint);
      await light.release();
    }
    expect(Board.cache.length).toBe(boards);
  });

  it('a lamp pin the board does not have is CONFIG_INVALID at claim', async () => {
    const light = lightOn(sim, { pins: { red: 40 } });
    await light.open();
    await rejectsWith(light.claim(), 'CONFIG_INVALID');
    await light.close();
  });

  it('set() calls apply in order; current() is the last one applied', async () => {
    const light = await ready(lightOn(sim));
    const all = [light.set({ color: 'green', mode: 'steady' }), light.set({ color: 'red', mode: 'blink' }), light.set({ color: 'yellow', mode: 'steady' })];
    await Promise.all(all);
    expect(light.current()).toEqual({ color: 'yellow', mode: 'steady' });
    await sim.waitForLight({ color: 'yellow', mode: 'steady' });
    // off ignores the mode
    await light.set({ color: 'off', mode: 'blink' });
    expect(light.current()).toEqual({ color: 'off', mode: 'steady' });
    await light.close();
  });

  it('health: internal and external pass; external catches pins the board does not hold; interactive asks a person', async () => {
    const light = await ready(lightOn(sim));
    await light.set({ color: 'yellow', mode: 'blink' });
    await sim.waitForLight({ color: 'yellow', mode: 'blink' });
    expect(await light.checkHealth('internal')).toMatchObject({ ok: true, reason: expect.stringMatching(/consistent/) });
    expect(await light.checkHealth('external')).toMatchObject({ ok: true, reason: expect.stringMatching(/StandardFirmata\.ino 2\.5/) });
    expect(await light.readBack()).toEqual({ green: 0, yellow: expect.any(Number), red: 0 });

    const asked: string[] = [];
    const seenDuringPrompt: string[] = [];
    const yes = await light.checkHealth('interactive', {
      prompt: async (text) => {
        asked.push(text);
        await sim.waitForLight({ color: 'green', mode: 'steady' });
        seenDuringPrompt.push(sim.light().color);
        return true;
      },
    });
    expect(yes).toMatchObject({ level: 'interactive', ok: true });
    expect(asked).toEqual([expect.stringMatching(/GREEN/)]);
    expect(seenDuringPrompt).toEqual(['green']);
    expect(light.current()).toEqual({ color: 'yellow', mode: 'blink' }); // restored
    await sim.waitForLight({ color: 'yellow', mode: 'blink' });
    expect(await light.checkHealth('interactive', { prompt: async () => false })).toMatchObject({ ok: false });

    // something behind the driver's back drives red and clears green: the readback disagrees with the state
    await light.set({ color: 'green', mode: 'steady' });
    await light.readBack(); // a round trip: the board has processed everything sent before
    sim.receive(Buffer.from([0x91, 0x08, 0x00])); // port 1: only pin 11 (red) high
    const ext = await light.checkHealth('external');
    expect(ext).toMatchObject({ ok: false, code: 'PROTOCOL', reason: expect.stringMatching(/green pin 9 = 0, expected on/) });
    await light.close();
  });

  it('release() leaves a blinking colour on steady and the port free; claim() again re-applies the state', async () => {
    const light = await ready(lightOn(sim));
    await light.set({ color: 'red', mode: 'blink' });
    await sim.waitForLight({ color: 'red', mode: 'blink' });
    await light.disable();
    await light.release();
    await sim.waitForLight({ color: 'red', mode: 'steady' });
    await rejectsWith(light.set({ color: 'green', mode: 'steady' }), 'DEVICE_STATE');
    await light.claim();
    await sim.waitForLight({ color: 'red', mode: 'blink' });
    await light.close();
  });
});

describe('FirmataLaneLight on a board advertising PWM on the lamp pins (like a real Uno)', () => {
  it('drives the lamps with ANALOG_MESSAGE at full scale, steady and blinking', async () => {
    const sim = await FirmataBoard.start({ pwmPins: [3, 5, 6, 9, 10, 11] });
    const light = await ready(lightOn(sim));
    try {
      await light.set({ color: 'red', mode: 'steady' });
      await sim.waitForLight({ color: 'red', mode: 'steady' });
      expect(sim.pin(11)).toMatchObject({ mode: 3, value: 255 });
      expect(sim.received.get('analogMessage')).toBeGreaterThan(0);
      await light.set({ color: 'yellow', mode: 'blink' });
      await sim.waitForLight({ color: 'yellow', mode: 'blink' });
      expect(sim.highPins().filter((p) => p !== 10)).toEqual([]);
      expect(await light.checkHealth('external')).toMatchObject({ ok: true });
    } finally {
      await light.close();
      await sim.close();
    }
  });
});

describe('FirmataLaneLight hot-plug', () => {
  const fast = { offlineDebounceMs: 300, reconnect: { initialMs: 100, maxMs: 300 } };

  it('unplug → offline (debounced), commands reject; replug → online with the last state re-applied', async () => {
    const sim = await FirmataBoard.start();
    const light = await ready(lightOn(sim, fast));
    const log = statusLog(light);
    try {
      await light.set({ color: 'yellow', mode: 'blink' });
      await sim.waitForLight({ color: 'yellow', mode: 'blink' });

      const t0 = Date.now();
      await sim.unplug();
      const offline = await log.next((s) => !s.online);
      expect(Date.now() - t0).toBeGreaterThanOrEqual(250); // not before the debounce
      expect(offline).toMatchObject({ online: false, lifecycle: 'enabled', detail: expect.stringMatching(/lost/) });
      expect(light.status().online).toBe(false);
      await rejectsWith(light.set({ color: 'green', mode: 'steady' }), 'DEVICE_OFFLINE');
      expect(light.current()).toEqual({ color: 'yellow', mode: 'blink' }); // unchanged, not queued
      expect(await light.checkHealth('external')).toMatchObject({ ok: false, code: 'DEVICE_OFFLINE' });
      expect(await light.checkHealth('internal')).toMatchObject({ ok: true, reason: expect.stringMatching(/link down/) });
      expect(sim.light()).toEqual({ color: 'off', mode: 'steady' }); // the board lost power

      await sim.replug();
      const online = await log.next((s) => s.online);
      expect(online).toMatchObject({ online: true, lifecycle: 'enabled', detail: expect.stringMatching(/re-applied/) });
      await sim.waitForLight({ color: 'yellow', mode: 'blink' });
      await light.set({ color: 'green', mode: 'steady' });
      await sim.waitForLight({ color: 'green', mode: 'steady' });
    } finally {
      await light.close();
      await sim.close();
    }
  });

  it('a glitch shorter than the debounce is never reported offline', async () => {
    const sim = await FirmataBoard.start();
    const light = await ready(lightOn(sim, { ...fast, offlineDebounceMs: 3000, reconnect: { initialMs: 50, maxMs: 100 } }));
    const log = statusLog(light);
    try {
      await light.set({ color: 'red', mode: 'steady' });
      await sim.waitForLight({ color: 'red', mode: 'steady' });
      const handshakes = sim.received.get('capabilityQuery') ?? 0;
      await sim.unplug();
      await sim.replug();
      await sim.waitForLight({ color: 'red', mode: 'steady' }, 3000);
      expect(sim.received.get('capabilityQuery')).toBe(handshakes + 1); // it did reconnect
      expect(log.seen).toEqual([]);
      expect(light.status().online).toBe(true);
    } finally {
      await light.close();
      await sim.close();
    }
  });

  it('a board that stops answering the heartbeat goes offline, and comes back when it answers again', async () => {
    const sim = await FirmataBoard.start();
    const light = await ready(lightOn(sim, { ...fast, pollIntervalMs: 150, pollTimeoutMs: 150, missedPollsOffline: 2, readyTimeoutMs: 400 }));
    const log = statusLog(light);
    try {
      await light.set({ color: 'green', mode: 'steady' });
      sim.setResponding(false);
      const offline = await log.next((s) => !s.online);
      expect(offline.detail).toMatch(/REPORT_VERSION/);
      sim.setResponding(true);
      await log.next((s) => s.online);
      await sim.waitForLight({ color: 'green', mode: 'steady' });
      expect(await light.checkHealth('external')).toMatchObject({ ok: true });
    } finally {
      await light.close();
      await sim.close();
    }
  });
});
