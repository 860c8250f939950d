import type { StoreScope } from '../console/types';

/**
 * The SQL condition that keeps a query inside a user's store scope: `1 = 1` for every store, `column IN (?, …)`
 * for a store manager's stores, `1 = 0` for a scope with no store. Every fleet and alert query uses it.
 */
export function scopeWhere(scope: StoreScope, column: string): { sql: string; params: string[] } {
  if (scope.all) return { sql: '1 = 1', params: [] };
  if (scope.stores.length === 0) return { sql: '1 = 0', params: [] };
  return { sql: `${column} IN (${scope.stores.map(() => '?').join(', ')})`, params: [...scope.stores] };
}
