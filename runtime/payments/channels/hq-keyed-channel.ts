/**
 * A wallet channel whose merchant credentials come from HQ, sealed to this kiosk's key (config transport `hq`):
 * the real channel is built from the secrets in force and built again when HQ rotates them (a new version applies
 * from the next call: HQ's bundles come into force between orders). Until the first secrets arrive the channel
 * refuses before sending anything and says why; `available()` is false, so the lane offers no QR pay through it.
 */
import { KioskError } from '../../../kernel/errors';
import type { AttemptContext } from '../../orders/events';
import type { LookupRequest, LookupResult, PaymentRequest, PaymentResult, RefundOutcome, RefundRequest } from '../provider';
import type { ChannelId, QrChannel } from './qr-channel';
import { channelName } from './wallets';

export interface KeyedSecrets<S> {
  /** Increases with every rotation; null while none arrived. Cheap: asked on every call. */
  version(): number | null;
  /** The secrets in force (unsealed on demand: asked only when the version changed; never kept here). */
  secrets(): S | null;
}

export class HqKeyedChannel<S> implements QrChannel {
  private built: { version: number; channel: QrChannel } | null = null;

  constructor(
    readonly channel: ChannelId,
    private readonly keys: KeyedSecrets<S>,
    private readonly build: (secrets: S) => QrChannel,
  ) {}

  /** The channel for the secrets in force, or null while HQ has sent none. */
  private now(): QrChannel | null {
    const version = this.keys.version();
    if (version === null) return null;
    if (this.built?.version !== version) {
      const secrets = this.keys.secrets();
      if (!secrets) return null;
      this.built = { version, channel: this.build(secrets) };
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
