import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Clock } from '../../kernel/clock';
import type { KioskDb, Tx } from '../../kernel/sqlite/database';
import { GuardRejectedError, KioskError } from '../../kernel/errors';
import { appendJournal, StaleHeadError, type JournalHead } from '../journal/append';
import type { JournalEntry } from '../../protocol/journal/entry';
import type { CartLine, PricedCart } from '../pricing/types';
import type { CustomerType } from '../../protocol/members/customer-type';
import type { RedeemRate } from '../members/redemption';
import type { OrderEvent } from './events';
import { trackPaymentAttempts } from '../payments/attempts';
import { trackHqRefunds } from '../payments/hq-refund-record';
import { creditMemberPoints, type TransitionEffect } from './effects';
import { resolveTransition } from './machine';
import { newOrder, type Order } from './order';
import { reduce, type PriceExtras, type ReduceContext } from './reduce';
import { CLOSED_STATES, type OrderState } from './states';

export interface EngineDeps {
  db: KioskDb;
  clock: Clock;
  deviceId: string;
  price: (lines: CartLine[], memberAttached: boolean, extras: PriceExtras) => PricedCart;
  /** Loyalty points earned for a paid total by a member of this customer type (ReduceContext.points: `basis` for points promotions). */
  points: ReduceContext['points'];
  /**
   * A member's type and redeemable points as this kiosk knows them (runtime/members/member-store.ts memberStanding),
   * read inside the transition of `member_attached` and `points_redeemed`. Absent: every member is personal with no
   * points to redeem.
   */
  member?: (tx: Tx, memberId: string) => Promise<{ customerType: CustomerType; redeemable: number }>;
  /** `loyalty.redeem` in force; absent or null: redemption is off (`points_redeemed` with points > 0 is refused). */
  redeem?: () => RedeemRate | null;
  /** Side tables kept in step inside each transition's transaction (default: member points, payment attempts, HQ's refunds). */
  effects?: TransitionEffect[];
}

export interface Committed {
  order: Order;
  from: OrderState;
  event: OrderEvent;
  entry: JournalEntry;
}

export interface EngineEvents {
  committed: [Committed];
}

/** Events whose journal entry carries the whole order, so HQ gets every sale in one message. */
const WITH_ORDER: ReadonlySet<OrderEvent['type']> = new Set(['order_completed', 'order_cancelled', 'idle_prompt_expired', 'refund_issued', 'hq_refund_recorded']);

/** The order changed under a cached copy (another process wrote it). */
class StaleOrderError extends Error {
  constructor(id: string) {
    super(`order ${id} changed underneath`);
    this.name = 'StaleOrderError';
  }
}

const CLOSED_SQL = CLOSED_STATES.map((s) => `'${s}'`).join(',');

/**
 * Applies order events. Each accepted event is one SQLite transaction writing the new order row, one journal
 * entry and one outbox row; a refused event throws and leaves everything as it was. `committed` fires after COMMIT.
 */
export class OrderEngine extends EventEmitter<EngineEvents> {
  /**
   * Write-through caches of committed data (updated only after COMMIT), so a transition costs the same statements
   * as a bare insert. They are checked, not trusted: a stale journal head fails the seq insert, a stale order fails
   * the `version = ?` update; either way the transaction rolls back and is retried once from fresh reads.
   */
  private head: JournalHead | null | undefined = undefined;
  private readonly cache = new Map<string, Order>();

  private readonly effects: TransitionEffect[];
  private training = false;

  constructor(private readonly deps: EngineDeps) {
    super();
    this.effects = deps.effects ?? [creditMemberPoints, trackPaymentAttempts, trackHqRefunds];
  }

  /**
   * Training mode: every order started from now on is a training order (`training: true` in its row, snapshot and
   * journal entries; its own number series, never the fiscal receipt counter). An order keeps what it started as.
   */
  setTraining(on: boolean): void {
    this.training = on;
  }

  get trainingMode(): boolean {
    return this.training;
  }

  private invalidate(): void {
    this.head = undefined;
    this.cache.clear();
  }

  /**
   * Applies `event` to order `orderId`, or — with `orderId` null — starts a new order with it. A lane has at most
   * one open order: starting another while one is open is refused (PAYMENT_UNRESOLVED if its payment is in doubt).
   */
  async dispatch(orderId: string | null, event: OrderEvent, opts: { ifVersion?: number } = {}): Promise<Order> {
    let result: Committed;
    try {
      result = await this.attempt(orderId, event, opts, true);
    } catch (e) {
      // retry once from the database itself: after a conflict, or before refusing on the strength of a cached order
      this.invalidate();
      if (!(e instanceof StaleHeadError || e instanceof StaleOrderError || (e instanceof KioskError && orderId !== null))) throw e;
      result = await this.attempt(orderId, event, opts, false);
    }
    this.head = { seq: result.entry.seq, hash: result.entry.hash };
    if (CLOSED_STATES.includes(result.order.state)) this.cache.delete(result.order.id);
    else this.cache.set(result.order.id, result.order);
    this.emit('committed', result);
    return result.order;
  }

  private attempt(orderId: string | null, event: OrderEvent, opts: { ifVersion?: number }, useCache: boolean): Promise<Committed> {
    return this.deps.db.transaction(async (tx) => {
      const now = this.deps.clock.now();
      const cached = useCache && orderId !== null ? this.cache.get(orderId) : undefined;
      const current = orderId === null ? await this.startable(tx, now) : (cached ?? (await this.load(tx, orderId)));
      if (opts.ifVersion !== undefined && current.version !== opts.ifVersion) {
        throw new GuardRejectedError(current.state, event.type, `order changed (version ${current.version}, expected ${opts.ifVersion})`);
      }
      const { to } = resolveTransition(current, event);
      let receiptNo: number | undefined;
      if (event.type === 'order_completed') {
        // the fiscal receipt series is gap-free and for sales only: a training order counts in its own series
        const row = current.training
          ? await tx.get<{ value: number }>(
              "INSERT INTO counters (name, value) VALUES ('training_receipt', 1) ON CONFLICT (name) DO UPDATE SET value = value + 1 RETURNING value",
            )
          : await tx.get<{ value: number }>("UPDATE counters SET value = value + 1 WHERE name = 'receipt' RETURNING value");
        receiptNo = row!.value;
      }
      const ctx: ReduceContext = { now, price: this.deps.price, points: this.deps.points, receiptNo, redeem: this.deps.redeem?.() ?? null };
      if (event.type === 'points_redeemed' && event.points > 0 && !ctx.redeem) throw new GuardRejectedError(current.state, event.type, 'points redemption is off');
      const memberId = event.type === 'member_attached' ? event.memberId : event.type === 'points_redeemed' ? current.memberId : null;
      // read in this transaction: a screen showing an older balance cannot redeem more than the kiosk's own ledger allows
      if (memberId !== null) ctx.member = (await this.deps.member?.(tx, memberId)) ?? { customerType: 'personal', redeemable: 0 };
      const next = reduce(current, event, to, ctx);
      const entry = await appendJournal(
        tx,
        {
        deviceId: this.deps.deviceId,
        ts: now,
        orderId: next.id,
        type: event.type,
        payload: {
          event,
          from: current.state,
          to,
          version: next.version,
          total: next.priced.total,
          // covered by the entry's hash (the payload is hashed); absent on real orders, so their entries are as before
          ...(next.training ? { training: true } : {}),
          ...(WITH_ORDER.has(event.type) ? { order: next } : {}),
        },
        },
        useCache ? this.head : undefined,
      );
      await this.save(tx, next, current.version === 0, entry.seq);
      for (const effect of this.effects) await effect(tx, { before: current, after: next, event, entry, now });
      return { order: next, from: current.state, event, entry };
    });
  }

  private async startable(tx: Tx, now: number): Promise<Order> {
    const open = await tx.get<{ id: string; state: OrderState }>(`SELECT id, state FROM orders WHERE state NOT IN (${CLOSED_SQL}) LIMIT 1`);
    if (open) {
      const code = open.state === 'payment_unknown' || open.state === 'payment_pending' ? 'PAYMENT_UNRESOLVED' : 'ORDER_ALREADY_OPEN';
      throw new KioskError(code, `order ${open.id} is still open (${open.state}); finish or cancel it first`, { orderId: open.id, state: open.state });
    }
    return newOrder(randomUUID(), now, this.training);
  }

  private async load(tx: Tx, id: string): Promise<Order> {
    const row = await tx.get<{ snapshot: string }>('SELECT snapshot FROM orders WHERE id = ?', [id]);
    if (!row) throw new KioskError('ORDER_NOT_FOUND', `no order ${id}`, { orderId: id });
    return JSON.parse(row.snapshot) as Order;
  }

  private async save(tx: Tx, o: Order, isNew: boolean, seq: number): Promise<void> {
    const params = [o.state, o.version, JSON.stringify(o), o.priced.total, o.receiptNo, o.memberId, o.updatedAt, seq, o.id];
    if (isNew) {
      await tx.run(
        'INSERT INTO orders (state, version, snapshot, total, receipt_no, member_id, updated_at, last_seq, id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
        [...params, o.createdAt],
      );
    } else {
      const r = await tx.run(
        'UPDATE orders SET state = ?, version = ?, snapshot = ?, total = ?, receipt_no = ?, member_id = ?, updated_at = ?, last_seq = ? WHERE id = ? AND version = ?',
        [...params, o.version - 1],
      );
      if (r.changes !== 1) throw new StaleOrderError(o.id);
    }
  }

  /** The lane's open order, if any (committed data). */
  async openOrder(): Promise<Order | null> {
    const row = await this.deps.db.read.get<{ snapshot: string }>(
      `SELECT snapshot FROM orders WHERE state NOT IN (${CLOSED_SQL}) ORDER BY created_at DESC LIMIT 1`,
    );
    return row ? (JSON.parse(row.snapshot) as Order) : null;
  }

  async get(id: string): Promise<Order> {
    const row = await this.deps.db.read.get<{ snapshot: string }>('SELECT snapshot FROM orders WHERE id = ?', [id]);
    if (!row) throw new KioskError('ORDER_NOT_FOUND', `no order ${id}`, { orderId: id });
    return JSON.parse(row.snapshot) as Order;
  }

  async list(limit = 50): Promise<Order[]> {
    const rows = await this.deps.db.read.all<{ snapshot: string }>('SELECT snapshot FROM orders ORDER BY created_at DESC, rowid DESC LIMIT ?', [limit]);
    return rows.map((r) => JSON.parse(r.snapshot) as Order);
  }
}
