import type { StoreScope } from './types';

/**
 * The SQL condition that keeps a query inside a user's store scope: `1 = 1` for every store, `column IN (?, …)`
 * for a store manager's stores, `1 = 0` for a scope with no store. Every console query of per-store rows uses it
 * (fleet, alerts, orders, statistics, payments, config reports).
 */
export function scopeWhere(scope: StoreScope, column: string): { sql: string; params: string[] } {
  if (scope.all) return { sql: '1 = 1', params: [] };
  if (scope.stores.length === 0) return { sql: '1 = 0', params: [] };
  return { sql: `${column} IN (${scope.stores.map(() => '?').join(', ')})`, params: [...scope.stores] };
}

/** {@link scopeWhere} plus optional `store_id = ?` / `device_id = ?` filters (columns of the same table). */
export function kioskWhere(scope: StoreScope, filter: { store?: string; device?: string }, columns = { store: 'store_id', device: 'device_id' }): { sql: string; params: string[] } {
  const where = scopeWhere(scope, columns.store);
  const cond = [where.sql];
  const params = [...where.params];
  if (filter.store) {
    cond.push(`${columns.store} = ?`);
    params.push(filter.store);
  }
  if (filter.device) {
    cond.push(`${columns.device} = ?`);
    params.push(filter.device);
  }
  return { sql: cond.join(' AND '), params };
}
