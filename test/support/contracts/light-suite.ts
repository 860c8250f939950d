import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { LaneLight, LightColor, LightMode, LightState } from '../../../drivers/contract/light';

/**
 * The behaviour every `LaneLight` must show, checked against what the lamps really do — observed by a simulator
 * or by reading the board back — not against the driver's own idea of its state. Register it from a test file:
 *
 *   lightContractSuite('my light on the simulator', async () => ({ light, pins, observe, close }));
 */

export type Lamp = Exclude<LightColor, 'off'>;

export interface LightObservation {
  color: LightColor | 'mixed';
  mode: LightMode;
  /** Pins the board drives high right now (at least the lamp pins; a simulator may report every pin). */
  highPins: number[];
}

export interface LightFixture {
  /** A fresh driver, still closed: the suite opens, claims and enables it. */
  light: LaneLight;
  pins: Record<Lamp, number>;
  /** What the lamps show now, observed independently of the driver. */
  observe(): Promise<LightObservation>;
  /** How long an observation may take to match after `set()` (a blink needs a few periods). Default 4000 ms. */
  settleMs?: number;
  /**
   * How long a matching observation must keep matching before it counts, default 1000 ms. Make it longer than a
   * blink half-period: then a lamp that blinks when it should be steady (or was only briefly toggled when it
   * should blink) cannot pass by being caught in one phase.
   */
  stableMs?: number;
  /** Frees whatever the fixture made (the suite closes the driver first). */
  close(): Promise<void>;
}

const LAMPS: readonly Lamp[] = ['green', 'yellow', 'red'];

export function lightContractSuite(name: string, make: () => Promise<LightFixture>): void {
  describe(`LaneLight contract — ${name}`, () => {
    let fx: LightFixture | undefined;
    const fixture = (): LightFixture => {
      if (!fx) throw new Error('fixture was not created (see the beforeAll error)');
      return fx;
    };

    /**
     * Polls the observation until it shows `want` with only the expected pins high, without interruption for
     * `stableMs`, and returns the last observation (which the caller asserts on) — or the last one seen at timeout.
     */
    async function shows(want: LightState): Promise<LightObservation> {
      const f = fixture();
      const stableMs = f.stableMs ?? 1000;
      const deadline = Date.now() + (f.settleMs ?? 4000) + stableMs;
      const expected = want.color === 'off' ? { color: 'off', mode: 'steady' } : want;
      const pin = want.color === 'off' ? -1 : f.pins[want.color];
      let since: number | null = null;
      for (;;) {
        const obs = await f.observe();
        const pinsOk = want.color === 'off' ? obs.highPins.length === 0 : want.mode === 'steady' ? obs.highPins.length === 1 && obs.highPins[0] === pin : obs.highPins.every((p) => p === pin);
        const now = Date.now();
        if (obs.color === expected.color && obs.mode === expected.mode && pinsOk) {
          since ??= now;
          if (now - since >= stableMs) return obs;
        } else since = null;
        if (now > deadline) return obs;
        await new Promise((r) => setTimeout(r, 20));
      }
    }

    beforeAll(async () => {
      fx = await make();
      await fx.light.open();
      await fx.light.claim();
      await fx.light.enable();
    });

    afterAll(async () => {
      await fx?.light.close();
      await fx?.close();
    });

    it('is ready after open → claim → enable: online, enabled, dark', async () => {
      const { light } = fixture();
      expect(light.status()).toMatchObject({ online: true, lifecycle: 'enabled', faults: [] });
      expect(light.current()).toEqual({ color: 'off', mode: 'steady' });
      expect(await shows({ color: 'off', mode: 'steady' })).toMatchObject({ color: 'off', mode: 'steady', highPins: [] });
    });

    for (const color of LAMPS) {
      it(`steady ${color}: the board shows ${color}, and only its pin is high`, async () => {
        const { light, pins } = fixture();
        await light.set({ color, mode: 'steady' });
        expect(light.current()).toEqual({ color, mode: 'steady' });
        expect(await shows({ color, mode: 'steady' })).toEqual({ color, mode: 'steady', highPins: [pins[color]] });
      });
    }

    for (const color of LAMPS) {
      it(`blinking ${color}: the board sees ${color} blink, and no other pin high`, async () => {
        const { light, pins } = fixture();
        await light.set({ color, mode: 'blink' });
        expect(light.current()).toEqual({ color, mode: 'blink' });
        const obs = await shows({ color, mode: 'blink' });
        expect({ color: obs.color, mode: obs.mode }).toEqual({ color, mode: 'blink' });
        expect(obs.highPins.filter((p) => p !== pins[color])).toEqual([]);
      });
    }

    it('blink → steady: the blinking stops', async () => {
      const { light, pins } = fixture();
      await light.set({ color: 'yellow', mode: 'blink' });
      await shows({ color: 'yellow', mode: 'blink' });
      await light.set({ color: 'yellow', mode: 'steady' });
      expect(await shows({ color: 'yellow', mode: 'steady' })).toEqual({ color: 'yellow', mode: 'steady', highPins: [pins.yellow] });
    });

    it('off: every pin low', async () => {
      const { light } = fixture();
      await light.set({ color: 'red', mode: 'steady' });
      await light.set({ color: 'off', mode: 'steady' });
      expect(light.current()).toEqual({ color: 'off', mode: 'steady' });
      expect(await shows({ color: 'off', mode: 'steady' })).toEqual({ color: 'off', mode: 'steady', highPins: [] });
    });

    it('passes its internal and external health checks', async () => {
      const { light } = fixture();
      await light.set({ color: 'green', mode: 'steady' });
      expect(await light.checkHealth('internal')).toMatchObject({ level: 'internal', ok: true });
      expect(await light.checkHealth('external')).toMatchObject({ level: 'external', ok: true });
    });
  });
}
