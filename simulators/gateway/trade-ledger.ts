/**
 * The gateway simulator's trades, kept in a JSON file that outlives the kiosk process: rewritten on every change
 * (temp file, fsync, rename), read back at start.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export type TradeStatus = 'WAIT_BUYER_PAY' | 'TRADE_SUCCESS' | 'TRADE_CLOSED';

export interface SimTrade {
  outTradeNo: string;
  tradeNo: string;
  kind: 'pay' | 'precreate';
  totalAmount: number;
  subject: string;
  status: TradeStatus;
  /** Queries left before a waiting shopper pays; -1 = never (until cancelled or paid by payQr). */
  pollsUntilPaid: number;
  /** The shopper cancels in the app at the next query. */
  cancelAtNextQuery: boolean;
  qrCode?: string;
  notifyUrl?: string;
  /** out_request_no → amount (fen) of each refund. */
  refunds: Record<string, number>;
  /** Each refund (and a cancel that refunded a paid trade) with its time, for the bill; absent in older ledgers. */
  refundLog?: RefundRecord[];
  refundedAmount: number;
  createdAt: number;
  paidAt?: number;
}

export interface RefundRecord {
  /** out_request_no; empty for the refund made by alipay.trade.cancel of a paid trade. */
  requestNo: string;
  amount: number;
  at: number;
}

interface LedgerFile {
  version: 1;
  seq: number;
  trades: SimTrade[];
}

export class TradeLedger {
  private readonly trades = new Map<string, SimTrade>();
  private seq = 0;

  constructor(private readonly file: string) {
    this.load();
  }

  get(outTradeNo: string): SimTrade | undefined {
    return this.trades.get(outTradeNo);
  }

  find(match: (t: SimTrade) => boolean): SimTrade | undefined {
    return [...this.trades.values()].find(match);
  }

  all(): SimTrade[] {
    return [...this.trades.values()];
  }

  /** The gateway's own number for the next trade. */
  nextTradeNo(): string {
    this.seq++;
    return `SIM${String(this.seq).padStart(10, '0')}`;
  }

  put(t: SimTrade): void {
    this.trades.set(t.outTradeNo, t);
    this.save();
  }

  save(): void {
    const file: LedgerFile = { version: 1, seq: this.seq, trades: [...this.trades.values()] };
    const tmp = path.join(path.dirname(this.file), `.${path.basename(this.file)}.${process.pid}.tmp`);
    const fd = fs.openSync(tmp, 'w');
    try {
      fs.writeSync(fd, JSON.stringify(file, null, 1));
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, this.file);
  }

  private load(): void {
    let text: string;
    try {
      text = fs.readFileSync(this.file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw e;
    }
    const file = JSON.parse(text) as LedgerFile;
    this.seq = file.seq;
    for (const t of file.trades) this.trades.set(t.outTradeNo, t);
  }
}
