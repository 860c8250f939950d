import { SystemClock } from '../../kernel/clock';
import { inProcessCable, ptyCable } from '../../simulators/cables';
import type { CableMaker } from '../../simulators/serial-cable';
import { PrinterSimulator } from '../../simulators/printer/printer-simulator';
import { SerialPrinterSimulator } from '../../simulators/printer/serial-printer';
import { EscPosPrinter, type EscPosPrinterOptions } from './escpos-printer';
import { SerialTransport } from './serial-transport';
import { MapPrintJobLedger } from '../../test/support/contracts/map-ledger';
import { printerContractSuite, type PrinterUnderTest } from '../../test/support/contracts/printer-suite';
import { NodeUsbLink } from './usb-node-link';
import { UsbTransport, parseUsbSelector } from './usb-transport';

/**
 * Short poll and backoff periods (the simulator answers in well under a millisecond); a generous read timeout,
 * which costs nothing while replies come and keeps a loaded CI machine from turning a slow reply into a miss.
 */
const FAST: Partial<EscPosPrinterOptions> = {
  pollIntervalMs: 40,
  statusTimeoutMs: 1000,
  offlineAfterMissedPolls: 3,
  faultConfirmPolls: 2,
  reconnect: { initialMs: 20, factor: 2, maxMs: 200 },
};

/** The real driver on the host end of a serial cable (a real pty pair, or the in-process link); the simulator on the device end. */
function overSerialCable(makeCable: CableMaker) {
  return async (): Promise<PrinterUnderTest> => {
    const clock = new SystemClock();
    const pair = await makeCable('printer');
    const sim = new PrinterSimulator();
    const device = await SerialPrinterSimulator.attach(sim, pair.devicePath, { baudRate: 115200, access: pair.access });
    const ledger = new MapPrintJobLedger();
    const make = () => new EscPosPrinter({ transport: new SerialTransport({ path: pair.hostPath, serial: pair.access, baudRate: 115200, clock }), ledger, clock, columns: 42, ...FAST });
    const printer = make();
    let off: (() => void) | null = null;
    let pulling: Promise<void> = Promise.resolve();
    const pull = () => {
      sim.disconnect();
      // kept: a replug must not race the unplug (whose clean-up removes the link paths)
      pulling = pair.unplug();
      return pulling;
    };
    return {
      printer,
      ledger,
      sim,
      makeSecond: make,
      cable: {
        pullAfter(n: number) {
          let seen = 0;
          off = sim.onData((d) => {
            seen += d.length;
            if (seen >= n && off) {
              off();
              off = null;
              void pull();
            }
          });
        },
        pullNow: pull,
        async restore() {
          await pulling;
          await pair.replug();
          sim.reconnect();
          await device.reopen();
        },
      },
      async dispose() {
        await printer.close();
        await device.close();
        await pair.close();
      },
    };
  };
}

printerContractSuite('simulator over a real pty (serial)', overSerialCable(ptyCable), { hasSim: true, hasCable: true, hasSecond: true });
printerContractSuite('simulator over the in-process serial link (no socat)', overSerialCable(inProcessCable), { hasSim: true, hasCable: true, hasSecond: true });

printerContractSuite(
  'simulator behind the injected USB bulk link',
  async (): Promise<PrinterUnderTest> => {
    const clock = new SystemClock();
    const sim = new PrinterSimulator({ clock, serialNumber: 'SIM-USB-42', emptyReadsBeforeReply: 2 });
    const ledger = new MapPrintJobLedger();
    const make = () => new EscPosPrinter({ transport: new UsbTransport(sim.usbLink(), { clock }), ledger, clock, columns: 48, ...FAST, statusTimeoutMs: 300 });
    const printer = make();
    return {
      printer,
      ledger,
      sim,
      makeSecond: make,
      cable: {
        pullAfter: (n) => sim.dropAfter(n),
        pullNow: async () => sim.disconnect(),
        restore: async () => sim.reconnect(),
      },
      dispose: () => printer.close(),
    };
  },
  { hasSim: true, hasCable: true, hasSecond: true },
);

// Real hardware: registered only when the environment names a printer (CI has none, and skipped tests are not allowed).
const serialPort = process.env.KIOSK_PRINTER_PORT;
if (serialPort) {
  printerContractSuite(
    `hardware on ${serialPort}`,
    async () => {
      const clock = new SystemClock();
      const ledger = new MapPrintJobLedger();
      const make = () =>
        new EscPosPrinter({
          transport: new SerialTransport({ path: serialPort, baudRate: Number(process.env.KIOSK_PRINTER_BAUD ?? 9600), clock }),
          ledger,
          clock,
          columns: Number(process.env.KIOSK_PRINTER_COLUMNS ?? 48) as 32 | 42 | 48,
        });
      const printer = make();
      return { printer, ledger, makeSecond: make, dispose: () => printer.close() };
    },
    { hasSim: false, hasCable: false, hasSecond: true },
  );
}

const usbSelector = process.env.KIOSK_PRINTER_USB;
if (usbSelector) {
  printerContractSuite(
    `hardware on USB ${usbSelector}`,
    async () => {
      const clock = new SystemClock();
      const ledger = new MapPrintJobLedger();
      const printer = new EscPosPrinter({
        transport: new UsbTransport(new NodeUsbLink(parseUsbSelector(usbSelector)), { clock }),
        ledger,
        clock,
        columns: Number(process.env.KIOSK_PRINTER_COLUMNS ?? 48) as 32 | 42 | 48,
      });
      return { printer, ledger, dispose: () => printer.close() };
    },
    { hasSim: false, hasCable: false, hasSecond: false },
  );
}
