import type { Clock } from '../../kernel/clock';
import type { DeviceFault } from '../contract/device';

export interface ConnectionOptions {
  /** Injected clock: timestamps, debounce and backoff timers. Default: the system clock. */
  clock?: Clock;
  /** A lost connection is reported offline only if it is not back within this many ms. Default 1000. */
  offlineDebounceMs?: number;
  /** First reconnect attempt after this many ms; times `reconnectFactor` per failure. Default 250. */
  reconnectInitialMs?: number;
  /** Backoff factor between reconnect attempts. Default 2. */
  reconnectFactor?: number;
  /** Longest wait between reconnect attempts. Default 5000. */
  reconnectMaxMs?: number;
  /** While `claim(timeoutMs)` waits for a busy device, retry this often. Default 100. */
  claimRetryMs?: number;
  /** How often a connected device's presence is checked (when the driver can check it); 0 = never. Default 1000. */
  presencePollMs?: number;
}

/** How a lost connection is reported (see `connectionLost`). */
export interface LossOptions {
  /** Offline at once (no debounce), with these faults (cleared when the connection is back). */
  faults?: DeviceFault[];
  /** `detail` as given (default: `connection lost: <detail>`). */
  exactDetail?: boolean;
  /** The first reconnect attempt after this many ms (default: the backoff's first wait). */
  firstRetryMs?: number;
}

/**
 * Where drivers differ in what `status` says (defaults: the scanner's and display's behaviour).
 * - `onlineWhenOpened`: an opened (not claimed) device counts as online (it was found); otherwise online only once claimed.
 * - `debounceOffline`: a lost connection goes offline after the debounce; false when the driver reports online/offline
 *   itself (the printer's missed status polls) — then a reconnect does not report online either.
 * - `statusEvents`: `changes` (online/faults), `enabled` (only while enabled), `lifecycle` (also every lifecycle change).
 */
export interface StatusPolicy {
  onlineWhenOpened: boolean;
  debounceOffline: boolean;
  statusEvents: 'changes' | 'enabled' | 'lifecycle';
}

export interface HealthOptions {
  prompt?: (text: string) => Promise<boolean>;
}
