import { Firmata } from './firmata-io';
import { Board, Led } from 'johnny-five';
import type { LightState } from '../contract/light';
import type { Clock, TimerHandle } from '../../kernel/clock';
import { KioskError } from '../../kernel/errors';
import { GuardedFirmataTransport, type FirmataGuardStats } from './firmata-guard';
import { OS_SERIAL_ACCESS, createSerialPort, type SerialAccess } from '../common/serial-access';

/**
 * The only file that knows johnny-five and firmata.js. One `FirmataLink` is one connection:
 *
 *   serialport v13 `SerialPortStream` over the injected binding (default the OS's; path, 57600 baud, exclusive lock, opened by us)
 *     └─ `GuardedFirmataTransport` — frames the board's bytes (bounded), drops replies firmata.js cannot take
 *          └─ firmata.js `Firmata(transport, { reportVersionTimeout })`  — the IO: speaks the Firmata bytes
 *          └─ johnny-five `Board({ io, repl: false, debug: false, sigint: false, timeout })`
 *               └─ three johnny-five `Led({ pin, board })`: on/off, `blink(ms)` for blinking
 *
 * johnny-five never opens a port itself (its bundled serialport v8 has no native binding here). A lost port is
 * reported once through `onLost`; a link is never reused after that — the driver connects a new one. A board
 * sending what firmata.js cannot take (a malformed reply, a sysex without end) is lost the same way, as a fault.
 */

export type LampColor = 'green' | 'yellow' | 'red';
export const LAMP_COLORS: readonly LampColor[] = ['green', 'yellow', 'red'];
export type LightPins = Record<LampColor, number>;

export interface FirmwareInfo {
  /** Sketch name the board reports, e.g. "StandardFirmata.ino". */
  name: string;
  /** Firmware version from REPORT_FIRMWARE, "2.5". */
  version: string;
  /** Firmata protocol version from REPORT_VERSION, "2.5". */
  protocol: string;
}

export interface FirmataLinkOptions {
  path: string;
  baudRate: number;
  pins: LightPins;
  blinkMs: number;
  /** From port open until johnny-five's Board is ready (handshake: version, firmware, capabilities, mapping). */
  readyTimeoutMs: number;
  /** While the handshake is pending, ask for REPORT_VERSION + REPORT_FIRMWARE this often. */
  probeIntervalMs: number;
  /** Longest wait for written bytes to drain before a command fails with TIMEOUT. */
  writeTimeoutMs: number;
  clock: Clock;
  signal?: AbortSignal;
  /** How the port is reached: the OS (default) or a simulated cable's binding. */
  serial?: SerialAccess;
}

export interface FirmataLink {
  readonly firmware: FirmwareInfo;
  /** Lights exactly one colour (or none); resolves once the bytes are handed to the OS (tcdrain). */
  apply(state: LightState): Promise<void>;
  /** What the johnny-five Led objects hold: colours on (steady) and colours blinking. */
  view(): { lit: LampColor[]; blinking: LampColor[] };
  /** REPORT_VERSION round trip. */
  ping(timeoutMs: number): Promise<void>;
  /** REPORT_FIRMWARE round trip. */
  queryFirmware(timeoutMs: number): Promise<FirmwareInfo>;
  /** PIN_STATE_QUERY for the three lamp pins: the value the board holds for each (0/1, or 0–255 on PWM pins). */
  readPins(timeoutMs: number): Promise<Record<LampColor, number>>;
  /**
   * Called once when the port closes or fails underneath us, or the board sent bytes the guard had to drop as
   * malformed (`fault` true; the link is closed then too). Not after `close()`.
   */
  onLost(listener: (reason: string, fault: boolean) => void): void;
  /** What the guarded input path has seen on this link. */
  inputStats(): FirmataGuardStats;
  close(): Promise<void>;
}

const noop = (): void => undefined;

/**
 * A port that was just closed (by us, a moment ago) can still refuse the exclusive lock for a few ms: the kernel
 * drops the lock only when the last in-flight I/O on the old descriptor lets go. Lock refusals are retried this
 * long before the claim counts as DEVICE_BUSY.
 */
const LOCK_GRACE_MS = 300;
const LOCK_RETRY_MS = 25;

function isLockError(err: Error): boolean {
  return /lock|Resource temporarily unavailable|EBUSY/i.test(err.message);
}

/** Maps a serialport open error to the contract's codes. */
function openError(err: Error, path: string): KioskError {
  const msg = err.message;
  if (isLockError(err)) return new KioskError('DEVICE_BUSY', `${path} is held by another owner: ${msg}`, { path });
  return new KioskError('DEVICE_OFFLINE', `cannot open ${path}: ${msg}`, { path });
}

/** Waits for `event` on `io` (registered with `register`) or rejects with TIMEOUT. */
function roundTrip(clock: Clock, timeoutMs: number, what: string, register: (done: () => void) => void, unregister: (done: () => void) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    let timer: TimerHandle | null = null;
    const done = (): void => {
      if (timer) clock.clearTimeout(timer);
      resolve();
    };
    timer = clock.setTimeout(() => {
      unregister(done);
      reject(new KioskError('TIMEOUT', `no reply to ${what} within ${timeoutMs} ms`, { timeoutMs }));
    }, timeoutMs);
    register(done);
  });
}

export function connectFirmataLink(opts: FirmataLinkOptions): Promise<FirmataLink> {
  const { clock, path } = opts;
  const port = createSerialPort(opts.serial ?? OS_SERIAL_ACCESS, { path, baudRate: opts.baudRate, lock: true });
  // Built before the port opens, so firmata sees the port's "open" and johnny-five gets "connect" then "ready".
  // firmata.js asks for the version itself only once, after reportVersionTimeout; our probe loop below asks sooner.
  // firmata.js never touches the port's data: it reads whole, checked messages from the guard.
  const transport = new GuardedFirmataTransport(port);
  const io = new Firmata(transport, { reportVersionTimeout: opts.readyTimeoutMs });
  transport.attach(io);
  const board = new Board({ io, repl: false, debug: false, sigint: false, timeout: opts.readyTimeoutMs + 60_000 });
  // Errors surface through our own paths; these listeners keep an unhandled "error" from throwing.
  io.on('error', noop);
  board.on('error', noop);
  port.on('error', noop);

  // Settles when port.open() has called back (either way): a link disposed while the port is still opening
  // must wait for it, or the port would open afterwards and keep its exclusive lock with nobody to close it.
  let opened: () => void = noop;
  const openSettled = new Promise<void>((resolve) => (opened = resolve));
  let openStarted = false;

  let leds: Record<LampColor, Led> | null = null;
  let disposed = false;
  let lostListener: ((reason: string, fault: boolean) => void) | null = null;
  let lostReason: string | null = null;
  let lostFault = false;

  const stopLeds = (): void => {
    if (leds) for (const c of LAMP_COLORS) leds[c].stop();
  };

  const dispose = async (): Promise<void> => {
    if (disposed) return;
    disposed = true;
    stopLeds();
    if (io.reportVersionTimeoutId) clearTimeout(io.reportVersionTimeoutId);
    if (board.timer) clearTimeout(board.timer);
    // johnny-five keeps every Board in a global registry; drop ours so a reconnecting kiosk does not accumulate them
    const cache = Board.cache;
    const i = cache.indexOf(board);
    if (i >= 0) cache.splice(i, 1);
    if (openStarted) await openSettled;
    if (port.isOpen) await new Promise<void>((resolve) => port.close(() => resolve()));
  };

  const lost = (reason: string, fault = false): void => {
    if (disposed || lostReason !== null) return;
    lostReason = reason;
    lostFault = fault;
    stopLeds(); // the blink intervals must not queue writes on a dead port
    void dispose();
    lostListener?.(reason, fault);
  };

  const firmwareInfo = (): FirmwareInfo => ({
    name: io.firmware.name ?? 'unknown',
    version: io.firmware.version ? `${io.firmware.version.major}.${io.firmware.version.minor}` : '?',
    protocol: io.version.major !== undefined ? `${io.version.major}.${io.version.minor}` : '?',
  });

  /** Waits until the written bytes left the host (tcdrain), at most `writeTimeoutMs`: a wedged adapter must not hang set(). */
  const drain = (): Promise<void> =>
    new Promise((resolve, reject) => {
      if (disposed) return reject(new KioskError('DEVICE_OFFLINE', `${path} is not connected`, { path }));
      const timer = clock.setTimeout(() => reject(new KioskError('TIMEOUT', `writing to ${path} did not complete within ${opts.writeTimeoutMs} ms`, { path })), opts.writeTimeoutMs);
      port.drain((err) => {
        clock.clearTimeout(timer);
        if (err) reject(new KioskError('DEVICE_OFFLINE', `write to ${path} failed: ${err.message}`, { path }));
        else resolve();
      });
    });

  const link: FirmataLink = {
    get firmware() {
      return firmwareInfo();
    },
    async apply(state) {
      if (disposed || !leds) throw new KioskError('DEVICE_OFFLINE', `${path} is not connected`, { path });
      // all others off first: never two colours at once, not even for one message
      for (const c of LAMP_COLORS) {
        leds[c].stop();
        if (c !== state.color) leds[c].off();
      }
      if (state.color !== 'off') {
        const led = leds[state.color];
        led.on();
        if (state.mode === 'blink') led.blink(opts.blinkMs);
      }
      await drain();
    },
    view() {
      const lit: LampColor[] = [];
      const blinking: LampColor[] = [];
      if (leds) {
        for (const c of LAMP_COLORS) {
          if (leds[c].isRunning) blinking.push(c);
          else if (leds[c].isOn) lit.push(c);
        }
      }
      return { lit, blinking };
    },
    async ping(timeoutMs) {
      if (disposed) throw new KioskError('DEVICE_OFFLINE', `${path} is not connected`, { path });
      await roundTrip(clock, timeoutMs, 'REPORT_VERSION', (done) => io.reportVersion(done), (done) => io.removeListener('reportversion', done));
    },
    async queryFirmware(timeoutMs) {
      if (disposed) throw new KioskError('DEVICE_OFFLINE', `${path} is not connected`, { path });
      await roundTrip(clock, timeoutMs, 'REPORT_FIRMWARE', (done) => io.queryFirmware(done), (done) => io.removeListener('queryfirmware', done));
      return firmwareInfo();
    },
    async readPins(timeoutMs) {
      if (disposed) throw new KioskError('DEVICE_OFFLINE', `${path} is not connected`, { path });
      const out = { green: 0, yellow: 0, red: 0 };
      for (const c of LAMP_COLORS) {
        const pin = opts.pins[c];
        const event = `pin-state-${pin}`;
        await roundTrip(clock, timeoutMs, `PIN_STATE_QUERY ${pin}`, (done) => io.queryPinState(pin, done), (done) => io.removeListener(event, done));
        out[c] = io.pins[pin]?.state ?? 0;
      }
      return out;
    },
    onLost(listener) {
      lostListener = listener;
      if (lostReason !== null) listener(lostReason, lostFault);
    },
    inputStats() {
      return transport.stats;
    },
    close: dispose,
  };

  return new Promise<FirmataLink>((resolve, reject) => {
    let settled = false;
    let probeTimer: TimerHandle | null = null;
    let readyTimer: TimerHandle | null = null;

    const finish = (err: KioskError | null): void => {
      if (settled) return;
      settled = true;
      if (probeTimer) clock.clearTimeout(probeTimer);
      if (readyTimer) clock.clearTimeout(readyTimer);
      opts.signal?.removeEventListener('abort', onAbort);
      if (err) {
        void dispose().finally(() => reject(err));
        return;
      }
      resolve(link);
    };
    const onAbort = (): void => finish(new KioskError('DEVICE_OFFLINE', `connecting to ${path} was cancelled`, { path }));
    if (opts.signal?.aborted) return onAbort();
    opts.signal?.addEventListener('abort', onAbort);

    port.on('close', (err: (Error & { disconnected?: boolean }) | null) => {
      const reason = err ? `${path} disconnected: ${err.message}` : `${path} closed`;
      if (!settled) finish(new KioskError('DEVICE_OFFLINE', `${reason} during the Firmata handshake`, { path }));
      else lost(reason);
    });
    port.on('error', (err: Error) => {
      if (!settled) finish(new KioskError('DEVICE_OFFLINE', `${path}: ${err.message}`, { path }));
      else lost(`${path}: ${err.message}`);
    });
    transport.onFault((reason) => {
      if (!settled) finish(new KioskError('PROTOCOL', `Firmata board at ${path}: ${reason}`, { path }));
      else lost(reason, true);
    });

    board.once('ready', () => {
      if (settled) return;
      // Pins must exist on this board and take OUTPUT (when it tells us its capabilities).
      for (const c of LAMP_COLORS) {
        const pin = opts.pins[c];
        const rec = io.pins[pin];
        if (!rec) return finish(new KioskError('CONFIG_INVALID', `${c} lamp pin ${pin} does not exist on the board at ${path} (${io.pins.length} pins)`, { path, pin }));
        if (rec.supportedModes.length > 0 && !rec.supportedModes.includes(io.MODES.OUTPUT) && !rec.supportedModes.includes(io.MODES.PWM)) {
          return finish(new KioskError('CONFIG_INVALID', `${c} lamp pin ${pin} cannot drive an output on the board at ${path}`, { path, pin }));
        }
      }
      leds = {
        green: new Led({ pin: opts.pins.green, board }),
        yellow: new Led({ pin: opts.pins.yellow, board }),
        red: new Led({ pin: opts.pins.red, board }),
      };
      finish(null);
    });

    readyTimer = clock.setTimeout(() => {
      const got = io.versionReceived ? `REPORT_VERSION ${firmwareInfo().protocol} received, capabilities not completed` : 'no REPORT_VERSION received';
      finish(new KioskError('TIMEOUT', `Firmata board at ${path} not ready within ${opts.readyTimeoutMs} ms (${got})`, { path, timeoutMs: opts.readyTimeoutMs }));
    }, opts.readyTimeoutMs);

    // A real Arduino resets when the port opens and announces itself after its bootloader; a board that is
    // already running (or a simulator) does not, so we ask — repeatedly, because bytes sent during the
    // bootloader are lost. firmata.js waits for the first REPORT_VERSION before it handles anything else.
    const probe = (): void => {
      if (settled || io.isReady) return;
      if (!io.versionReceived) io.reportVersion(noop);
      if (!io.firmware.name) io.queryFirmware(noop);
      probeTimer = clock.setTimeout(probe, opts.probeIntervalMs);
    };

    openStarted = true;
    const openedAt = clock.now();
    const tryOpen = (): void => {
      if (settled) return opened();
      port.open((err) => {
        if (err && isLockError(err) && !settled && clock.now() - openedAt < LOCK_GRACE_MS) {
          clock.setTimeout(tryOpen, LOCK_RETRY_MS);
          return;
        }
        opened();
        if (err) return finish(openError(err, path));
        if (settled) return;
        probe();
      });
    };
    tryOpen();
  });
}
