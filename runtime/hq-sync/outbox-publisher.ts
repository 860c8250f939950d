import { EventEmitter } from 'node:events';
import type { MqttClient } from 'mqtt';
import type { Clock, TimerHandle } from '../../kernel/clock';
import type { KioskDb, Tx } from '../../kernel/sqlite/database';
import type { JournalEntry } from '../../protocol/journal/entry';
import { rowToEntry, type JournalRow } from '../../protocol/journal/row';
import { KioskError } from '../../kernel/errors';
import { encodeEvent, parseAck, type AckMessage } from '../../protocol/sync/messages';
import { ackTopic, eventsTopic } from '../../protocol/topics';

export interface OutboxPublisherOptions {
  db: KioskDb;
  /** Created (and owned) by the caller; may be disconnected. The publisher only listens, subscribes and publishes. */
  client: MqttClient;
  storeId: string;
  deviceId: string;
  clock: Clock;
  /** Max QoS 1 publishes awaiting PUBACK at once. Default 256. */
  window?: number;
  /**
   * At most one outbox delete per this many ms (acks in between are merged). Each delete is a background,
   * non-durable transaction in the kiosk's one writer queue (a scan waiting for the writer goes first, but one
   * arriving while a delete runs waits for it). Default 0 (after every ack).
   */
  deleteEveryMs?: number;
  /**
   * The window to use now, when it should be smaller than `window` — e.g. while a shopper is at the lane, so a
   * backlog drains slower rather than delaying scans. Asked before every refill. Default: always `window`.
   */
  windowNow?: () => number;
  /**
   * The connection the outbox and journal are read from (e.g. `db.bulkReader()`, so a batch read never holds the
   * connection the lane's lookups use). Default `db.read`.
   */
  reader?: Pick<Tx, 'get' | 'all'>;
  /**
   * Deletes acknowledged outbox rows (`seq <= upTo`, the lowest `limit` of them) and returns how many went. Default:
   * a background, non-durable transaction on `db`. The uplink worker hands this to the lane's thread, which owns the
   * writer (runtime/hq-sync/uplink-worker.ts).
   */
  deleteAcked?: (upTo: number, limit: number) => Promise<number>;
  /** Rows read from SQLite per query. Default 256. */
  batch?: number;
  /**
   * At most this many publishes per turn of the event loop; the pump then yields (setImmediate) so a scan's
   * serial read, its transaction and its screen update are never stuck behind a whole window of MQTT encoding and
   * socket writes. Default: no limit (the whole window in one turn).
   */
  slice?: number;
  /**
   * How long to pause after each `slice` (ms on `clock`), asked at every pause: 0 (default) only yields one turn of
   * the event loop. E.g. a few ms while a shopper is at the lane: the backlog then takes a bounded share of the
   * lane's event loop (a slice per pause) instead of all it can get.
   */
  pauseMs?: () => number;
  /**
   * Re-publish un-acked rows when no ack progress came for this long (ms, on `clock`). Default 30 000. While HQ
   * stays silent the wait doubles after each re-publish, up to 8x.
   */
  ackTimeoutMs?: number;
}

/** Why an ack was refused: not a valid ack message; above this kiosk's highest journal seq; hash not this kiosk's. */
export type AckRefusalReason = 'malformed' | 'ahead' | 'hash';

export interface AckRefusal {
  /** The ack's seq; -1 when the message had no usable seq. */
  seq: number;
  reason: AckRefusalReason;
  detail: string;
}

export interface OutboxPublisherEvents {
  /** The broker PUBACKed the event with this seq (HQ has NOT necessarily stored it). */
  published: [number];
  /** HQ acknowledged everything up to this seq; those outbox rows are deleted. */
  acked: [number];
  /**
   * An ack that was not acted on: malformed, ahead of this kiosk's journal, or naming an entry this kiosk does not
   * have (hash mismatch). Nothing was deleted and `ackedSeq` did not move.
   */
  ackRefused: [AckRefusal];
  /** A failed read or delete. Only emitted when someone listens, so a kiosk never crashes on it. */
  error: [Error];
}

/**
 * Deletes the lowest `limit` outbox rows with `seq <= upTo` in one background transaction that does not wait for
 * the disk: a scan's transaction waiting for the writer goes first, and a delete lost to a power cut only sends those
 * rows again (HQ drops them; kernel/sqlite/database.ts WriteOptions). Returns how many rows went.
 */
export async function deleteAckedRows(db: KioskDb, upTo: number, limit: number): Promise<number> {
  const { changes } = await db.transaction(
    (tx) => tx.run('DELETE FROM outbox WHERE seq IN (SELECT seq FROM outbox WHERE seq <= ? ORDER BY seq LIMIT ?)', [upTo, limit]),
    { background: true, durable: false },
  );
  return changes;
}

/** Outbox rows deleted per transaction. */
const DELETE_CHUNK = 256;

/** Acks waiting for their journal check at most; older ones are dropped (acks are cumulative). */
const MAX_PENDING_ACKS = 64;

/**
 * Publishes the kiosk's outbox to HQ over MQTT, exactly once in effect.
 *
 * Rules:
 * - The SQLite outbox is the source of truth. Rows go out in seq order, pipelined (up to `window` QoS 1 publishes
 *   awaiting PUBACK), read in batches of `batch` rows, so memory does not grow with the backlog.
 * - A row leaves the outbox only when HQ's `ack` covers its seq (`DELETE FROM outbox WHERE seq <= ack`, one small
 *   transaction, coalesced), never on PUBACK. Acks at or below the current ack are ignored (the retained ack comes
 *   again on every subscribe). A higher ack is first checked against this kiosk's own journal, in arrival order:
 *   it is refused ('ackRefused', nothing deleted, `ackedSeq` unchanged, publishing goes on) when it is malformed,
 *   when its seq is above the journal's highest seq ('ahead'), or when its hash is not the journal's hash at that
 *   seq ('hash'). An empty payload (a cleared retained ack) is ignored.
 * - After start(), on every (re)connect, and when acks stop arriving for `ackTimeoutMs` while rows are un-acked,
 *   publishing restarts at the lowest seq still in the outbox. Re-sending is harmless: HQ is idempotent per seq.
 * - republishUnacked() (HQ's ingest announced itself) does the same at once and resets the ack-timeout backoff.
 * - resendFrom(n) re-publishes journal entries from n upward even if they already left the outbox, then goes on
 *   with the outbox.
 * - It only reads the journal and deletes from the outbox; it never holds a transaction open while waiting.
 */
export class OutboxPublisher extends EventEmitter<OutboxPublisherEvents> {
  readonly eventsTopic: string;
  readonly ackTopic: string;
  private readonly reader: () => Pick<Tx, 'get' | 'all'>;
  private readonly deleteAcked: (upTo: number, limit: number) => Promise<number>;
  private readonly client: MqttClient;
  private readonly storeId: string;
  private readonly clock: Clock;
  private readonly window: number;
  private readonly windowNow: (() => number) | undefined;
  /** The window of the current refill (`windowNow`, at most `window`). */
  private limit: number;
  private readonly deleteEveryMs: number;
  private readonly lowWater: number;
  private readonly batch: number;
  private readonly ackTimeoutMs: number;
  private readonly slice: number;
  private readonly pauseMs: (() => number) | undefined;
  /** The pause between slices now running (ended early by stop()). */
  private slicePause: { timer: TimerHandle; resolve: () => void } | null = null;
  /** Publishes since the last pause between slices. */
  private sliceSent = 0;

  private running = false;
  /** Bumped when the connection closes: PUBACK callbacks of an older connection no longer count against the window. */
  private connGen = 0;
  /** Bumped on every cursor reset: a batch read that started before it is discarded. */
  private cursorGen = 0;
  private mode: 'outbox' | 'journal' = 'outbox';
  private journalFrom = 1;
  private cursor = 0;
  private buffer: JournalEntry[] = [];
  /** The next batch, read while the current one is published (one at most; dropped on a cursor reset). */
  private prefetch: { gen: number; rows: Promise<JournalEntry[] | null> } | null = null;
  private bufferPos = 0;
  private inFlight = 0;
  private highestSent = 0;
  private acked = 0;
  private ackTimer: TimerHandle | null = null;
  /** Consecutive ack timeouts without ack progress (backs the re-publish off). */
  private timeouts = 0;
  private pumping: Promise<void> | null = null;
  private pumpAgain = false;
  private deleting: Promise<void> | null = null;
  private deleteTarget = 0;
  private deletePause: { timer: TimerHandle; resolve: () => void } | null = null;
  /** Acks received and not yet checked against the journal (in arrival order, bounded). */
  private ackQueue: AckMessage[] = [];
  private checkingAcks: Promise<void> | null = null;

  constructor(opts: OutboxPublisherOptions) {
    super();
    const reader = opts.reader;
    this.reader = reader ? () => reader : () => opts.db.read;
    this.deleteAcked = opts.deleteAcked ?? ((upTo, limit) => deleteAckedRows(opts.db, upTo, limit));
    this.client = opts.client;
    this.storeId = opts.storeId;
    this.clock = opts.clock;
    this.window = Math.max(1, opts.window ?? 256);
    this.windowNow = opts.windowNow;
    this.limit = this.window;
    this.deleteEveryMs = Math.max(0, opts.deleteEveryMs ?? 0);
    this.lowWater = Math.floor(this.window / 2);
    this.batch = Math.max(1, opts.batch ?? 256);
    this.ackTimeoutMs = opts.ackTimeoutMs ?? 30_000;
    this.slice = Math.max(1, opts.slice ?? Number.MAX_SAFE_INTEGER);
    this.pauseMs = opts.pauseMs;
    this.eventsTopic = eventsTopic(opts.storeId, opts.deviceId);
    this.ackTopic = ackTopic(opts.storeId, opts.deviceId);
  }

  /** Subscribes to acks and starts publishing from the lowest seq in the outbox (now, or once connected). */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.client.on('connect', this.onConnect);
    this.client.on('close', this.onClose);
    this.client.on('message', this.onMessage);
    this.client.subscribe(this.ackTopic, { qos: 1 }, (err) => err && this.report(err));
    this.resetCursor('outbox', 0);
    this.notify();
  }

  /** Wakes the publisher: call after every engine commit (the engine's `committed` event). Cheap and idempotent. */
  notify(): void {
    if (!this.running) return;
    if (this.pumping) {
      this.pumpAgain = true;
      return;
    }
    this.pumping = this.pump().finally(() => {
      this.pumping = null;
    });
  }

  /**
   * HQ asks for everything from `seq` upward: re-publish from the journal (even rows already acked), then the outbox.
   * Only while started (start() itself begins at the outbox).
   */
  resendFrom(seq: number): void {
    if (!Number.isSafeInteger(seq) || seq < 1) {
      this.report(new RangeError(`resendFrom: invalid seq ${seq}`));
      return;
    }
    this.journalFrom = seq;
    this.resetCursor('journal', seq);
    this.notify();
  }

  /**
   * HQ's ingest (re)subscribed (its birth, runtime/hq-sync/ingest-state-subscription.ts): what it has not acked may have
   * reached nobody. Re-publish now from the first un-acked row, as the ack timeout would, and start the ack-timeout
   * escalation over (the next timeout is `ackTimeoutMs` again). Only while started.
   */
  republishUnacked(): void {
    if (!this.running) return;
    this.timeouts = 0;
    this.clearAckTimer();
    if (this.mode === 'journal') this.resetCursor('journal', this.journalFrom);
    else this.resetCursor('outbox', 0);
    this.notify();
    this.armAckTimer();
  }

  /** Rows still waiting for HQ's ack. */
  async backlog(): Promise<number> {
    const row = await this.reader().get<{ n: number }>('SELECT COUNT(*) AS n FROM outbox');
    return row?.n ?? 0;
  }

  /** Highest seq HQ has acknowledged to this publisher (0 before the first ack). */
  get ackedSeq(): number {
    return this.acked;
  }

  /** Stops publishing and listening; waits for a running read and for pending outbox deletes. Leaves the client open. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.client.off('connect', this.onConnect);
    this.client.off('close', this.onClose);
    this.client.off('message', this.onMessage);
    this.clearAckTimer();
    this.buffer = [];
    this.connGen++; // PUBACKs of this run must not count against a later start()
    this.inFlight = 0;
    this.ackQueue = [];
    if (this.slicePause) {
      // a pause between slices ends now: the pump sees it is stopped
      this.clock.clearTimeout(this.slicePause.timer);
      this.slicePause.resolve();
      this.slicePause = null;
    }
    await this.checkingAcks;
    await this.pumping;
    if (this.deletePause) {
      // stopping: the pause ends now and the last acked rows are deleted at once
      this.clock.clearTimeout(this.deletePause.timer);
      this.deletePause.resolve();
    }
    await this.deleting;
  }

  private readonly onConnect = (): void => {
    this.client.subscribe(this.ackTopic, { qos: 1 }, (err) => err && this.report(err));
    if (this.mode === 'journal') this.resetCursor('journal', this.journalFrom);
    else this.resetCursor('outbox', 0);
    this.notify();
  };

  private readonly onClose = (): void => {
    this.connGen++;
    this.inFlight = 0;
  };

  private readonly onMessage = (topic: string, payload: Buffer): void => {
    if (topic !== this.ackTopic || payload.length === 0) return; // empty: HQ cleared its retained ack
    let ack: AckMessage;
    try {
      ack = parseAck(payload);
    } catch (e) {
      const details = e instanceof KioskError ? e.details : {};
      const seq = typeof details.seq === 'number' ? details.seq : -1;
      this.refuse({ seq, reason: 'malformed', detail: (e as Error).message });
      return;
    }
    if (ack.seq <= this.acked) return; // a duplicate (the retained ack again) or an old one
    this.ackQueue.push(ack);
    if (this.ackQueue.length > MAX_PENDING_ACKS) this.ackQueue.splice(0, this.ackQueue.length - MAX_PENDING_ACKS);
    if (!this.checkingAcks) {
      this.checkingAcks = this.checkAcks().finally(() => {
        this.checkingAcks = null;
      });
    }
  };

  /** Checks queued acks one by one against the journal: only an ack naming this kiosk's own entry counts. */
  private async checkAcks(): Promise<void> {
    for (let ack = this.ackQueue.shift(); ack && this.running; ack = this.ackQueue.shift()) {
      if (ack.seq <= this.acked) continue;
      let row: { top: number | null; hash: string | null } | undefined;
      try {
        row = await this.reader().get<{ top: number | null; hash: string | null }>(
          'SELECT (SELECT MAX(seq) FROM journal) AS top, (SELECT hash FROM journal WHERE seq = ?) AS hash',
          [ack.seq],
        );
      } catch (e) {
        this.report(e as Error); // not refused: HQ re-acks with the next event or duplicate
        continue;
      }
      const top = row?.top ?? 0;
      if (ack.seq > top) {
        this.refuse({ seq: ack.seq, reason: 'ahead', detail: `ack for seq ${ack.seq} but this kiosk's journal ends at seq ${top}` });
      } else if (row?.hash !== ack.hash) {
        this.refuse({ seq: ack.seq, reason: 'hash', detail: `ack hash ${ack.hash.slice(0, 12)}… is not this kiosk's entry ${ack.seq} (${(row?.hash ?? 'missing').slice(0, 12)}…)` });
      } else if (this.running) {
        this.onAck(ack.seq);
      }
    }
  }

  private refuse(r: AckRefusal): void {
    if (this.listenerCount('ackRefused') > 0) this.emit('ackRefused', r);
  }

  private onAck(seq: number): void {
    if (seq <= this.acked) return;
    this.acked = seq;
    this.timeouts = 0;
    this.clearAckTimer();
    this.armAckTimer();
    this.deleteTarget = Math.max(this.deleteTarget, seq);
    if (!this.deleting) {
      this.deleting = this.deleteLoop().finally(() => {
        this.deleting = null;
      });
    }
  }

  /** Deletes acked rows, a few small transactions per round; acks arriving meanwhile are merged into the next round. */
  private async deleteLoop(): Promise<void> {
    let done = 0;
    while (this.deleteTarget > done) {
      const upTo = this.deleteTarget;
      try {
        // background: a scan's transaction waiting for the writer goes first; not durable (no fsync of its own): a
        // delete lost to a power cut only sends those rows again, and HQ drops them (kernel/sqlite/database.ts WriteOptions)
        // in chunks: a scan that arrives while a delete holds the writer waits for one chunk, not for a second's acks
        for (let changes = DELETE_CHUNK; changes === DELETE_CHUNK; ) changes = await this.deleteAcked(upTo, DELETE_CHUNK);
        done = upTo;
        this.emit('acked', upTo);
      } catch (e) {
        this.report(e as Error);
        return;
      }
      if (this.deleteEveryMs > 0 && this.running) {
        await new Promise<void>((resolve) => {
          const timer = this.clock.setTimeout(() => resolve(), this.deleteEveryMs);
          this.deletePause = { timer, resolve };
        });
        this.deletePause = null;
      }
    }
  }

  private resetCursor(mode: 'outbox' | 'journal', from: number): void {
    this.cursorGen++;
    this.mode = mode;
    this.cursor = from;
    this.buffer = [];
    this.bufferPos = 0;
    this.prefetch = null;
  }

  private async readBatch(): Promise<JournalEntry[]> {
    const rows =
      this.mode === 'journal'
        ? await this.reader().all<JournalRow>('SELECT * FROM journal WHERE seq >= ? ORDER BY seq LIMIT ?', [this.cursor, this.batch])
        : await this.reader().all<JournalRow>(
            'SELECT j.* FROM outbox o JOIN journal j ON j.seq = o.seq WHERE o.seq >= ? ORDER BY o.seq LIMIT ?',
            [Math.max(this.cursor, this.acked + 1), this.batch],
          );
    return rows.map(rowToEntry);
  }

  private async pump(): Promise<void> {
    try {
      do {
        this.pumpAgain = false;
        this.limit = Math.max(1, Math.min(this.window, this.windowNow?.() ?? this.window));
        while (this.running && this.client.connected && this.inFlight < this.limit) {
          if (this.sliceSent >= this.slice) {
            // a slice went out: let the event loop serve the lane before the next one (counted across pumps, so a
            // pump that a PUBACK starts does not skip the pause)
            this.sliceSent = 0;
            await this.pause();
            continue;
          }
          if (this.bufferPos >= this.buffer.length) {
            const gen = this.cursorGen;
            const ahead = this.prefetch?.gen === gen ? await this.prefetch.rows : null;
            this.prefetch = null;
            const rows = ahead ?? (await this.readBatch());
            if (gen !== this.cursorGen) continue; // reset while reading: read again from the new cursor
            if (rows.length === 0) {
              if (this.mode === 'journal') {
                this.mode = 'outbox'; // journal replayed to its end; everything newer comes through the outbox
                continue;
              }
              break;
            }
            this.buffer = rows;
            this.bufferPos = 0;
            this.cursor = rows[rows.length - 1].seq + 1;
            // a full batch: there is probably more, so read the next one while this one goes out
            if (rows.length === this.batch) this.prefetch = { gen, rows: this.readBatch().catch(() => null) };
          }
          const e = this.buffer[this.bufferPos++];
          if (this.mode === 'outbox' && e.seq <= this.acked) continue;
          this.send(e);
          this.sliceSent++;
        }
      } while (this.pumpAgain && this.running);
    } catch (e) {
      if (this.running) this.report(e as Error);
    }
  }

  /** Between two slices: one turn of the event loop, or `pauseMs()` on the clock. */
  private pause(): Promise<void> {
    const ms = this.pauseMs?.() ?? 0;
    if (!(ms > 0)) return new Promise<void>((resolve) => setImmediate(resolve));
    return new Promise<void>((resolve) => {
      const timer = this.clock.setTimeout(() => {
        this.slicePause = null;
        resolve();
      }, ms);
      this.slicePause = { timer, resolve };
    });
  }

  private send(e: JournalEntry): void {
    const gen = this.connGen;
    this.inFlight++;
    if (e.seq > this.highestSent) this.highestSent = e.seq;
    this.client.publish(this.eventsTopic, encodeEvent(this.storeId, e), { qos: 1 }, (err) => {
      if (!err) this.emit('published', e.seq);
      if (gen !== this.connGen) return;
      this.inFlight--;
      // refill in bursts (below half the window): many publishes per tick are written to the socket together
      if (this.inFlight <= Math.min(this.lowWater, Math.floor(this.limit / 2))) this.notify();
    });
    this.armAckTimer();
  }

  private armAckTimer(): void {
    if (this.ackTimer || !this.running || this.highestSent <= this.acked) return;
    this.ackTimer = this.clock.setTimeout(() => {
      this.ackTimer = null;
      if (!this.running || this.highestSent <= this.acked) return;
      this.timeouts++;
      // acks stopped: HQ may have lost the messages after PUBACK; go again from the first un-acked row
      if (this.mode === 'journal') this.resetCursor('journal', this.journalFrom);
      else this.resetCursor('outbox', 0);
      this.notify();
      this.armAckTimer();
    }, this.ackTimeoutMs * 2 ** Math.min(this.timeouts, 3));
  }

  private clearAckTimer(): void {
    if (this.ackTimer) this.clock.clearTimeout(this.ackTimer);
    this.ackTimer = null;
  }

  private report(e: Error): void {
    if (this.listenerCount('error') > 0) this.emit('error', e);
  }
}
