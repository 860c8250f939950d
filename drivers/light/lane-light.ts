import { ConnectedDevice, type HealthOptions, type HealthOutcome, type StatusPolicy } from '../common/connected-device';
import { atLeast } from '../common/lifecycle';
import { Backoff } from '../common/reconnect';
import type { DeviceEvents, DeviceInfo, HealthLevel, LifecycleState } from '../contract/device';
import type { LaneLight, LightState } from '../contract/light';
import type { TimerHandle } from '../../kernel/clock';
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
 * - `status` events are delivered while enabled. The lifecycle and the connection (debounce, reconnect loop) are
 *   ConnectedDevice's; this class says how to open, restore and close the link.
 * - Blinking is johnny-five's `Led#blink(blinkMs)` (a real-time setInterval inside johnny-five); every other timer
 *   (ready timeout, debounce, backoff, heartbeat) runs on the injected `Clock`.
 * - `release()`/`close()` stop host-side blinking; a blinking colour is left on steady so an attention signal
 *   does not vanish with the process. Steady states are left as they are.
 */
export class FirmataLaneLight extends ConnectedDevice<DeviceEvents> implements LaneLight {
  override readonly info: DeviceInfo;
  private readonly cfg: LightConfig;
  /** Links lost to a fault since the last answered heartbeat (backoff for a board that keeps sending garbage). */
  private faultStreak = 0;
  /** Input-path counters of links already closed. */
  private pastInput: FirmataGuardStats = { delivered: 0, ignored: 0, malformed: 0, overflows: 0, skippedBytes: 0, peakHeldBytes: 0 };
  private lamp: LightState = OFF;
  private link: FirmataLink | null = null;
  private firmwareInfo: FirmwareInfo | null = null;
  private connectAbort: AbortController | null = null;
  /** Waits before reconnecting to a board that keeps sending what firmata.js cannot take. */
  private readonly faultBackoff: Backoff;
  private pollTimer: TimerHandle | null = null;
  private missedPolls = 0;
  /** set() calls run one after another. */
  private setQueue: Promise<unknown> = Promise.resolve();

  constructor(opts: FirmataLaneLightOptions) {
    const cfg = resolveLightConfig(opts);
    super({
      clock: opts.clock,
      offlineDebounceMs: cfg.offlineDebounceMs,
      reconnectInitialMs: cfg.backoff.initialMs,
      reconnectFactor: cfg.backoff.factor,
      reconnectMaxMs: cfg.backoff.maxMs,
      presencePollMs: 0,
    });
    this.cfg = cfg;
    this.faultBackoff = new Backoff(this.cfg.backoff);
    this.info = { id: opts.id ?? opts.path, deviceClass: 'light', driver: 'firmata-johnny-five', path: opts.path };
  }

  /** The firmware the board reported at the last handshake (null before the first claim). */
  get firmware(): FirmwareInfo | null {
    return this.firmwareInfo;
  }

  /** Diagnostics: what the guarded Firmata input path has seen, over every link since construction. */
  inputStats(): FirmataGuardStats {
    const now = this.link?.inputStats();
    return now ? addGuardStats(this.pastInput, now) : { ...this.pastInput };
  }

  current(): LightState {
    return { ...this.lamp };
  }

  // ---- lifecycle hooks (the lifecycle itself is ConnectedDevice's) ----

  /** Online only once claimed; status events while enabled. */
  protected override statusPolicy(): StatusPolicy {
    return { onlineWhenOpened: false, debounceOffline: true, statusEvents: 'enabled' };
  }

  /** open(): the configuration is sound (the port is opened by claim()). */
  protected override async probe(): Promise<void> {
    const problems = lightConfigProblems(this.cfg);
    if (problems.length > 0) throw new KioskError('CONFIG_INVALID', `lane light ${this.info.id}: ${problems.join('; ')}`, { problems });
  }

  /** Opens the port, runs the handshake and puts the light in its last state (a replugged board powers up dark). */
  protected override async connect(_reconnect: boolean, timeoutMs?: number): Promise<void> {
    const link = await this.connectLink(timeoutMs ?? this.cfg.readyTimeoutMs);
    try {
      await link.apply(this.lamp);
    } catch (err) {
      await link.close(); // never keep a half-set-up link: it would hold the port's lock
      throw err;
    }
    this.adopt(link);
  }

  protected override async disconnect(): Promise<void> {
    this.stopPoll();
    const link = this.link;
    this.pastInput = this.inputStats();
    this.link = null;
    await link?.close();
  }

  /** release()/close(): leave an attention signal visible: a blinking colour stays on steady. */
  protected override async beforeDisconnect(): Promise<void> {
    if (this.link && this.lamp.mode === 'blink' && this.lamp.color !== 'off') {
      await this.link.apply({ color: this.lamp.color, mode: 'steady' }).catch(() => undefined);
    }
  }

  protected override onClosing(): void {
    this.connectAbort?.abort();
  }

  protected override async onEnabled(): Promise<void> {
    this.emitStatus();
  }

  protected override onLifecycle(to: LifecycleState, from: LifecycleState): void {
    if (to === 'claimed' && from === 'opened') {
      this.note(`${this.firmwareInfo?.name ?? 'Firmata'} ${this.firmwareInfo?.version ?? ''} ready, light ${label(this.lamp)}`.trim());
    } else if (to === 'opened') {
      this.faultStreak = 0;
      this.note(from === 'closed' ? 'port bound, not claimed' : 'released');
    } else if (to === 'closed') {
      this.faultStreak = 0;
      this.note('closed');
    }
  }

  protected override reconnectedDetail(attempts: number): string {
    return `reconnected after ${attempts} attempt(s), light ${label(this.lamp)} re-applied`;
  }

  // ---- commands ----

  set(state: LightState): Promise<void> {
    const run = async (): Promise<void> => {
      // a caller bug, not a device fault
      assert(state && COLORS.includes(state.color) && MODES.includes(state.mode), `invalid light state ${JSON.stringify(state)}`);
      if (!atLeast(this.lifecycle, 'claimed')) throw this.stateError('set', 'claimed');
      const link = this.link;
      if (!link || !this.isConnected) throw new KioskError('DEVICE_OFFLINE', `lane light ${this.info.id} is offline (${this.status().detail ?? 'reconnecting'})`, { id: this.info.id });
      const next: LightState = state.color === 'off' ? { ...OFF } : { color: state.color, mode: state.mode };
      try {
        await link.apply(next);
      } catch (err) {
        if (isKioskError(err)) throw err;
        throw new KioskError('DEVICE_OFFLINE', `lane light ${this.info.id}: ${(err as Error).message}`, { id: this.info.id });
      }
      if (this.link !== link) throw new KioskError('DEVICE_OFFLINE', `lane light ${this.info.id} was lost while setting ${label(next)}`);
      this.lamp = next;
    };
    const p = this.setQueue.then(run, run);
    this.setQueue = p.catch(() => undefined);
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

  protected override async health(level: HealthLevel, opts: HealthOptions): Promise<HealthOutcome> {
    if (level === 'internal') return lampsConsistent(this.lamp, this.cfg.pins, this.lifecycle, this.link, this.status().detail);
    if (level === 'external') return this.checkExternal();
    return this.checkInteractive(opts.prompt);
  }

  private async checkExternal(): Promise<HealthOutcome> {
    const link = this.requireLink();
    return boardAgrees(link, () => this.lamp, this.cfg.pins, this.cfg.pollTimeoutMs, this.clock, {
      onFirmware: (fw) => (this.firmwareInfo = fw),
      stillCurrent: () => this.link === link,
    });
  }

  private async checkInteractive(prompt?: (text: string) => Promise<boolean>): Promise<HealthOutcome> {
    if (!prompt) return { ok: false, reason: 'needs a person: no prompt given' };
    this.requireLink();
    const before = this.current();
    // put the light back as it was, whatever the answer; if the link dropped meanwhile, the reconnect does it
    return personSeesGreen(prompt, (s) => this.set(s), () =>
      this.set(before).catch(() => {
        this.lamp = before;
      }),
    );
  }

  // ---- connection ----

  private connectLink(readyTimeoutMs: number): Promise<FirmataLink> {
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
      serial: this.cfg.serial,
    }).finally(() => {
      if (this.connectAbort === abort) this.connectAbort = null;
    });
  }

  private adopt(link: FirmataLink): void {
    this.link = link;
    this.firmwareInfo = link.firmware;
    this.info.model = link.firmware.name;
    this.missedPolls = 0;
    link.onLost((reason, fault) => {
      if (this.link === link) this.lost(reason, fault);
    });
    this.schedulePoll();
  }

  private lost(reason: string, fault = false): void {
    const link = this.link;
    this.pastInput = this.inputStats();
    this.link = null;
    this.stopPoll();
    void link?.close();
    if (fault) {
      // not a flapping cable: the board said something wrong. Faulty now, no debounce; reconnect at once the first
      // time, with backoff while the board keeps doing it (until a heartbeat is answered)
      this.faultStreak++;
      const firstRetryMs = this.faultStreak <= 1 ? 0 : this.faultBackoff.delayAt(this.faultStreak - 2);
      this.connectionLost(`faulty: ${reason}; reconnecting`, { exactDetail: true, faults: ['HARDWARE'], firstRetryMs });
      this.reportError(new KioskError('PROTOCOL', `lane light ${this.info.id}: ${reason}`, { id: this.info.id }));
      return;
    }
    this.connectionLost(`link lost: ${reason}`, { exactDetail: true, firstRetryMs: 0 });
  }

  private schedulePoll(): void {
    if (this.cfg.pollIntervalMs <= 0) return;
    this.stopPoll();
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

  // ---- helpers ----

  private requireLink(): FirmataLink {
    if (!atLeast(this.lifecycle, 'claimed')) throw this.stateError('talk to the board', 'claimed');
    if (!this.link || !this.isConnected) throw new KioskError('DEVICE_OFFLINE', `lane light ${this.info.id} is offline (${this.status().detail ?? 'reconnecting'})`);
    return this.link;
  }

  private stopPoll(): void {
    if (this.pollTimer) this.clock.clearTimeout(this.pollTimer);
    this.pollTimer = null;
  }

  private stateError(call: string, needs: LifecycleState): KioskError {
    return new KioskError('DEVICE_STATE', `cannot ${call} lane light ${this.info.id} while ${this.lifecycle} (needs ${needs})`, { lifecycle: this.lifecycle });
  }
}
