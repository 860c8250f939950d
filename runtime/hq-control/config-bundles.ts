import { failpoint } from '../../kernel/failpoints';
import { formatIssues } from '../../config/fields';
import type { KioskConfig } from '../../config/schema';
import { checkBundleBody, composeConfig } from '../../config/bundle-validation';
import type { Clock } from '../../kernel/clock';
import type { KioskDb, Tx } from '../../kernel/sqlite/database';
import { ConfigError } from '../../kernel/errors';
import { canonicalJson } from '../../kernel/canonical-json';
import { describeScope, verifyEnvelope, type Envelope, type RejectReason, type Scope } from '../../protocol/signed-envelope';
import { scopeOfConfigTopic, sameScope } from '../../protocol/control/topics';
import { CONFIG_LEVELS, forbiddenBundleField, type ConfigLevel, type ConfigReport } from '../../protocol/control/config-bundle';
import { trustChangeSchema, type TrustChange, type TrustStore } from '../trust/trust-store';
import { boundedJsonParse } from '../../kernel/json/bounded-json';
import { JSON_LIMITS } from '../../kernel/json/limits';
import type { ChannelSecrets } from '../../protocol/payments/channel-secrets';
import type { ChannelSecretsStore } from './channel-secrets';

export type OfferResult =
  | { ok: true; envelope: Envelope; level: ConfigLevel; pending: KioskConfig; applied: boolean; report: ConfigReport }
  | { ok: false; reason: RejectReason; detail: string; report: ConfigReport | null };

export interface ConfigBundleDeps {
  db: KioskDb;
  trust: TrustStore;
  clock: Clock;
  /** This kiosk, from identity.json. */
  identity: { store: string; device: string };
  /** Defaults ← local config file (what `loadConfig` returns); bundles are merged on top of it. */
  base: KioskConfig;
  /** True when no order is open; pending config is applied only then. */
  canApplyNow: () => Promise<boolean>;
  /** Called after a pending config was applied (committed), with the new effective config. */
  onApplied: (config: KioskConfig) => void | Promise<void>;
  /**
   * The payment channels' secrets HQ seals to this kiosk (./channel-secrets.ts): a device bundle's `sealed` section
   * is checked here and adopted when the bundle is applied. Absent: a bundle with a `sealed` section is refused.
   */
  channelSecrets?: ChannelSecretsStore;
}

interface BundleRow {
  level: ConfigLevel;
  state: 'applied' | 'pending';
  version: number;
  body: string;
  envelope: string;
}

interface ReportRow {
  level: ConfigLevel;
  version: number | null;
  status: ConfigReport['status'];
  reason: RejectReason | null;
  detail: string | null;
}

type Obj = Record<string, unknown>;
const PRE_SIGNATURE: RejectReason[] = ['malformed', 'unknown_key', 'bad_signature'];

/**
 * Signed configuration bundles for one kiosk.
 *
 * Rules:
 * - A bundle arrives on `kiosk/v1/_fleet/config`, `kiosk/v1/{store}/_all/config` or `kiosk/v1/{store}/{device}/config`;
 *   its signed `scope` must be the topic's and address this kiosk (`wrong_scope` otherwise), its `kind` `config`.
 * - Effective config = base (defaults ← local file) ← fleet body ← store body ← device body (deep merge; arrays
 *   replace), validated with `configSchema`; a bundle whose merge fails is `invalid_body` naming the field.
 * - Versions are monotonic per level: a version ≤ the newest accepted at that level is `not_newer` (replay,
 *   rollback). Bodies may not set `dataDir`, `device.storeId` or `device.deviceId`.
 * - A body's `trust: {add: [pem…], remove: [keyId…]}` changes the trusted HQ keys as soon as the bundle is
 *   accepted (it was signed by a key trusted before); removing the last key is `invalid_body`.
 * - Expiry limits when a bundle may be accepted, not how long it stays in force. The retained copy of a bundle
 *   already accepted, delivered again (after it expired, or after its key was retired), changes nothing, not even
 *   the report.
 * - An accepted bundle is stored as pending in the same transaction that accepts it. It becomes applied, in one
 *   transaction, only when `canApplyNow()` says no order is open; otherwise on `notifyIdle()` or after a restart
 *   (`init()`). A crash in between leaves the last applied config in force and the pending one still pending.
 * - Operations are serialized: offers and applications never interleave.
 */
export class ConfigBundleManager {
  private chain: Promise<unknown> = Promise.resolve();
  private effective: KioskConfig;

  constructor(private readonly deps: ConfigBundleDeps) {
    this.effective = deps.base;
  }

  /**
   * Loads the applied bundles (the last good config) and tries to apply a pending one left by a restart.
   * Returns the effective config. Throws ConfigError if the applied bundles no longer merge with the base.
   */
  async init(): Promise<KioskConfig> {
    await this.serial(async () => {
      const rows = await this.deps.db.read.all<BundleRow>("SELECT level, state, version, body, envelope FROM config_bundles WHERE state = 'applied'");
      const result = this.compose(rows);
      if (!result.ok) throw new ConfigError([`applied config bundles no longer validate: ${result.detail}`]);
      this.effective = result.config;
      this.adoptSealed(rows); // a crash after the commit and before the file was written
    });
    await this.applyPending();
    return this.effective;
  }

  /** The config in force (applied bundles only). */
  current(): KioskConfig {
    return this.effective;
  }

  /** Verifies a bundle received on `topic`; if accepted, stores it as pending and tries to apply it. Never throws for bad input. */
  offer(topic: string, raw: Buffer | string): Promise<OfferResult> {
    return this.serial(() => this.accept(topic, raw)).then(async (r) => {
      if (!r.ok) return r;
      failpoint('config.accepted'); // stored as pending, not applied
      const applied = await this.applyPending();
      const report: ConfigReport = applied ? { ...r.report, status: 'applied' } : r.report;
      return { ...r, applied, report };
    });
  }

  /**
   * Applies every pending bundle in one transaction if `canApplyNow()` allows, then calls `onApplied`.
   * Returns true when something was applied. An exception from `onApplied` is passed on; the config is committed
   * (and `current()` is the new one) by then.
   */
  applyPending(): Promise<boolean> {
    return this.serial(async () => {
      const pending = await this.deps.db.read.get<{ n: number }>("SELECT COUNT(*) AS n FROM config_bundles WHERE state = 'pending'");
      if (!pending?.n) return false;
      if (!(await this.deps.canApplyNow())) return false;
      const now = this.deps.clock.now();
      const config = await this.deps.db.transaction(async (tx) => {
        const rows = await tx.all<BundleRow>("SELECT level, state, version, body, envelope FROM config_bundles WHERE state = 'pending'");
        for (const row of rows) {
          await tx.run("DELETE FROM config_bundles WHERE level = ? AND state = 'applied'", [row.level]);
          await tx.run("UPDATE config_bundles SET state = 'applied', applied_at = ? WHERE level = ? AND state = 'pending'", [now, row.level]);
          await this.saveReport(tx, { v: 1, level: row.level, version: row.version, status: 'applied' });
        }
        const result = this.compose(await tx.all<BundleRow>("SELECT level, state, version, body, envelope FROM config_bundles WHERE state = 'applied'"));
        // every pending bundle was validated against this same merge when it was accepted
        if (!result.ok) throw new ConfigError([`pending config no longer validates: ${result.detail}`]);
        return { config: result.config, rows: await tx.all<BundleRow>("SELECT level, state, version, body, envelope FROM config_bundles WHERE state = 'applied'") };
      });
      this.effective = config.config;
      this.adoptSealed(config.rows); // between orders, like the config: the next payment uses the new secrets
      await this.deps.onApplied(config.config);
      return true;
    });
  }

  /** The payment channels' secrets in force, unsealed now (never cached or logged); null when HQ sent none. */
  channelSecrets(): ChannelSecrets | null {
    return this.deps.channelSecrets?.channelSecrets() ?? null;
  }

  /** The channel secrets' store: listen to its `changed` event (version and fingerprints) to follow a rotation. */
  channelSecretsStore(): ChannelSecretsStore | null {
    return this.deps.channelSecrets ?? null;
  }

  /** Keeps the applied device bundle's `sealed` section when it is newer than the channel secrets in force. */
  private adoptSealed(applied: readonly Pick<BundleRow, 'level' | 'body'>[]): void {
    const store = this.deps.channelSecrets;
    const device = applied.find((r) => r.level === 'device');
    if (!store || !device) return;
    const sealed = (JSON.parse(device.body) as Obj).sealed;
    if (sealed === undefined) return;
    const checked = store.check(sealed);
    if (checked.ok) store.adopt(checked.section);
  }

  /** The runtime calls this when no order is open any more: a pending config is applied now. */
  notifyIdle(): Promise<boolean> {
    return this.applyPending();
  }

  /**
   * Per level, for `config/reported`: the last offer's outcome, the version in force (`inForce`, kept after a later
   * offer is refused) and the pending version, if any (levels never offered anything are left out).
   */
  async reported(): Promise<ConfigReport[]> {
    const rows = await this.deps.db.read.all<ReportRow>('SELECT level, version, status, reason, detail FROM config_reports');
    const bundles = await this.deps.db.read.all<Pick<BundleRow, 'level' | 'state' | 'version'>>('SELECT level, state, version FROM config_bundles');
    const at = (level: ConfigLevel, state: BundleRow['state']) => bundles.find((b) => b.level === level && b.state === state)?.version;
    return rows
      .sort((a, b) => CONFIG_LEVELS.indexOf(a.level) - CONFIG_LEVELS.indexOf(b.level))
      .map((r) => {
        const pending = at(r.level, 'pending');
        return {
          v: 1,
          level: r.level,
          version: r.version,
          status: r.status,
          ...(r.reason ? { reason: r.reason } : {}),
          ...(r.detail ? { detail: r.detail } : {}),
          inForce: at(r.level, 'applied') ?? null,
          ...(pending !== undefined ? { pending } : {}),
        };
      });
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.chain.then(fn);
    this.chain = next.catch(() => undefined);
    return next;
  }

  private checkScope(topicScope: Scope): (scope: Scope) => string | null {
    const { store, device } = this.deps.identity;
    return (scope) => {
      if (!sameScope(scope, topicScope)) return `envelope is for ${describeScope(scope)} but arrived on the ${describeScope(topicScope)} topic`;
      if (scope.kind !== 'fleet' && scope.store !== store) return `envelope is for ${describeScope(scope)}, this kiosk is ${store}/${device}`;
      if (scope.kind === 'device' && scope.device !== device) return `envelope is for ${describeScope(scope)}, this kiosk is ${store}/${device}`;
      return null;
    };
  }

  /** base ← fleet ← store ← device, validated (config/bundle-validation.ts, the validation HQ runs too). */
  private compose(rows: Pick<BundleRow, 'level' | 'body'>[]): { ok: true; config: KioskConfig } | { ok: false; detail: string } {
    const layers = CONFIG_LEVELS.flatMap((level) => rows.filter((r) => r.level === level).map((r) => JSON.parse(r.body) as Obj));
    const result = composeConfig(this.deps.base, layers);
    if (!result.ok) return { ok: false, detail: result.problems.join('; ') };
    return { ok: true, config: { ...result.config, dataDir: this.deps.base.dataDir } };
  }

  private async accept(topic: string, raw: Buffer | string): Promise<OfferResult> {
    const topicScope = scopeOfConfigTopic(topic);
    if (!topicScope) return { ok: false, reason: 'wrong_scope', detail: `${topic} is not a config topic`, report: null };
    const level = topicScope.kind;
    const now = this.deps.clock.now();
    return this.deps.db.transaction(async (tx) => {
      const rows = await tx.all<BundleRow>('SELECT level, state, version, body, envelope FROM config_bundles');
      const atLevel = rows.filter((r) => r.level === level);
      const newest = atLevel.reduce<BundleRow | null>((m, r) => (m && m.version >= r.version ? m : r), null);
      // pending wins over applied at each level: the candidate is what will be in force once everything applies
      const inForce = CONFIG_LEVELS.filter((l) => l !== level).flatMap((l) => {
        const r = rows.find((x) => x.level === l && x.state === 'pending') ?? rows.find((x) => x.level === l && x.state === 'applied');
        return r ? [r] : [];
      });
      let candidate: KioskConfig | null = null;
      let trustChange: TrustChange | null = null;
      const verdict = verifyEnvelope(raw, this.deps.trust, now, {
        kind: 'config',
        scope: this.checkScope(topicScope),
        appliedVersion: newest?.version ?? null,
        body: (body) => {
          // the same check HQ runs before it signs (config/bundle-validation.ts)
          const result = checkBundleBody(body, {
            base: this.deps.base,
            before: inForce.filter((r) => CONFIG_LEVELS.indexOf(r.level) < CONFIG_LEVELS.indexOf(level)).map((r) => JSON.parse(r.body) as Obj),
            after: inForce.filter((r) => CONFIG_LEVELS.indexOf(r.level) > CONFIG_LEVELS.indexOf(level)).map((r) => JSON.parse(r.body) as Obj),
            forbidden: forbiddenBundleField,
            sealed: (value) => {
              // the payment channels' secrets, sealed to ONE kiosk: only a device-scoped bundle may carry them
              if (level !== 'device') return 'sealed: only a device-scoped bundle may carry sealed channel secrets';
              if (!this.deps.channelSecrets) return 'sealed: this kiosk takes no sealed section';
              const checked = this.deps.channelSecrets.check(value);
              return checked.ok ? null : checked.problem;
            },
            trust: (value, whole) => {
              const t = trustChangeSchema.safeParse(value);
              if (!t.success) return formatIssues(t.error.issues.map((i) => ({ ...i, path: ['trust', ...i.path] })), whole).join('; ');
              const problem = this.deps.trust.checkChange(t.data);
              if (problem) return problem;
              trustChange = t.data;
              return null;
            },
          });
          if (!result.ok) return result.problems.join('; ');
          candidate = { ...result.config, dataDir: this.deps.base.dataDir };
          return null;
        },
      });

      if (!verdict.ok) {
        // a retained bundle delivered again on reconnect is the one we already have (perhaps expired or signed by a
        // key retired since): not an attack, keep the report
        const same = atLevel.find((r) => this.isSameEnvelope(r.envelope, raw));
        if (same) {
          const current = await tx.get<ReportRow>('SELECT level, version, status, reason, detail FROM config_reports WHERE level = ?', [level]);
          const report: ConfigReport = current
            ? { v: 1, level, version: current.version, status: current.status, ...(current.reason ? { reason: current.reason } : {}), ...(current.detail ? { detail: current.detail } : {}) }
            : { v: 1, level, version: same.version, status: same.state };
          return { ok: false, reason: verdict.reason, detail: `${verdict.detail} (this bundle was already accepted: ${same.state})`, report };
        }
        const report: ConfigReport = {
          v: 1,
          level,
          version: PRE_SIGNATURE.includes(verdict.reason) ? null : claimedVersion(raw),
          status: 'rejected',
          reason: verdict.reason,
          detail: verdict.detail,
        };
        await this.saveReport(tx, report);
        return { ok: false, reason: verdict.reason, detail: verdict.detail, report };
      }

      const env = verdict.envelope;
      await tx.run("DELETE FROM config_bundles WHERE level = ? AND state = 'pending'", [level]);
      await tx.run(
        "INSERT INTO config_bundles (level, state, version, key_id, body, envelope, accepted_at, applied_at) VALUES (?, 'pending', ?, ?, ?, ?, ?, NULL)",
        [level, env.version, env.keyId, JSON.stringify(env.body), JSON.stringify(env), now],
      );
      const report: ConfigReport = { v: 1, level, version: env.version, status: 'pending' };
      await this.saveReport(tx, report);
      // last, so a failure rolls the acceptance back; re-applying after a crash between here and COMMIT is a no-op
      if (trustChange) this.deps.trust.applyChange(trustChange, now);
      return { ok: true, envelope: env, level, pending: candidate as unknown as KioskConfig, applied: false, report };
    });
  }

  /** The very envelope stored (every field, signature included), however it was serialized. */
  private isSameEnvelope(stored: string, raw: Buffer | string): boolean {
    try {
      return canonicalJson(JSON.parse(stored)) === canonicalJson(boundedJsonParse(raw, { maxBytes: JSON_LIMITS.envelope }));
    } catch {
      return false;
    }
  }

  private async saveReport(tx: Tx, r: ConfigReport): Promise<void> {
    await tx.run(
      `INSERT INTO config_reports (level, version, status, reason, detail, at) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (level) DO UPDATE SET version = excluded.version, status = excluded.status, reason = excluded.reason,
         detail = excluded.detail, at = excluded.at`,
      [r.level, r.version, r.status, r.reason ?? null, r.detail ?? null, this.deps.clock.now()],
    );
  }
}

/** The version of an envelope whose signature was verified (the verifier parsed it already; this cannot fail). */
function claimedVersion(raw: Buffer | string): number | null {
  try {
    const v = (boundedJsonParse(raw, { maxBytes: JSON_LIMITS.envelope }) as { version?: unknown }).version;
    return typeof v === 'number' ? v : null;
  } catch {
    return null;
  }
}
