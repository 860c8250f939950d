import type { Device, DeviceEvents } from './device';

/** One decoded read, as the scanner delivered it (AIM prefix kept in `raw` when the scanner sends one). */
export interface ScanData {
  /** The read as text, without the terminating CR/LF. Feed it to `parseScan`. */
  raw: string;
  /** Injected-clock ms when the last byte arrived. */
  at: number;
  /** Which transport produced it: 'serial', 'hid-pos', 'hid-keyboard'. */
  source: 'serial' | 'hid-pos' | 'hid-keyboard';
}

export type ScannerEvents = DeviceEvents & {
  data: [ScanData];
};

/**
 * A barcode scanner. Rules: `data` fires only while enabled; a read is delivered whole (framing is the driver's
 * job) or not at all; garbled framing is an `error` event (`PROTOCOL`) and the next read still arrives.
 */
export type BarcodeScanner = Device<ScannerEvents>;
