import * as fs from 'node:fs';
import * as path from 'node:path';
import type { KeyObject } from 'node:crypto';
import { z } from 'zod';
import { KioskError } from '../../kernel/errors';
import { keyIdOf, parsePublicKeyPem, type TrustedKeys } from '../../protocol/signed-envelope';
import { writeFileAtomic } from '../../kernel/atomic-file';
import { boundedJsonParse } from '../../kernel/json/bounded-json';
import { JSON_LIMITS } from '../../kernel/json/limits';

/** A change of trusted keys, as announced in a config bundle's `trust` field. */
export interface TrustChange {
  /** PEM (SPKI) Ed25519 public keys to trust from now on. */
  add?: string[];
  /** keyIds to stop trusting. */
  remove?: string[];
}

export const trustChangeSchema = z
  .object({
    add: z.array(z.string({ error: 'expected a PEM public key' }), { error: 'expected a list of PEM public keys' }).optional(),
    remove: z.array(z.string().regex(/^[0-9a-f]{16}$/, { error: 'expected a keyId (16 hex digits)' }), { error: 'expected a list of keyIds' }).optional(),
  })
  .strict();

export interface TrustedKeyEntry {
  keyId: string;
  /** PEM file name inside the trust folder. */
  file: string;
  addedAt: string;
  source: 'provision' | 'bundle';
}

const indexSchema = z.object({
  v: z.literal(1),
  keys: z.array(z.object({ keyId: z.string(), file: z.string(), addedAt: z.string(), source: z.enum(['provision', 'bundle']) })),
});

/**
 * The HQ public keys this kiosk trusts: `<dataDir>/trust/<keyId>.pub` PEM files and `<dataDir>/trust/index.json`
 * listing them. Only keys listed in the index are trusted.
 *
 * Rules: keys are installed at provisioning (`install`); afterwards a key is added or removed only through
 * `applyChange`, which the config bundle manager calls for a bundle that passed every check. Removing the last key
 * is refused. Every write is atomic (temp file + rename); PEM files are written before the index that names them.
 */
export class TrustStore implements TrustedKeys {
  private keys = new Map<string, KeyObject>();
  private index: TrustedKeyEntry[] = [];

  private constructor(readonly dir: string) {}

  /** Loads `<dataDir>/trust/` (an empty store when it does not exist yet). Throws KioskError TRUST_INVALID if corrupt. */
  static open(dataDir: string): TrustStore {
    const store = new TrustStore(path.join(dataDir, 'trust'));
    store.load();
    return store;
  }

  private get indexFile(): string {
    return path.join(this.dir, 'index.json');
  }

  private load(): void {
    this.keys.clear();
    this.index = [];
    if (!fs.existsSync(this.indexFile)) return;
    let parsed;
    try {
      parsed = indexSchema.parse(boundedJsonParse(fs.readFileSync(this.indexFile), { maxBytes: JSON_LIMITS.localStateFile }));
    } catch (e) {
      throw new KioskError('TRUST_INVALID', `trust index ${this.indexFile} is unreadable: ${(e as Error).message}`);
    }
    for (const entry of parsed.keys) {
      const key = parsePublicKeyPem(fs.readFileSync(path.join(this.dir, entry.file), 'utf8'));
      if (keyIdOf(key) !== entry.keyId) throw new KioskError('TRUST_INVALID', `trust file ${entry.file} does not hold key ${entry.keyId}`);
      this.keys.set(entry.keyId, key);
    }
    this.index = parsed.keys;
  }

  get(keyId: string): KeyObject | undefined {
    return this.keys.get(keyId);
  }

  keyIds(): string[] {
    return this.index.map((e) => e.keyId);
  }

  entries(): TrustedKeyEntry[] {
    return this.index.map((e) => ({ ...e }));
  }

  /**
   * Provisioning: trusts these PEM keys. `replace` drops every key trusted before (re-provisioning with --force).
   * Returns the keyIds installed. Throws KioskError TRUST_INVALID for a key that is not an Ed25519 public key.
   */
  install(pems: string[], opts: { replace: boolean; now: number }): string[] {
    if (pems.length === 0) throw new KioskError('TRUST_INVALID', 'at least one trusted HQ key is required');
    const keys = pems.map((pem, i) => {
      try {
        return parsePublicKeyPem(pem);
      } catch (e) {
        throw new KioskError('TRUST_INVALID', `trusted key #${i + 1}: ${(e as Error).message}`);
      }
    });
    const base = opts.replace ? [] : this.index;
    this.write(base, keys, [], 'provision', opts.now);
    return keys.map(keyIdOf);
  }

  /** Why `change` cannot be applied (`trust.add.0: …`), or null when it can. Writes nothing. */
  checkChange(change: TrustChange): string | null {
    const added = new Set<string>();
    for (const [i, pem] of (change.add ?? []).entries()) {
      try {
        added.add(keyIdOf(parsePublicKeyPem(pem)));
      } catch (e) {
        return `trust.add.${i}: expected an Ed25519 public key (PEM), ${(e as Error).message}`;
      }
    }
    const remaining = new Set([...this.keys.keys(), ...added]);
    for (const id of change.remove ?? []) remaining.delete(id);
    if (remaining.size === 0) return 'trust.remove: refusing to remove the last trusted key';
    return null;
  }

  /** Applies a change checked by `checkChange` (idempotent: adding a trusted key or removing an unknown one is a no-op). */
  applyChange(change: TrustChange, now: number): void {
    const problem = this.checkChange(change);
    if (problem) throw new KioskError('TRUST_INVALID', problem);
    const add = (change.add ?? []).map((pem) => parsePublicKeyPem(pem));
    this.write(this.index, add, change.remove ?? [], 'bundle', now);
  }

  private write(base: TrustedKeyEntry[], add: KeyObject[], remove: string[], source: TrustedKeyEntry['source'], now: number): void {
    const removed = new Set(remove);
    const next = base.filter((e) => !removed.has(e.keyId));
    for (const key of add) {
      const keyId = keyIdOf(key);
      if (removed.has(keyId) || next.some((e) => e.keyId === keyId)) continue;
      const file = `${keyId}.pub`;
      writeFileAtomic(path.join(this.dir, file), key.export({ type: 'spki', format: 'pem' }).toString(), 0o644);
      next.push({ keyId, file, addedAt: new Date(now).toISOString(), source });
    }
    if (next.length === 0) throw new KioskError('TRUST_INVALID', 'refusing to remove the last trusted key');
    writeFileAtomic(this.indexFile, `${JSON.stringify({ v: 1, keys: next }, null, 2)}\n`, 0o644);
    const kept = new Set(next.map((e) => e.file));
    for (const e of this.index) if (!kept.has(e.file)) fs.rmSync(path.join(this.dir, e.file), { force: true });
    this.load();
  }
}
