import { validateBarcodeRules } from './barcode-rules';
import { formatIssues } from './fields';
import { merge } from './load';
import { configSchema, type KioskConfig } from './schema';

/**
 * The one validation of a signed config bundle's body, shared by the kiosk (runtime/hq-control/config-bundles.ts,
 * which refuses a bundle as `invalid_body` with these problems) and HQ (hq/config/validate.ts: `hq config push` and
 * the console refuse to sign what a kiosk would refuse). The kiosk's zod schema (./schema.ts) is the single source.
 *
 * Rules, in order (the first failing step gives the problems):
 * 1. the body is a JSON object of config sections (plus an optional `trust` section);
 * 2. it sets no provisioning-only field (`rules.forbidden`: dataDir, device.storeId, device.deviceId);
 * 3. its `trust` section, when present, passes `rules.trust`; its `sealed` section, when present, `rules.sealed`;
 * 4. base ← the less specific levels in force ← this body ← the more specific levels in force (deep merge, arrays
 *    replace) passes `configSchema` and the barcode rules. Problems are lines such as
 *    `tax.rate: expected number ≤ 1, got "7%"` or `tax.vat: unknown field`.
 */

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

export type ComposeResult = { ok: true; config: KioskConfig } | { ok: false; problems: string[] };

/** The body without its `trust` and `sealed` sections: the config sections it sets. */
export function configSections(body: Obj): Obj {
  const { trust: _trust, sealed: _sealed, ...rest } = body;
  return rest;
}

/** base ← each layer's config sections, in order, validated as the kiosk validates its config. */
export function composeConfig(base: unknown, layers: readonly Obj[]): ComposeResult {
  let raw: unknown = base;
  for (const layer of layers) raw = merge(raw, configSections(layer));
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) return { ok: false, problems: formatIssues(parsed.error.issues, raw) };
  const problems = validateBarcodeRules({ currency: { ...parsed.data.currency }, ...parsed.data.barcodes });
  if (problems.length) return { ok: false, problems: problems.map((p) => `barcodes.${p}`) };
  return { ok: true, config: parsed.data };
}

export interface BundleBodyRules {
  /** The kiosk's configuration before any bundle (defaults ← local config file). */
  base: unknown;
  /** The bodies in force at the less specific levels (fleet before store), merged before this one. */
  before: readonly Obj[];
  /** The bodies in force at the more specific levels, merged after this one (they win over it). */
  after: readonly Obj[];
  /** A field the body may not set, or null (protocol/control/config-bundle.ts `forbiddenBundleField`). */
  forbidden: (body: Obj) => string | null;
  /** The problem with the body's `trust` section (called only when it has one), or null. */
  trust: (trust: unknown, body: Obj) => string | null;
  /**
   * The problem with the body's `sealed` section (payment channel secrets sealed to one kiosk,
   * protocol/sealed/channel-section.ts), called only when it has one; absent: a body with one is refused.
   */
  sealed?: (sealed: unknown, body: Obj) => string | null;
}

/** Checks a bundle body; on success, the configuration it would put in force. */
export function checkBundleBody(body: unknown, rules: BundleBodyRules): ComposeResult {
  if (!isObj(body)) return { ok: false, problems: [`(root): expected an object of config sections, got ${JSON.stringify(body)}`] };
  const forbidden = rules.forbidden(body);
  if (forbidden) return { ok: false, problems: [forbidden] };
  if (body.trust !== undefined) {
    const problem = rules.trust(body.trust, body);
    if (problem) return { ok: false, problems: [problem] };
  }
  if (body.sealed !== undefined) {
    const problem = rules.sealed ? rules.sealed(body.sealed, body) : 'sealed: this receiver takes no sealed section';
    if (problem) return { ok: false, problems: [problem] };
  }
  return composeConfig(rules.base, [...rules.before, body, ...rules.after]);
}
