import type { CustomerDisplay } from '../../drivers/contract';
import { formatMoney } from '../../kernel/money';
import type { Committed, OrderEngine } from '../orders/engine';
import type { Order } from '../orders/order';

export interface DisplayTexts {
  currency: string;
  minorUnits: number;
  locale: string;
  welcome: string;
}

/** What the pole display shows for an order: the last line and the total (or a state message). */
export function displayLines(o: Order | null, t: DisplayTexts): string[] {
  const m = (v: number) => formatMoney(v, t.currency, t.minorUnits);
  if (!o || o.state === 'completed' || o.state === 'cancelled' || o.state === 'refunded' || o.state === 'partially_refunded') {
    return [t.welcome, ''];
  }
  const last = o.priced.lines[o.priced.lines.length - 1];
  const src = last ? o.lines.find((l) => l.lineId === last.lineId) : undefined;
  const name = src ? (src.names[t.locale] ?? src.names.en ?? src.sku) : '';
  const top =
    o.state === 'payment_pending' || o.state === 'payment_unknown'
      ? 'PAYING...'
      : o.state === 'needs_attendant'
        ? 'PLEASE WAIT'
        : last
          ? `${name} ${m(last.gross)}`
          : '';
  return [top, `TOTAL ${m(o.priced.total - o.paid)}`];
}

/** Keeps the customer display in step with every committed order change. Display faults never stop a sale. */
export class DisplayFeed {
  private readonly onCommitted = (c: Committed) => this.show(c.order);
  constructor(
    private readonly engine: OrderEngine,
    private readonly display: CustomerDisplay,
    private readonly texts: DisplayTexts,
    private readonly onError: (e: unknown) => void = () => undefined,
  ) {}

  private readonly onStatus = () => {
    // back from being unplugged: show what is current, not what was last sent
    this.engine.openOrder().then((o) => this.show(o), this.onError);
  };

  async start(): Promise<void> {
    this.engine.on('committed', this.onCommitted);
    this.display.on('status', this.onStatus);
    this.show(await this.engine.openOrder());
  }

  private show(o: Order | null): void {
    const s = this.display.status();
    if (!s.online || s.lifecycle !== 'enabled') return;
    this.display.show(displayLines(o, this.texts)).catch(this.onError);
  }

  stop(): void {
    this.engine.off('committed', this.onCommitted);
    this.display.off('status', this.onStatus);
  }
}
