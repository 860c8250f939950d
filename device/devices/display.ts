import type { CustomerDisplay } from '../../drivers/contract';
import { PoleDisplay } from '../../drivers/display/display-driver';
import { PoleDisplaySimulator } from '../../simulators/display/pole-display-sim';
import type { SimControl } from '../simulation/sim-control';
import { simulatedCable } from './sim-cable';
import type { Built, DeviceContext } from './types';

export async function buildDisplay(ctx: DeviceContext): Promise<Built<CustomerDisplay, NonNullable<SimControl['display']>> | null> {
  const cfg = ctx.config.devices.display;
  if (cfg.transport === 'none') return null;
  if (cfg.transport === 'serial') {
    const d = new PoleDisplay({ path: cfg.path, baudRate: cfg.baudRate, clock: ctx.clock });
    return { device: d, close: () => d.close() };
  }
  const sim = await PoleDisplaySimulator.create({ name: 'display', cable: simulatedCable(ctx) });
  const d = new PoleDisplay({ path: sim.hostPath, serial: sim.hostAccess, baudRate: 9600, clock: ctx.clock, offlineDebounceMs: 500, reconnectInitialMs: 100, reconnectMaxMs: 1000 });
  return {
    device: d,
    sim: { lines: () => sim.lines(), unplug: () => sim.unplug(), replug: () => sim.replug() },
    async close() {
      await d.close();
      await sim.close();
    },
  };
}
