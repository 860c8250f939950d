import type { BarcodeScanner } from '../../drivers/contract';
import { HidScanner } from '../../drivers/scanner/hid-scanner';
import { SerialScanner } from '../../drivers/scanner/serial-scanner';
import { SerialScannerSimulator } from '../../simulators/scanner/serial-scanner-sim';
import type { SimControl } from '../simulation/sim-control';
import { simulatedCable } from './sim-cable';
import type { Built, DeviceContext } from './types';

export async function buildScanner(ctx: DeviceContext): Promise<Built<BarcodeScanner, NonNullable<SimControl['scanner']>>> {
  const cfg = ctx.config.devices.scanner;
  if (cfg.transport === 'serial') {
    const s = new SerialScanner({ path: cfg.path, baudRate: cfg.baudRate, clock: ctx.clock });
    return { device: s, close: () => s.close() };
  }
  if (cfg.transport === 'hid') {
    const s = new HidScanner({
      clock: ctx.clock,
      mode: cfg.mode,
      layout: cfg.layout,
      device: { path: cfg.path, vendorId: cfg.vendorId, productId: cfg.productId, serialNumber: cfg.serialNumber },
    });
    return { device: s, close: () => s.close() };
  }
  const sim = await SerialScannerSimulator.create({ name: 'scanner', cable: simulatedCable(ctx) });
  const s = new SerialScanner({ path: sim.hostPath, serial: sim.hostAccess, baudRate: 115200, clock: ctx.clock, offlineDebounceMs: 500, reconnectInitialMs: 100, reconnectMaxMs: 1000 });
  return {
    device: s,
    sim: {
      scan: (code, opts) => sim.scan(code, opts),
      unplug: () => sim.unplug(),
      replug: () => sim.replug(),
    },
    async close() {
      await s.close();
      await sim.close();
    },
  };
}
