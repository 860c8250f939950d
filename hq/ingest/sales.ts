import type { Tx } from '../../kernel/sqlite/database';

/** One device's completed sales as HQ holds them: training orders counted apart, never in the totals. */
export interface DeviceSales {
  storeId: string;
  deviceId: string;
  /** Completed real orders and their totals (minor units). */
  orders: number;
  amount: number;
  /** Completed training orders (`kiosk demo --training`): not sales. */
  trainingOrders: number;
}

/**
 * True when a journal payload (canonical JSON text, covered by the entry's hash) belongs to a training order: the
 * kiosk writes `training: true` into every entry of such an order (and into the order snapshot it carries).
 * Absent means a real order — journals written before training mode existed read as real sales. Unparsable: false.
 */
export function isTrainingPayload(payload: string): boolean {
  try {
    const p = JSON.parse(payload) as { training?: unknown; order?: { training?: unknown } } | null;
    return p?.training === true || p?.order?.training === true;
  } catch {
    return false;
  }
}

const totalOf = (payload: string): number => {
  try {
    const t = (JSON.parse(payload) as { total?: unknown } | null)?.total;
    return typeof t === 'number' && Number.isSafeInteger(t) ? t : 0;
  } catch {
    return 0;
  }
};

/** Completed orders per device from the stored journal (both dialects: the payload is read here, not in SQL). */
export async function salesByDevice(db: Pick<Tx, 'all'>, storeId?: string): Promise<DeviceSales[]> {
  const rows = await db.all<{ store_id: string; device_id: string; payload: string }>(
    storeId === undefined
      ? "SELECT store_id, device_id, payload FROM sales_events WHERE type = 'order_completed' ORDER BY store_id, device_id, seq"
      : "SELECT store_id, device_id, payload FROM sales_events WHERE type = 'order_completed' AND store_id = ? ORDER BY store_id, device_id, seq",
    storeId === undefined ? [] : [storeId],
  );
  const out = new Map<string, DeviceSales>();
  for (const r of rows) {
    const key = `${r.store_id}\u0000${r.device_id}`;
    const d = out.get(key) ?? { storeId: r.store_id, deviceId: r.device_id, orders: 0, amount: 0, trainingOrders: 0 };
    if (isTrainingPayload(r.payload)) d.trainingOrders += 1;
    else {
      d.orders += 1;
      d.amount += totalOf(r.payload);
    }
    out.set(key, d);
  }
  return [...out.values()];
}
