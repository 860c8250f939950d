import { clip } from '../../kernel/json/bounded-format';
import { tryParseJson } from '../../kernel/json/bounded-json';
import { JSON_LIMITS } from '../../kernel/json/limits';
import type { Tx } from '../../kernel/sqlite/database';

/** One kiosk on the channels page: its sealing key and what became of the last channel-secrets delivery. */
export interface KioskChannelStatus {
  store: string;
  device: string;
  keyFingerprint: string | null;
  /** The channel-secrets version HQ last sealed (or would seal) for it. */
  version: number | null;
  status: 'none' | 'waiting_key' | 'delivered' | 'applied' | 'failed';
  configVersion: number | null;
  /** Why the kiosk refused it (its `config/reported` reason and detail, clipped). */
  reason: string | null;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * Per kiosk (not retired): delivered (sent in device config vN), applied (the kiosk's `config/reported` device level
 * has vN or later in force), failed (it refused vN: reason and detail), or waiting for its key.
 */
export async function kioskChannelStatus(tx: Tx): Promise<KioskChannelStatus[]> {
  const rows = await tx.all<{
    store_id: string;
    device_id: string;
    fingerprint: string | null;
    version: number | null;
    status: string | null;
    config_version: number | null;
    config_reported: string | null;
  }>(
    `SELECT k.store_id, k.device_id, s.fingerprint, d.version, d.status, d.config_version, f.config_reported
       FROM (SELECT store_id, device_id FROM fleet WHERE retired_at IS NULL UNION SELECT store_id, device_id FROM kiosk_seal_keys) k
       LEFT JOIN kiosk_seal_keys s ON s.store_id = k.store_id AND s.device_id = k.device_id
       LEFT JOIN channel_deliveries d ON d.store_id = k.store_id AND d.device_id = k.device_id
       LEFT JOIN fleet f ON f.store_id = k.store_id AND f.device_id = k.device_id
      ORDER BY k.store_id, k.device_id`,
  );
  return rows.map((r) => {
    const base = { store: r.store_id, device: r.device_id, keyFingerprint: r.fingerprint, version: r.version === null ? null : Number(r.version), configVersion: r.config_version === null ? null : Number(r.config_version), reason: null };
    if (r.status === null) return { ...base, status: 'none' as const };
    if (r.status === 'waiting_key') return { ...base, status: 'waiting_key' as const };
    const cv = Number(r.config_version);
    const parsed = r.config_reported ? tryParseJson(r.config_reported, { maxBytes: JSON_LIMITS.envelope }) : null;
    const device = parsed?.ok && isObj(parsed.value) && Array.isArray(parsed.value.levels) ? (parsed.value.levels as unknown[]).find((l) => isObj(l) && l.level === 'device') : undefined;
    if (isObj(device)) {
      if (typeof device.inForce === 'number' && device.inForce >= cv) return { ...base, status: 'applied' as const };
      if (device.version === cv && device.status === 'rejected') {
        const reason = [device.reason, device.detail].filter((x) => typeof x === 'string').join(': ');
        return { ...base, status: 'failed' as const, reason: clip(reason, 300) };
      }
    }
    return { ...base, status: 'delivered' as const };
  });
}
