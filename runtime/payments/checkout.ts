import { randomUUID } from 'node:crypto';
import type { Clock } from '../../kernel/clock';
import { isKioskError, KioskError } from '../../kernel/errors';
import type { OrderEngine } from '../orders/engine';
import { amountDue, type Order } from '../orders/order';
import { failpoint } from '../../kernel/failpoints';
import type { PaymentProvider, PaymentRequest } from './provider';

/** A provider refusal that, by the provider contract, means nothing was sent (see provider.ts). */
function refusedBeforeSending(e: unknown): boolean {
  return (
    (isKioskError(e, 'DEVICE_BUSY') || isKioskError(e, 'DEVICE_STATE') || isKioskError(e, 'DEVICE_OFFLINE')) &&
    (e as KioskError).details.unknownOutcome !== true
  );
}

/**
 * Runs payment attempts for the lane's order. The attempt (id, method, amount) is committed with the move to
 * `payment_pending` before the provider hears of it; a provider that errors or outlasts `timeoutMs` leaves the
 * order in `payment_unknown`, which `recover` resolves by asking the provider — never by paying again.
 */
export class Checkout {
  private readonly providers = new Map<string, PaymentProvider>();
  /** The running attempt's abort switch, per order. */
  private readonly inflight = new Map<string, AbortController>();

  constructor(
    private readonly engine: OrderEngine,
    private readonly clock: Clock,
    private readonly opts: {
      currency: string;
      timeoutMs: number;
      /** Checked before an attempt starts (e.g. offline limits); throwing refuses the payment, nothing is recorded. */
      admit?: (method: string, amount: number) => Promise<void>;
    },
    providers: PaymentProvider[],
  ) {
    for (const p of providers) this.providers.set(p.method, p);
  }

  methods(): string[] {
    return [...this.providers.keys()];
  }

  private provider(method: string): PaymentProvider {
    const p = this.providers.get(method);
    if (!p) throw new KioskError('DEVICE_OFFLINE', `payment method "${method}" is not available`, { method });
    return p;
  }

  /** Pays `amount` (default: all that is due) of the order with `method`. Resolves with the order afterwards. */
  async pay(orderId: string, method: string, amount?: number): Promise<Order> {
    const provider = this.provider(method);
    let order = await this.engine.get(orderId);
    const attemptId = randomUUID();
    await this.opts.admit?.(method, amount ?? amountDue(order));
    order = await this.engine.dispatch(orderId, { type: 'payment_started', attemptId, method, amount: amount ?? amountDue(order) });
    const started = order.payments.find((p) => p.attemptId === attemptId)!;
    const req: PaymentRequest = { attemptId, orderId, amount: started.amount, currency: this.opts.currency };
    failpoint('payment.started');
    // the shopper may cancel from here on (while the provider prepares, e.g. waits for their payment code)
    const ac = new AbortController();
    this.inflight.set(orderId, ac);
    let context;
    try {
      context = (await provider.prepare?.(req, ac.signal)) ?? undefined;
    } catch (e) {
      this.inflight.delete(orderId);
      // nothing was sent: the attempt is declined, not in doubt
      return this.engine.dispatch(orderId, { type: 'payment_declined', attemptId, reason: `${method} not ready: ${(e as Error).message}`, notSent: true });
    }
    if (ac.signal.aborted) {
      this.inflight.delete(orderId);
      return this.engine.dispatch(orderId, { type: 'payment_declined', attemptId, reason: 'cancelled by the shopper before it was sent', notSent: true });
    }
    await this.engine.dispatch(orderId, { type: 'payment_sent', attemptId, ...(context ? { context } : {}) });
    failpoint('payment.before-send');
    let timer: { id: number } | null = null;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = this.clock.setTimeout(() => resolve('timeout'), this.opts.timeoutMs);
    });
    let result: Awaited<ReturnType<PaymentProvider['pay']>> | 'timeout' | 'error';
    let notSent = false;
    try {
      result = await Promise.race([
        provider.pay(req, ac.signal),
        timeout,
      ]);
    } catch (e) {
      // refused before anything was sent (busy with the previous transaction, not ready): nothing to doubt
      notSent = refusedBeforeSending(e);
      result = notSent ? { outcome: 'declined', reason: `${method} not ready: ${(e as Error).message}` } : 'error';
    } finally {
      if (timer) this.clock.clearTimeout(timer);
      this.inflight.delete(orderId);
    }
    if (result === 'timeout' || result === 'error') {
      ac.abort();
      await this.engine.dispatch(orderId, { type: 'payment_timed_out', attemptId });
      return this.recover(orderId);
    }
    if (result.outcome === 'approved') {
      failpoint('payment.after-approval');
      const paid = await this.engine.dispatch(orderId, { type: 'payment_approved', attemptId, amount: result.amount, reference: result.reference });
      failpoint('payment.after-commit');
      return paid;
    }
    return this.engine.dispatch(orderId, { type: 'payment_declined', attemptId, reason: result.reason, ...(notSent ? { notSent: true as const } : {}) });
  }

  /**
   * The shopper pressed cancel while paying: asks the provider to abort the running attempt (ZVT 06 B0; a waiting
   * QR trade is cancelled). `pay` then resolves as usual — declined when the abort took, approved if the payment
   * had already gone through. False when no payment is running for the order.
   */
  abort(orderId: string): boolean {
    const ac = this.inflight.get(orderId);
    if (!ac) return false;
    ac.abort();
    return true;
  }

  /**
   * Settles an order whose payment outcome is in doubt (after a timeout, a crash or a disconnect): a pending
   * attempt is first marked unknown, then its provider is asked. If the provider cannot tell, the order stays in
   * `payment_unknown` for the attendant (`decide`).
   */
  async recover(orderId: string): Promise<Order> {
    let order = await this.engine.get(orderId);
    const pending = order.payments.find((p) => p.status === 'pending');
    if (order.state === 'payment_pending' && pending) {
      if (pending.sent === false) {
        // committed but never sent (the process stopped in between): nothing can have been charged
        return this.engine.dispatch(orderId, { type: 'payment_declined', attemptId: pending.attemptId, reason: 'interrupted before it was sent', notSent: true });
      }
      order = await this.engine.dispatch(orderId, { type: 'payment_timed_out', attemptId: pending.attemptId });
    }
    if (order.state !== 'payment_unknown') return order;
    const unknown = order.payments.find((p) => p.status === 'unknown')!;
    const provider = this.providers.get(unknown.method);
    if (!provider) return order;
    const found = await provider
      .lookup({ attemptId: unknown.attemptId, orderId, amount: unknown.amount, context: unknown.context ?? null })
      .catch(() => ({ outcome: 'unknown' }) as const);
    if (found.outcome === 'unknown') return order;
    return this.engine.dispatch(orderId, {
      type: 'payment_resolved',
      attemptId: unknown.attemptId,
      outcome: found.outcome,
      by: 'system',
      ...(found.outcome === 'approved' ? { amount: found.amount, reference: found.reference } : {}),
    });
  }

  /** The attendant's decision on a payment the provider could not settle; journaled with the attendant id. */
  async decide(orderId: string, outcome: 'approved' | 'declined', attendantId: string): Promise<Order> {
    const order = await this.engine.get(orderId);
    const unknown = order.payments.find((p) => p.status === 'unknown');
    if (order.state !== 'payment_unknown' || !unknown) {
      throw new KioskError('EVENT_NOT_ALLOWED', `order ${orderId} has no payment in doubt (state ${order.state})`);
    }
    return this.engine.dispatch(orderId, { type: 'payment_resolved', attemptId: unknown.attemptId, outcome, by: 'attendant', attendantId });
  }
}
