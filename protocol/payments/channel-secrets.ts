import { createHash } from 'node:crypto';
import { z } from 'zod';

/**
 * The payment channels' merchant credentials HQ delivers to a kiosk, sealed to the kiosk's own key
 * (protocol/sealed/seal.ts). This payload exists in clear only inside HQ's process (entered, then encrypted at rest)
 * and inside the kiosk's process (unsealed on demand): it is never logged, journaled, published in clear or written
 * in clear. The ONLY thing shown or logged about a secret value is its {@link fingerprint}.
 */

/** An id the channel assigned (app id, merchant id): printable ASCII, bounded. */
const merchantId = z.string().regex(/^[\x21-\x7e]{1,64}$/, { error: 'expected an id of 1-64 printable characters' });
/** A PEM block (key or certificate), bounded. */
const pem = z
  .string()
  .max(16_384)
  .regex(/^-----BEGIN [A-Z0-9 ]+-----\r?\n[\s\S]+\r?\n-----END [A-Z0-9 ]+-----\s*$/, { error: 'expected a PEM block' });
/** WeChat Pay's API key (v2 signing key, 32 characters; bounded generously). */
const apiKey = z.string().regex(/^[\x21-\x7e]{16,128}$/, { error: 'expected 16-128 printable characters' });

export const alipaySecretsSchema = z.object({ appId: merchantId, merchantPrivateKeyPem: pem, gatewayPublicKeyPem: pem }).strict();
export const wechatSecretsSchema = z.object({ appId: merchantId, mchId: merchantId, apiKey, clientCertPem: pem, clientKeyPem: pem }).strict();
export const unionpaySecretsSchema = z.object({ merId: merchantId, signKeyPem: pem, signCertPem: pem }).strict();

export const channelSecretsSchema = z
  .object({ alipay: alipaySecretsSchema.optional(), wechat: wechatSecretsSchema.optional(), unionpay: unionpaySecretsSchema.optional() })
  .strict();

export type ChannelSecrets = z.infer<typeof channelSecretsSchema>;

/**
 * What is sealed to a kiosk: the values in force and, under `previous`, the values each channel had before its
 * newest change (HQ's previous version, same box, never in clear). The kiosk signs with the values in force and
 * retries a request with `previous` only when the channel refused its signature (rotation without downtime: the
 * merchant may switch the key at the channel before or after the kiosks apply the new version).
 */
export const sealedChannelSecretsSchema = z.object({ ...channelSecretsSchema.shape, previous: channelSecretsSchema.optional() }).strict();
export type SealedChannelSecrets = z.infer<typeof sealedChannelSecretsSchema>;
export type SecretChannel = keyof ChannelSecrets;
export const SECRET_CHANNELS: readonly SecretChannel[] = ['alipay', 'wechat', 'unionpay'];

/** The fields of each channel that are secret (the rest are merchant ids, shown as they are). */
export const SECRET_FIELDS: { [C in SecretChannel]: readonly (keyof NonNullable<ChannelSecrets[C]>)[] } = {
  alipay: ['merchantPrivateKeyPem', 'gatewayPublicKeyPem'],
  wechat: ['apiKey', 'clientCertPem', 'clientKeyPem'],
  unionpay: ['signKeyPem', 'signCertPem'],
};

/** The fields of each channel that identify the merchant (shown in clear). */
export const ID_FIELDS: { [C in SecretChannel]: readonly (keyof NonNullable<ChannelSecrets[C]>)[] } = {
  alipay: ['appId'],
  wechat: ['appId', 'mchId'],
  unionpay: ['merId'],
};

/** A secret's fingerprint: the first 8 bytes of its SHA-256, in hex. The only thing ever shown or logged about a secret. */
export function fingerprint(secret: string | Buffer): string {
  return createHash('sha256').update(secret).digest('hex').slice(0, 16);
}

/** Every secret field of `secrets` as `channel.field` → fingerprint (merchant ids are not in it). */
export function secretFingerprints(secrets: ChannelSecrets): Record<string, string> {
  const out: Record<string, string> = {};
  for (const channel of SECRET_CHANNELS) {
    const c = secrets[channel] as Record<string, string> | undefined;
    if (!c) continue;
    for (const field of SECRET_FIELDS[channel] as readonly string[]) out[`${channel}.${field}`] = fingerprint(c[field]);
  }
  return out;
}

/** Every secret value in `secrets` (for scanners and redactors: the values to look for, never to print). */
export function secretValues(secrets: ChannelSecrets): string[] {
  const out: string[] = [];
  for (const channel of SECRET_CHANNELS) {
    const c = secrets[channel] as Record<string, string> | undefined;
    if (!c) continue;
    for (const field of SECRET_FIELDS[channel] as readonly string[]) out.push(c[field]);
  }
  return out;
}
