import type { DeviceClass } from '../drivers/contract';
import type { PrintJobLedger } from '../drivers/printer/job-ledger';
import type { LaneDevices } from '../runtime/supervision/supervisor';
import { buildDisplay } from './devices/display';
import { buildLight } from './devices/light';
import { buildPrinter } from './devices/printer';
import { buildScanner } from './devices/scanner';
import { buildTerminal } from './devices/terminal';
import type { DeviceContext } from './devices/types';
import type { SimControl } from './simulation/sim-control';

export interface LaneHardware {
  devices: LaneDevices;
  /** Control surfaces of the simulated devices (empty when every device is real). */
  sim: SimControl;
  simulated: DeviceClass[];
  close(): Promise<void>;
}

/**
 * Builds every configured device: a real driver on the configured port, or — for `simulated` — the same real
 * driver on a real pty (or loopback) with a byte-level simulator at the other end. Nothing is opened here: the
 * supervisor brings devices up, so one absent device never stops the others.
 */
export async function buildHardware(ctx: DeviceContext, ledger: PrintJobLedger): Promise<LaneHardware> {
  const built = await Promise.all([buildScanner(ctx), buildTerminal(ctx), buildPrinter(ctx, ledger), buildDisplay(ctx), buildLight(ctx)]);
  const [scanner, terminal, printer, display, light] = built;
  const simulated = (['scanner', 'terminal', 'printer', 'display', 'light'] as const).filter((cls) => ctx.config.devices[cls].transport === 'simulated');
  return {
    devices: { scanner: scanner.device, terminal: terminal.device, printer: printer.device, display: display?.device, light: light?.device },
    sim: { scanner: scanner.sim, terminal: terminal.sim, printer: printer.sim, display: display?.sim, light: light?.sim },
    simulated,
    async close() {
      await Promise.all(built.map((b) => b?.close().catch(() => undefined)));
    },
  };
}
