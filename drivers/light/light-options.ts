import type { Clock } from '../../kernel/clock';
import type { SerialAccess } from '../common/serial-access';
import { LAMP_COLORS, type FirmataLinkOptions, type LightPins } from './firmata-link';

export interface FirmataLaneLightOptions {
  /** Serial port path of the board, e.g. /dev/ttyACM0. */
  path: string;
  /** Device id; default the path. */
  id?: string;
  /** Default 57600 (StandardFirmata). */
  baudRate?: number;
  /** Digital pins of the lamps; default green 9, yellow 10, red 11. */
  pins?: Partial<LightPins>;
  /** Blink half-period (on time = off time), default 500 ms. */
  blinkMs?: number;
  /** Port open → board ready, default 10 000 ms (an Uno's bootloader alone takes ~2 s). `claim(timeoutMs)` overrides. */
  readyTimeoutMs?: number;
  /** Re-ask for REPORT_VERSION / firmware this often during the handshake, default 1000 ms. */
  probeIntervalMs?: number;
  /** set() rejects TIMEOUT when its bytes have not left the host (tcdrain) within this, default 2000 ms. */
  writeTimeoutMs?: number;
  /** A link down this long is reported offline, default 1000 ms. */
  offlineDebounceMs?: number;
  /** Reconnect backoff: first retry after initialMs, times factor each time, at most maxMs. Default 250 / 2 / 5000. */
  reconnect?: { initialMs?: number; factor?: number; maxMs?: number };
  /** REPORT_VERSION heartbeat period, default 3000 ms; 0 disables it. */
  pollIntervalMs?: number;
  /** Default 1000 ms; also the timeout of health-check round trips. */
  pollTimeoutMs?: number;
  /** Consecutive unanswered heartbeats that count as a lost link, default 2. */
  missedPollsOffline?: number;
  clock?: Clock;
  /** How the port is reached: the OS (default) or a simulated cable's binding. */
  serial?: SerialAccess;
}

/** The options with their defaults filled in. */
export interface LightConfig extends Omit<FirmataLinkOptions, 'clock' | 'signal'> {
  offlineDebounceMs: number;
  backoff: { initialMs: number; factor: number; maxMs: number };
  pollIntervalMs: number;
  pollTimeoutMs: number;
  missedPollsOffline: number;
}

export function resolveLightConfig(opts: FirmataLaneLightOptions): LightConfig {
  return {
    path: opts.path,
    ...(opts.serial !== undefined && { serial: opts.serial }),
    baudRate: opts.baudRate ?? 57600,
    pins: { green: 9, yellow: 10, red: 11, ...opts.pins },
    blinkMs: opts.blinkMs ?? 500,
    readyTimeoutMs: opts.readyTimeoutMs ?? 10_000,
    probeIntervalMs: opts.probeIntervalMs ?? 1000,
    writeTimeoutMs: opts.writeTimeoutMs ?? 2000,
    offlineDebounceMs: opts.offlineDebounceMs ?? 1000,
    backoff: { initialMs: 250, factor: 2, maxMs: 5000, ...opts.reconnect },
    pollIntervalMs: opts.pollIntervalMs ?? 3000,
    pollTimeoutMs: opts.pollTimeoutMs ?? 1000,
    missedPollsOffline: opts.missedPollsOffline ?? 2,
  };
}

/** What is wrong with a configuration (empty: nothing); `open()` refuses it with CONFIG_INVALID. */
export function lightConfigProblems(c: LightConfig): string[] {
  const problems: string[] = [];
  if (!c.path) problems.push('path is empty');
  for (const color of LAMP_COLORS) {
    const pin = c.pins[color];
    if (!Number.isInteger(pin) || pin < 0 || pin > 127) problems.push(`${color} pin ${pin} is not a Firmata pin number (0–127)`);
  }
  if (new Set(Object.values(c.pins)).size !== 3) problems.push(`lamp pins must differ (${JSON.stringify(c.pins)})`);
  if (!(c.blinkMs >= 50)) problems.push(`blinkMs ${c.blinkMs} is below 50`);
  if (!(c.baudRate > 0)) problems.push(`baudRate ${c.baudRate} is not positive`);
  return problems;
}
