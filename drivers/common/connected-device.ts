import { EventEmitter } from 'node:events';
import type {
  DeviceEvents,
  DeviceFault,
  DeviceInfo,
  DeviceStatus,
  HealthLevel,
  HealthResult,
  LifecycleState,
} from '../contract/device';
import { SystemClock, type Clock, type TimerHandle } from '../../kernel/clock';
import { KioskError, isKioskError, type KioskErrorCode } from '../../kernel/errors';
import { runHealthCheck, type HealthOutcome } from './health';
import { atLeast, stepUp } from './lifecycle';
import { OfflineDebounce } from './offline-debounce';
import { ReconnectLoop, type AttemptResult } from './reconnect';

export type { HealthOutcome } from './health';

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
 * Transports do not always report their own death (serialport's poller can miss the hang-up of a pulled USB-serial
 * adapter): a subclass that implements `stillPresent()` is asked every `presencePollMs` while connected, and a `false`
 * counts as a lost connection.
 *
 * `status` events are emitted for changes of `online` and `faults` only, not for lifecycle calls the caller made.
 * `error` events are emitted only when someone listens (an unheard `error` would crash the process); unheard ones are
 * counted in `unheardErrors`.
 */
export interface ConnectionOptions {
  /** Injected clock: timestamps, debounce and backoff timers. Default: the system clock. */
  clock?: Clock;
  /** A lost connection is reported offline only if it is not back within this many ms. Default 1000. */
  offlineDebounceMs?: number;
  /** First reconnect attempt after this many ms; doubles per failure. Default 250. */
  reconnectInitialMs?: number;
  /** Longest wait between reconnect attempts. Default 5000. */
  reconnectMaxMs?: number;
  /** While `claim(timeoutMs)` waits for a busy device, retry this often. Default 100. */
  claimRetryMs?: number;
  /** How often a connected device's presence is checked (when the driver can check it); 0 = never. Default 1000. */
  presencePollMs?: number;
}

export interface HealthOptions {
  prompt?: (text: string) => Promise<boolean>;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- Node's EventEmitter map is Record<key, any[]>
export abstract class ConnectedDevice<E extends DeviceEvents & Record<keyof E, any[]> = DeviceEvents> extends EventEmitter<E> {
  abstract readonly info: DeviceInfo;
  protected readonly clock: Clock;
  private readonly claimRetryMs: number;
  private readonly presencePollMs: number;
  private presenceTimer: TimerHandle | null = null;

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
  unheardErrors = 0;

  constructor(opts: ConnectionOptions = {}) {
    super();
    this.clock = opts.clock ?? new SystemClock();
    this.claimRetryMs = opts.claimRetryMs ?? 100;
    this.presencePollMs = opts.presencePollMs ?? 1000;
    this.offline = new OfflineDebounce(this.clock, opts.offlineDebounceMs ?? 1000);
    this.reconnect = new ReconnectLoop(this.clock, { initialMs: opts.reconnectInitialMs ?? 250, maxMs: opts.reconnectMaxMs ?? 5000 }, () => this.reconnectOnce());
    this.since = this.clock.now();
  }

  /** Checks the device is there (path exists, device listed). Rejects `DEVICE_OFFLINE` otherwise. */
  protected abstract probe(): Promise<void>;
  /** Opens the transport exclusively; `reconnect` is true when restoring a lost connection. */
  protected abstract connect(reconnect: boolean): Promise<void>;
  /** Closes the transport; never rejects. */
  protected abstract disconnect(): Promise<void>;
  protected abstract health(level: HealthLevel, opts: HealthOptions): Promise<HealthOutcome>;
  /** Optional: is the connected device still there? (e.g. its device node still exists and is the same one). */
  protected stillPresent?(): Promise<boolean>;

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
      this.state = 'opened';
      this.online = true;
      this.since = this.clock.now();
      this.detail = undefined;
    });
  }

  claim(timeoutMs = 0): Promise<void> {
    return this.serialize(async () => {
      if (stepUp(this.info.id, 'claim', this.state, 'claimed') === 'done') return;
      const epoch = this.epoch;
      const deadline = this.clock.now() + timeoutMs;
      for (;;) {
        try {
          await this.connectChecked(false);
          break;
        } catch (e) {
          if (!isKioskError(e, 'DEVICE_BUSY') || this.clock.now() >= deadline) throw e;
          await this.sleep(Math.min(this.claimRetryMs, deadline - this.clock.now()));
          if (epoch !== this.epoch) throw new KioskError('DEVICE_STATE', `${this.info.id}: closed while claiming`);
        }
      }
      this.connected = true;
      this.state = 'claimed';
      this.setOnline(true, undefined);
      this.schedulePresenceCheck();
    });
  }

  enable(): Promise<void> {
    return this.serialize(async () => {
      if (stepUp(this.info.id, 'enable', this.state, 'enabled') === 'done') return;
      this.state = 'enabled';
    });
  }

  disable(): Promise<void> {
    return this.serialize(async () => {
      if (this.state === 'enabled') this.state = 'claimed';
    });
  }

  release(): Promise<void> {
    return this.serialize(async () => {
      if (!atLeast(this.state, 'claimed')) return;
      await this.dropConnection();
      this.state = 'opened';
    });
  }

  close(): Promise<void> {
    this.epoch++; // stops claim retries and reconnects right away, even before the queue reaches us
    return this.serialize(async () => {
      try {
        await this.dropConnection();
      } finally {
        this.state = 'closed';
        this.online = false;
        this.since = this.clock.now();
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

  /** For subclasses: the transport died (cable pulled, read error). Starts the debounce and reconnect loop. */
  protected connectionLost(detail: string): void {
    if (this.connecting) this.lostWhileConnecting = detail;
    if (!this.connected) return;
    this.connected = false;
    this.clearTimer('presenceTimer');
    this.detail = `connection lost: ${detail}`;
    if (!atLeast(this.state, 'claimed')) return;
    const epoch = this.epoch;
    this.lostEpoch = epoch;
    this.offline.cancel();
    this.offline.start(() => {
      if (epoch === this.epoch && !this.connected) this.setOnline(false, this.detail);
    });
    this.reconnect.stop();
    this.reconnect.start();
  }

  /** For subclasses: commands need an enabled, connected device. */
  protected requireReady(what: string): void {
    if (this.state !== 'enabled') throw new KioskError('DEVICE_STATE', `${this.info.id}: ${what} needs an enabled device (it is ${this.state})`, { state: this.state });
    if (!this.connected) throw new KioskError('DEVICE_OFFLINE', `${this.info.id}: ${what}: device offline`, { detail: this.detail });
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

  private async connectChecked(reconnect: boolean): Promise<void> {
    this.connecting = true;
    this.lostWhileConnecting = null;
    try {
      await this.connect(reconnect);
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

  private setOnline(online: boolean, detail: string | undefined): void {
    this.detail = detail;
    if (this.online === online) return;
    this.online = online;
    this.since = this.clock.now();
    this.emitStatus();
  }

  private emitStatus(): void {
    this.emitEvent('status', this.status());
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
        this.detail = `offline, reconnect attempt ${this.reconnect.attempts} failed (${why}); next in ${this.reconnect.nextDelayMs} ms`;
        return 'retry';
      }
      if (epoch !== this.epoch) {
        await this.disconnect();
        return 'back';
      }
      this.connected = true;
      this.offline.cancel();
      this.setOnline(true, `reconnected after ${this.reconnect.attempts} attempt(s)`);
      this.schedulePresenceCheck();
      return 'back';
    });
  }

  private async dropConnection(): Promise<void> {
    this.epoch++;
    this.offline.cancel();
    this.reconnect.stop();
    this.clearTimer('presenceTimer');
    const was = this.connected;
    this.connected = false;
    await this.disconnect();
    if (!was && !this.online && this.state !== 'closed') {
      // released while offline: the device is no longer ours to watch; report what we last knew
      this.detail = 'released while offline';
    }
  }

  private schedulePresenceCheck(): void {
    this.clearTimer('presenceTimer');
    const check = this.stillPresent;
    if (!check || this.presencePollMs <= 0) return;
    this.presenceTimer = this.clock.setTimeout(() => {
      this.presenceTimer = null;
      if (!this.connected) return;
      check.call(this).then(
        (present) => {
          if (!this.connected || this.presenceTimer !== null) return; // lost or reconnected meanwhile
          if (present) this.schedulePresenceCheck();
          else this.connectionLost('the device is gone (presence check)');
        },
        () => {
          if (this.connected && this.presenceTimer === null) this.schedulePresenceCheck();
        },
      );
    }, this.presencePollMs);
  }

  private clearTimer(which: 'presenceTimer'): void {
    const t = this[which];
    if (t) this.clock.clearTimeout(t);
    this[which] = null;
  }
}

export function kioskCode(e: unknown): KioskErrorCode | undefined {
  return isKioskError(e) ? e.code : undefined;
}
