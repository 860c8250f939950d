import { defaultConfig } from '../../config/defaults';
import { ConfigRegistry } from '../config/registry';
import type { Tx } from '../../kernel/sqlite/database';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * What a store's kiosks check a price book against, as far as HQ knows it: the tax classes (`standard` plus
 * `tax.classes`) and the currency, from the config HQ published for the fleet and then the store over the defaults.
 * A kiosk's local config file can differ: the kiosk still checks and refuses (`invalid_book`) on its own.
 */
export async function storeBookFacts(db: Tx, store: string): Promise<{ taxClasses: string[]; currency: string }> {
  const defaults = defaultConfig();
  let classes: Obj = defaults.tax.classes;
  let currency = defaults.currency.code;
  const registry = new ConfigRegistry(db);
  for (const row of [await registry.latest({ kind: 'fleet' }), await registry.latest({ kind: 'store', store })]) {
    if (!row) continue;
    const body = JSON.parse(row.body) as Obj;
    if (isObj(body.tax) && isObj(body.tax.classes)) classes = body.tax.classes;
    if (isObj(body.currency) && typeof body.currency.code === 'string') currency = body.currency.code;
  }
  return { taxClasses: ['standard', ...Object.keys(classes).filter((c) => c !== 'standard')], currency };
}
