/**
 * QR pay with a code the kiosk shows (merchant-presented: Alipay precreate, WeChat Pay NATIVE, UnionPay 主扫): the
 * `qr_merchant` payment method, through the one channel the store chose. The channel is committed with the attempt
 * (`prepare`) like the router's, so a crash is settled by asking that channel, and a refund goes back through the
 * channel that took the money even after the store switched to another.
 */
import { KioskError } from '../../../kernel/errors';
import type { AttemptContext } from '../../orders/events';
import type { LookupRequest, LookupResult, PaymentProvider, PaymentRequest, PaymentResult, RefundOutcome, RefundRequest } from '../provider';
import type { ChannelId, QrChannel } from './qr-channel';
import { channelName, walletOf } from './wallets';

export class MerchantQrProvider implements PaymentProvider {
  readonly method = 'qr_merchant';

  constructor(
    private readonly opts: {
      channels: ReadonlyMap<ChannelId, QrChannel>;
      /** The channel whose code the kiosk shows. */
      present: ChannelId;
      /** Shows the attempt's code on the shopper's screen. */
      show: (qrCode: string, req: PaymentRequest) => void;
      /** Channel of attempts journaled before channels were recorded. */
      legacyChannel?: ChannelId;
    },
  ) {
    if (!opts.channels.has(opts.present)) throw new KioskError('CONFIG_INVALID', `merchant-presented QR through ${channelName(opts.present)}, which is not configured`);
  }

  async prepare(req: PaymentRequest): Promise<AttemptContext> {
    const own = (await this.opts.channels.get(this.opts.present)!.prepare?.(req)) ?? {};
    return { ...own, channel: this.opts.present };
  }

  pay(req: PaymentRequest, signal: AbortSignal): Promise<PaymentResult> {
    return this.opts.channels.get(this.opts.present)!.payByQr(req, (code) => this.opts.show(code, req), signal);
  }

  async lookup(attempt: LookupRequest): Promise<LookupResult> {
    const c = this.of(typeof attempt.context?.channel === 'string' ? attempt.context.channel : undefined);
    return c ? c.lookup(attempt) : { outcome: 'unknown' };
  }

  async refund(req: RefundRequest): Promise<RefundOutcome> {
    const c = this.of(typeof req.reference?.channel === 'string' ? req.reference.channel : undefined);
    return c ? c.refund(req) : { outcome: 'declined', reason: 'the wallet that took this payment is not configured at this lane' };
  }

  private of(name: string | undefined): QrChannel | undefined {
    const id = (name ? walletOf(name) : null) ?? this.opts.legacyChannel;
    return id ? this.opts.channels.get(id) : undefined;
  }
}
