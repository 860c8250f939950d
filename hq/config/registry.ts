import type { Tx } from '../../kernel/sqlite/database';
import type { Scope } from '../../protocol/signed-envelope';
import type { StoreScope } from '../console/types';
import { parseScopeArg } from '../signing';

/** Why a version was published (hq/config/schema.ts). */
export type PublishKind = 'publish' | 'renewal' | 'rollback';

/** One row of `config_versions`. */
export interface ConfigVersionRow {
  scope: string;
  version: number;
  /** Canonical JSON of the config sections. */
  body: string;
  envelope: string;
  published_by: string;
  published_at: number;
  expires_at: number;
  kind: PublishKind;
  rolled_back_from: number | null;
}

/** `fleet`, `store:S` or `device:S/D`: the registry's key for a scope (the same text `hq config push --scope` takes). */
export function scopeKey(scope: Scope): string {
  return scope.kind === 'fleet' ? 'fleet' : scope.kind === 'store' ? `store:${scope.store}` : `device:${scope.store}/${scope.device}`;
}

/** A scope key (from a form, a URL or the CLI) → Scope, or null when it is not one (ids checked as on the wire). */
export function parseScopeKey(text: string): Scope | null {
  try {
    // the id rules (scopeSchema) allow no leading `_`: topics reserve those levels (`_fleet`, `_all`)
    return parseScopeArg(text);
  } catch {
    return null;
  }
}

/** The store a scope belongs to (none for the fleet). */
export const storeOf = (scope: Scope): string | undefined => (scope.kind === 'fleet' ? undefined : scope.store);

/** Whether a user with `visible` may see (and, with config.publish, change) `scope`. The fleet scope is everyone's. */
export function scopeVisible(visible: StoreScope, scope: Scope): boolean {
  return visible.all || scope.kind === 'fleet' || visible.stores.includes(scope.store);
}

/** SQL condition (and its params) limiting the scope column `col` to what `visible` may see. */
function visibleWhere(visible: StoreScope, col: string): { sql: string; params: unknown[] } {
  if (visible.all) return { sql: '1 = 1', params: [] };
  const parts = [`${col} = 'fleet'`];
  const params: unknown[] = [];
  for (const s of visible.stores) {
    // exact comparisons only (a LIKE pattern would read `_` in a store id as a wildcard)
    parts.push(`${col} = ?`, `substr(${col}, 1, ?) = ?`);
    params.push(`store:${s}`, `device:${s}/`.length, `device:${s}/`);
  }
  return { sql: `(${parts.join(' OR ')})`, params };
}

const COLUMNS = 'scope, version, body, envelope, published_by, published_at, expires_at, kind, rolled_back_from';

/** The registry of published config versions (on either dialect of the ingest store: `?` placeholders only). */
export class ConfigRegistry {
  constructor(private readonly db: Tx) {}

  /** The newest version published for a scope (the one in force at that level), if any. */
  latest(scope: Scope): Promise<ConfigVersionRow | undefined> {
    return this.db.get<ConfigVersionRow>(`SELECT ${COLUMNS} FROM config_versions WHERE scope = ? ORDER BY version DESC LIMIT 1`, [scopeKey(scope)]);
  }

  get(scope: Scope, version: number): Promise<ConfigVersionRow | undefined> {
    return this.db.get<ConfigVersionRow>(`SELECT ${COLUMNS} FROM config_versions WHERE scope = ? AND version = ?`, [scopeKey(scope), version]);
  }

  /** Every version of a scope, newest first. */
  history(scope: Scope, limit = 50): Promise<ConfigVersionRow[]> {
    return this.db.all<ConfigVersionRow>(`SELECT ${COLUMNS} FROM config_versions WHERE scope = ? ORDER BY version DESC LIMIT ?`, [scopeKey(scope), limit]);
  }

  /** The version in force of every scope `visible` may see, by scope. */
  inForce(visible: StoreScope = { all: true }): Promise<ConfigVersionRow[]> {
    const where = visibleWhere(visible, 'c.scope');
    return this.db.all<ConfigVersionRow>(
      `SELECT ${COLUMNS.split(', ')
        .map((c) => `c.${c}`)
        .join(', ')} FROM config_versions c
       JOIN (SELECT scope AS s, MAX(version) AS v FROM config_versions GROUP BY scope) m ON c.scope = m.s AND c.version = m.v
       WHERE ${where.sql} ORDER BY c.scope`,
      where.params,
    );
  }

  /**
   * The bodies in force at the less specific levels of `scope` (fleet for a store; fleet, then the store, for a
   * device): what a kiosk merges before this scope's body.
   */
  async layersUnder(scope: Scope): Promise<Record<string, unknown>[]> {
    const lower: Scope[] = scope.kind === 'fleet' ? [] : scope.kind === 'store' ? [{ kind: 'fleet' }] : [{ kind: 'fleet' }, { kind: 'store', store: scope.store }];
    const out: Record<string, unknown>[] = [];
    for (const s of lower) {
      const row = await this.latest(s);
      if (row) out.push(JSON.parse(row.body) as Record<string, unknown>);
    }
    return out;
  }

  /** Records a published version (the caller checked it is newer). */
  static insert(tx: Tx, row: ConfigVersionRow): Promise<unknown> {
    return tx.run(`INSERT INTO config_versions (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, [
      row.scope,
      row.version,
      row.body,
      row.envelope,
      row.published_by,
      row.published_at,
      row.expires_at,
      row.kind,
      row.rolled_back_from,
    ]);
  }
}
