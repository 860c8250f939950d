/**
 * Alipay as a `QrChannel` (channel 'alipay'): Alipay's open API through the signed `GatewayClient`, with the trade
 * logic of `QrGatewayProvider` (result codes in ./result-codes.ts, yuan amounts in ./yuan.ts). out_trade_no is the
 * attempt id (`channelOrderNo('alipay', attemptId)`); an approved reference is
 * `{ gateway: 'qr', channel: 'alipay', outTradeNo, tradeNo }`.
 */
import type { Clock } from '../../../kernel/clock';
import { failpoint } from '../../../kernel/failpoints';
import type { ChannelId, QrChannel, QrChannelOptions } from '../channels/qr-channel';
import type { GatewayClient } from '../gateway/gateway-client';
import { PROMPT_SCAN_QR, QrGatewayProvider } from '../gateway/qr-provider';
import type { LookupRequest, LookupResult, PaymentRequest, PaymentResult, RefundOutcome, RefundRequest } from '../provider';

export interface AlipayChannelOptions extends QrChannelOptions {
  /** The signed open-API client (app id, merchant private key, Alipay public key, gateway URL). */
  client: GatewayClient;
  clock: Clock;
  /** Subject line (`subject`) of a trade; default `order <orderId>`. */
  subject?: (req: PaymentRequest) => string;
  /** Timeout of the `available()` probe; default 2 000 ms. */
  probeTimeoutMs?: number;
}

export class AlipayChannel implements QrChannel {
  readonly channel: ChannelId = 'alipay';
  private readonly trades: QrGatewayProvider;

  constructor(private readonly opts: AlipayChannelOptions) {
    this.trades = new QrGatewayProvider({
      client: opts.client,
      clock: opts.clock,
      method: 'alipay',
      ...(opts.pollMs !== undefined ? { pollMs: opts.pollMs } : {}),
      ...(opts.waitDeadlineMs !== undefined ? { waitDeadlineMs: opts.waitDeadlineMs } : {}),
      ...(opts.qrDeadlineMs !== undefined ? { qrDeadlineMs: opts.qrDeadlineMs } : {}),
      ...(opts.onPrompt ? { onPrompt: opts.onPrompt } : {}),
      ...(opts.subject ? { subject: opts.subject } : {}),
      ...(opts.probeTimeoutMs !== undefined ? { probeTimeoutMs: opts.probeTimeoutMs } : {}),
    });
  }

  payWithCode(req: PaymentRequest, authCode: string, signal: AbortSignal): Promise<PaymentResult> {
    return this.trades.payWithCode(req, authCode, signal);
  }

  async payByQr(req: PaymentRequest, show: (qrCode: string) => void, signal: AbortSignal): Promise<PaymentResult> {
    const { qrCode } = await this.trades.precreate(req, signal);
    failpoint('payment.after-send');
    show(qrCode);
    this.opts.onPrompt?.(PROMPT_SCAN_QR);
    return this.trades.awaitPayment(req, this.opts.qrDeadlineMs ?? 120_000, signal);
  }

  lookup(attempt: LookupRequest): Promise<LookupResult> {
    return this.trades.lookup(attempt);
  }

  refund(req: RefundRequest): Promise<RefundOutcome> {
    return this.trades.refund(req);
  }

  available(): Promise<boolean> {
    return this.trades.available();
  }

  /**
   * A notify_url body (alipay trade_status_sync): verified; a paid trade ends a waiting payment; a repeat (same
   * notify_id) is `duplicate` and changes nothing. `reply` (`success`) is the answer to send either way.
   */
  acceptNotification(rawBody: string): { duplicate: boolean; reply: string } {
    return this.trades.acceptNotification(rawBody);
  }
}
