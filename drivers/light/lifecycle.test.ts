import { FirmataBoard } from '../../simulators/light/firmata-board';
import { CABLES } from '../../test/support/cables';
import { lifecycleSuite, type LifecycleHarness } from '../../test/support/contracts/lifecycle-suite';
import { FirmataLaneLight } from './lane-light';

for (const { label, cable } of CABLES) {
  lifecycleSuite(`FirmataLaneLight ↔ Firmata board simulator on ${label}`, async (): Promise<LifecycleHarness> => {
    const sim = await FirmataBoard.start({ cable });
    const device = new FirmataLaneLight({
      path: sim.hostPath,
      serial: sim.hostAccess,
      blinkMs: 150,
      readyTimeoutMs: 3000,
      probeIntervalMs: 200,
      pollIntervalMs: 0,
      offlineDebounceMs: 300,
      reconnect: { initialMs: 100, maxMs: 300 },
    });
    let n = 0;
    return {
      device,
      unplug: () => sim.unplug(),
      replug: () => sim.replug(),
      command: () => device.set(n++ % 2 === 0 ? { color: 'green', mode: 'steady' } : { color: 'red', mode: 'steady' }),
      commandNeeds: 'claimed',
      teardown: () => sim.close(),
    };
  });
}
