/** Barcode scanner drivers: serial (RS-232 / USB CDC) and USB HID (HID POS, keyboard wedge). */
export { SerialScanner, type SerialScannerOptions } from './serial-scanner';
export { HidScanner, type HidScannerOptions } from './hid-scanner';
export { SerialFramer, SerialReadDecoder, DEFAULT_MAX_READ_LENGTH, type FramedRead, type SerialFramerOptions, type SerialSuffix } from './serial-framer';
export {
  HidPosDecoder,
  HONEYWELL_HID_POS,
  resolveHidPosFormat,
  type HidDecodeResult,
  type HidPosDecoderOptions,
  type HidPosReportFormat,
  type HidRead,
  type HidReportDecoder,
} from './hid-pos';
export { KeyboardWedgeDecoder, type KeyboardWedgeOptions } from './keyboard-wedge';
export { LAYOUTS, MOD, USAGE, compose, keystrokesFor, resolveLayout, type KeyboardLayout, type KeyLevels, type KeySym, type Keystroke, type LayoutName } from './keyboard-layouts';
export {
  HID_USAGE,
  loadNodeHid,
  nodeHidTransport,
  selectHidDevice,
  type HidDeviceHandle,
  type HidDeviceInfo,
  type HidDeviceSelector,
  type HidOpenOptions,
  type HidScanMode,
  type HidTransport,
  type NodeHidTransportOptions,
} from './hid-transport';
export { ConnectedDevice, type ConnectionOptions } from '../common/connected-device';
export type { ScannerBaseOptions, ScannerHealthOptions } from './scanner-base';
export type { SerialLineOptions } from '../common/serial-port';
