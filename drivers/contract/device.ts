import type { EventEmitter } from 'node:events';
import type { KioskError, KioskErrorCode } from '../../kernel/errors';

/**
 * The contract every device class shares (types only). Modelled on UnifiedPOS / OPOS and Zephyr's device model:
 * one generic API per class, the runtime depends on nothing else.
 *
 * ## Lifecycle
 * `closed → open() → opened → claim() → claimed → enable() → enabled`, and back down with `disable()`,
 * `release()`, `close()`.
 * - `open()` binds the transport (port path, USB interface, HID path) without taking exclusive access.
 * - `claim()` takes exclusive access (serial port opened exclusively, USB interface claimed, HID device grabbed so
 *   key strokes do not leak to the console). Claiming a device another owner holds rejects with `DEVICE_BUSY`.
 * - `enable()` starts delivering events (scans, status). Commands that move money or paper require `enabled`.
 * - Every call is idempotent in its target state (`enable()` on an enabled device resolves at once).
 * - Going up out of order rejects with `DEVICE_STATE` (`claim()` of a closed device, `enable()` of an opened one).
 * - Going down is always allowed and runs the steps in between: `disable()` below `enabled` resolves at once,
 *   `release()` of an enabled device disables it first and succeeds, `release()` below `claimed` resolves at once,
 *   and `close()` always succeeds from any state (it cancels pending reads; in-flight commands reject with
 *   `DEVICE_OFFLINE`). This is the only place the rule is written; drivers/common/lifecycle.ts holds the one
 *   state table the drivers check it with, and test/support/contracts/lifecycle-suite.ts checks every device class.
 *
 * ## Connection
 * A device that disappears emits `status` with `online: false` (after debouncing: a single missed poll is not
 * offline) and reconnects by itself with backoff, returning to the lifecycle state it had; the runtime never has
 * to restart. Commands sent while offline reject with `DEVICE_OFFLINE` — they are never queued to fire later.
 *
 * ## Errors
 * Expected faults reject with `KioskError` (codes below); `error` events carry faults not tied to a call
 * (garbled bytes on the line are `PROTOCOL` errors; the driver resynchronises and keeps going).
 */
export type DeviceClass = 'scanner' | 'terminal' | 'printer' | 'display' | 'light';

export type LifecycleState = 'closed' | 'opened' | 'claimed' | 'enabled';

/** Conditions a device reports besides being on- or offline. */
export type DeviceFault = 'PAPER_OUT' | 'PAPER_NEAR_END' | 'COVER_OPEN' | 'CARD_INSERTED' | 'TERMINAL_BUSY' | 'HARDWARE';

export interface DeviceStatus {
  online: boolean;
  lifecycle: LifecycleState;
  faults: DeviceFault[];
  /** Human-readable detail for technicians, e.g. "no reply to DLE EOT 4 (3 polls)". */
  detail?: string;
  /** Injected-clock ms when this status was established. */
  since: number;
}

export type HealthLevel = 'internal' | 'external' | 'interactive';

export interface HealthResult {
  level: HealthLevel;
  ok: boolean;
  /** Why it passed or failed, one line. */
  reason: string;
  code?: KioskErrorCode;
}

/** How a device identifies itself; `id` prefers the USB serial number, then the port path, never only VID:PID. */
export interface DeviceInfo {
  id: string;
  deviceClass: DeviceClass;
  driver: string;
  vendor?: string;
  model?: string;
  serialNumber?: string;
  path?: string;
}

export type DeviceEvents = {
  status: [DeviceStatus];
  error: [KioskError];
};

/** Error codes a device call may reject with. */
export type DeviceErrorCode = Extract<KioskErrorCode, 'DEVICE_OFFLINE' | 'DEVICE_BUSY' | 'DEVICE_STATE' | 'TIMEOUT' | 'PAPER_OUT' | 'COVER_OPEN' | 'PROTOCOL'>;

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- Node's EventEmitter map is Record<key, any[]>
export interface Device<E extends DeviceEvents & Record<keyof E, any[]> = DeviceEvents> extends EventEmitter<E> {
  readonly info: DeviceInfo;
  status(): DeviceStatus;
  open(): Promise<void>;
  claim(timeoutMs?: number): Promise<void>;
  enable(): Promise<void>;
  disable(): Promise<void>;
  release(): Promise<void>;
  close(): Promise<void>;
  /**
   * - `internal`: self-test without touching the device (driver state, codec sanity).
   * - `external`: a harmless round trip (status query, status enquiry, DLE EOT).
   * - `interactive`: needs a person (scan the test barcode, read the display, look at the light).
   * Never throws: a failure is `ok: false` with the reason.
   */
  checkHealth(level: HealthLevel, opts?: { prompt?: (text: string) => Promise<boolean> }): Promise<HealthResult>;
}
