import { EscPosPrinter, type EscPosPrinterOptions } from '../../drivers/printer/escpos-printer';
import { SerialTransport } from '../../drivers/printer/serial-transport';
import { SystemClock } from '../../kernel/clock';
import { PtyPair } from '../../simulators/pty-pair';
import { PrinterSimulator } from '../../simulators/printer/printer-simulator';
import { SerialPrinterSimulator } from '../../simulators/printer/serial-printer';

/** The real ESC/POS driver over a real pty to the printer simulator (which decodes the bytes on its own). */
export interface PtyPrinter {
  printer: EscPosPrinter;
  /** The simulator: its control surface (paper out …) and what it printed. */
  sim: PrinterSimulator;
  /** Opened, claimed and enabled. */
  start(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Wires a printer for tests: the driver on the host side of a pty pair at 115 200 baud, the simulator on the device
 * side; status polled every 50 ms, 1 s status timeout, on the system clock (the serial line's timing is real).
 */
export async function ptyPrinter(opts: Pick<EscPosPrinterOptions, 'ledger' | 'columns' | 'cjk'>): Promise<PtyPrinter> {
  const clock = new SystemClock();
  const pair = await PtyPair.create('printer');
  const sim = new PrinterSimulator();
  const wire = await SerialPrinterSimulator.attach(sim, pair.devicePath, { baudRate: 115200 });
  const printer = new EscPosPrinter({
    transport: new SerialTransport({ path: pair.hostPath, baudRate: 115200, clock }),
    clock,
    pollIntervalMs: 50,
    statusTimeoutMs: 1000,
    ...opts,
  });
  return {
    printer,
    sim,
    async start() {
      await printer.open();
      await printer.claim();
      await printer.enable();
    },
    async close() {
      await printer.close();
      await wire.close();
      await pair.close();
    },
  };
}
