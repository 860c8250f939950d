export * from './escpos-decoder';
export { PrinterSimulator, type PrinterSimState, type PrinterSimulatorOptions } from './printer-simulator';
export { SerialPrinterSimulator } from './serial-printer';
