import { inProcessCable } from '../../simulators/cables';
import { FirmataBoard } from '../../simulators/light/firmata-board';
import type { CableMaker } from '../../simulators/serial-cable';
import { FirmataLaneLight } from './lane-light';
import { lightContractSuite, type Lamp, type LightFixture, type LightObservation } from '../../test/support/contracts/light-suite';

/** The real driver on the host end of a real pty pair; the simulated StandardFirmata board on the device end. */
function onSimulator(cable?: CableMaker) {
  return async (): Promise<LightFixture> => {
    const sim = await FirmataBoard.start({ cable });
    const light = new FirmataLaneLight({ path: sim.hostPath, serial: sim.hostAccess, blinkMs: 150, readyTimeoutMs: 5000 });
    return {
      light,
      pins: sim.colorPins,
      stableMs: 400, // > 2 blink half-periods
      observe: async (): Promise<LightObservation> => ({ ...sim.light(), highPins: sim.highPins() }),
      close: () => sim.close(),
    };
  };
}

lightContractSuite('FirmataLaneLight on a simulated StandardFirmata board (digital pins) over a pty pair', onSimulator());
lightContractSuite('FirmataLaneLight on a simulated StandardFirmata board over the in-process link (no socat)', onSimulator(inProcessCable));

/**
 * Real hardware: KIOSK_LIGHT_PORT=/dev/ttyACM0 (optionally KIOSK_LIGHT_PINS=green,yellow,red, default 9,10,11).
 * Registered only when the variable is set — CI has no board and the project allows no skipped tests.
 * The lamps are observed by reading the board back (PIN_STATE_QUERY) and sampling for a blink.
 */
const realPort = process.env.KIOSK_LIGHT_PORT;
if (realPort) {
  lightContractSuite(`FirmataLaneLight on the real board at ${realPort}`, async () => {
    const [green = 9, yellow = 10, red = 11] = (process.env.KIOSK_LIGHT_PINS ?? '').split(',').filter(Boolean).map(Number);
    const pins = { green, yellow, red };
    const blinkMs = 250;
    const light = new FirmataLaneLight({ path: realPort, pins, blinkMs });
    const observe = async (): Promise<LightObservation> => {
      // sample for 2.5 half-periods: a blinking lamp changes at least twice, a steady one never
      const samples: Array<Record<Lamp, number>> = [];
      const until = Date.now() + blinkMs * 2.5;
      do {
        samples.push(await light.readBack());
        await new Promise((r) => setTimeout(r, 30));
      } while (Date.now() < until);
      const lamps: Lamp[] = ['green', 'yellow', 'red'];
      const changes = (c: Lamp) => samples.slice(1).filter((s, i) => s[c] > 0 !== samples[i]![c] > 0).length;
      const blinking = lamps.filter((c) => changes(c) >= 2);
      const last = samples[samples.length - 1]!;
      const lit = lamps.filter((c) => !blinking.includes(c) && last[c] > 0);
      const highPins = lamps.filter((c) => last[c] > 0).map((c) => pins[c]);
      if (blinking.length === 1 && lit.length === 0) return { color: blinking[0]!, mode: 'blink', highPins };
      if (blinking.length === 0 && lit.length === 1) return { color: lit[0]!, mode: 'steady', highPins };
      if (blinking.length === 0 && lit.length === 0) return { color: 'off', mode: 'steady', highPins };
      return { color: 'mixed', mode: blinking.length > 0 ? 'blink' : 'steady', highPins };
    };
    return { light, pins, observe, settleMs: 8000, close: async () => undefined };
  });
}
