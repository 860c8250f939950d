/**
 * A wallet channel whose merchant credentials come from HQ, sealed to this kiosk's key (config transport `hq`):
 * the real channel is built from the secrets in force and built again when HQ rotates them (a new version applies
 * from the next call: HQ's bundles come into force between orders). Until the first secrets arrive the channel
 * refuses before sending anything and says why; `available()` is false, so the lane offers no QR pay through it.
 *
 * Rotation without downtime: the channel checks ONE key at a time, and the merchant switches it there before or
 * after the kiosks apply HQ's new version. HQ seals the previous values alongside (`previous`); when the keyed
 * secrets offer them, a second channel is built from them and handed to the channel in force
 * ({@link PreviousKeyFallback}): a request the channel refuses FOR ITS SIGNATURE (nothing processed) is sent again,
 * the same request, once with the previous key, and that payment's follow-ups keep the key that worked. The first
 * time the previous key works for a version, one warning names both keys' fingerprints (never a value).
 */
import { KioskError } from '../../../kernel/errors';
import { secretFingerprints, type ChannelSecrets } from '../../../protocol/payments/channel-secrets';
import type { AttemptContext } from '../../orders/events';
import type { LookupRequest, LookupResult, PaymentRequest, PaymentResult, RefundOutcome, RefundRequest } from '../provider';
import type { ChannelId, QrChannel } from './qr-channel';
import { channelName } from './wallets';

export interface KeyedSecrets<S> {
  /** Increases with every rotation; null while none arrived. Cheap: asked on every call. */
  version(): number | null;
  /** The secrets in force (unsealed on demand: asked only when the version changed; never kept here). */
  secrets(): S | null;
  /** The values before the newest change, sealed alongside by HQ (asked only when the version changed); null when none. */
  previous?(): S | null;
}

/** A channel that can retry a request refused for its signature with the client of the previous values. */
export interface PreviousKeyFallback {
  /**
   * From now on a request the channel refuses for its signature is sent again once through `previous` (the same
   * channel kind, built from the previous values); `onUsed` is called each time the previous key was the one that
   * worked.
   */
  fallBackTo(previous: QrChannel, onUsed: () => void): void;
}

/** Where the one warning goes (a pino logger fits). */
export interface WarnLog {
  warn(obj: Record<string, unknown>, msg: string): void;
}

const canFallBack = (c: QrChannel): c is QrChannel & PreviousKeyFallback => typeof (c as Partial<PreviousKeyFallback>).fallBackTo === 'function';

export class HqKeyedChannel<S> implements QrChannel {
  private built: { version: number; channel: QrChannel } | null = null;

  constructor(
    readonly channel: ChannelId,
    private readonly keys: KeyedSecrets<S>,
    private readonly build: (secrets: S) => QrChannel,
    private readonly opts: { log?: WarnLog } = {},
  ) {}

  /** The channel for the secrets in force, or null while HQ has sent none. */
  private now(): QrChannel | null {
    const version = this.keys.version();
    if (version === null) return null;
    if (this.built?.version !== version) {
      const secrets = this.keys.secrets();
      if (!secrets) return null;
      const channel = this.build(secrets);
      const previous = this.keys.previous?.() ?? null;
      // identical values (e.g. only another channel changed) give nothing to fall back to
      if (previous && JSON.stringify(previous) !== JSON.stringify(secrets) && canFallBack(channel)) {
        let warned = false;
        const fps = (s: S) => secretFingerprints({ [this.channel]: s } as ChannelSecrets);
        const inForce = fps(secrets);
        const before = fps(previous);
        channel.fallBackTo(this.build(previous), () => {
          if (warned) return;
          warned = true;
          this.opts.log?.warn(
            { channel: this.channel, version, inForce, previous: before },
            `${channelName(this.channel)} still holds the previous key: a request refused for its signature went through with HQ's previous values; switch the key at the channel`,
          );
        });
      }
      this.built = { version, channel };
    }
    return this.built.channel;
  }

  private need(): QrChannel {
    const c = this.now();
    if (!c) throw new KioskError('DEVICE_OFFLINE', `${channelName(this.channel)}: the merchant credentials have not arrived from HQ yet`, { unknownOutcome: false });
    return c;
  }

  async prepare(req: PaymentRequest): Promise<AttemptContext> {
    return (await this.need().prepare?.(req)) ?? {};
  }

  async payWithCode(req: PaymentRequest, authCode: string, signal: AbortSignal): Promise<PaymentResult> {
    return this.need().payWithCode(req, authCode, signal);
  }

  async payByQr(req: PaymentRequest, show: (qrCode: string) => void, signal: AbortSignal): Promise<PaymentResult> {
    return this.need().payByQr(req, show, signal);
  }

  async lookup(attempt: LookupRequest): Promise<LookupResult> {
    const c = this.now();
    return c ? c.lookup(attempt) : { outcome: 'unknown' };
  }

  async refund(req: RefundRequest): Promise<RefundOutcome> {
    return this.need().refund(req);
  }

  async available(): Promise<boolean> {
    const c = this.now();
    return c ? c.available() : false;
  }
}
