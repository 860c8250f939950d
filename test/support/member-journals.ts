import { canonicalJson } from '../../kernel/canonical-json';
import { entryHash, GENESIS_HASH } from '../../protocol/journal/entry';
import type { EventMessage } from '../../protocol/sync/messages';

/** What a kiosk's completed order says of its member and points (the members contract's wire facts). */
export interface MemberOrder {
  orderId: string;
  ts: number;
  memberId?: string;
  pointsEarned?: number;
  pointsRedeemed?: number;
  training?: boolean;
  /** Another entry type (an `item_added` …) in the chain instead of an order_completed. */
  type?: string;
}

/**
 * A kiosk journal as HQ receives it: a valid hash chain (hash covering the store) whose `order_completed` entries
 * carry the order snapshot fields the points ledger reads (`payload.order.memberId`, `pointsEarned`, `pointsRedeemed`).
 */
export function memberJournal(storeId: string, deviceId: string, orders: readonly MemberOrder[]): EventMessage[] {
  let prevHash = GENESIS_HASH;
  return orders.map((o, i) => {
    const order = {
      id: o.orderId,
      state: 'completed',
      memberId: o.memberId ?? null,
      pointsEarned: o.pointsEarned ?? 0,
      pointsRedeemed: o.pointsRedeemed ?? 0,
      training: o.training === true,
    };
    const payload = canonicalJson({ event: 'complete', from: 'paying', to: 'completed', total: 1000, version: 3, order, ...(o.training ? { training: true } : {}) });
    const base = { seq: i + 1, hashStoreId: storeId, deviceId, ts: o.ts, orderId: o.orderId, type: o.type ?? 'order_completed', payload, prevHash };
    const hash = entryHash(base);
    prevHash = hash;
    return { v: 1, storeId, ...base, hash } as EventMessage;
  });
}
