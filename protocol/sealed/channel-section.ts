import { createHash } from 'node:crypto';
import { z } from 'zod';
import { rawX25519Public, parseSealPublicKeyPem, sealedSchema } from './seal';

/**
 * The `sealed` section of a device-scoped config bundle body: the payment channels' secrets
 * (protocol/payments/channel-secrets.ts) sealed to that one kiosk's X25519 key.
 *
 * `{v: 1, version, box: {alg, epk, iv, ct, tag}}`. `version` is HQ's channel-secrets version for this kiosk (it grows
 * with every change that reaches the kiosk). The AAD of the box is {@link channelSecretsAad}: the store, device and
 * version, so a box cannot be re-addressed to another kiosk nor replayed as another version. The section is not a
 * config section: the kiosk takes it out before merging config (config/bundle-validation.ts).
 */
export const sealedSectionSchema = z
  .object({
    v: z.literal(1),
    version: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
    box: sealedSchema,
  })
  .strict();

export type SealedSection = z.infer<typeof sealedSectionSchema>;

/** What the box's AAD binds: who it is for and which version. */
export function channelSecretsAad(store: string, device: string, version: number): string {
  return `kiosk-channel-secrets/v1\n${store}/${device}\n${version}`;
}

/** The problem with a `sealed` section's shape (`sealed.box.iv: …`), or null. */
export function sealedSectionProblem(value: unknown): string | null {
  const parsed = sealedSectionSchema.safeParse(value);
  if (parsed.success) return null;
  const i = parsed.error.issues[0];
  return `sealed${i.path.length ? `.${i.path.join('.')}` : ''}: ${i.message}`;
}

/** A kiosk sealing key's fingerprint: the first 8 bytes (hex) of SHA-256 over its 32 raw public bytes. */
export function sealKeyFingerprint(publicKeyPem: string): string {
  return createHash('sha256').update(rawX25519Public(parseSealPublicKeyPem(publicKeyPem))).digest('hex').slice(0, 16);
}
