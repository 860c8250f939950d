import { EventEmitter } from 'node:events';
import { randomBytes } from 'node:crypto';
import type { IConnackPacket, ISubscriptionGrant, ISubscriptionMap, MqttClient } from 'mqtt';
import type { Clock, TimerHandle } from '../../kernel/clock';
import { encodeAck, parseEvent, type EventMessage } from '../../protocol/sync/messages';
import { INGEST_STATE_TOPIC, encodeIngestState } from '../../protocol/sync/ingest-state';
import { mqttRequestResend, type RequestResend } from './request-resend';
import { ackTopic, fleetFilter, parseTopic, sharedFilter } from '../../protocol/topics';
import { readFleet, writeFleet } from '../fleet/fleet-table';
import { FLEET_FILTERS, FleetView, parseFleetTopic } from './fleet';
import type { AcceptResult, BatchOutcome, QuarantineNote } from './outcome';
import type { IngestStore, QuarantinedChain } from './store';

export interface HqIngestOptions {
  store: IngestStore;
  /** Created (and owned) by the caller; may still be connecting. */
  client: MqttClient;
  clock: Clock;
  /**
   * Shared-subscription group: several instances with the same group split the events between them. A function is
   * asked at every subscribe (hq ingest decides on the first CONNACK, after its listener is attached: see runIngest).
   */
  shared?: string | (() => string | undefined);
  /** Called when a device's events have a hole that persisted `gapGraceMs`. Default: {@link mqttRequestResend}. */
  requestResend?: RequestResend;
  /**
   * How long a hole may exist before a resend is requested (events of one device may race between instances). Default
   * 1000. The wait is at least {@link GAP_LAG_FACTOR} × this instance's recent batch lag (receipt to commit): under load
   * the other instances of a `$share` group, which hold the missing events, are as late, and asking every kiosk to
   * re-send what is merely still in flight would add load that makes them later still.
   */
  gapGraceMs?: number;
  /** The same resend request is not repeated within this time. Default 5000. */
  resendCooldownMs?: number;
  /** Resend requests per second at most (more holes wait for the next look). Default 50. */
  resendsPerSecond?: number;
  /** Events accepted per SQLite transaction at most. Default 1000. */
  maxBatch?: number;
  /** Fleet-table writes (all kiosks that changed, one transaction) happen at most this often. Default 1000. */
  fleetWriteMs?: number;
}

export interface IngestStats {
  stored: number;
  duplicate: number;
  rejected: number;
  malformed: number;
  resendRequests: number;
  /** Rejected events kept in quarantine for the first time (re-sent copies not counted). */
  quarantined: number;
}

/** Something at HQ needs a person: raised once per batch and device that put new entries in quarantine. */
export interface IngestAlert extends Pick<QuarantinedChain, 'storeId' | 'deviceId' | 'entries' | 'fromSeq' | 'toSeq' | 'reason'> {
  kind: 'quarantine';
  /** For staff; `entries`/`fromSeq`/`toSeq` count only the entries this batch newly quarantined. */
  message: string;
}

export interface HqIngestEvents {
  accepted: [EventMessage, AcceptResult];
  /** A malformed message (not counted as an event) or a failed store transaction. */
  error: [Error];
  resend: [{ storeId: string; deviceId: string; fromSeq: number }];
  /** The kiosk's state, telemetry or a report changed, and the `fleet` table has it. */
  fleet: [{ storeId: string; deviceId: string }];
  /** Every rejected event, as it is put (or kept again) in quarantine. */
  quarantined: [QuarantineNote];
  alert: [IngestAlert];
}

/** A hole waits at least this many times the recent batch lag before a resend is requested. */
export const GAP_LAG_FACTOR = 4;
/** Weight of the latest batch in the moving average of the lag. */
const LAG_WEIGHT = 0.2;
/** However late the batches, a hole is asked for within this time. */
const MAX_GAP_GRACE_MS = 60_000;

/**
 * HQ's sale ingestion: subscribes to every kiosk's `events` (optionally as a `$share` group), accepts them into
 * the IngestStore in batches (one transaction per batch), acks each device once per batch — for duplicates too,
 * so a kiosk whose ack was lost gets it again — and asks for a resend when a hole persists.
 *
 * Acks (`{v:1, seq, hash}`, QoS 1, retained so a kiosk that subscribes learns HQ's position at once) cover only
 * what HQ stored on a chain that matches the kiosk's: see {@link IngestStore.acceptBatch}. Rejected events
 * (a conflicting chain: a reused identity, a kiosk restored from a backup, a tampered entry) are never acked; the
 * store keeps them in quarantine, and a batch that quarantines new entries raises an `alert` (and marks the
 * device in the fleet view). The kiosk keeps them in its outbox.
 * It also keeps the fleet view (non-shared subscriptions to `state`, `telemetry`, `config/reported` and
 * `pricebook/reported`, plus the times of events): in memory (`fleet`, loaded from the store's `fleet` table at
 * start, so a restarted HQ knows the fleet at once) and in that table, written for every kiosk that changed in one
 * transaction at most every `fleetWriteMs` (1 000 kiosks' telemetry is one write a second, not 1 000).
 */
export class HqIngest extends EventEmitter<HqIngestEvents> {
  readonly stats: IngestStats = { stored: 0, duplicate: 0, rejected: 0, malformed: 0, resendRequests: 0, quarantined: 0 };
  readonly fleet = new FleetView();
  private readonly store: IngestStore;
  private readonly client: MqttClient;
  private readonly clock: Clock;
  private readonly shared: () => string | undefined;
  private readonly requestResend: RequestResend;
  private readonly gapGraceMs: number;
  private readonly resendCooldownMs: number;
  private readonly maxBatch: number;
  private queue: EventMessage[] = [];
  private flushing: Promise<void> | null = null;
  private running = false;
  private readonly gapTimers = new Map<string, TimerHandle>();
  /** When each queued event arrived (parallel to `queue`). */
  private arrivals: number[] = [];
  /** Recent batch lag, receipt of a batch's first event to its commit (moving average, ms). */
  private lagMs = 0;
  private readonly resendsPerSecond: number;
  private resendTokens: number;
  private resendTokensAt = -Infinity;
  private readonly lastResend = new Map<string, { fromSeq: number; at: number }>();
  private fleetWrites: Promise<void> = Promise.resolve();
  private readonly fleetWriteMs: number;
  /** Kiosks whose fleet row must be written; the value says whether it is news for the fleet page (not just an event time). */
  private readonly fleetDirty = new Map<string, boolean>();
  private fleetTimer: TimerHandle | null = null;
  private fleetWriting = false;
  private lastFleetWrite = -Infinity;

  constructor(opts: HqIngestOptions) {
    super();
    this.store = opts.store;
    this.client = opts.client;
    this.clock = opts.clock;
    const shared = opts.shared;
    this.shared = typeof shared === 'function' ? shared : () => shared;
    this.requestResend = opts.requestResend ?? mqttRequestResend(opts.client);
    this.gapGraceMs = opts.gapGraceMs ?? 1000;
    this.resendCooldownMs = opts.resendCooldownMs ?? 5000;
    this.resendsPerSecond = Math.max(1, opts.resendsPerSecond ?? 50);
    this.resendTokens = this.resendsPerSecond;
    this.maxBatch = opts.maxBatch ?? 1000;
    this.fleetWriteMs = opts.fleetWriteMs ?? 1000;
  }

  private filters(): string[] {
    const events = fleetFilter('events');
    const shared = this.shared();
    return [
      shared ? sharedFilter(shared, events) : events,
      // never shared: a shared subscription gets no retained messages, and every instance keeps the whole fleet view
      ...FLEET_FILTERS,
    ];
  }

  /** Subscribes (now, and again on every reconnect) and starts accepting. Resolves once subscribed, if connected. */
  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    // listen before anything is awaited: mqtt.js PUBACKs a message that arrives with no listener (messages queued in a
    // persistent session come right at connect), and such an event would be lost to HQ with the kiosk told it was taken
    this.client.on('message', this.onMessage);
    this.client.on('connect', this.subscribe);
    try {
      // what HQ knew before this start; a kiosk heard from meanwhile is newer than its row
      for (const r of await readFleet(this.store.db.read)) if (!this.fleet.get(r.store_id, r.device_id)) this.fleet.load(r);
    } catch (err) {
      this.report(err as Error);
    }
    if (this.client.connected) await this.subscribeAsync();
  }

  /** Stops listening, waits for the batch in progress and pending fleet writes. Leaves the client and store open. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.client.off('message', this.onMessage);
    this.client.off('connect', this.subscribe);
    for (const t of this.gapTimers.values()) this.clock.clearTimeout(t);
    this.gapTimers.clear();
    await this.drain();
    if (this.fleetTimer) this.clock.clearTimeout(this.fleetTimer);
    this.fleetTimer = null;
    await this.fleetWrites;
    if (this.fleetDirty.size > 0) await this.writeFleetNow();
  }

  /** Resolves when every event received so far has been accepted (or failed). */
  async drain(): Promise<void> {
    while (this.flushing) await this.flushing;
  }

  /**
   * On every CONNACK. A resumed session (a named `hq ingest` worker) is subscribed again too, and explicitly: mqtt.js
   * trusts `sessionPresent`, re-sends nothing and drops a repeated subscribe as already done, but Mosquitto 2.0.11
   * restores a session from its persistence file without its `$share` subscriptions — the worker would stay deaf to
   * events after a broker restart (test/ingest-session.test.ts). A clean session is re-subscribed by mqtt.js itself.
   */
  private readonly subscribe = (connack?: IConnackPacket): void => {
    const map: ISubscriptionMap = Object.fromEntries(this.filters().map((f) => [f, { qos: 1 as const }]));
    if (connack?.sessionPresent) map.resubscribe = true;
    this.client.subscribe(map, (err, granted) => (err ? this.report(err) : this.announce(granted)));
  };

  private async subscribeAsync(): Promise<void> {
    this.announce(await this.client.subscribeAsync(this.filters(), { qos: 1 }));
  }

  /**
   * After the SUBACK of every (re)subscribe: the birth on `kiosk/v1/_hq/ingest` (protocol/sync/ingest-state.ts), retained,
   * with a fresh id. Kiosks re-publish what is not acked at once: what they sent before this subscription reached nobody.
   * Not when the broker refused the events subscription (SUBACK reason code 0x80 or above).
   */
  private announce(granted: ISubscriptionGrant[] | undefined): void {
    if (!this.running) return;
    if (granted?.some((g) => g.qos >= 0x80 && g.topic.endsWith(fleetFilter('events')))) return;
    const payload = encodeIngestState({ at: this.clock.now(), id: randomBytes(12).toString('base64url') });
    this.client.publish(INGEST_STATE_TOPIC, payload, { qos: 1, retain: true }, (err) => err && this.report(err));
  }

  private readonly onMessage = (topic: string, payload: Buffer, packet?: { retain?: boolean }): void => {
    const f = parseFleetTopic(topic);
    if (f && f.kind !== 'events') {
      if (!this.fleet.apply(topic, payload, this.clock.now(), packet?.retain === true)) return;
      this.markFleet(`${f.storeId}/${f.deviceId}`, true);
      return;
    }
    const t = parseTopic(topic);
    if (!t) return;
    if (t.leaf === 'events') {
      let e: EventMessage;
      try {
        e = parseEvent(payload);
        if (e.storeId !== t.storeId || e.deviceId !== t.deviceId) throw new Error(`event for ${e.storeId}/${e.deviceId} on ${topic}`);
      } catch (err) {
        this.stats.malformed++;
        this.report(err as Error);
        return;
      }
      this.fleet.noteEvent(e.storeId, e.deviceId, e.ts, this.clock.now());
      this.markFleet(`${e.storeId}/${e.deviceId}`, false);
      this.queue.push(e);
      this.arrivals.push(this.clock.now());
      if (!this.flushing) this.flushing = this.flush().finally(() => (this.flushing = null));
    }
  };

  /** Notes a kiosk whose fleet row must be written: now when the last write is `fleetWriteMs` old, else then. */
  private markFleet(key: string, news: boolean): void {
    this.fleetDirty.set(key, (this.fleetDirty.get(key) ?? false) || news);
    if (this.fleetWriting || this.fleetTimer || !this.running) return;
    const wait = this.lastFleetWrite + this.fleetWriteMs - this.clock.now();
    if (wait <= 0) void this.writeFleetNow();
    else
      this.fleetTimer = this.clock.setTimeout(() => {
        this.fleetTimer = null;
        void this.writeFleetNow();
      }, wait);
  }

  /** Writes every dirty kiosk's row in one transaction (serialized: one write at a time), then tells listeners. */
  private writeFleetNow(): Promise<void> {
    const run = async (): Promise<void> => {
      const dirty = [...this.fleetDirty];
      this.fleetDirty.clear();
      if (dirty.length === 0) return;
      this.fleetWriting = true;
      this.lastFleetWrite = this.clock.now();
      const entries = dirty.flatMap(([key]) => {
        const [s, d] = key.split('/');
        const e = this.fleet.get(s, d);
        return e ? [e] : [];
      });
      try {
        await writeFleet(this.store.db, entries);
        for (const [key, news] of dirty) {
          if (!news) continue;
          const [storeId, deviceId] = key.split('/');
          this.emit('fleet', { storeId, deviceId });
        }
      } catch (err) {
        this.report(err as Error);
      } finally {
        this.fleetWriting = false;
      }
      if (this.fleetDirty.size > 0 && this.running && !this.fleetTimer) {
        this.fleetTimer = this.clock.setTimeout(() => {
          this.fleetTimer = null;
          void this.writeFleetNow();
        }, Math.max(0, this.lastFleetWrite + this.fleetWriteMs - this.clock.now()));
      }
    };
    this.fleetWrites = this.fleetWrites.then(run, run);
    return this.fleetWrites;
  }

  private async flush(): Promise<void> {
    while (this.queue.length > 0) {
      const taken = this.queue.splice(0, this.maxBatch);
      const arrivals = this.arrivals.splice(0, taken.length);
      const since = arrivals[0] ?? this.clock.now();
      let outcome: BatchOutcome;
      let batch = taken;
      try {
        // beside the group's other workers, which carry the same lanes: what another batch holds waits for our next one
        outcome = await this.store.acceptBatch(taken, this.clock.now(), { yieldContended: true });
        if (outcome.deferred?.length) {
          const at = new Map(taken.map((e, i) => [e, arrivals[i]]));
          this.queue.unshift(...outcome.deferred);
          this.arrivals.unshift(...outcome.deferred.map((e) => at.get(e) ?? since));
          batch = outcome.accepted ?? [];
        }
        const lag = Math.max(0, this.clock.now() - since);
        this.lagMs = this.lagMs === 0 ? lag : this.lagMs * (1 - LAG_WEIGHT) + lag * LAG_WEIGHT;
      } catch (err) {
        // these were PUBACKed but not stored: the kiosk re-sends them when no ack covers them
        this.report(err as Error);
        continue;
      }
      const { results, acks, quarantined } = outcome;
      const last = new Map<string, { e: EventMessage; r: AcceptResult }>();
      batch.forEach((e, i) => {
        const r = results[i];
        this.stats[r.status]++;
        last.set(`${e.storeId}/${e.deviceId}`, { e, r });
        this.emit('accepted', e, r);
      });
      for (const a of acks) this.client.publish(ackTopic(a.storeId, a.deviceId), encodeAck(a.seq, a.hash), { qos: 1, retain: true });
      for (const { e, r } of last.values()) if (r.gap) this.scheduleGapCheck(e.storeId, e.deviceId);
      this.noteQuarantine(quarantined);
    }
  }

  private noteQuarantine(notes: QuarantineNote[]): void {
    const fresh = new Map<string, QuarantineNote[]>();
    for (const q of notes) {
      this.emit('quarantined', q);
      if (!q.isNew) continue;
      this.stats.quarantined++;
      const key = `${q.storeId}/${q.deviceId}`;
      fresh.set(key, [...(fresh.get(key) ?? []), q]);
    }
    for (const [key, list] of fresh) {
      const { storeId, deviceId } = list[0];
      const lowest = list.reduce((a, b) => (b.seq < a.seq ? b : a));
      const toSeq = Math.max(...list.map((q) => q.seq));
      this.fleet.noteQuarantine(storeId, deviceId, list.length);
      this.emit('alert', {
        kind: 'quarantine',
        storeId,
        deviceId,
        entries: list.length,
        fromSeq: lowest.seq,
        toSeq,
        reason: lowest.reason,
        message:
          `${key}: ${list.length} entr${list.length === 1 ? 'y' : 'ies'} (seq ${lowest.seq}..${toSeq}) quarantined, not acked: ${lowest.reason}` +
          ' — a reused identity or a kiosk restored from a backup? The kiosk keeps them in its outbox.',
      });
    }
  }

  /** How long a hole waits now: `gapGraceMs`, or {@link GAP_LAG_FACTOR} × the recent batch lag when longer (at most {@link MAX_GAP_GRACE_MS}). */
  get gapGrace(): number {
    return Math.min(MAX_GAP_GRACE_MS, Math.max(this.gapGraceMs, Math.round(GAP_LAG_FACTOR * this.lagMs)));
  }

  private scheduleGapCheck(storeId: string, deviceId: string): void {
    const key = `${storeId}/${deviceId}`;
    if (this.gapTimers.has(key) || !this.running) return;
    this.gapTimers.set(
      key,
      this.clock.setTimeout(() => {
        this.gapTimers.delete(key);
        void this.checkGap(storeId, deviceId, key);
      }, this.gapGrace),
    );
  }

  /** Takes one resend request from the budget (`resendsPerSecond`, refilled with time); false when it is spent. */
  private takeResendToken(now: number): boolean {
    const elapsed = Number.isFinite(this.resendTokensAt) ? Math.max(0, now - this.resendTokensAt) : Infinity;
    this.resendTokens = Math.min(this.resendsPerSecond, this.resendTokens + (elapsed * this.resendsPerSecond) / 1000);
    this.resendTokensAt = now;
    if (this.resendTokens < 1) return false;
    this.resendTokens -= 1;
    return true;
  }

  private async checkGap(storeId: string, deviceId: string, key: string): Promise<void> {
    if (!this.running) return;
    try {
      const gap = await this.store.gap(storeId, deviceId);
      if (!gap) return;
      const now = this.clock.now();
      const prev = this.lastResend.get(key);
      if (prev && prev.fromSeq === gap.from && now - prev.at < this.resendCooldownMs) {
        this.scheduleGapCheck(storeId, deviceId); // look again once the cooldown may have passed
        return;
      }
      if (!this.takeResendToken(now)) {
        this.scheduleGapCheck(storeId, deviceId); // over the budget: this hole is asked for at a later look
        return;
      }
      this.lastResend.set(key, { fromSeq: gap.from, at: now });
      this.stats.resendRequests++;
      this.requestResend(storeId, deviceId, gap.from);
      this.emit('resend', { storeId, deviceId, fromSeq: gap.from });
      this.scheduleGapCheck(storeId, deviceId);
    } catch (err) {
      this.report(err as Error);
    }
  }

  private report(e: Error): void {
    if (this.listenerCount('error') > 0) this.emit('error', e);
  }
}
