/** Scanner simulators: serial on a real pty pair, USB HID behind the injectable HID transport. */
export { SerialScannerSimulator, type SerialScanOptions, type SerialScannerSimOptions } from './serial-scanner-sim';
export { HidScannerSimulator, SimulatedHidTransport, type HidScanOptions, type HidScannerSimOptions } from './hid-scanner-sim';
export { encodeHidPosReports, encodeKeyboardReports, type KeyboardReportOptions, type PosReportOptions } from './hid-reports';
