import type { Tx } from '../../kernel/sqlite/database';
import { sealKeyFingerprint } from '../../protocol/sealed/channel-section';

/** A kiosk's sealing public key as HQ keeps it (kiosk_seal_keys, schema v12). */
export interface KioskSealKey {
  store_id: string;
  device_id: string;
  public_key: string;
  fingerprint: string;
  first_seen: number;
  updated_at: number;
}

const MAX_PEM = 1024;

/** The fingerprint of a birth's `sealKey` when it is a bounded X25519 public key PEM; null for anything else. */
export function validSealKey(value: unknown): string | null {
  if (typeof value !== 'string' || value.length > MAX_PEM) return null;
  try {
    return sealKeyFingerprint(value);
  } catch {
    return null;
  }
}

/**
 * Records the sealing key a kiosk announced in its birth (called with the fleet row, in the same transaction). A
 * kiosk's state topic is its own (the broker's ACL): the key is the one that kiosk holds. A changed key replaces the
 * old one; a malformed one is ignored.
 */
export async function recordSealKey(tx: Tx, storeId: string, deviceId: string, pem: unknown, now: number): Promise<void> {
  const fp = validSealKey(pem);
  if (fp === null) return;
  await tx.run(
    `INSERT INTO kiosk_seal_keys (store_id, device_id, public_key, fingerprint, first_seen, updated_at) VALUES (?, ?, ?, ?, ?, ?)
     ON CONFLICT (store_id, device_id) DO UPDATE SET public_key = excluded.public_key, fingerprint = excluded.fingerprint, updated_at = excluded.updated_at
     WHERE kiosk_seal_keys.fingerprint <> excluded.fingerprint`,
    [storeId, deviceId, pem as string, fp, now, now],
  );
}

export function sealKeys(tx: Tx): Promise<KioskSealKey[]> {
  return tx.all<KioskSealKey>('SELECT store_id, device_id, public_key, fingerprint, first_seen, updated_at FROM kiosk_seal_keys ORDER BY store_id, device_id');
}
