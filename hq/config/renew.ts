import type { TimerHandle } from '../../kernel/clock';
import { describeScope } from '../../protocol/signed-envelope';
import type { AlertInput, AlertParam, AlertText, ConsoleContext, ConsoleService } from '../console/types';
import { keyParam } from '../fleet/alert-text';
import { knownVersion, publishConfig } from './publish';
import { ConfigRegistry, parseScopeKey, type ConfigVersionRow } from './registry';

/** How often the renewer looks. */
export const RENEW_EVERY_MS = 3_600_000;
/** A bundle in force that expires within this is published again (of the default 30 days' validity). */
export const RENEW_WITHIN_MS = 7 * 86_400_000;

export interface RenewOutcome {
  /** `scope vN → vM` for each renewal published. */
  renewed: string[];
  /** Scopes that need renewing but could not be (each also an open alert). */
  problems: AlertInput[];
}

const when = (ms: number): string => new Date(ms).toISOString();

/** Why a renewal could not happen: the English words, and a `config.alerts.why.*` text when it is one of ours. */
type Why = { words: string; text?: AlertText };
const why = (words: string, key?: string, params?: Record<string, AlertParam>): Why => ({ words, ...(key ? { text: params ? { key, params } : { key } } : {}) });

function alertFor(row: ConfigVersionRow, now: number, reason: Why): AlertInput {
  const scope = parseScopeKey(row.scope);
  const expired = row.expires_at <= now;
  const scopeParam: AlertParam = !scope
    ? row.scope
    : scope.kind === 'fleet'
      ? keyParam('config.alerts.scope.fleet')
      : scope.kind === 'store'
        ? keyParam('config.alerts.scope.store', { store: scope.store })
        : keyParam('config.alerts.scope.device', { store: scope.store, device: scope.device });
  return {
    key: `renew:${row.scope}`,
    kind: 'config_expiring',
    severity: expired ? 'critical' : 'warning',
    ...(scope && scope.kind !== 'fleet' ? { storeId: scope.store } : {}),
    ...(scope?.kind === 'device' ? { deviceId: scope.device } : {}),
    message: `config bundle for ${scope ? describeScope(scope) : row.scope} (v${row.version}) ${expired ? 'expired' : 'expires'} at ${when(row.expires_at)}, cannot renew: ${reason.words}`,
    text: {
      key: expired ? 'config.alerts.expired' : 'config.alerts.expires',
      params: { scope: scopeParam, version: row.version, at: { time: row.expires_at }, why: reason.text ? { texts: [reason.text] } : reason.words },
    },
  };
}

/**
 * One pass: every scope whose version in force expires within RENEW_WITHIN_MS gets a new version with the same body
 * (kind `renewal`, actor `system`), so a kiosk provisioned later never falls back to its default config. Without a
 * key or broker — or when the broker retains a newer version than the registry knows (pushed without `--db`; renewing
 * the registry's body would roll it back) — it raises an alert instead. The `config` alerts are synced every pass.
 */
export async function renewDue(ctx: ConsoleContext): Promise<RenewOutcome> {
  const now = ctx.clock.now();
  const due = (await new ConfigRegistry(ctx.store.db.read).inForce()).filter((r) => r.expires_at - now <= RENEW_WITHIN_MS);
  const out: RenewOutcome = { renewed: [], problems: [] };
  for (const row of due) {
    const scope = parseScopeKey(row.scope);
    if (!scope) continue;
    if (!ctx.hqKey || !ctx.mqtt) {
      out.problems.push(
        alertFor(row, now, !ctx.hqKey && !ctx.mqtt ? why('no key/broker', 'config.alerts.why.noKeyBroker') : !ctx.hqKey ? why('no key', 'config.alerts.why.noKey') : why('no broker', 'config.alerts.why.noBroker')),
      );
      continue;
    }
    try {
      const known = await knownVersion(ctx, scope);
      if (known.retained > row.version) {
        out.problems.push(
          alertFor(row, now, why(`the broker retains v${known.retained}, which the registry does not know (published without --db)`, 'config.alerts.why.retainedNewer', { version: known.retained })),
        );
        continue;
      }
      const r = await publishConfig(ctx, { scope, body: JSON.parse(row.body), user: 'system', kind: 'renewal' });
      if (r.ok) out.renewed.push(`${row.scope} v${row.version} → v${r.version}`);
      else out.problems.push(alertFor(row, now, why(r.problems.join('; '))));
    } catch (e) {
      out.problems.push(alertFor(row, now, why((e as Error).message)));
    }
  }
  await ctx.alerts.sync('config', out.problems, now);
  return out;
}

/** The renewer as a background service of `hq serve`: a pass at start, then every hour on ctx.clock. */
export const configRenewer: ConsoleService = (ctx) => {
  let stopped = false;
  let timer: TimerHandle | null = null;
  let running: Promise<unknown> = Promise.resolve();
  const pass = () => {
    running = renewDue(ctx)
      .catch(() => undefined) // a database or broker hiccup: the next pass tries again
      .finally(() => {
        if (!stopped) timer = ctx.clock.setTimeout(pass, RENEW_EVERY_MS);
      });
  };
  pass();
  return {
    async stop() {
      stopped = true;
      if (timer) ctx.clock.clearTimeout(timer);
      await running;
    },
  };
};
