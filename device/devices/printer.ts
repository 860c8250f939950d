import type { ReceiptPrinter } from '../../drivers/contract';
import { EscPosPrinter } from '../../drivers/printer/escpos-printer';
import type { PrintJobLedger } from '../../drivers/printer/job-ledger';
import { SerialTransport } from '../../drivers/printer/serial-transport';
import { UsbTransport } from '../../drivers/printer/usb-transport';
import { KioskError } from '../../kernel/errors';
import { fixFor } from '../discovery/native';
import { PrinterSimulator } from '../../simulators/printer/printer-simulator';
import { SerialPrinterSimulator } from '../../simulators/printer/serial-printer';
import type { SimControl } from '../simulation/sim-control';
import { simulatedCable } from './sim-cable';
import type { Built, DeviceContext } from './types';

export async function buildPrinter(ctx: DeviceContext, ledger: PrintJobLedger): Promise<Built<ReceiptPrinter, NonNullable<SimControl['printer']>>> {
  const cfg = ctx.config.devices.printer;
  const common = { ledger, clock: ctx.clock, columns: ctx.config.devices.printerColumns as 42, cjk: ctx.config.devices.printerCjk };
  if (cfg.transport === 'serial') {
    const p = new EscPosPrinter({ ...common, transport: new SerialTransport({ path: cfg.path, baudRate: cfg.baudRate, clock: ctx.clock }) });
    return { device: p, close: () => p.close() };
  }
  if (cfg.transport === 'usb') {
    // the native `usb` module is loaded only when a USB printer is configured
    let mod: typeof import('../../drivers/printer/usb-node-link');
    try {
      mod = await import('../../drivers/printer/usb-node-link');
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      throw new KioskError('DEVICE_OFFLINE', `USB printer support cannot load: ${msg} — fix: ${fixFor(msg)}`);
    }
    const link = new mod.NodeUsbLink({ vendorId: cfg.vendorId, productId: cfg.productId, serialNumber: cfg.serialNumber });
    const p = new EscPosPrinter({ ...common, transport: new UsbTransport(link, { clock: ctx.clock }) });
    return { device: p, close: () => p.close() };
  }
  const pair = await simulatedCable(ctx)('printer');
  const sim = new PrinterSimulator({});
  const wire = await SerialPrinterSimulator.attach(sim, pair.devicePath, { baudRate: 115200, access: pair.access });
  const p = new EscPosPrinter({
    ...common,
    id: 'escpos:simulated',
    transport: new SerialTransport({ path: pair.hostPath, serial: pair.access, baudRate: 115200, clock: ctx.clock }),
    pollIntervalMs: 1000,
    // a loaded machine can answer a pty (or a busy event loop an in-process link) later than the 500 ms default; a reply that comes after its read gave up
    // would be taken for the next query's
    statusTimeoutMs: 1000,
    reconnect: { initialMs: 100, maxMs: 1000 },
  });
  return {
    device: p,
    sim: {
      paperOut: () => sim.paperOut(),
      paperNearEnd: () => sim.paperNearEnd(true),
      paperOk: () => {
        sim.paperOk();
        sim.paperNearEnd(false);
      },
      coverOpen: () => sim.coverOpen(),
      coverClose: () => sim.coverClose(),
      unplug: () => pair.unplug(),
      replug: async () => {
        await pair.replug();
        await wire.reopen(); // a pty whose far end died may never report close: attach to the new line explicitly
      },
      last: () => {
        const r = sim.lastReceipt();
        return r ? { text: r.text, qr: r.qrCodes, barcodes: r.barcodes.map((b) => b.data) } : null;
      },
      receipts: () => sim.receipts().filter((r) => r.cut !== null).length,
    },
    async close() {
      await p.close();
      await wire.close();
      await pair.close();
    },
  };
}
