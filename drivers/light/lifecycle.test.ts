import { inProcessCable } from '../../simulators/cables';
import { FirmataBoard } from '../../simulators/light/firmata-board';
import { lifecycleSuite, type LifecycleHarness } from '../../test/support/contracts/lifecycle-suite';
import { FirmataLaneLight } from './lane-light';

lifecycleSuite('FirmataLaneLight ↔ Firmata board simulator on a real pty pair', async (): Promise<LifecycleHarness> => {
  const sim = await FirmataBoard.start();
  const device = new FirmataLaneLight({
    path: sim.hostPath,
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

lifecycleSuite('FirmataLaneLight ↔ Firmata board simulator over the in-process link', async (): Promise<LifecycleHarness> => {
  const sim = await FirmataBoard.start({ cable: inProcessCable });
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
