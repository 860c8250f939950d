import { inProcessCable } from '../../simulators/cables';
import { HidScannerSimulator } from '../../simulators/scanner/hid-scanner-sim';
import { SerialScannerSimulator } from '../../simulators/scanner/serial-scanner-sim';
import { lifecycleSuite } from '../../test/support/contracts/lifecycle-suite';
import { HidScanner } from './hid-scanner';
import { SerialScanner } from './serial-scanner';

const fast = { offlineDebounceMs: 150, reconnectInitialMs: 20, reconnectMaxMs: 160 };

lifecycleSuite('SerialScanner ↔ simulated scanner on a real pty pair', async () => {
  const sim = await SerialScannerSimulator.create();
  const device = new SerialScanner({ path: sim.hostPath, ...fast, presencePollMs: 100 });
  return { device, unplug: () => sim.unplug(), replug: () => sim.replug(), teardown: () => sim.close() };
});

lifecycleSuite('SerialScanner ↔ simulated scanner over the in-process link', async () => {
  const sim = await SerialScannerSimulator.create({ cable: inProcessCable });
  const device = new SerialScanner({ path: sim.hostPath, serial: sim.hostAccess, ...fast, presencePollMs: 100 });
  return { device, unplug: () => sim.unplug(), replug: () => sim.replug(), teardown: () => sim.close() };
});

lifecycleSuite('HidScanner (HID POS) ↔ simulated HID transport', async () => {
  const sim = new HidScannerSimulator({ serialNumber: 'SIM-LC' });
  const device = new HidScanner({ mode: 'pos', device: { serialNumber: 'SIM-LC' }, transport: sim.transport, ...fast });
  return {
    device,
    unplug: async () => sim.unplug(),
    replug: async () => sim.replug(),
    teardown: async () => undefined,
  };
});
