import type { DeviceClass, DeviceStatus } from '../../drivers/contract';
import type { KioskDb } from '../../kernel/sqlite/database';
import type { LaneServiceState, PeripheralTelemetry } from '../../protocol/sync/messages';
import type { LaneCondition } from '../supervision/lane-condition';

/**
 * The lane as HQ's fleet page shows it: out of service (a fault: the reasons) wins over closed (locked by HQ or an
 * attendant: the reason), else in service. `closed` is Lane.closed.
 */
export function laneServiceState(condition: LaneCondition, closed: { reason: string } | null): { state: LaneServiceState; reasons: string[] } {
  if (!condition.inService) return { state: 'out_of_service', reasons: [...condition.reasons] };
  if (closed) return { state: 'closed', reasons: [closed.reason] };
  return { state: 'in_service', reasons: [] };
}

/** Each of the lane's devices: `online` / `offline` (with its faults), or `not_connected` when it never reported. */
export function peripheralsTelemetry(classes: readonly DeviceClass[], status: (cls: DeviceClass) => DeviceStatus | undefined): Record<string, PeripheralTelemetry> {
  const out: Record<string, PeripheralTelemetry> = {};
  for (const cls of classes) {
    const s = status(cls);
    out[cls] = s ? { status: s.online ? 'online' : 'offline', faults: [...s.faults] } : { status: 'not_connected', faults: [] };
  }
  return out;
}

/**
 * Orders whose payment outcome is unknown (waiting for the provider's answer or an attendant's decision), plus
 * refunds whose outcome is unknown (runtime/payments/refund-attempts.ts: sent, no answer yet or none known).
 */
export async function paymentsInDoubt(db: KioskDb): Promise<number> {
  const row = await db.read.get<{ n: number }>(
    "SELECT (SELECT COUNT(*) FROM orders WHERE state = 'payment_unknown') + (SELECT COUNT(*) FROM refund_attempts WHERE state IN ('sent', 'unknown')) AS n",
  );
  return row?.n ?? 0;
}
