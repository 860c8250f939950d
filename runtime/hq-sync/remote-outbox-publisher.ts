import { EventEmitter } from 'node:events';
import type { KioskDb } from '../../kernel/sqlite/database';
import { deleteAckedRows, type OutboxPublisherEvents } from './outbox-publisher';
import type { FromWorker } from './uplink-messages';
import type { UplinkThread } from './uplink-thread';

/** What the HQ link and its commands use of the outbox drain, wherever it runs. */
export interface OutboxDrain extends EventEmitter<OutboxPublisherEvents> {
  start(): void;
  notify(): void;
  resendFrom(seq: number): void;
  /** HQ's ingest announced itself: re-publish what it has not acked now (OutboxPublisher.republishUnacked). */
  republishUnacked(): void;
  backlog(): Promise<number>;
  readonly ackedSeq: number;
  stop(): Promise<void>;
}

/**
 * The lane thread's side of the outbox drain that runs in the HQ uplink worker (OutboxPublisher there): the same
 * events and calls as OutboxPublisher, plus `shopperAtLane` (the drain's window and pace follow it). The worker's
 * deletes of acknowledged rows run here, on the kiosk's writer queue, as background non-durable transactions
 * (the lane's own transactions go first).
 */
export class RemoteOutboxPublisher extends EventEmitter<OutboxPublisherEvents> implements OutboxDrain {
  private acked = 0;
  private started = false;
  private atLane = false;
  private readonly stops = new Map<number, () => void>();

  constructor(
    private readonly thread: UplinkThread,
    private readonly db: KioskDb,
  ) {
    super();
    thread.on('message', this.onWorker);
    thread.on('restarted', this.onRestarted);
    thread.on('died', this.onDied);
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    this.thread.send({ t: 'drain.start' });
  }

  notify(): void {
    if (this.started) this.thread.send({ t: 'drain.notify' });
  }

  resendFrom(seq: number): void {
    if (!Number.isSafeInteger(seq) || seq < 1) {
      if (this.listenerCount('error') > 0) this.emit('error', new RangeError(`resendFrom: invalid seq ${seq}`));
      return;
    }
    this.thread.send({ t: 'drain.resendFrom', seq });
  }

  republishUnacked(): void {
    if (this.started) this.thread.send({ t: 'drain.republish' });
  }

  /** A shopper is at the lane (an order is open): the drain keeps a small window and pauses between slices. */
  shopperAtLane(atLane: boolean): void {
    if (this.atLane === atLane) return;
    this.atLane = atLane;
    this.thread.send({ t: 'drain.shopper', atLane });
  }

  async backlog(): Promise<number> {
    const row = await this.db.read.get<{ n: number }>('SELECT COUNT(*) AS n FROM outbox');
    return row?.n ?? 0;
  }

  get ackedSeq(): number {
    return this.acked;
  }

  /** Stops the drain in the worker (its pending deletes done); the connection stays. */
  async stop(): Promise<void> {
    if (!this.started) return;
    this.started = false;
    await new Promise<void>((resolve) => {
      const id = this.thread.id();
      this.stops.set(id, resolve);
      this.thread.send({ t: 'drain.stop', id });
    });
    this.thread.off('message', this.onWorker);
    this.thread.off('restarted', this.onRestarted);
    this.thread.off('died', this.onDied);
  }

  private readonly onWorker = (m: FromWorker): void => {
    switch (m.t) {
      case 'drain.published':
        if (this.listenerCount('published') > 0) for (const seq of m.seqs) this.emit('published', seq);
        break;
      case 'drain.acked':
        this.acked = Math.max(this.acked, m.seq);
        this.emit('acked', m.seq);
        break;
      case 'drain.ackRefused':
        if (this.listenerCount('ackRefused') > 0) this.emit('ackRefused', m.refusal);
        break;
      case 'drain.error':
        if (this.listenerCount('error') > 0) this.emit('error', new Error(m.message));
        break;
      case 'drain.delete':
        deleteAckedRows(this.db, m.upTo, m.limit).then(
          (changes) => this.thread.send({ t: 'drain.deleted', id: m.id, changes, error: null }),
          (e: Error) => this.thread.send({ t: 'drain.deleted', id: m.id, changes: 0, error: e.message || String(e) }),
        );
        break;
      case 'reply': {
        const done = this.stops.get(m.id);
        if (done) {
          this.stops.delete(m.id);
          done();
        }
        break;
      }
      default:
        break;
    }
  };

  private readonly onDied = (): void => {
    // a stop waiting for the dead worker is over: nothing runs there any more
    const waiting = [...this.stops.values()];
    this.stops.clear();
    for (const done of waiting) done();
  };

  private readonly onRestarted = (): void => {
    if (this.atLane) this.thread.send({ t: 'drain.shopper', atLane: true });
    if (this.started) this.thread.send({ t: 'drain.start' });
  };
}
