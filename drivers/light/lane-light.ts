import { EventEmitter } from 'node:events';
import { runHealthCheck } from '../common/health';
import { atLeast } from '../common/lifecycle';
import { OfflineDebounce } from '../common/offline-debounce';
import { Backoff, ReconnectLoop, type AttemptResult } from '../common/reconnect';
import type { DeviceEvents, DeviceFault, DeviceInfo, DeviceStatus, HealthLevel, HealthResult, LifecycleState } from '../contract/device';
import type { LaneLight, LightState } from '../contract/light';
import { SystemClock, type Clock, type TimerHandle } from '../../kernel/clock';
import { KioskError, assert, isKioskError } from '../../kernel/errors';
import { addGuardStats, type FirmataGuardStats } from './firmata-guard';
import { connectFirmataLink, type FirmataLink, type FirmwareInfo, type LampColor, type LightPins } from './firmata-link';
import { boardAgrees, lampsConsistent, personSeesGreen } from './light-health';
import { lightConfigProblems, resolveLightConfig, type FirmataLaneLightOptions, type LightConfig } from './light-options';
import { COLORS, MODES, OFF, label } from './light-state';

export type { FirmataGuardStats, FirmwareInfo, LampColor, LightPins };
export type { FirmataLaneLightOptions } from './light-options';

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
export class FirmataLaneLight extends EventEmitter<DeviceEvents> implements LaneLight {
  readonly info: DeviceInfo;
  private readonly clock: Clock;
  private readonly cfg: LightConfig;
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
  private readonly offline: OfflineDebounce;
  private readonly reconnect: ReconnectLoop;
  /** Waits before reconnecting to a board that keeps sending what firmata.js cannot take. */
  private readonly faultBackoff: Backoff;
  private pollTimer: TimerHandle | null = null;
  private missedPolls = 0;
  /** set() calls run one after another. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(opts: FirmataLaneLightOptions) {
    super();
    this.clock = opts.clock ?? new SystemClock();
    this.since = this.clock.now();
    this.cfg = resolveLightConfig(opts);
    this.offline = new OfflineDebounce(this.clock, this.cfg.offlineDebounceMs);
    this.reconnect = new ReconnectLoop(this.clock, this.cfg.backoff, () => this.reconnectOnce());
    this.faultBackoff = new Backoff(this.cfg.backoff);
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
    const now = this.link?.inputStats();
    return now ? addGuardStats(this.pastInput, now) : { ...this.pastInput };
  }

  current(): LightState {
    return { ...this.state };
  }

  // ---- lifecycle ----

  async open(): Promise<void> {
    if (atLeast(this.lifecycle, 'opened')) return;
    const problems = lightConfigProblems(this.cfg);
    if (problems.length > 0) throw new KioskError('CONFIG_INVALID', `lane light ${this.info.id}: ${problems.join('; ')}`, { problems });
    this.transition('opened', 'port bound, not claimed');
  }

  async claim(timeoutMs?: number): Promise<void> {
    if (atLeast(this.lifecycle, 'claimed')) return;
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

  /** Going down: the rule in drivers/contract/device.ts. */
  async disable(): Promise<void> {
    if (this.lifecycle !== 'enabled') return;
    this.lifecycle = 'claimed';
    this.since = this.clock.now();
  }

  /** Going down: the rule in drivers/contract/device.ts. */
  async release(): Promise<void> {
    if (!atLeast(this.lifecycle, 'claimed')) return;
    await this.disable();
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
      if (!atLeast(this.lifecycle, 'claimed')) throw this.stateError('set', 'claimed');
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

  private checkInternal(): Omit<HealthResult, 'level'> {
    return lampsConsistent(this.state, this.cfg.pins, this.lifecycle, this.link, this.detail);
  }

  private async checkExternal(): Promise<Omit<HealthResult, 'level'>> {
    const link = this.requireLink();
    return boardAgrees(link, () => this.state, this.cfg.pins, this.cfg.pollTimeoutMs, this.clock, {
      onFirmware: (fw) => (this.firmwareInfo = fw),
      stillCurrent: () => this.link === link,
    });
  }

  private async checkInteractive(prompt?: (text: string) => Promise<boolean>): Promise<Omit<HealthResult, 'level'>> {
    if (!prompt) return { ok: false, reason: 'needs a person: no prompt given' };
    this.requireLink();
    const before = this.current();
    // put the light back as it was, whatever the answer; if the link dropped meanwhile, the reconnect does it
    return personSeesGreen(prompt, (s) => this.set(s), () =>
      this.set(before).catch(() => {
        this.state = before;
      }),
    );
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
      this.offline.cancel();
      this.setOnline(false, `faulty: ${reason}; reconnecting`, ['HARDWARE']);
      if (this.listenerCount('error') > 0) this.emit('error', new KioskError('PROTOCOL', `lane light ${this.info.id}: ${reason}`, { id: this.info.id }));
      // at once the first time, with backoff while the board keeps doing it (until a heartbeat is answered)
      this.reconnect.start(this.faultStreak <= 1 ? 0 : this.faultBackoff.delayAt(this.faultStreak - 2));
      return;
    }
    this.detail = `link lost: ${reason}`;
    if (this.online) {
      this.offline.start(() => {
        if (!this.link) this.setOnline(false, this.detail ?? 'link lost');
      });
    }
    this.reconnect.start(0);
  }

  /** One attempt of the reconnect loop (the first at once, then with backoff). */
  private async reconnectOnce(): Promise<AttemptResult> {
    const session = this.session;
    if (!atLeast(this.lifecycle, 'claimed')) return 'back';
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
        return 'back';
      }
      const attempts = this.reconnect.attempts;
      this.adopt(link);
      this.offline.cancel();
      this.setOnline(true, `reconnected after ${attempts} attempt(s), light ${label(this.state)} re-applied`);
      return 'back';
    } catch (err) {
      if (session !== this.session) return 'back';
      const was = this.faults.length > 0 ? 'faulty' : 'link lost';
      this.detail = `${was}; reconnect attempt ${this.reconnect.attempts} failed: ${(err as Error).message}`;
      return 'retry';
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
    this.offline.cancel();
    this.reconnect.stop();
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
    if (!atLeast(this.lifecycle, 'claimed')) throw this.stateError('talk to the board', 'claimed');
    if (!this.link) throw new KioskError('DEVICE_OFFLINE', `lane light ${this.info.id} is offline (${this.detail ?? 'reconnecting'})`);
    return this.link;
  }

  private clearTimer(name: 'pollTimer'): void {
    const t = this[name];
    if (t) this.clock.clearTimeout(t);
    this[name] = null;
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
