import type { Clock, TimerHandle } from '../../kernel/clock';
import type { KioskDb } from '../../kernel/sqlite/database';
import type { Order } from '../orders/order';
import { unsettledAttempts } from './attempts';
import type { Checkout } from './checkout';

export interface RecoveryOptions {
  /** While something stays unsettled, try again after this long; default 30 000 ms. */
  retryMs?: number;
  onError?: (e: unknown) => void;
  onSettled?: (order: Order) => void;
  /** Card refunds left in doubt, settled in the same passes (runtime/payments/refunds.ts); resolves with how many still are. */
  refunds?: { settleCardInDoubt(): Promise<number> };
}

/**
 * Settles payments (and card refunds) left in doubt — at boot, whenever a payment device comes back (`kick`), and every `retryMs`
 * while anything is still unsettled — by asking the providers (`Checkout.recover`), never by paying again.
 * Runs never overlap: a kick during a run schedules exactly one more run.
 */
export class PaymentRecovery {
  private running: Promise<number> | null = null;
  private again = false;
  private timer: TimerHandle | null = null;
  private stopped = false;

  constructor(
    private readonly db: KioskDb,
    private readonly checkout: Checkout,
    private readonly clock: Clock,
    private readonly opts: RecoveryOptions = {},
  ) {}

  /** One pass over every unsettled attempt; resolves with how many orders (and card refunds) are still in doubt. */
  run(): Promise<number> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = this.pass().finally(() => {
      this.running = null;
      if (this.again && !this.stopped) {
        this.again = false;
        void this.run();
      }
    });
    return this.running;
  }

  /** A payment device came back or the network returned: try now. */
  kick(): void {
    if (!this.stopped) void this.run();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) this.clock.clearTimeout(this.timer);
    this.timer = null;
  }

  private async pass(): Promise<number> {
    let open = 0;
    // refunds first: a card refund found done is journaled with its trace number before a payment's lookup runs
    if (this.opts.refunds) {
      try {
        open += await this.opts.refunds.settleCardInDoubt();
      } catch (e) {
        open++;
        this.opts.onError?.(e);
      }
    }
    for (const orderId of new Set((await unsettledAttempts(this.db)).map((a) => a.orderId))) {
      try {
        const o = await this.checkout.recover(orderId);
        if (o.state === 'payment_unknown' || o.state === 'payment_pending') open++;
        else this.opts.onSettled?.(o);
      } catch (e) {
        open++;
        this.opts.onError?.(e);
      }
    }
    if (this.timer) this.clock.clearTimeout(this.timer);
    this.timer = null;
    if (open > 0 && !this.stopped) this.timer = this.clock.setTimeout(() => this.kick(), this.opts.retryMs ?? 30_000);
    return open;
  }
}
