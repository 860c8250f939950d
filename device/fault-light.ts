import type { LaneLight, LightState } from '../drivers/contract';
import type { Clock } from '../kernel/clock';
import type { KioskConfig } from '../config/schema';
import { buildLight } from './devices/light';
import type { Built } from './devices/types';
import type { Logger } from './logger';
import type { SimControl } from './simulation/sim-control';

type LightSim = NonNullable<SimControl['light']>;

/** The lane light while the kiosk cannot boot: held on the fault's colour until released for the next boot. */
export interface FaultLight {
  /** Opens the configured light (a new simulator when simulated) and sets `state`. Never throws: a failure is logged. */
  hold(state: LightState): Promise<void>;
  /** Closes the light (and its simulator) so the booting kiosk can open it. */
  release(): Promise<void>;
  /** The simulated light's control surface for the control server (`kiosk sim light`): follows each hold(). */
  sim: LightSim | undefined;
}

/**
 * The fault shell's lane light (issue 11, point 3): red steady while the lane cannot boot. It is opened, claimed
 * and set like the supervisor would, in one go; a light that cannot be opened (absent, busy, no board answer) is
 * logged and left alone — the shell stays up without it. release() closes it before every boot attempt: the full
 * kiosk claims the same port (a real board's serial port is exclusive).
 */
export function faultLight(config: KioskConfig, deps: { clock: Clock; log: Logger }): FaultLight {
  let built: Built<LaneLight, LightSim> | null = null;
  let pending: Promise<void> = Promise.resolve();
  const current = (): LightSim | undefined => built?.sim;
  const hold = (state: LightState): Promise<void> => {
    const run = async () => {
      if (!built) {
        const b = await buildLight({ config, clock: deps.clock, log: deps.log });
        if (!b) return; // no light configured
        built = b;
      }
      const light = built.device;
      light.on('error', () => undefined); // its own reconnects; a hold that fails is logged below
      await light.open();
      await light.claim();
      await light.enable();
      await light.set(state);
    };
    pending = pending.then(run).catch(async (e: unknown) => {
      deps.log.warn({ err: e instanceof Error ? e.message : String(e) }, 'lane light not set in the fault shell');
      const b = built;
      built = null;
      await b?.close().catch(() => undefined);
    });
    return pending;
  };
  const release = (): Promise<void> => {
    pending = pending.then(async () => {
      const b = built;
      built = null;
      await b?.close().catch((e: unknown) => deps.log.warn({ err: e instanceof Error ? e.message : String(e) }, 'lane light not closed'));
    });
    return pending;
  };
  const sim: LightSim | undefined =
    config.devices.light.transport === 'simulated'
      ? {
          state: () => current()?.state() ?? null,
          unplug: () => current()?.unplug() ?? Promise.resolve(),
          replug: () => current()?.replug() ?? Promise.resolve(),
        }
      : undefined;
  return { hold, release, sim };
}
