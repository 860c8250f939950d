import { EventEmitter } from 'node:events';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomic } from '../../kernel/atomic-file';
import { isKioskError } from '../../kernel/errors';
import { boundedJsonParse } from '../../kernel/json/bounded-json';
import { JSON_LIMITS } from '../../kernel/json/limits';
import { sealedChannelSecretsSchema, secretFingerprints, secretValues, type ChannelSecrets, type SealedChannelSecrets } from '../../protocol/payments/channel-secrets';
import { channelSecretsAad, sealedSectionSchema, type SealedSection } from '../../protocol/sealed/channel-section';
import { unseal } from '../../protocol/sealed/seal';
import { readIdentity, secretsDir } from '../trust/identity';
import { loadSealPrivateKey } from '../trust/seal-key';

/** What listeners learn when new channel secrets are in force: the version and fingerprints, never a value. */
export interface ChannelSecretsChange {
  version: number;
  /** `channel.field` → fingerprint (protocol/payments/channel-secrets.ts). */
  fingerprints: Record<string, string>;
  /** The same for the previous values HQ sealed alongside (absent when none). */
  previousFingerprints?: Record<string, string>;
}

export interface ChannelSecretsEvents {
  /** New channel secrets are in force (the next payment uses them; nothing restarts). */
  changed: [ChannelSecretsChange];
}

export type SealedCheck = { ok: true; section: SealedSection; secrets: ChannelSecrets; previous: ChannelSecrets | null } | { ok: false; problem: string };

/** The file the sealed section is kept in, as received (only this kiosk's private key opens it). */
export const channelSecretsPath = (dataDir: string): string => path.join(secretsDir(dataDir), 'channel-secrets.sealed.json');

interface StoredFile {
  v: 1;
  store: string;
  device: string;
  section: SealedSection;
}

/**
 * The payment channels' secrets on the kiosk (issue 15, "channel configuration from HQ").
 *
 * Rules:
 * - HQ delivers them in the `sealed` section of a device-scoped signed config bundle, sealed to this kiosk's X25519
 *   key with AAD = store/device/version (protocol/sealed/channel-section.ts). {@link check} runs while the bundle is
 *   verified: a section this kiosk cannot open (another kiosk's, re-addressed, altered), whose payload is not valid,
 *   or older than the one in force refuses the whole bundle (`invalid_body`, detail `sealed: …`).
 * - The section is kept AS RECEIVED (still sealed) in `secrets/channel-secrets.sealed.json` (0600): at rest only the
 *   private key `secrets/seal.key` opens it. It is adopted when its bundle is APPLIED (between orders, never mid-sale),
 *   and again at boot (a crash between the commit and the file write).
 * - {@link channelSecrets} unseals on every call (nothing is cached in clear), so a rotation is in force for the next
 *   payment without a restart; `changed` tells listeners (the payment channel clients) the version and fingerprints.
 * - A later bundle without a `sealed` section keeps the secrets in force. Nothing here logs a value.
 * - The box also holds HQ's previous values (`previous`, per channel): {@link previous} opens them for one use only —
 *   retrying a request the channel refused for its signature (runtime/payments/channels/hq-keyed-channel.ts).
 */
export class ChannelSecretsStore extends EventEmitter<ChannelSecretsEvents> {
  constructor(private readonly opts: { dataDir: string; identity: { store: string; device: string } }) {
    super();
  }

  /** Whether `section` can be accepted: well-formed, opens with this kiosk's key and AAD, a valid payload, not older. */
  check(section: unknown): SealedCheck {
    const parsed = sealedSectionSchema.safeParse(section);
    if (!parsed.success) {
      const i = parsed.error.issues[0];
      return { ok: false, problem: `sealed${i.path.length ? `.${i.path.join('.')}` : ''}: ${i.message}` };
    }
    const s = parsed.data;
    const current = this.version();
    if (current !== null && s.version < current) return { ok: false, problem: `sealed.version: ${s.version} is older than the channel secrets in force (version ${current})` };
    const opened = this.open(s);
    if (!opened.ok) return opened;
    return { ok: true, section: s, secrets: opened.secrets, previous: opened.previous };
  }

  /**
   * Keeps `section` (already checked) as the secrets in force when it is newer than what is kept; emits `changed`.
   * Returns true when it changed something.
   */
  adopt(section: SealedSection): boolean {
    const current = this.version();
    if (current !== null && section.version <= current) return false;
    const opened = this.open(section);
    if (!opened.ok) return false; // checked at acceptance; a key replaced since then: the old secrets stay
    const file: StoredFile = { v: 1, store: this.opts.identity.store, device: this.opts.identity.device, section };
    writeFileAtomic(channelSecretsPath(this.opts.dataDir), `${JSON.stringify(file)}\n`, 0o600);
    this.emit('changed', describeOpened(section.version, opened));
    return true;
  }

  /** The version in force, or null when HQ never delivered channel secrets. */
  version(): number | null {
    return this.stored()?.section.version ?? null;
  }

  /**
   * The channel secrets in force, unsealed now (never cached, never logged), or null when there are none or they
   * cannot be opened (the sealing key was replaced: HQ must seal them again for the new key).
   */
  channelSecrets(): ChannelSecrets | null {
    const stored = this.stored();
    if (!stored) return null;
    const opened = this.open(stored.section);
    return opened.ok ? opened.secrets : null;
  }

  /**
   * The values each channel had before its newest change, sealed in the same box by HQ (unsealed now, never cached,
   * never logged), or null when HQ sent none. Used ONLY to retry a request the channel refused for its signature
   * (the merchant has not switched the key at the channel yet): see runtime/payments/channels/hq-keyed-channel.ts.
   */
  previous(): ChannelSecrets | null {
    const stored = this.stored();
    if (!stored) return null;
    const opened = this.open(stored.section);
    return opened.ok ? opened.previous : null;
  }

  /** The version and fingerprints in force (and of the previous values) for `kiosk doctor`-like displays and logs, or null. */
  describe(): ChannelSecretsChange | null {
    const stored = this.stored();
    if (!stored) return null;
    const opened = this.open(stored.section);
    return opened.ok ? describeOpened(stored.section.version, opened) : null;
  }

  private stored(): StoredFile | null {
    let raw: Buffer;
    try {
      raw = fs.readFileSync(channelSecretsPath(this.opts.dataDir));
    } catch {
      return null;
    }
    try {
      const v = boundedJsonParse(raw, { maxBytes: JSON_LIMITS.localStateFile }) as Partial<StoredFile>;
      const section = sealedSectionSchema.safeParse(v.section);
      if (v.v !== 1 || v.store !== this.opts.identity.store || v.device !== this.opts.identity.device || !section.success) return null;
      return { v: 1, store: v.store, device: v.device, section: section.data };
    } catch {
      return null;
    }
  }

  private open(s: SealedSection): { ok: true; secrets: ChannelSecrets; previous: ChannelSecrets | null } | { ok: false; problem: string } {
    const { store, device } = this.opts.identity;
    let plain: Buffer;
    try {
      plain = unseal(loadSealPrivateKey(this.opts.dataDir), s.box, channelSecretsAad(store, device, s.version));
    } catch (e) {
      if (!isKioskError(e)) throw e;
      return { ok: false, problem: `sealed: cannot be opened by ${store}/${device}: ${e.message}` };
    }
    let json: unknown;
    try {
      json = boundedJsonParse(plain, { maxBytes: JSON_LIMITS.localStateFile });
    } catch {
      return { ok: false, problem: 'sealed: the sealed payload is not JSON' };
    }
    const parsed = sealedChannelSecretsSchema.safeParse(json);
    // the path only: a message could quote the (secret) value
    if (!parsed.success) return { ok: false, problem: `sealed: payload field ${parsed.error.issues[0].path.join('.') || '(root)'} is not valid` };
    const { previous, ...secrets }: SealedChannelSecrets = parsed.data;
    return { ok: true, secrets, previous: previous ?? null };
  }
}

function describeOpened(version: number, opened: { secrets: ChannelSecrets; previous: ChannelSecrets | null }): ChannelSecretsChange {
  return { version, fingerprints: secretFingerprints(opened.secrets), ...(opened.previous ? { previousFingerprints: secretFingerprints(opened.previous) } : {}) };
}

/**
 * Every secret value this kiosk holds in clear once unsealed (for the support bundle's redactor); [] when none. The
 * identity is the provisioned one (identity.json) when there is one, whatever config the caller was given.
 */
export function heldChannelSecretValues(dataDir: string, identity: { store: string; device: string }): string[] {
  let who = identity;
  try {
    const provisioned = readIdentity(dataDir);
    if (provisioned) who = { store: provisioned.store, device: provisioned.device };
  } catch {
    /* unreadable identity: the config's ids */
  }
  const held = new ChannelSecretsStore({ dataDir, identity: who });
  const secrets = held.channelSecrets();
  if (!secrets) return [];
  const previous = held.previous();
  // the secret fields only (merchant ids are shown everywhere), the previous values too; each whole, trimmed, line by
  // line, in base64 and in hex (either case: a Buffer logged as hex)
  return [...secretValues(secrets), ...(previous ? secretValues(previous) : [])].flatMap((v) => {
    const hex = Buffer.from(v).toString('hex');
    return [v, v.trim(), ...v.split('\n').filter((l) => l.trim().length >= 16 && !l.startsWith('-----')), Buffer.from(v).toString('base64'), hex, hex.toUpperCase()];
  });
}
