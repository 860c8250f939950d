/**
 * A byte pipe to a printer, as the ESC/POS driver needs it. Implementations: `SerialTransport` (serialport),
 * `UsbTransport` (bulk OUT / bulk IN endpoints behind an injectable `UsbBulkLink`).
 *
 * Errors: `open`/`claim` reject with `KioskError` `DEVICE_OFFLINE` (not there), `DEVICE_BUSY` (someone else holds
 * it); `write`/`read` reject `DEVICE_OFFLINE` when the link is gone (and then call the disconnect listeners once)
 * and `TIMEOUT` when a write does not complete in time.
 */
export interface PrinterTransport {
  readonly kind: 'usb' | 'serial';
  /** Reads a status query may take before giving up: USB printers often answer only on a later read. */
  readonly statusReadAttempts: number;
  /** What is known about the device; filled in by `open()`. */
  identity(): TransportIdentity;
  /** Binds the device without exclusive access (USB: opens the device; serial: checks the port exists). */
  open(): Promise<void>;
  /** Takes exclusive access (USB: claims the printer interface; serial: opens the port locked). */
  claim(): Promise<void>;
  release(): Promise<void>;
  /** Always resolves; pending reads and writes reject `DEVICE_OFFLINE`. */
  close(): Promise<void>;
  write(data: Uint8Array): Promise<void>;
  /** Waits up to `timeoutMs` for input and returns what arrived — possibly nothing. */
  read(timeoutMs: number): Promise<Uint8Array>;
  /** Drops input received but not read yet (stale replies). */
  discardInput(): void;
  /** Called once each time an open link is lost underneath us. Returns an unsubscribe function. */
  onDisconnect(listener: (reason: Error) => void): () => void;
}

export interface TransportIdentity {
  serialNumber?: string;
  /** Port path (serial) or USB bus-port path such as `usb:1-1.4`. */
  path?: string;
  vendor?: string;
  model?: string;
  /** `vid:pid` in hex, USB only — informational, never the id. */
  usbId?: string;
}
