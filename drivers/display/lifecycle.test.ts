import { PoleDisplaySimulator } from '../../simulators/display/pole-display-sim';
import { CABLES } from '../../test/support/cables';
import { lifecycleSuite } from '../../test/support/contracts/lifecycle-suite';
import { PoleDisplay } from './display-driver';

for (const { label, cable } of CABLES) {
  lifecycleSuite(`PoleDisplay ↔ simulated pole display on ${label}`, async () => {
    const sim = await PoleDisplaySimulator.create({ cable });
    const device = new PoleDisplay({ path: sim.hostPath, serial: sim.hostAccess, offlineDebounceMs: 150, reconnectInitialMs: 20, reconnectMaxMs: 160, presencePollMs: 100 });
    return {
      device,
      unplug: () => sim.unplug(),
      replug: () => sim.replug(),
      command: () => device.show(['lifecycle']),
      teardown: () => sim.close(),
    };
  });
}
