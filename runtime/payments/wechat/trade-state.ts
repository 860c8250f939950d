import type { PaymentReference } from '../../orders/events';
import type { LookupResult } from '../provider';

/**
 * WeChat Pay's `trade_state` of an order found by the order query (v2 `/pay/orderquery` and APIv3's query by
 * out_trade_no share these states), as the attempt rules read it when the kiosk settles a payment it lost: SUCCESS →
 * approved with the amount the channel names (no amount: unknown); still waiting for the shopper (NOTPAY,
 * USERPAYING, ACCEPT) → cancelled now (`cancel`: close a merchant QR order, reverse a payment code), so it can no
 * longer charge — its answer, or unknown when the cancel fails; CLOSED / REVOKED / PAYERROR → declined; anything
 * else → unknown (never taken as paid or not paid).
 */
export async function lookupByTradeState(
  state: unknown,
  o: { amount: () => number | null; reference: () => PaymentReference; cancel: () => Promise<LookupResult>; why: () => string },
): Promise<LookupResult> {
  switch (state) {
    case 'SUCCESS': {
      const amount = o.amount();
      return amount === null ? { outcome: 'unknown' } : { outcome: 'approved', amount, reference: o.reference() };
    }
    case 'NOTPAY':
    case 'USERPAYING':
    case 'ACCEPT':
      try {
        return await o.cancel();
      } catch {
        return { outcome: 'unknown' };
      }
    case 'CLOSED':
    case 'REVOKED':
    case 'PAYERROR':
      return { outcome: 'declined', reason: o.why() };
    default:
      return { outcome: 'unknown' };
  }
}
