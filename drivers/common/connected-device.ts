import { EventEmitter } from 'node:events';
import type { DeviceEvents, DeviceFault, DeviceInfo, DeviceStatus, HealthLevel, HealthResult, LifecycleState } from '../contract/device';
import { SystemClock, type Clock } from '../../kernel/clock';
import { KioskError, isKioskError, type KioskErrorCode } from '../../kernel/errors';
import { runHealthCheck, type HealthOutcome } from './health';
import { atLeast, stepUp } from './lifecycle';
import { OfflineDebounce } from './offline-debounce';
import { PresencePoll } from './presence-poll';
import { ReconnectLoop, type AttemptResult } from './reconnect';
import type { ConnectionOptions, HealthOptions, LossOptions, StatusPolicy } from './device-options';

export type { HealthOutcome } from './health';
export type { ConnectionOptions, HealthOptions, LossOptions, StatusPolicy } from './device-options';

/**
 * The lifecycle and connection logic every driver of this folder (and the pole display) shares, so that each
 * driver only says how to find, open and close its transport.
 *
 * Lifecycle (the rules, going up and going down, are in drivers/contract/device.ts): `open()` checks the device is
 * there (`probe`), `claim()` opens the transport exclusively (`connect`), `enable()`/`disable()` only switch
 * delivery, `release()` closes the transport (`disconnect`). Calls are serialised: one at a time, in order.
 *
 * Connection: a claimed device whose transport dies (the subclass calls `connectionLost`) is reconnected with
 * exponential backoff (`reconnectInitialMs` doubling up to `reconnectMaxMs`) and returns to the lifecycle state it
 * had. `status` `online: false` is emitted only if it is not back within `offlineDebounceMs` (a glitch is not an
 * outage), once, however many reconnect attempts fail; `online: true` once when it is back. While the transport is
 * down, commands reject with `DEVICE_OFFLINE`; lifecycle calls still work (they set the state to return to).
 *
 * A subclass that implements `stillPresent()` is asked every `presencePollMs` while connected (presence-poll.ts).
 *
 * By default `status` events are emitted for changes of `online` and `faults` only, not for lifecycle calls the
 * caller made; `statusPolicy()` and the hooks below are where drivers differ (terminal, printer, light).
 * `error` events are emitted only when someone listens (an unheard `error` would crash the process); unheard ones are
 * counted in `unheardErrors`.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- Node's EventEmitter map is Record<key, any[]>
export abstract class ConnectedDevice<E extends DeviceEvents & Record<keyof E, any[]> = DeviceEvents> extends EventEmitter<E> {
  abstract readonly info: DeviceInfo;
  protected readonly clock: Clock;
  private readonly claimRetryMs: number;
  private readonly presence: PresencePoll;

  private state: LifecycleState = 'closed';
  private online = false;
  private connected = false;
  /** Set while `connect` runs: a loss reported then fails the attempt. */
  private connecting = false;
  private lostWhileConnecting: string | null = null;
  private since: number;
  private detail: string | undefined;
  private faults: DeviceFault[] = [];
  private queue: Promise<unknown> = Promise.resolve();
  private readonly offline: OfflineDebounce;
  private readonly reconnect: ReconnectLoop;
  /** Bumped by release()/close(): reconnect loops and claim retries of an older epoch stop. */
  private epoch = 0;
  /** The epoch the connection was lost in (the reconnect loop works for it only). */
  private lostEpoch = 0;
  /** The loss set faults (`connectionLost(…, { faults })`): the reconnect clears them. */
  private lossFaults = false;
  private lossDetail = 'connection lost';
  unheardErrors = 0;

  constructor(opts: ConnectionOptions = {}) {
    super();
    this.clock = opts.clock ?? new SystemClock();
    this.claimRetryMs = opts.claimRetryMs ?? 100;
    this.presence = new PresencePoll(this.clock, opts.presencePollMs ?? 1000, {
      connected: () => this.connected,
      check: this.stillPresent ? () => this.stillPresent!() : undefined,
      gone: () => this.connectionLost('the device is gone (presence check)'),
    });
    this.offline = new OfflineDebounce(this.clock, opts.offlineDebounceMs ?? 1000);
    this.reconnect = new ReconnectLoop(
      this.clock,
      { initialMs: opts.reconnectInitialMs ?? 250, factor: opts.reconnectFactor ?? 2, maxMs: opts.reconnectMaxMs ?? 5000 },
      () => this.reconnectOnce(),
    );
    this.since = this.clock.now();
  }

  /** Checks the device is there (path exists, device listed). Rejects `DEVICE_OFFLINE` otherwise. */
  protected abstract probe(): Promise<void>;
  /**
   * Opens the transport exclusively; `reconnect` is true when restoring a lost connection (then it also restores
   * what the device had, e.g. a registration, a light's state). `timeoutMs`: the caller's `claim(timeoutMs)`.
   */
  protected abstract connect(reconnect: boolean, timeoutMs?: number): Promise<void>;
  /** Closes the transport; never rejects. */
  protected abstract disconnect(): Promise<void>;
  protected abstract health(level: HealthLevel, opts: HealthOptions): Promise<HealthOutcome>;
  /** Optional: is the connected device still there? (e.g. its device node still exists and is the same one). */
  protected stillPresent?(): Promise<boolean>;

  // ---- hooks (all optional; the defaults do nothing) ----

  /** See `StatusPolicy`; a driver overrides it as a whole. */
  protected statusPolicy(): StatusPolicy {
    return { onlineWhenOpened: true, debounceOffline: true, statusEvents: 'changes' };
  }
  /** Before the state becomes `enabled` (a rejection fails `enable()`, the state stays `claimed`). */
  protected async beforeEnable(): Promise<void> {}
  /** The state has just become `enabled`. */
  protected async onEnabled(): Promise<void> {}
  /** The state has just left `enabled` (disable, or release of an enabled device). */
  protected async onDisabled(): Promise<void> {}
  /** release()/close() of a connected device, before `disconnect`: let the last answers leave. */
  protected async beforeDisconnect(): Promise<void> {}
  /** close(), after the transport is closed: the inverse of `probe` (drop what `open()` built). */
  protected async onClosed(): Promise<void> {}
  /** close() was called: abort a connect in flight (runs at once, before earlier calls finish). */
  protected onClosing(): void {}
  /** A lost connection is back (connected, in the state it had). */
  protected onReconnected(): void {}
  /** The lifecycle state changed. */
  protected onLifecycle(_state: LifecycleState, _from: LifecycleState): void {}
  /** The `detail` reported when a lost connection is back. */
  protected reconnectedDetail(attempts: number): string | undefined {
    return `reconnected after ${attempts} attempt(s)`;
  }

  status(): DeviceStatus {
    const s: DeviceStatus = { online: this.online, lifecycle: this.state, faults: [...this.faults], since: this.since };
    if (this.detail !== undefined) s.detail = this.detail;
    return s;
  }

  /** The lifecycle state (the one to return to while the connection is down). */
  get lifecycle(): LifecycleState {
    return this.state;
  }

  /** Reconnect attempts since the connection was lost (diagnostics). */
  get reconnectAttempts(): number {
    return this.reconnect.attempts;
  }

  /** The transport is open right now. */
  get isConnected(): boolean {
    return this.connected;
  }

  open(): Promise<void> {
    return this.serialize(async () => {
      if (this.state !== 'closed') return;
      await this.probe();
      this.detail = undefined;
      this.commit('opened', this.statusPolicy().onlineWhenOpened);
    });
  }

  claim(timeoutMs?: number): Promise<void> {
    return this.serialize(async () => {
      if (stepUp(this.info.id, 'claim', this.state, 'claimed') === 'done') return;
      const epoch = this.epoch;
      const deadline = this.clock.now() + (timeoutMs ?? 0);
      for (;;) {
        try {
          await this.connectChecked(false, timeoutMs);
          break;
        } catch (e) {
          if (!isKioskError(e, 'DEVICE_BUSY') || this.clock.now() >= deadline) throw e;
          await this.sleep(Math.min(this.claimRetryMs, deadline - this.clock.now()));
          if (epoch !== this.epoch) throw new KioskError('DEVICE_STATE', `${this.info.id}: closed while claiming`);
        }
      }
      this.connected = true;
      this.detail = undefined;
      this.commit('claimed', true, true);
      this.presence.start();
    });
  }

  enable(): Promise<void> {
    return this.serialize(async () => {
      if (stepUp(this.info.id, 'enable', this.state, 'enabled') === 'done') return;
      await this.beforeEnable();
      this.commit('enabled', this.online);
      await this.onEnabled();
    });
  }

  disable(): Promise<void> {
    return this.serialize(() => this.goDown());
  }

  release(): Promise<void> {
    return this.serialize(async () => {
      if (!atLeast(this.state, 'claimed')) return;
      await this.goDown();
      await this.dropConnection();
      this.commit('opened', this.statusPolicy().onlineWhenOpened && this.online);
    });
  }

  close(): Promise<void> {
    this.epoch++; // stops claim retries and reconnects right away, even before the queue reaches us
    this.onClosing();
    return this.serialize(async () => {
      try {
        await this.goDown();
        await this.dropConnection();
        await this.onClosed();
      } finally {
        this.commit('closed', false);
      }
    });
  }

  checkHealth(level: HealthLevel, opts: HealthOptions = {}): Promise<HealthResult> {
    return runHealthCheck(
      level,
      { internal: () => this.health('internal', opts), external: () => this.health('external', opts), interactive: () => this.health('interactive', opts) },
      opts.prompt,
    );
  }

  /**
   * For subclasses: the transport died (cable pulled, read error). Starts the debounce and reconnect loop; with
   * `faults`, offline at once (a device that said something wrong is not a flapping cable).
   */
  protected connectionLost(detail: string, how: LossOptions = {}): void {
    if (this.connecting) this.lostWhileConnecting = detail;
    if (!this.connected) return;
    this.connected = false;
    this.presence.stop();
    this.detail = how.exactDetail ? detail : `connection lost: ${detail}`;
    this.lossDetail = this.detail;
    if (!atLeast(this.state, 'claimed')) return;
    const epoch = this.epoch;
    this.lostEpoch = epoch;
    this.offline.cancel();
    if (how.faults) {
      this.lossFaults = true;
      this.report(false, how.faults, this.detail);
    } else if (this.statusPolicy().debounceOffline) {
      this.offline.start(() => {
        if (epoch === this.epoch && !this.connected) this.report(false, this.faults, this.detail);
      });
    }
    this.reconnect.stop();
    this.reconnect.start(how.firstRetryMs);
  }

  /** For subclasses: commands need an enabled, connected device. */
  protected requireReady(what: string): void {
    if (this.state !== 'enabled') throw new KioskError('DEVICE_STATE', `${this.info.id}: ${what} needs an enabled device (it is ${this.state})`, { state: this.state });
    if (!this.connected) throw new KioskError('DEVICE_OFFLINE', `${this.info.id}: ${what}: device offline`, { detail: this.detail });
  }

  /** For drivers that report online/offline themselves (`debounceOffline: false`): one status change. */
  protected report(online: boolean, faults: DeviceFault[], detail: string | undefined, emit = true): void {
    const same = faults.length === this.faults.length && faults.every((f) => this.faults.includes(f));
    this.detail = detail;
    if (same && online === this.online) return;
    this.faults = [...faults];
    this.online = online;
    this.since = this.clock.now();
    if (emit) this.emitStatus();
  }

  /** Sets `detail` (and `since`) without a status event. */
  protected note(detail: string | undefined): void {
    this.detail = detail;
    this.since = this.clock.now();
  }

  protected setFaults(faults: DeviceFault[], detail?: string): void {
    const same = faults.length === this.faults.length && faults.every((f) => this.faults.includes(f));
    if (same) return;
    this.faults = [...faults];
    this.since = this.clock.now();
    if (detail !== undefined) this.detail = detail;
    this.emitStatus();
  }

  protected reportError(error: KioskError): void {
    const plain = this as unknown as EventEmitter;
    if (plain.listenerCount('error') > 0) plain.emit('error', error);
    else this.unheardErrors++;
  }

  protected emitEvent(event: string, ...args: unknown[]): void {
    (this as unknown as EventEmitter).emit(event, ...args);
  }

  /** Runs `fn` after every call queued before it (lifecycle calls and reconnects never interleave). */
  protected serialize<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  protected sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.clock.setTimeout(resolve, Math.max(0, ms)));
  }

  private async connectChecked(reconnect: boolean, timeoutMs?: number): Promise<void> {
    this.connecting = true;
    this.lostWhileConnecting = null;
    try {
      await this.connect(reconnect, timeoutMs);
    } catch (e) {
      await this.disconnect(); // whatever the failed attempt opened
      throw e;
    } finally {
      this.connecting = false;
    }
    if (this.lostWhileConnecting !== null) {
      const why = this.lostWhileConnecting;
      this.lostWhileConnecting = null;
      await this.disconnect();
      throw new KioskError('DEVICE_OFFLINE', `${this.info.id}: connection lost while opening: ${why}`);
    }
  }

  protected emitStatus(): void {
    const events = this.statusPolicy().statusEvents;
    if (events === 'enabled' && this.state !== 'enabled') return;
    this.emitEvent('status', this.status());
  }

  /**
   * A lifecycle step: the state, `online`, one status event when the policy wants one (lifecycle calls report no
   * status otherwise, except a claim that brings the device online).
   */
  private commit(state: LifecycleState, online: boolean, reportOnline = false): void {
    const changed = state !== this.state;
    const onlineChanged = online !== this.online;
    const from = this.state;
    this.state = state;
    this.online = online;
    if (state === 'closed' || state === 'opened') this.faults = [];
    if (changed || onlineChanged) this.since = this.clock.now();
    if (changed) this.onLifecycle(state, from);
    if ((reportOnline && onlineChanged) || (changed && this.statusPolicy().statusEvents === 'lifecycle')) this.emitStatus();
  }

  /** Going down from enabled (disable, or the first step of release/close). */
  private async goDown(): Promise<void> {
    if (this.state !== 'enabled') return;
    this.commit('claimed', this.online);
    await this.onDisabled();
  }

  /** One attempt of the reconnect loop, queued behind lifecycle calls; back to the lifecycle state it had. */
  private reconnectOnce(): Promise<AttemptResult> {
    const epoch = this.lostEpoch;
    return this.serialize(async (): Promise<AttemptResult> => {
      if (epoch !== this.epoch || this.connected || !atLeast(this.state, 'claimed')) return 'back';
      try {
        await this.disconnect();
        await this.connectChecked(true);
      } catch (e) {
        if (epoch !== this.epoch) return 'back';
        const why = e instanceof Error ? e.message : String(e);
        this.detail = `${this.lossDetail}; reconnect attempt ${this.reconnect.attempts} failed (${why}); next in ${this.reconnect.nextDelayMs} ms`;
        return 'retry';
      }
      if (epoch !== this.epoch) {
        await this.disconnect();
        return 'back';
      }
      this.connected = true;
      this.offline.cancel();
      const detail = this.reconnectedDetail(this.reconnect.attempts);
      if (this.statusPolicy().debounceOffline || this.lossFaults) this.report(true, [], detail);
      else this.detail = detail;
      this.lossFaults = false;
      this.presence.start();
      this.onReconnected();
      return 'back';
    });
  }

  private async dropConnection(): Promise<void> {
    this.epoch++;
    this.offline.cancel();
    this.reconnect.stop();
    this.presence.stop();
    const was = this.connected;
    if (was) await this.beforeDisconnect();
    this.connected = false;
    this.lossFaults = false;
    await this.disconnect();
    if (!was && !this.online && this.state !== 'closed') {
      // released while offline: the device is no longer ours to watch; report what we last knew
      this.detail = 'released while offline';
    }
  }
}

export function kioskCode(e: unknown): KioskErrorCode | undefined {
  return isKioskError(e) ? e.code : undefined;
}
