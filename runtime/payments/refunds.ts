import { randomUUID } from 'node:crypto';
import type { Clock } from '../../kernel/clock';
import type { KioskDb } from '../../kernel/sqlite/database';
import { isKioskError, KioskError } from '../../kernel/errors';
import { failpoint } from '../../kernel/failpoints';
import type { Minor } from '../../kernel/money';
import { appendJournal } from '../journal/append';
import type { OrderEngine } from '../orders/engine';
import type { RefundAllocation } from '../orders/events';
import type { Order } from '../orders/order';
import { attemptsOf } from './attempts';
import type { PaymentProvider, RefundLookupResult, RefundRequest } from './provider';
import {
  insertRefundAttempt,
  laterTraffic,
  markRefundSent,
  openRefundAttempts,
  refundAttempt,
  refundRequestNo,
  setRefundState,
  type RefundAttemptInput,
  type RefundAttemptRow,
} from './refund-attempts';

export interface RefundInput {
  attendantId: string;
  /** Refund these lines (their net amounts); or `amount`; or, with neither, everything not yet refunded. */
  lineIds?: string[];
  amount?: Minor;
  /** A return's reason id and idempotency id, journaled with the refund (set by {@link Returns}). */
  reason?: string;
  returnId?: string;
}

/** A refusal that, by the provider contract, means nothing was sent (see provider.ts; as Checkout's). */
function refusedBeforeSending(e: unknown): boolean {
  return (
    (isKioskError(e, 'DEVICE_BUSY') || isKioskError(e, 'DEVICE_STATE') || isKioskError(e, 'DEVICE_OFFLINE')) &&
    (e as KioskError).details.unknownOutcome !== true
  );
}

const message = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** The attendant's decision on a refund in doubt: the shopper got the money, or did not. */
export type RefundDecision = 'refunded' | 'not_refunded';

export interface RefundDecisionResult {
  refundAttemptId: string;
  orderId: string;
  method: string;
  amount: Minor;
  outcome: RefundDecision;
  /** Who settled it: the attendant (`attendantId`), or the kiosk itself — the terminal answered when asked first. */
  by: 'attendant' | 'kiosk';
  attendantId?: string;
  /** true: this decision was made before (or the provider had settled it so); nothing new was journaled. */
  replayed: boolean;
  order: { state: Order['state']; paid: Minor; refunded: Minor };
}

/** Settling one refund attempt in doubt: what became of it (`running`: this process is sending it right now). */
type Settled = 'refunded' | 'declined' | 'unknown' | 'running';

/**
 * The error of a refund whose outcome is unknown: `PAYMENT_UNRESOLVED` with `details.outcome: 'unknown'`, what was
 * confirmed (`refunded`), what is not (`left`, of which `inDoubt` may have gone back) and the refund attempt ids.
 */
export function refundInDoubtError(why: string, d: { refunded: Minor; left: Minor; inDoubt: Minor; refundAttemptIds: string[] }): KioskError {
  return new KioskError(
    'PAYMENT_UNRESOLVED',
    `refund outcome unknown: ${why}; refunded ${d.refunded}, ${d.inDoubt} in doubt: it is settled by asking the terminal or channel, never sent again while in doubt — check before paying back another way`,
    { outcome: 'unknown', unknownOutcome: true, ...d },
  );
}

/**
 * Refunds by an attendant, full or partial, paid back through the methods the order was paid with — the newest
 * payment first: a card payment the terminal has not settled yet is reversed whole, otherwise refunded; QR through
 * the gateway (idempotent request number, so a retry never refunds twice); cash by the attendant. What was paid
 * back is committed as one `refund_issued` (with one allocation per payment); if a provider refuses part way, the
 * part already paid back is still committed and the error says what is left.
 *
 * Every part is a refund attempt of its own (runtime/payments/refund-attempts.ts), committed before its provider
 * hears of it, then marked sent with what the provider needs to recognise it later (card: the terminal's last
 * trace number the kiosk knows of). A part whose outcome is lost (timeout, dropped line, or the kiosk stopped while
 * it ran) is `unknown`, journaled `refund_in_doubt`, and settled by asking — the terminal (`lookupRefund`), or for
 * the wallets the same request under the same number (idempotent there) — before anything else of that order is
 * paid back: when it retries, at boot, every 30 s ({@link settleCardInDoubt} from PaymentRecovery) and before a
 * card payment. Found done, it is journaled `refund_issued` as a success would have been; found not done,
 * `refund_doubt_settled` (declined: a retry sends it again). While a card refund is in doubt no other card refund
 * starts on the terminal (its lookup could no longer tell them apart).
 */
export class Refunds {
  private readonly providers = new Map<string, PaymentProvider>();
  /** The refund running per order: refunds of one order run one after the other (see {@link exclusive}). */
  private readonly running = new Map<string, Promise<unknown>>();
  /** Refund attempts this process is running (sent, outcome not committed yet): never settled as if in doubt. */
  private readonly inFlight = new Set<string>();
  /** Settling refunds in doubt runs one at a time in this process. */
  private settling: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly engine: OrderEngine,
    private readonly db: KioskDb,
    providers: PaymentProvider[],
    private readonly opts: { clock: Clock; deviceId: string },
  ) {
    for (const p of providers) this.providers.set(p.method, p);
  }

  /** How much a refund of these lines / this amount is, checked against what is left to refund. */
  static amountOf(order: Order, input: Omit<RefundInput, 'attendantId'>): Minor {
    const left = order.paid - order.refunded;
    if (input.lineIds && input.amount !== undefined) throw new KioskError('GUARD_REJECTED', 'give either lines or an amount, not both');
    let amount = input.amount ?? left;
    if (input.lineIds) {
      const already = new Set(order.refunds.flatMap((r) => r.lineIds ?? []));
      amount = 0;
      for (const id of input.lineIds) {
        const line = order.priced.lines.find((l) => l.lineId === id);
        if (!line) throw new KioskError('GUARD_REJECTED', `order ${order.id} has no line ${id}`);
        if (already.has(id)) throw new KioskError('GUARD_REJECTED', `line ${id} was refunded before`);
        amount += line.net;
      }
    }
    if (!Number.isSafeInteger(amount) || amount <= 0 || amount > left) throw new KioskError('GUARD_REJECTED', `refund must be 1..${left}, got ${amount}`);
    return amount;
  }

  /**
   * Runs `fn` when no other refund of this order runs in this process. Two refunds of one order at once (a double
   * tap, the lane and an HQ command together) would both read the same amount left and could pay back more than
   * was paid, or the same return twice: each one reads the order only once the one before it has committed.
   */
  async exclusive<T>(orderId: string, fn: () => Promise<T>): Promise<T> {
    const before = this.running.get(orderId) ?? Promise.resolve();
    const mine = before.then(fn, fn);
    const tail = mine.catch(() => undefined);
    this.running.set(orderId, tail);
    try {
      return await mine;
    } finally {
      if (this.running.get(orderId) === tail) this.running.delete(orderId);
    }
  }

  /** Pays back (see the class comment); one refund of an order at a time. */
  refund(orderId: string, input: RefundInput): Promise<Order> {
    return this.exclusive(orderId, () => this.refundNow(orderId, input));
  }

  /**
   * Settles the order's refunds in doubt (the caller holds {@link exclusive} for the order); throws the in-doubt
   * error when one still is. Resolves with how many were found done now (journaled `refund_issued`).
   */
  async settleOrder(orderId: string): Promise<{ refunded: number }> {
    const { refunded, open } = await this.serial(async () => {
      let n = 0;
      const still: RefundAttemptRow[] = [];
      for (const ra of await openRefundAttempts(this.db, { orderId })) {
        const s = await this.settleOne(ra, true);
        if (s === 'refunded') n++;
        if (s === 'unknown') still.push(ra);
      }
      return { refunded: n, open: still };
    });
    if (open.length > 0) {
      const amount = open.reduce((sum, r) => sum + r.amount, 0);
      throw refundInDoubtError(`an earlier ${open.map((r) => r.method).join(' + ')} refund of this order is still in doubt`, {
        refunded: 0,
        left: amount,
        inDoubt: amount,
        refundAttemptIds: open.map((r) => r.id),
      });
    }
    return { refunded };
  }

  /**
   * Asks the providers about every card refund in doubt (and declines those never sent); resolves with how many
   * are still in doubt. Called by PaymentRecovery and before every card payment and card refund.
   */
  settleCardInDoubt(): Promise<number> {
    return this.serial(async () => {
      let open = 0;
      for (const ra of await openRefundAttempts(this.db)) {
        // a wallet refund in doubt is sent again only when that order is refunded again (settleOrder); never sent is never sent
        if (ra.state !== 'requested' && !this.providers.get(ra.method)?.lookupRefund) continue;
        if ((await this.settleOne(ra, false)) === 'unknown') open++;
      }
      return open;
    });
  }

  /** The refund itself; the caller holds {@link exclusive} for the order. */
  async refundNow(orderId: string, input: RefundInput): Promise<Order> {
    // a refund of this order left in doubt is settled first, never sent again; found done, it is this refund's answer
    if ((await this.settleOrder(orderId)).refunded > 0 && input.returnId === undefined) return this.engine.get(orderId);
    const order = await this.engine.get(orderId);
    if (order.state !== 'completed' && order.state !== 'partially_refunded') {
      throw new KioskError('EVENT_NOT_ALLOWED', `order ${orderId} cannot be refunded in state ${order.state}`, { state: order.state });
    }
    const total = Refunds.amountOf(order, input);
    const attempts = (await attemptsOf(this.db, orderId)).filter((a) => ['approved', 'captured', 'partially_refunded'].includes(a.state)).reverse();
    const requestKey = input.returnId !== undefined ? `return:${input.returnId}` : `refund:${randomUUID()}`;
    const recorded: RefundAttemptInput = {
      attendantId: input.attendantId,
      total,
      ...(input.reason !== undefined ? { reason: input.reason } : {}),
      ...(input.returnId !== undefined ? { returnId: input.returnId } : {}),
      ...(input.lineIds ? { lineIds: input.lineIds } : {}),
    };
    const done: RefundAllocation[] = [];
    const mine: string[] = [];
    let left = total;
    let failure: string | null = null;
    let inDoubt: { id: string; amount: Minor; why: string } | null = null;
    try {
      for (const a of attempts) {
        if (left === 0) break;
        const room = a.approvedAmount - a.refundedAmount;
        if (room <= 0) continue;
        const amount = Math.min(room, left);
        const provider = this.providers.get(a.method);
        if (!provider?.refund) {
          failure = `${a.method} cannot be refunded here (no ${a.method} provider on this lane)`;
          break;
        }
        if (provider.lookupRefund) {
          const blocked = await this.terminalBusyWithDoubt(a.method);
          if (blocked) {
            failure = `${a.method} refund not sent: ${blocked}`;
            break;
          }
        }
        const id = randomUUID();
        const req: RefundRequest = {
          attemptId: a.id,
          orderId,
          approvedAmount: a.approvedAmount,
          refundedBefore: a.refundedAmount,
          amount,
          reference: a.reference,
          captured: a.state === 'captured',
          requestNo: '',
        };
        // ours from before the row exists: a settling pass never takes it for one left over by a crash
        mine.push(id);
        this.inFlight.add(id);
        // recorded before the provider hears of it; the request number is the same on every retry of this request
        await this.db.transaction(async (tx) => {
          const no = await refundRequestNo(tx, requestKey, a.id, order.refunds.length);
          req.requestNo = no.requestNo;
          await insertRefundAttempt(tx, { id, orderId, method: a.method, requestKey, returnId: input.returnId ?? null, requestNo: no.requestNo, n: no.n, request: req, input: recorded, now: this.opts.clock.now() });
        });
        failpoint('refund.started'); // committed `requested`: recovery declines it (never sent)
        let context;
        try {
          context = (await provider.prepareRefund?.(req)) ?? null;
        } catch (e) {
          await this.declined(id, `not sent: ${message(e)}`);
          failure = `${a.method} refund not sent: ${message(e)}`;
          break;
        }
        await markRefundSent(this.db, id, context, this.opts.clock.now());
        failpoint('refund.before-send'); // marked sent, nothing reached the provider yet
        let r;
        try {
          r = await provider.refund(req);
        } catch (e) {
          if (refusedBeforeSending(e)) {
            await this.declined(id, `not sent: ${message(e)}`);
            failure = `${a.method} refund not sent: ${message(e)}`;
          } else {
            await this.markInDoubt(id, message(e));
            inDoubt = { id, amount, why: `${a.method} refund: ${message(e)}` };
          }
          break;
        }
        if (r.outcome !== 'refunded') {
          await this.declined(id, r.reason);
          failure = `${a.method} refund declined: ${r.reason}`;
          break;
        }
        failpoint('refund.after-refunded'); // the money went back; the refund is not journaled yet
        done.push({ attemptId: a.id, method: a.method, amount, via: r.via, ...(r.reference ? { reference: r.reference } : {}) });
        left -= amount;
      }
      const refunded = total - left;
      let after = order;
      if (refunded > 0) {
        // marks the parts' refund attempts refunded in the same transaction (trackPaymentAttempts)
        after = await this.engine.dispatch(orderId, {
          type: 'refund_issued',
          amount: refunded,
          attendantId: input.attendantId,
          allocations: done,
          ...(input.lineIds && left === 0 ? { lineIds: input.lineIds } : {}),
          ...(input.reason !== undefined ? { reason: input.reason } : {}),
          ...(input.returnId !== undefined ? { returnId: input.returnId } : {}),
        });
        failpoint('refund.after-commit'); // refund_issued committed; nobody has been answered yet
      }
      if (inDoubt) throw refundInDoubtError(inDoubt.why, { refunded, left, inDoubt: inDoubt.amount, refundAttemptIds: [inDoubt.id] });
      if (left > 0) {
        throw new KioskError('PAYMENT_DECLINED', `${failure ?? 'nothing to refund against'}; refunded ${refunded} of ${total}`, { refunded, left });
      }
      return after;
    } finally {
      for (const id of mine) this.inFlight.delete(id);
    }
  }

  /**
   * Why no refund may be sent through the terminal now, or null: a card refund still in doubt after asking the
   * terminal (its lookup could not tell a newer refund from it), or a card payment in doubt (likewise).
   */
  private async terminalBusyWithDoubt(method: string): Promise<string | null> {
    if ((await this.settleCardInDoubt()) > 0) return 'another card refund is in doubt: the terminal is asked about it first';
    const p = await this.db.read.get<{ n: number }>("SELECT COUNT(*) AS n FROM payment_attempts WHERE method = ? AND state = 'unknown'", [method]);
    return (p?.n ?? 0) > 0 ? 'a card payment is in doubt: it is settled first' : null;
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.settling.then(fn, fn);
    this.settling = run.catch(() => undefined);
    return run;
  }

  private async declined(id: string, reason: string): Promise<void> {
    await this.db.transaction((tx) => setRefundState(tx, id, 'declined', reason, this.opts.clock.now()));
  }

  /** unknown, and journaled `refund_in_doubt` (the order's journal: HQ and the attendant see it). */
  private async markInDoubt(id: string, why: string): Promise<void> {
    const now = this.opts.clock.now();
    await this.db.transaction(async (tx) => {
      const ra = await tx.get<{ order_id: string; payment_attempt_id: string; method: string; amount: number; request_no: string; return_id: string | null; input: string }>(
        'SELECT order_id, payment_attempt_id, method, amount, request_no, return_id, input FROM refund_attempts WHERE id = ?',
        [id],
      );
      if (!ra) return;
      await setRefundState(tx, id, 'unknown', why, now);
      await appendJournal(tx, {
        deviceId: this.opts.deviceId,
        ts: now,
        orderId: ra.order_id,
        type: 'refund_in_doubt',
        payload: {
          refundAttemptId: id,
          attemptId: ra.payment_attempt_id,
          method: ra.method,
          amount: ra.amount,
          requestNo: ra.request_no,
          attendantId: (JSON.parse(ra.input) as RefundAttemptInput).attendantId,
          ...(ra.return_id !== null ? { returnId: ra.return_id } : {}),
          reason: why,
        },
      });
    });
  }

  /**
   * Settles one open refund attempt (the caller holds {@link serial}). `resend`: a provider without a refund lookup
   * (the wallets) gets the same request again under the same number, which its channel answers idempotently.
   */
  private async settleOne(ra: RefundAttemptRow, resend: boolean): Promise<Settled> {
    if (this.inFlight.has(ra.id)) return 'running';
    if (ra.state === 'requested') {
      // committed, never sent (the kiosk stopped in between): nothing can have been paid back
      await this.declined(ra.id, 'interrupted before it was sent');
      return 'declined';
    }
    const provider = this.providers.get(ra.method);
    let found: RefundLookupResult | { outcome: 'refunded'; via: RefundAllocation['via']; reference?: RefundAllocation['reference'] } = { outcome: 'unknown' };
    if (provider?.lookupRefund) {
      const later = await laterTraffic(this.db, ra);
      found = await provider
        .lookupRefund({ refundAttemptId: ra.id, attemptId: ra.paymentAttemptId, paymentReference: ra.request.reference, amount: ra.amount, context: ra.context, laterTraffic: later })
        .catch(() => ({ outcome: 'unknown' }) as const);
    } else if (resend && provider?.refund) {
      try {
        const r = await provider.refund(ra.request);
        found = r.outcome === 'refunded' ? { outcome: 'refunded', via: r.via, ...(r.reference ? { reference: r.reference } : {}) } : { outcome: 'not_done', reason: r.reason };
      } catch {
        found = { outcome: 'unknown' };
      }
    }
    if (found.outcome === 'refunded') {
      await this.issue(ra, found.via, found.reference);
      return 'refunded';
    }
    if (found.outcome === 'not_done') {
      await this.settledDeclined(ra, found.reason, { by: 'system' });
      return 'declined';
    }
    // still unknown: a refund the kiosk stopped during (state sent) is now known to be in doubt
    if (ra.state === 'sent') await this.markInDoubt(ra.id, 'the kiosk stopped while the refund ran');
    return 'unknown';
  }

  /**
   * Journals a refund attempt found done — by the provider's lookup, or by the attendant (`decidedBy`) — as the
   * refund would have been journaled had the answer arrived: `refund_issued` with the refund's own attendant, reason,
   * return id and (when it completes its request) lines; the refund attempt is marked in the same transaction.
   */
  private async issue(ra: RefundAttemptRow, via: RefundAllocation['via'], reference: RefundAllocation['reference'] | undefined, decidedBy?: string): Promise<Order> {
    const covered = await this.db.read.get<{ n: number | null }>("SELECT SUM(amount) AS n FROM refund_attempts WHERE request_key = ? AND order_id = ? AND state = 'refunded'", [
      ra.requestKey,
      ra.orderId,
    ]);
    const whole = (covered?.n ?? 0) + ra.amount === ra.input.total;
    return this.engine.dispatch(ra.orderId, {
      type: 'refund_issued',
      amount: ra.amount,
      attendantId: ra.input.attendantId,
      allocations: [{ attemptId: ra.paymentAttemptId, method: ra.method, amount: ra.amount, via, ...(reference ? { reference } : {}) }],
      ...(ra.input.lineIds && whole ? { lineIds: ra.input.lineIds } : {}),
      ...(ra.input.reason !== undefined ? { reason: ra.input.reason } : {}),
      ...(ra.input.returnId !== undefined ? { returnId: ra.input.returnId } : {}),
      ...(decidedBy !== undefined ? { decidedBy } : {}),
    });
  }

  /** Declined, journaled `refund_doubt_settled` (by the lookup, or by the attendant with their id) in one transaction. */
  private async settledDeclined(ra: RefundAttemptRow, reason: string, who: { by: 'system' } | { by: 'attendant'; attendantId: string }): Promise<void> {
    const now = this.opts.clock.now();
    await this.db.transaction(async (tx) => {
      await setRefundState(tx, ra.id, 'declined', reason, now);
      await appendJournal(tx, {
        deviceId: this.opts.deviceId,
        ts: now,
        orderId: ra.orderId,
        type: 'refund_doubt_settled',
        payload: { refundAttemptId: ra.id, attemptId: ra.paymentAttemptId, method: ra.method, amount: ra.amount, outcome: 'declined', ...who, reason },
      });
    });
  }

  /**
   * The attendant's decision on a refund in doubt that the terminal / channel could not settle (as `Checkout.decide`
   * for payments): `refunded` — the shopper got the money — journals `refund_issued` as a success would have been,
   * with `decidedBy`; `not_refunded` marks it declined, journaled `refund_doubt_settled` with the attendant id, and a
   * retry of the refund (the same return) sends it once. The provider is asked once more first (a card refund's
   * lookup): its answer, when it has one, wins. Only an attempt in doubt (`unknown`) is decided
   * (`EVENT_NOT_ALLOWED` otherwise); the same decision again answers the first one (`replayed`) and journals nothing.
   */
  decide(refundAttemptId: string, outcome: RefundDecision, attendantId: string): Promise<RefundDecisionResult> {
    return this.attemptOf(refundAttemptId).then((first) =>
      this.exclusive(first.orderId, () =>
        this.serial(async () => {
          let ra = await this.attemptOf(refundAttemptId);
          const provider = this.providers.get(ra.method);
          const asked = !this.inFlight.has(ra.id) && (ra.state === 'sent' || (ra.state === 'unknown' && provider?.lookupRefund !== undefined));
          if (asked) {
            // as the screen's "ask the terminal again" (a refund left `sent` by a stopped kiosk becomes unknown here)
            await this.settleOne(ra, false);
            ra = await this.attemptOf(refundAttemptId);
          }
          const result = async (replayed: boolean, who: { by: RefundDecisionResult['by']; attendantId?: string }): Promise<RefundDecisionResult> => {
            const o = await this.engine.get(ra.orderId);
            return {
              refundAttemptId: ra.id,
              orderId: ra.orderId,
              method: ra.method,
              amount: ra.amount,
              outcome,
              ...who,
              replayed,
              order: { state: o.state, paid: o.paid, refunded: o.refunded },
            };
          };
          if (ra.state !== 'unknown' || this.inFlight.has(ra.id)) {
            const same = (ra.state === 'refunded' && outcome === 'refunded') || (ra.state === 'declined' && outcome === 'not_refunded');
            const who = await this.settledBy(ra);
            if (same) return result(who.by === 'attendant', who);
            throw new KioskError(
              'EVENT_NOT_ALLOWED',
              `refund attempt ${ra.id} is not in doubt (state ${ra.state}${who.by === 'attendant' ? `, decided by attendant ${who.attendantId}` : ''}): nothing decided`,
              { refundAttemptId: ra.id, state: ra.state, ...who },
            );
          }
          if (outcome === 'refunded') {
            // the terminal gave no answer, so neither a reference nor a reversal: a refund of this amount
            await this.issue(ra, 'refund', undefined, attendantId);
            const after = await this.attemptOf(ra.id);
            if (after.state !== 'refunded') throw new KioskError('EVENT_NOT_ALLOWED', `refund attempt ${ra.id} was not marked refunded (state ${after.state})`);
          } else {
            await this.settledDeclined(ra, `not refunded, decided by attendant ${attendantId}`, { by: 'attendant', attendantId });
          }
          return result(false, { by: 'attendant', attendantId });
        }),
      ),
    );
  }

  /** Who settled a refund attempt: the attendant (their id, from its journal entry) or the kiosk itself. */
  private async settledBy(ra: RefundAttemptRow): Promise<{ by: RefundDecisionResult['by']; attendantId?: string }> {
    const row =
      ra.state === 'refunded'
        ? await this.db.read.get<{ id: string | null }>("SELECT json_extract(payload, '$.event.decidedBy') AS id FROM journal WHERE seq = ?", [ra.seq ?? -1])
        : await this.db.read.get<{ id: string | null }>(
            "SELECT json_extract(payload, '$.attendantId') AS id FROM journal WHERE type = 'refund_doubt_settled' AND order_id = ? AND json_extract(payload, '$.refundAttemptId') = ? AND json_extract(payload, '$.by') = 'attendant' ORDER BY seq DESC LIMIT 1",
            [ra.orderId, ra.id],
          );
    return typeof row?.id === 'string' ? { by: 'attendant', attendantId: row.id } : { by: 'kiosk' };
  }

  private async attemptOf(id: string): Promise<RefundAttemptRow> {
    const ra = await refundAttempt(this.db, id);
    if (!ra) throw new KioskError('GUARD_REJECTED', `no refund attempt ${id}`, { refundAttemptId: id });
    return ra;
  }
}
