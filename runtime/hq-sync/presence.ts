import * as fs from 'node:fs';
import type { IClientOptions, MqttClient } from 'mqtt';
import type { Clock, TimerHandle } from '../../kernel/clock';
import type { StateMessage, TelemetryMessage } from '../../protocol/sync/messages';

/** What the kiosk adds to telemetry for HQ's fleet page (each read when a telemetry message is made). */
export type TelemetryExtras = Pick<TelemetryMessage, 'lane' | 'peripherals' | 'paymentsInDoubt'>;
import { stateTopic, telemetryTopic } from '../../protocol/topics';

/** The bare retained offline state (what a kiosk without versions to report, or an older one, sends). */
export const OFFLINE_STATE = JSON.stringify({ v: 1, online: false } satisfies StateMessage);

/**
 * The `will` for the kiosk's mqtt client options: an offline `state` (default the bare {@link OFFLINE_STATE}),
 * retained, QoS 1, on the state topic. PresencePublisher keeps it current: `{v:1, online:false, ts, software,
 * configVersion, pricebookVersion}` as of the (re)connect, so HQ still knows the versions of a kiosk that vanished.
 */
export function stateWill(storeId: string, deviceId: string, state: StateMessage = { v: 1, online: false }): NonNullable<IClientOptions['will']> {
  return { topic: stateTopic(storeId, deviceId), payload: Buffer.from(JSON.stringify(state)), qos: 1, retain: true };
}

export interface PresenceOptions {
  /** Should be created with `will: stateWill(storeId, deviceId)`. */
  client: MqttClient;
  storeId: string;
  deviceId: string;
  clock: Clock;
  software: string;
  /** Read at every birth (versions change when HQ pushes config or price books). */
  versions: () => { configVersion: string | number | null; pricebookVersion: string | number | null };
  counters?: () => Record<string, number>;
  /** The kiosk's sealing public key (PEM) for the birth's `sealKey`, or null (HQ then waits for it to seal secrets). */
  sealKey?: () => string | null;
  /** Outbox rows waiting for HQ (OutboxPublisher.backlog). */
  backlog: () => Promise<number>;
  /** Whatever describes the peripherals; sent as `devices`. */
  devices?: () => unknown;
  /** The lane state, peripherals and payments in doubt (optional telemetry fields). */
  extras?: () => TelemetryExtras | Promise<TelemetryExtras>;
  /** Directory whose file system is reported as `disk` (statfs). Default: the current directory. */
  diskPath?: string;
  telemetryIntervalMs?: number;
}

/**
 * The kiosk's presence on HQ's fleet table: a retained birth `state` on every (re)connect followed at once by a
 * `telemetry` (QoS 0), then telemetry every `telemetryIntervalMs` on the injected clock (counted from the last one
 * sent; {@link telemetryNow} sends one at once, e.g. when the lane state changes), and a retained offline `state` on
 * stop(). An unclean exit is
 * covered by the client's last will ({@link stateWill}), which start() and every birth and reconnect set to the
 * current {@link offlineState}: the broker takes the will at CONNECT, so it tells HQ the versions and time as of
 * that connection (HQ's fleet view keeps a later birth's versions over an older will's).
 */
export class PresencePublisher {
  private timer: TimerHandle | null = null;
  private running = false;
  private readonly startedAt: number;
  private readonly intervalMs: number;

  constructor(private readonly opts: PresenceOptions) {
    this.startedAt = opts.clock.now();
    this.intervalMs = opts.telemetryIntervalMs ?? 10_000;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.armWill();
    this.opts.client.on('reconnect', this.armWill);
    this.opts.client.on('connect', this.onConnect);
    if (this.opts.client.connected) this.onConnect();
    else this.schedule();
  }

  /** Publishes the retained offline state (waits for its PUBACK if connected) and stops the telemetry timer. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.opts.client.off('connect', this.onConnect);
    this.opts.client.off('reconnect', this.armWill);
    if (this.timer) this.opts.clock.clearTimeout(this.timer);
    this.timer = null;
    if (this.opts.client.connected) {
      await this.opts.client.publishAsync(stateTopic(this.opts.storeId, this.opts.deviceId), JSON.stringify(this.offlineState()), { qos: 1, retain: true });
    }
  }

  /** The offline state as of now: `online: false` with the time, software and versions. */
  offlineState(): StateMessage {
    return { v: 1, online: false, ts: this.opts.clock.now(), software: this.opts.software, ...this.opts.versions() };
  }

  /** Sets the client's will to the current offline state; the broker takes it at the next CONNECT. */
  readonly armWill = (): void => {
    this.opts.client.options.will = stateWill(this.opts.storeId, this.opts.deviceId, this.offlineState());
  };

  /** The current birth message. */
  stateMessage(): StateMessage {
    return {
      v: 1,
      online: true,
      ts: this.opts.clock.now(),
      software: this.opts.software,
      ...this.opts.versions(),
      counters: this.opts.counters?.() ?? {},
      ...(this.opts.sealKey?.() ? { sealKey: this.opts.sealKey() as string } : {}),
    };
  }

  /** The current telemetry message. */
  async telemetryMessage(): Promise<TelemetryMessage> {
    const now = this.opts.clock.now();
    return {
      v: 1,
      ts: now,
      backlog: await this.opts.backlog(),
      uptimeS: Math.floor((now - this.startedAt) / 1000),
      disk: await diskUsage(this.opts.diskPath ?? '.'),
      devices: this.opts.devices?.() ?? null,
      ...((await this.opts.extras?.()) ?? {}),
    };
  }

  /** A (re)connect: the birth, then telemetry at once (HQ's fleet page need not wait a whole interval). */
  private readonly onConnect = (): void => {
    this.birth();
    this.telemetryNow();
  };

  /** Sends telemetry now (when connected) and counts the next interval from here. */
  telemetryNow(): void {
    if (!this.running) return;
    if (this.timer) this.opts.clock.clearTimeout(this.timer);
    this.timer = null;
    void this.sendTelemetry().finally(() => this.running && this.timer === null && this.schedule());
  }

  /** Publishes the retained birth `state` now (also done on every connect). */
  readonly birth = (): void => {
    this.armWill(); // versions may have changed: the next connection's will carries them
    this.opts.client.publish(stateTopic(this.opts.storeId, this.opts.deviceId), JSON.stringify(this.stateMessage()), { qos: 1, retain: true });
  };

  private schedule(): void {
    this.timer = this.opts.clock.setTimeout(() => {
      this.timer = null;
      if (!this.running) return;
      void this.sendTelemetry().finally(() => this.running && this.timer === null && this.schedule());
    }, this.intervalMs);
  }

  private async sendTelemetry(): Promise<void> {
    if (!this.opts.client.connected) return;
    try {
      const m = await this.telemetryMessage();
      // composing it awaited: the kiosk may be stopping meanwhile (a clean stop changes the lane state, which asks for
      // telemetry), and a publish on a disconnecting client is an error — logged, on a stop that went well
      if (!this.running || !this.opts.client.connected || this.opts.client.disconnecting) return;
      this.opts.client.publish(telemetryTopic(this.opts.storeId, this.opts.deviceId), JSON.stringify(m), { qos: 0 }, () => undefined);
    } catch {
      // telemetry is best effort; the next tick tries again
    }
  }
}

async function diskUsage(dir: string): Promise<Record<string, number>> {
  try {
    const s = await fs.promises.statfs(dir);
    return { totalBytes: s.blocks * s.bsize, freeBytes: s.bavail * s.bsize };
  } catch {
    return {};
  }
}
