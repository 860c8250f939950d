import { SystemClock } from '../../kernel/clock';
import { inProcessCable, ptyCable } from '../../simulators/cables';
import type { CableMaker } from '../../simulators/serial-cable';
import { PrinterSimulator } from '../../simulators/printer/printer-simulator';
import { SerialPrinterSimulator } from '../../simulators/printer/serial-printer';
import { MapPrintJobLedger } from '../../test/support/contracts/map-ledger';
import { lifecycleSuite, type LifecycleHarness } from '../../test/support/contracts/lifecycle-suite';
import { EscPosPrinter, type EscPosPrinterOptions } from './escpos-printer';
import { SerialTransport } from './serial-transport';
import { UsbTransport } from './usb-transport';

/** Short poll and backoff periods; a generous read timeout so a loaded machine does not turn a slow reply into a miss. */
const FAST: Partial<EscPosPrinterOptions> = { pollIntervalMs: 40, statusTimeoutMs: 1000, offlineAfterMissedPolls: 3, faultConfirmPolls: 2, reconnect: { initialMs: 20, factor: 2, maxMs: 200 } };

function printCommand(printer: EscPosPrinter): () => Promise<unknown> {
  let n = 0;
  return () => printer.print({ id: `lifecycle-${++n}`, blocks: [{ kind: 'text', text: `lifecycle ${n}` }], cut: true });
}

const overSerialCable = (makeCable: CableMaker) => async (): Promise<LifecycleHarness> => {
  const clock = new SystemClock();
  const pair = await makeCable('printer');
  const sim = new PrinterSimulator();
  const end = await SerialPrinterSimulator.attach(sim, pair.devicePath, { baudRate: 115200, access: pair.access });
  const device = new EscPosPrinter({ transport: new SerialTransport({ path: pair.hostPath, serial: pair.access, baudRate: 115200, clock }), ledger: new MapPrintJobLedger(), clock, columns: 42, ...FAST });
  let pulling: Promise<void> = Promise.resolve();
  return {
    device,
    unplug: () => {
      sim.disconnect();
      pulling = pair.unplug(); // a replug must not race the unplug's clean-up
      return pulling;
    },
    replug: async () => {
      await pulling;
      await pair.replug();
      sim.reconnect();
      await end.reopen();
    },
    command: printCommand(device),
    teardown: async () => {
      await end.close();
      await pair.close();
    },
  };
};

lifecycleSuite('EscPosPrinter ↔ printer simulator over a real pty (serial)', overSerialCable(ptyCable));
lifecycleSuite('EscPosPrinter ↔ printer simulator over the in-process serial link', overSerialCable(inProcessCable));

lifecycleSuite('EscPosPrinter ↔ printer simulator behind the injected USB bulk link', async (): Promise<LifecycleHarness> => {
  const clock = new SystemClock();
  const sim = new PrinterSimulator({ clock, serialNumber: 'SIM-USB-LC', emptyReadsBeforeReply: 2 });
  const device = new EscPosPrinter({ transport: new UsbTransport(sim.usbLink(), { clock }), ledger: new MapPrintJobLedger(), clock, ...FAST, statusTimeoutMs: 300 });
  return {
    device,
    unplug: async () => sim.disconnect(),
    replug: async () => sim.reconnect(),
    command: printCommand(device),
    teardown: async () => undefined,
  };
});
