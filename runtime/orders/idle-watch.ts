import type { Clock, TimerHandle } from '../../kernel/clock';
import { isKioskError } from '../../kernel/errors';
import type { Committed, OrderEngine } from './engine';
import type { Order } from './order';

export interface IdleTimeouts {
  idlePromptMs: number;
  idleCancelMs: number;
}

/**
 * Watches the open order: no shopper activity for `idlePromptMs` → `idle_timeout` (the screen asks "still
 * there?"); the prompt unanswered for `idleCancelMs` → `idle_prompt_expired` (cancelled). Timers come from the
 * injected clock and are re-armed from the order's last update after a restart.
 */
export class IdleWatch {
  private timer: TimerHandle | null = null;
  private running = false;
  private readonly onCommitted = (c: Committed) => this.arm(c.order);

  constructor(
    private readonly engine: OrderEngine,
    private readonly clock: Clock,
    private readonly timeouts: IdleTimeouts,
    private readonly onError: (e: unknown) => void = () => undefined,
  ) {}

  async start(): Promise<void> {
    this.running = true;
    this.engine.on('committed', this.onCommitted);
    await this.rearm();
  }

  stop(): void {
    this.running = false;
    this.engine.off('committed', this.onCommitted);
    this.disarm();
  }

  /**
   * Arms again from the open order as committed: a timeout whose event could not be recorded (storage failed) is
   * not lost — the kiosk calls this when storage works again, and a timer already due fires at once.
   */
  async rearm(): Promise<void> {
    const open = await this.engine.openOrder();
    if (!this.running) return;
    if (open) this.arm(open);
    else this.disarm();
  }

  private disarm(): void {
    if (this.timer) this.clock.clearTimeout(this.timer);
    this.timer = null;
  }

  private arm(order: Order): void {
    this.disarm();
    const wait = (ms: number) => Math.max(0, order.updatedAt + ms - this.clock.now());
    if (order.state === 'shopping' || order.state === 'awaiting_payment') {
      if (order.paid > 0) return;
      this.timer = this.clock.setTimeout(() => this.fire(order, { type: 'idle_timeout' }), wait(this.timeouts.idlePromptMs));
    } else if (order.state === 'idle_prompt') {
      this.timer = this.clock.setTimeout(() => this.fire(order, { type: 'idle_prompt_expired' }), wait(this.timeouts.idleCancelMs));
    }
  }

  private fire(order: Order, event: { type: 'idle_timeout' } | { type: 'idle_prompt_expired' }): void {
    this.timer = null;
    this.engine.dispatch(order.id, event, { ifVersion: order.version }).catch((e: unknown) => {
      // The order moved on in the meantime (a scan raced the timer): nothing to do.
      if (isKioskError(e, 'EVENT_NOT_ALLOWED') || isKioskError(e, 'GUARD_REJECTED')) return;
      this.onError(e);
    });
  }
}
