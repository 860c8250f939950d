import { EventEmitter } from 'node:events';
import { runHealthCheck } from '../common/health';
import type { DeviceEvents, DeviceFault, DeviceInfo, DeviceStatus, HealthLevel, HealthResult, LifecycleState } from '../contract/device';
import type { LaneLight, LightColor, LightMode, LightState } from '../contract/light';
import { SystemClock, type Clock, type TimerHandle } from '../../kernel/clock';
import { KioskError, assert, isKioskError } from '../../kernel/errors';
import type { FirmataGuardStats } from './firmata-guard';
import { LAMP_COLORS, connectFirmataLink, type FirmataLink, type FirmwareInfo, type LampColor, type LightPins } from './firmata-link';

export type { FirmataGuardStats, FirmwareInfo, LampColor, LightPins };

/**
 * The lane tower light on an Arduino running StandardFirmata, over a serial port (johnny-five over firmata.js
 * over serialport v13; the wiring lives in `firmata-link.ts`).
 *
 * - `open()` checks the configuration, `claim()` opens the port exclusively and runs the Firmata handshake
 *   (rejects `DEVICE_BUSY` when another process holds the port, `DEVICE_OFFLINE` when it cannot be opened,
 *   `TIMEOUT` when the board is not ready in time) and puts the light in its last known state (initially off).
 * - `set()` works once claimed (a light moves neither money nor paper); while the link is down it rejects
 *   `DEVICE_OFFLINE` and changes nothing.
 * - A lost port (closed/errored underneath us, or `missedPollsOffline` unanswered REPORT_VERSION heartbeats) starts
 *   reconnect attempts at once, with exponential backoff. `status.online` turns false only if the link is still
 *   down after `offlineDebounceMs`; after a reconnect the last state is applied again (a replugged board starts
 *   dark).
 * - A board sending what firmata.js cannot take (a malformed reply, a sysex without end: see `firmata-guard.ts`)
 *   never reaches the process: the bytes are dropped, the light is at once offline with fault `HARDWARE` and the
 *   reason in `detail` (and an `error` event, when someone listens), and it reconnects — at once the first time,
 *   with backoff while the board keeps doing it (until a heartbeat is answered); a clean handshake clears the fault.
 * - `status` events are delivered while enabled.
 * - Blinking is johnny-five's `Led#blink(blinkMs)` (a real-time setInterval inside johnny-five); every other timer
 *   (ready timeout, debounce, backoff, heartbeat) runs on the injected `Clock`.
 * - `release()`/`close()` stop host-side blinking; a blinking colour is left on steady so an attention signal
 *   does not vanish with the process. Steady states are left as they are.
 */
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
}

const OFF: LightState = Object.freeze({ color: 'off', mode: 'steady' });
const COLORS: readonly LightColor[] = ['green', 'yellow', 'red', 'off'];
const MODES: readonly LightMode[] = ['steady', 'blink'];
const ORDER: Record<LifecycleState, number> = { closed: 0, opened: 1, claimed: 2, enabled: 3 };

function label(s: LightState): string {
  return s.color === 'off' ? 'off' : `${s.mode} ${s.color}`;
}

export class FirmataLaneLight extends EventEmitter<DeviceEvents> implements LaneLight {
  readonly info: DeviceInfo;
  private readonly clock: Clock;
  private readonly cfg: {
    path: string;
    baudRate: number;
    pins: LightPins;
    blinkMs: number;
    readyTimeoutMs: number;
    probeIntervalMs: number;
    writeTimeoutMs: number;
    offlineDebounceMs: number;
    backoff: { initialMs: number; factor: number; maxMs: number };
    pollIntervalMs: number;
    pollTimeoutMs: number;
    missedPollsOffline: number;
  };
  private lifecycle: LifecycleState = 'closed';
  private online = false;
  private since: number;
  private detail: string | undefined;
  private faults: DeviceFault[] = [];
  /** Links lost to a fault since the last answered heartbeat (backoff for a board that keeps sending garbage). */
  private faultStreak = 0;
  /** Input-path counters of links already closed. */
  private pastInput: FirmataGuardStats = { delivered: 0, ignored: 0, malformed: 0, overflows: 0, skippedBytes: 0, peakHeldBytes: 0 };
  private state: LightState = OFF;
  private link: FirmataLink | null = null;
  private firmwareInfo: FirmwareInfo | null = null;
  /** Bumped by release/close: anything started under an older session is discarded. */
  private session = 0;
  private claiming: Promise<void> | null = null;
  private connectAbort: AbortController | null = null;
  private offlineTimer: TimerHandle | null = null;
  private reconnectTimer: TimerHandle | null = null;
  private reconnectDelay = 0;
  private reconnectAttempts = 0;
  private pollTimer: TimerHandle | null = null;
  private missedPolls = 0;
  /** set() calls run one after another. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(opts: FirmataLaneLightOptions) {
    super();
    this.clock = opts.clock ?? new SystemClock();
    this.since = this.clock.now();
    this.cfg = {
      path: opts.path,
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
    this.info = { id: opts.id ?? opts.path, deviceClass: 'light', driver: 'firmata-johnny-five', path: opts.path };
  }

  /** The firmware the board reported at the last handshake (null before the first claim). */
  get firmware(): FirmwareInfo | null {
    return this.firmwareInfo;
  }

  status(): DeviceStatus {
    return { online: this.online, lifecycle: this.lifecycle, faults: [...this.faults], detail: this.detail, since: this.since };
  }

  /** Diagnostics: what the guarded Firmata input path has seen, over every link since construction. */
  inputStats(): FirmataGuardStats {
    const past = this.pastInput;
    const now = this.link?.inputStats();
    if (!now) return { ...past };
    return {
      delivered: past.delivered + now.delivered,
      ignored: past.ignored + now.ignored,
      malformed: past.malformed + now.malformed,
      overflows: past.overflows + now.overflows,
      skippedBytes: past.skippedBytes + now.skippedBytes,
      peakHeldBytes: Math.max(past.peakHeldBytes, now.peakHeldBytes),
    };
  }

  current(): LightState {
    return { ...this.state };
  }

  // ---- lifecycle ----

  async open(): Promise<void> {
    if (ORDER[this.lifecycle] >= ORDER.opened) return;
    const problems = this.configProblems();
    if (problems.length > 0) throw new KioskError('CONFIG_INVALID', `lane light ${this.info.id}: ${problems.join('; ')}`, { problems });
    this.transition('opened', 'port bound, not claimed');
  }

  async claim(timeoutMs?: number): Promise<void> {
    if (ORDER[this.lifecycle] >= ORDER.claimed) return;
    if (this.lifecycle !== 'opened') throw this.stateError('claim', 'opened');
    if (this.claiming) return this.claiming;
    const session = this.session;
    this.claiming = (async () => {
      try {
        const link = await this.connect(timeoutMs ?? this.cfg.readyTimeoutMs);
        try {
          if (session === this.session) await link.apply(this.state);
        } catch (err) {
          await link.close();
          throw err;
        }
        if (session !== this.session) {
          await link.close();
          throw new KioskError('DEVICE_OFFLINE', `${this.cfg.path} was released while claiming`);
        }
        this.adopt(link);
        this.lifecycle = 'claimed';
        this.setOnline(true, `${this.firmwareInfo?.name ?? 'Firmata'} ${this.firmwareInfo?.version ?? ''} ready, light ${label(this.state)}`.trim());
      } finally {
        this.claiming = null;
      }
    })();
    return this.claiming;
  }

  async enable(): Promise<void> {
    if (this.lifecycle === 'enabled') return;
    if (this.lifecycle !== 'claimed') throw this.stateError('enable', 'claimed');
    this.lifecycle = 'enabled';
    this.since = this.clock.now();
    this.emitStatus();
  }

  async disable(): Promise<void> {
    if (this.lifecycle === 'claimed') return;
    if (this.lifecycle !== 'enabled') throw this.stateError('disable', 'enabled');
    this.lifecycle = 'claimed';
    this.since = this.clock.now();
  }

  async release(): Promise<void> {
    if (this.lifecycle === 'opened') return;
    if (this.lifecycle !== 'claimed') throw this.stateError('release', 'claimed');
    await this.teardown();
    this.transition('opened', 'released');
  }

  async close(): Promise<void> {
    if (this.lifecycle === 'closed' && !this.claiming) return;
    await this.teardown();
    this.transition('closed', 'closed');
  }

  // ---- commands ----

  set(state: LightState): Promise<void> {
    const run = async (): Promise<void> => {
      // a caller bug, not a device fault
      assert(state && COLORS.includes(state.color) && MODES.includes(state.mode), `invalid light state ${JSON.stringify(state)}`);
      if (ORDER[this.lifecycle] < ORDER.claimed) throw this.stateError('set', 'claimed');
      const link = this.link;
      if (!link) throw new KioskError('DEVICE_OFFLINE', `lane light ${this.info.id} is offline (${this.detail ?? 'reconnecting'})`, { id: this.info.id });
      const next: LightState = state.color === 'off' ? { ...OFF } : { color: state.color, mode: state.mode };
      try {
        await link.apply(next);
      } catch (err) {
        if (isKioskError(err)) throw err;
        throw new KioskError('DEVICE_OFFLINE', `lane light ${this.info.id}: ${(err as Error).message}`, { id: this.info.id });
      }
      if (this.link !== link) throw new KioskError('DEVICE_OFFLINE', `lane light ${this.info.id} was lost while setting ${label(next)}`);
      this.state = next;
    };
    const p = this.queue.then(run, run);
    this.queue = p.catch(() => undefined);
    return p;
  }

  /**
   * Diagnostics beyond the contract: what the board itself holds for the three lamp pins (PIN_STATE_QUERY),
   * 0/1 — or 0–255 where the board drives the pin as PWM.
   */
  async readBack(): Promise<Record<LampColor, number>> {
    const link = this.requireLink();
    return link.readPins(this.cfg.pollTimeoutMs);
  }

  // ---- health ----

  checkHealth(level: HealthLevel, opts: { prompt?: (text: string) => Promise<boolean> } = {}): Promise<HealthResult> {
    return runHealthCheck(
      level,
      { internal: () => this.checkInternal(), external: () => this.checkExternal(), interactive: (prompt) => this.checkInteractive(prompt) },
      opts.prompt,
    );
  }


  private checkInternal(): HealthResult {
    const fail = (reason: string): HealthResult => ({ level: 'internal', ok: false, reason });
    const s = this.state;
    if (!COLORS.includes(s.color) || !MODES.includes(s.mode)) return fail(`invalid state ${JSON.stringify(s)}`);
    if (s.color === 'off' && s.mode !== 'steady') return fail('state off must be steady');
    const pins = Object.values(this.cfg.pins);
    if (new Set(pins).size !== pins.length) return fail('two lamps share a pin');
    if (ORDER[this.lifecycle] < ORDER.claimed) {
      if (this.link) return fail(`a link is open while ${this.lifecycle}`);
      return { level: 'internal', ok: true, reason: `${this.lifecycle}, light ${label(s)} (not connected)` };
    }
    if (!this.link) return { level: 'internal', ok: true, reason: `${this.lifecycle}, link down (${this.detail ?? 'reconnecting'}), will re-apply ${label(s)}` };
    const { lit, blinking } = this.link.view();
    const want = s.color === 'off' ? { lit: [], blinking: [] } : s.mode === 'blink' ? { lit: [], blinking: [s.color] } : { lit: [s.color], blinking: [] };
    const same = (a: string[], b: string[]): boolean => a.length === b.length && a.every((x) => b.includes(x));
    if (!same(lit, want.lit) || !same(blinking, want.blinking)) {
      return fail(`lamps hold lit=[${lit.join(',')}] blinking=[${blinking.join(',')}] but the state is ${label(s)}`);
    }
    return { level: 'internal', ok: true, reason: `${this.lifecycle}, light ${label(s)}, lamps consistent` };
  }

  private async checkExternal(): Promise<HealthResult> {
    const link = this.requireLink();
    const t0 = this.clock.now();
    await link.ping(this.cfg.pollTimeoutMs);
    const fw = await link.queryFirmware(this.cfg.pollTimeoutMs);
    const ms = this.clock.now() - t0;
    this.firmwareInfo = fw;
    const pins = await link.readPins(this.cfg.pollTimeoutMs);
    if (this.link !== link) throw new KioskError('DEVICE_OFFLINE', 'link lost during the check');
    const s = this.state;
    for (const c of LAMP_COLORS) {
      // a blinking lamp may be in either phase; every other lamp must read exactly what we wrote
      if (s.color === c && s.mode === 'blink') continue;
      const expectOn = s.color === c;
      if ((pins[c] > 0) !== expectOn) {
        return {
          level: 'external',
          ok: false,
          code: 'PROTOCOL',
          reason: `board reports ${c} pin ${this.cfg.pins[c]} = ${pins[c]}, expected ${expectOn ? 'on' : 'off'} for ${label(s)}`,
        };
      }
    }
    return { level: 'external', ok: true, reason: `${fw.name} ${fw.version} (Firmata ${fw.protocol}) answered in ${ms} ms; pins match ${label(s)}` };
  }

  private async checkInteractive(prompt?: (text: string) => Promise<boolean>): Promise<HealthResult> {
    if (!prompt) return { level: 'interactive', ok: false, reason: 'needs a person: no prompt given' };
    this.requireLink();
    const before = this.current();
    const test: LightState = { color: 'green', mode: 'steady' };
    await this.set(test);
    let answer: boolean;
    try {
      answer = await prompt('Is the lane light steady GREEN now, with yellow and red off?');
    } finally {
      // put the light back as it was, whatever the answer; if the link dropped meanwhile, the reconnect does it
      await this.set(before).catch(() => {
        this.state = before;
      });
    }
    return answer
      ? { level: 'interactive', ok: true, reason: 'a person confirmed steady green' }
      : { level: 'interactive', ok: false, reason: 'a person did not see steady green (lamp, wiring or pin configuration fault)' };
  }

  // ---- connection ----

  private connect(readyTimeoutMs: number): Promise<FirmataLink> {
    const abort = new AbortController();
    this.connectAbort = abort;
    return connectFirmataLink({
      path: this.cfg.path,
      baudRate: this.cfg.baudRate,
      pins: this.cfg.pins,
      blinkMs: this.cfg.blinkMs,
      readyTimeoutMs,
      probeIntervalMs: this.cfg.probeIntervalMs,
      writeTimeoutMs: this.cfg.writeTimeoutMs,
      clock: this.clock,
      signal: abort.signal,
    }).finally(() => {
      if (this.connectAbort === abort) this.connectAbort = null;
    });
  }

  private adopt(link: FirmataLink): void {
    this.link = link;
    this.firmwareInfo = link.firmware;
    this.info.model = link.firmware.name;
    this.missedPolls = 0;
    this.reconnectAttempts = 0;
    this.reconnectDelay = 0;
    const session = this.session;
    link.onLost((reason, fault) => {
      if (session === this.session && this.link === link) this.lost(reason, fault);
    });
    this.schedulePoll();
  }

  private lost(reason: string, fault = false): void {
    const link = this.link;
    this.pastInput = this.inputStats();
    this.link = null;
    this.clearTimer('pollTimer');
    void link?.close();
    if (fault) {
      // not a flapping cable: the board said something wrong. Faulty now, no debounce.
      this.faultStreak++;
      this.clearTimer('offlineTimer');
      this.setOnline(false, `faulty: ${reason}; reconnecting`, ['HARDWARE']);
      if (this.listenerCount('error') > 0) this.emit('error', new KioskError('PROTOCOL', `lane light ${this.info.id}: ${reason}`, { id: this.info.id }));
      const b = this.cfg.backoff;
      this.scheduleReconnect(this.faultStreak <= 1 ? 0 : Math.min(b.maxMs, b.initialMs * b.factor ** (this.faultStreak - 2)));
      return;
    }
    this.detail = `link lost: ${reason}`;
    if (this.online && !this.offlineTimer) {
      this.offlineTimer = this.clock.setTimeout(() => {
        this.offlineTimer = null;
        if (!this.link) this.setOnline(false, this.detail ?? 'link lost');
      }, this.cfg.offlineDebounceMs);
    }
    this.scheduleReconnect(0);
  }

  private scheduleReconnect(delayMs: number): void {
    if (this.reconnectTimer || ORDER[this.lifecycle] < ORDER.claimed) return;
    const session = this.session;
    this.reconnectTimer = this.clock.setTimeout(() => {
      this.reconnectTimer = null;
      if (session !== this.session) return;
      void this.reconnect(session);
    }, delayMs);
  }

  private async reconnect(session: number): Promise<void> {
    this.reconnectAttempts++;
    try {
      const link = await this.connect(this.cfg.readyTimeoutMs);
      // a replugged board powers up dark: put the last state back before calling it online
      try {
        if (session === this.session) await link.apply(this.state);
      } catch (err) {
        await link.close(); // never keep a half-set-up link: it would hold the port's lock
        throw err;
      }
      if (session !== this.session) {
        await link.close();
        return;
      }
      const attempts = this.reconnectAttempts;
      this.adopt(link);
      this.clearTimer('offlineTimer');
      this.setOnline(true, `reconnected after ${attempts} attempt(s), light ${label(this.state)} re-applied`);
    } catch (err) {
      if (session !== this.session) return;
      const was = this.faults.length > 0 ? 'faulty' : 'link lost';
      this.detail = `${was}; reconnect attempt ${this.reconnectAttempts} failed: ${(err as Error).message}`;
      const b = this.cfg.backoff;
      this.reconnectDelay = this.reconnectDelay === 0 ? b.initialMs : Math.min(b.maxMs, this.reconnectDelay * b.factor);
      this.scheduleReconnect(this.reconnectDelay);
    }
  }

  private schedulePoll(): void {
    if (this.cfg.pollIntervalMs <= 0) return;
    this.clearTimer('pollTimer');
    this.pollTimer = this.clock.setTimeout(() => {
      this.pollTimer = null;
      const link = this.link;
      if (!link) return;
      link.ping(this.cfg.pollTimeoutMs).then(
        () => {
          this.missedPolls = 0;
          this.faultStreak = 0;
          if (this.link === link) this.schedulePoll();
        },
        () => {
          if (this.link !== link) return;
          this.missedPolls++;
          if (this.missedPolls >= this.cfg.missedPollsOffline) this.lost(`no reply to REPORT_VERSION (${this.missedPolls} polls)`);
          else this.schedulePoll();
        },
      );
    }, this.cfg.pollIntervalMs);
  }

  private async teardown(): Promise<void> {
    this.session++;
    this.connectAbort?.abort();
    this.clearTimer('offlineTimer');
    this.clearTimer('reconnectTimer');
    this.clearTimer('pollTimer');
    const link = this.link;
    this.pastInput = this.inputStats();
    this.link = null;
    this.faultStreak = 0;
    if (link) {
      // leave an attention signal visible: a blinking colour stays on steady
      if (this.state.mode === 'blink' && this.state.color !== 'off') {
        await link.apply({ color: this.state.color, mode: 'steady' }).catch(() => undefined);
      }
      await link.close();
    }
    await this.claiming?.catch(() => undefined);
  }

  // ---- helpers ----

  private requireLink(): FirmataLink {
    if (ORDER[this.lifecycle] < ORDER.claimed) throw this.stateError('talk to the board', 'claimed');
    if (!this.link) throw new KioskError('DEVICE_OFFLINE', `lane light ${this.info.id} is offline (${this.detail ?? 'reconnecting'})`);
    return this.link;
  }

  private clearTimer(name: 'offlineTimer' | 'reconnectTimer' | 'pollTimer'): void {
    const t = this[name];
    if (t) this.clock.clearTimeout(t);
    this[name] = null;
  }

  private configProblems(): string[] {
    const problems: string[] = [];
    const c = this.cfg;
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

  private stateError(call: string, needs: LifecycleState): KioskError {
    return new KioskError('DEVICE_STATE', `cannot ${call} lane light ${this.info.id} while ${this.lifecycle} (needs ${needs})`, { lifecycle: this.lifecycle });
  }

  private transition(to: LifecycleState, detail: string): void {
    this.lifecycle = to;
    this.online = false;
    this.faults = [];
    this.detail = detail;
    this.since = this.clock.now();
  }

  private setOnline(online: boolean, detail: string, faults: DeviceFault[] = []): void {
    const changed = online !== this.online || faults.join() !== this.faults.join();
    this.online = online;
    this.faults = faults;
    this.detail = detail;
    if (changed) this.since = this.clock.now();
    if (changed) this.emitStatus();
  }

  private emitStatus(): void {
    if (this.lifecycle === 'enabled') this.emit('status', this.status());
  }
}
