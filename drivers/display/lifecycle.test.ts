import { inProcessCable } from '../../simulators/cables';
import { PoleDisplaySimulator } from '../../simulators/display/pole-display-sim';
import { lifecycleSuite } from '../../test/support/contracts/lifecycle-suite';
import { PoleDisplay } from './display-driver';

lifecycleSuite('PoleDisplay ↔ simulated pole display on a real pty pair', async () => {
  const sim = await PoleDisplaySimulator.create();
  const device = new PoleDisplay({ path: sim.hostPath, offlineDebounceMs: 150, reconnectInitialMs: 20, reconnectMaxMs: 160, presencePollMs: 100 });
  return {
    device,
    unplug: () => sim.unplug(),
    replug: () => sim.replug(),
    command: () => device.show(['lifecycle']),
    teardown: () => sim.close(),
  };
});

lifecycleSuite('PoleDisplay ↔ simulated pole display over the in-process link', async () => {
  const sim = await PoleDisplaySimulator.create({ cable: inProcessCable });
  const device = new PoleDisplay({ path: sim.hostPath, serial: sim.hostAccess, offlineDebounceMs: 150, reconnectInitialMs: 20, reconnectMaxMs: 160, presencePollMs: 100 });
  return {
    device,
    unplug: () => sim.unplug(),
    replug: () => sim.replug(),
    command: () => device.show(['lifecycle']),
    teardown: () => sim.close(),
  };
});
