import { tryParseJson } from '../../kernel/json/bounded-json';
import { KioskError } from '../../kernel/errors';
import { CARD_SCHEMES, DEFAULT_FEE_BPS, FEE_CHANNELS, feesSchema, type FeeKey, type FeeRates } from '../../config/fees';
import type { IngestDb } from '../ingest/pg-db';

/** A published body's `payments.fees`, or {} when it sets none or they are not valid. */
function feesOfBody(body: string | undefined): Partial<FeeRates> {
  if (!body) return {};
  const parsed = tryParseJson(body, { maxBytes: 1_000_000 });
  if (!parsed.ok) return {};
  const payments = (parsed.value as { payments?: { fees?: unknown } } | null)?.payments;
  const fees = feesSchema.safeParse(payments?.fees ?? {});
  return fees.success ? (fees.data as Partial<FeeRates>) : {};
}

/**
 * The fee rates HQ reconciles with: config/fees.ts defaults, overridden by the newest published fleet config's
 * `payments.fees`, then (for one store) the store's, then the CLI's `--fee-bps` overrides.
 */
export async function feeRates(db: Pick<IngestDb, 'read'>, opts: { store?: string; overrides?: Partial<FeeRates> } = {}): Promise<FeeRates> {
  const latest = async (scope: string) =>
    (await db.read.get<{ body: string }>('SELECT body FROM config_versions WHERE scope = ? ORDER BY version DESC LIMIT 1', [scope]))?.body;
  const fleet = feesOfBody(await latest('fleet'));
  const store = opts.store ? feesOfBody(await latest(`store:${opts.store}`)) : {};
  return { ...DEFAULT_FEE_BPS, ...fleet, ...store, ...(opts.overrides ?? {}) };
}

const KEYS: readonly string[] = [...FEE_CHANNELS, ...CARD_SCHEMES];

/** `--fee-bps KEY=BPS` (repeatable) → overrides; a bad one is BAD_DATA naming it. */
export function parseFeeOverrides(pairs: readonly string[]): Partial<FeeRates> {
  const out: Partial<FeeRates> = {};
  for (const p of pairs) {
    const m = /^([a-z]+)=(\d{1,5})$/.exec(p);
    if (!m || !KEYS.includes(m[1]) || Number(m[2]) > 10_000) {
      throw new KioskError('BAD_DATA', `--fee-bps wants KEY=BPS with KEY one of ${KEYS.join(', ')} and BPS 0..10000, got "${p.slice(0, 40)}"`);
    }
    out[m[1] as FeeKey] = Number(m[2]);
  }
  return out;
}
