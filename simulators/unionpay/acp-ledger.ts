/**
 * The UnionPay simulator's orders (payments and refunds, one space of merchant orderIds as at UnionPay), kept in a
 * JSON file that outlives the kiosk process: rewritten atomically (temp file, fsync, rename) on every change.
 */
import * as fs from 'node:fs';
import { writeFileAtomic } from '../../kernel/atomic-file';

/** PAYING: waiting for the shopper; CLOSED: reversed before payment (or a tombstone); REVERSED: paid, then 冲正. */
export type AcpOrderStatus = 'PAYING' | 'PAID' | 'FAILED' | 'CLOSED' | 'REVERSED';

export interface AcpOrder {
  orderId: string;
  /** The txnTime the merchant sent (yyyyMMddHHmmss Beijing). */
  txnTime: string;
  kind: 'consume' | 'qr' | 'refund';
  txnSubType: string;
  /** Amount in fen. */
  txnAmt: number;
  /** UnionPay's own transaction id (21 characters). */
  queryId: string;
  /** 系统跟踪号 (6 digits) and its transmission time MMddHHmmss (Beijing). */
  traceNo: string;
  traceTime: string;
  status: AcpOrderStatus;
  /** The origRespCode / message of a FAILED order. */
  failCode?: string;
  failMsg?: string;
  /** Queries left before a waiting shopper pays; -1 = never (until paid by payQr or reversed). */
  pollsUntilPaid: number;
  qrCode?: string;
  backUrl?: string;
  termId?: string;
  /** Refunds: the payment's queryId. */
  origQryId?: string;
  /** Payments: how much was refunded or reversed. */
  refundedAmount: number;
  createdAt: number;
  /** When it completed (paid / refunded), epoch ms. */
  completedAt?: number;
}

interface LedgerFile {
  version: 1;
  seq: number;
  orders: AcpOrder[];
}

export class AcpLedger {
  private readonly orders = new Map<string, AcpOrder>();
  private seq = 0;

  constructor(private readonly file: string) {
    let text: string | null = null;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    if (text !== null) {
      const data = JSON.parse(text) as LedgerFile;
      this.seq = data.seq;
      for (const o of data.orders) this.orders.set(o.orderId, o);
    }
  }

  get(orderId: string): AcpOrder | undefined {
    return this.orders.get(orderId);
  }

  find(match: (o: AcpOrder) => boolean): AcpOrder | undefined {
    for (const o of this.orders.values()) if (match(o)) return o;
    return undefined;
  }

  all(): AcpOrder[] {
    return [...this.orders.values()];
  }

  /** The next sequence number (for queryId and traceNo). */
  next(): number {
    return ++this.seq;
  }

  put(o: AcpOrder): void {
    this.orders.set(o.orderId, o);
    this.save();
  }

  save(): void {
    const data: LedgerFile = { version: 1, seq: this.seq, orders: this.all() };
    writeFileAtomic(this.file, JSON.stringify(data, null, 1));
  }
}
