/**
 * The WeChat Pay simulator's orders, kept in a JSON file that outlives the kiosk process (and the simulator):
 * rewritten atomically on every change (kernel/atomic-file: temp file, fsync, rename), read back at start.
 */
import * as fs from 'node:fs';
import { writeFileAtomic } from '../../kernel/atomic-file';

/** trade_state of the order query. */
export type WechatTradeState = 'NOTPAY' | 'USERPAYING' | 'SUCCESS' | 'PAYERROR' | 'CLOSED' | 'REVOKED' | 'REFUND';

export interface WechatRefund {
  outRefundNo: string;
  refundId: string;
  fee: number;
  at: number;
}

export interface WechatTrade {
  outTradeNo: string;
  transactionId: string;
  tradeType: 'MICROPAY' | 'NATIVE';
  totalFee: number;
  body: string;
  state: WechatTradeState;
  /** Order queries left before a USERPAYING shopper confirms; -1 = never. */
  queriesUntilPaid: number;
  /** Where a USERPAYING order goes when `queriesUntilPaid` runs out, instead of SUCCESS (the payment failed / was closed). */
  userPayingEndsAs?: 'PAYERROR' | 'CLOSED';
  createdAt: number;
  /** When the money was taken (absent: never paid). */
  paidAt?: number;
  /** When a paid trade was reversed (the money went back). */
  reversedAt?: number;
  codeUrl?: string;
  notifyUrl?: string;
  openid: string;
  refunds: WechatRefund[];
  refundedFee: number;
}

interface LedgerFile {
  version: 1;
  seq: number;
  trades: WechatTrade[];
}

export class WechatLedger {
  private readonly byNo = new Map<string, WechatTrade>();
  private seq = 0;

  constructor(private readonly file: string) {
    if (fs.existsSync(file)) {
      const data = JSON.parse(fs.readFileSync(file, 'utf8')) as LedgerFile;
      this.seq = data.seq;
      for (const t of data.trades) this.byNo.set(t.outTradeNo, t);
    }
  }

  get(outTradeNo: string): WechatTrade | undefined {
    return this.byNo.get(outTradeNo);
  }

  all(): WechatTrade[] {
    return [...this.byNo.values()];
  }

  /** The next 28-digit transaction_id / refund_id style number. */
  nextId(prefix: '4200' | '5030'): string {
    this.seq++;
    return `${prefix}${String(this.seq).padStart(24, '0')}`;
  }

  add(t: WechatTrade): void {
    this.byNo.set(t.outTradeNo, t);
    this.save();
  }

  save(): void {
    const data: LedgerFile = { version: 1, seq: this.seq, trades: this.all() };
    writeFileAtomic(this.file, JSON.stringify(data, null, 1));
  }
}
