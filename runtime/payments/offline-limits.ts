import type { KioskDb } from '../../kernel/sqlite/database';
import { KioskError } from '../../kernel/errors';
import type { Minor } from '../../kernel/money';

export interface OfflineLimitConfig {
  maxAmount: Minor;
  maxCount: number;
  maxTotal: Minor;
}

/** What the lane knows about its links; updated by HQ sync and by the gateway's health probe. */
export class Connectivity {
  hq = true;
  gateway = true;
  /** Offline = neither HQ nor the payment gateway answers: nothing outside the store can vouch for a payment. */
  get offline(): boolean {
    return !this.hq && !this.gateway;
  }
}

/**
 * Limits on card payments taken while the kiosk is offline: one payment at most `maxAmount`; at most `maxCount`
 * payments and `maxTotal` in total not yet confirmed by the terminal's end-of-day (card attempts still `approved`,
 * not `captured`). Past a limit the payment is refused before anything is sent, with a reason for the shopper and
 * `details.needsAttendant` so the lane calls for help.
 */
export class OfflineLimits {
  constructor(
    private readonly db: KioskDb,
    private readonly limits: OfflineLimitConfig,
    private readonly connectivity: Connectivity,
  ) {}

  /** Resolves when a payment of `amount` by `method` may start now; throws OFFLINE_LIMIT when it may not. */
  async check(method: string, amount: Minor): Promise<void> {
    if (method !== 'card' || !this.connectivity.offline) return;
    const refuse = (limit: string, en: string, zh: string) => {
      throw new KioskError('OFFLINE_LIMIT', `offline card limit: ${en}`, { limit, needsAttendant: true, message: { en, 'zh-CN': zh } });
    };
    if (amount > this.limits.maxAmount) {
      refuse('maxAmount', `card payments above ${this.limits.maxAmount} need the network, which is down; please ask staff`, '网络中断，超过离线限额的刷卡支付暂不可用，请联系工作人员');
    }
    const row = await this.db.read.get<{ n: number; total: number | null }>(
      "SELECT COUNT(*) AS n, SUM(approved_amount) AS total FROM payment_attempts WHERE method = 'card' AND state = 'approved'",
    );
    const n = row?.n ?? 0;
    const total = row?.total ?? 0;
    if (n + 1 > this.limits.maxCount) refuse('maxCount', `${n} offline card payments await settlement; please ask staff`, `已有 ${n} 笔离线刷卡待结算，请联系工作人员`);
    if (total + amount > this.limits.maxTotal) refuse('maxTotal', 'the offline card total is reached; please ask staff', '离线刷卡总额已达上限，请联系工作人员');
  }
}
