import type { Tx } from '../../kernel/sqlite/database';
import { KioskError } from '../../kernel/errors';
import {
  alipaySecretsSchema,
  ID_FIELDS,
  SECRET_CHANNELS,
  SECRET_FIELDS,
  unionpaySecretsSchema,
  wechatSecretsSchema,
  fingerprint,
  type ChannelSecrets,
  type SecretChannel,
} from '../../protocol/payments/channel-secrets';
import type { IngestDb } from '../ingest/pg-db';
import { decryptAtRest, encryptAtRest, type HqSecretsKey } from './secrets-key';

/** The chain-wide scope (every store without its own values for that channel). */
export const CHAIN = '*';
const STORE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** A scope as stored: `*` (the chain) or a store id. */
export function validScope(scope: string): boolean {
  return scope === CHAIN || STORE_ID.test(scope);
}

/** One channel's values at one scope, newest version (what is listed: ids and fingerprints, never a value). */
export interface ChannelSecretsRow {
  scope: string;
  channel: SecretChannel;
  version: number;
  ids: Record<string, string>;
  fingerprints: Record<string, string>;
  set_by: string;
  set_at: number;
}

interface DbRow {
  scope: string;
  channel: SecretChannel;
  version: number;
  ids: string;
  fingerprints: string;
  sealed: string;
  set_by: string;
  set_at: number;
}

const SCHEMAS = { alipay: alipaySecretsSchema, wechat: wechatSecretsSchema, unionpay: unionpaySecretsSchema } as const;

const atRestAad = (scope: string, channel: string, version: number): string => `hq-channel-secrets/v1\n${scope}\n${channel}\n${version}`;

/** The problems of one channel's values (field names only: a message never quotes a value). */
export function channelValueProblems(channel: SecretChannel, values: unknown): string[] {
  const r = SCHEMAS[channel].safeParse(values);
  return r.success ? [] : r.error.issues.map((i) => `${channel}.${i.path.join('.') || '(root)'}: ${i.code === 'unrecognized_keys' ? 'unknown field' : i.message}`);
}

const toRow = (r: DbRow): ChannelSecretsRow => ({
  scope: r.scope,
  channel: r.channel,
  version: Number(r.version),
  ids: JSON.parse(r.ids) as Record<string, string>,
  fingerprints: JSON.parse(r.fingerprints) as Record<string, string>,
  set_by: r.set_by,
  set_at: Number(r.set_at),
});

const LATEST = `SELECT c.scope, c.channel, c.version, c.ids, c.fingerprints, c.sealed, c.set_by, c.set_at FROM channel_secrets c
  JOIN (SELECT scope AS s, channel AS ch, MAX(version) AS v FROM channel_secrets GROUP BY scope, channel) m
    ON c.scope = m.s AND c.channel = m.ch AND c.version = m.v`;

/**
 * The payment channels' secrets at HQ, per scope (chain `*` or a store) and channel, versioned (one counter for all:
 * a kiosk's effective version only grows), encrypted at rest under the HQ secrets key. Merchant ids and fingerprints
 * are stored beside the ciphertext so listing never decrypts.
 */
export class ChannelSecretsRegistry {
  constructor(private readonly db: IngestDb) {}

  /** Stores new values of `channel` at `scope` (validated; throws KioskError('BAD_DATA') naming fields). */
  async set(key: HqSecretsKey, req: { scope: string; channel: SecretChannel; values: unknown; user: string; now: number }): Promise<ChannelSecretsRow> {
    if (!validScope(req.scope)) throw new KioskError('BAD_DATA', `bad scope ${JSON.stringify(req.scope).slice(0, 80)}: "*" (the chain) or a store id`);
    if (!SECRET_CHANNELS.includes(req.channel)) throw new KioskError('BAD_DATA', `unknown channel ${JSON.stringify(String(req.channel)).slice(0, 40)}`);
    const problems = channelValueProblems(req.channel, req.values);
    if (problems.length) throw new KioskError('BAD_DATA', problems.join('; '), { problems });
    const values = SCHEMAS[req.channel].parse(req.values) as Record<string, string>;
    const ids = Object.fromEntries((ID_FIELDS[req.channel] as readonly string[]).map((f) => [f, values[f]]));
    const fingerprints = Object.fromEntries((SECRET_FIELDS[req.channel] as readonly string[]).map((f) => [f, fingerprint(values[f])]));
    return this.db.transaction(async (tx) => {
      const max = await tx.get<{ v: number | null }>('SELECT MAX(version) AS v FROM channel_secrets');
      const version = Number(max?.v ?? 0) + 1;
      await tx.run('INSERT INTO channel_secrets (scope, channel, version, ids, fingerprints, sealed, key_id, set_by, set_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)', [
        req.scope,
        req.channel,
        version,
        JSON.stringify(ids),
        JSON.stringify(fingerprints),
        encryptAtRest(key, JSON.stringify(values), atRestAad(req.scope, req.channel, version)),
        key.keyId,
        req.user,
        req.now,
      ]);
      return { scope: req.scope, channel: req.channel, version, ids, fingerprints, set_by: req.user, set_at: req.now };
    });
  }

  /** The newest values of every scope and channel (ids and fingerprints only), chain first, then by store. */
  async list(tx: Tx = this.db.read): Promise<ChannelSecretsRow[]> {
    const rows = (await tx.all<DbRow>(`${LATEST} ORDER BY c.scope, c.channel`)).map(toRow);
    return rows.sort((a, b) => (a.scope === CHAIN ? -1 : b.scope === CHAIN ? 1 : 0) || a.scope.localeCompare(b.scope) || a.channel.localeCompare(b.channel));
  }

  /**
   * What a kiosk of `store` gets: per channel the store's own newest values, else the chain's; with the highest
   * version among them (null when no channel has values for it). `previous` holds, per channel, the values that were
   * in force for this store before that channel's newest change (the store's own older values, else the chain's
   * older ones): the kiosk retries a request the channel refused for its signature with them, so a key switched at
   * the channel before or after the kiosk applies a version costs no payment (absent when a channel has no history).
   */
  async effectiveFor(
    key: HqSecretsKey,
    store: string,
    tx: Tx = this.db.read,
  ): Promise<{ version: number; secrets: ChannelSecrets; previous?: ChannelSecrets } | null> {
    const rows = await tx.all<DbRow>(`${LATEST} WHERE c.scope = ? OR c.scope = ?`, [CHAIN, store]);
    const secrets: Record<string, unknown> = {};
    const previous: Record<string, unknown> = {};
    let version = 0;
    const open = (row: DbRow): unknown => JSON.parse(decryptAtRest(key, row.sealed, atRestAad(row.scope, row.channel, Number(row.version))));
    for (const channel of SECRET_CHANNELS) {
      const row = rows.find((r) => r.scope === store && r.channel === channel) ?? rows.find((r) => r.scope === CHAIN && r.channel === channel);
      if (!row) continue;
      secrets[channel] = open(row);
      version = Math.max(version, Number(row.version));
      // what this store had in force just before `row`: its own newest older row, else the chain's
      const before = await tx.get<DbRow>(
        `SELECT scope, channel, version, ids, fingerprints, sealed, set_by, set_at FROM channel_secrets
          WHERE channel = ? AND version < ? AND (scope = ? OR scope = ?)
          ORDER BY CASE WHEN scope = ? THEN 0 ELSE 1 END, version DESC LIMIT 1`,
        [channel, Number(row.version), store, CHAIN, store],
      );
      if (before) previous[channel] = open(before);
    }
    if (version === 0) return null;
    return Object.keys(previous).length ? { version, secrets: secrets as ChannelSecrets, previous: previous as ChannelSecrets } : { version, secrets: secrets as ChannelSecrets };
  }
}
