/**
 * Alipay as a `QrChannel` (channel 'alipay'): Alipay's open API through the signed `GatewayClient`, with the trade
 * logic of `QrGatewayProvider` (result codes in ./result-codes.ts, yuan amounts in ./yuan.ts). out_trade_no is the
 * attempt id (`channelOrderNo('alipay', attemptId)`); an approved reference is
 * `{ gateway: 'qr', channel: 'alipay', outTradeNo, tradeNo }`.
 *
 * Key switch (rotation without downtime): with {@link AlipayChannel.fallBackTo} (HQ's previous values) a request
 * the gateway refuses for its signature (`40002` / `isv.invalid-signature`: not processed) is sent again once, the
 * same request, with the previous app private key; when that works, later requests of the same out_trade_no start
 * with the previous key. Refused with both: the refusal stands (a definite decline, result-codes.ts). Any other
 * answer or error is never retried with the other key.
 */
import type { Clock } from '../../../kernel/clock';
import { failpoint } from '../../../kernel/failpoints';
import type { ChannelId, QrChannel, QrChannelOptions } from '../channels/qr-channel';
import type { GatewayClient, GatewayMethod, GatewayResponse } from '../gateway/gateway-client';
import type { PreviousKeyFallback } from '../channels/hq-keyed-channel';
import { refusedForSignature } from './result-codes';
import { PROMPT_SCAN_QR, QrGatewayProvider } from '../gateway/qr-provider';
import type { LookupRequest, LookupResult, PaymentRequest, PaymentResult, RefundOutcome, RefundRequest } from '../provider';
import { KeyOrder } from '../channels/key-order';

export interface AlipayChannelOptions extends QrChannelOptions {
  /** The signed open-API client (app id, merchant private key, Alipay public key, gateway URL). */
  client: GatewayClient;
  clock: Clock;
  /** Subject line (`subject`) of a trade; default `order <orderId>`. */
  subject?: (req: PaymentRequest) => string;
  /** Timeout of the `available()` probe; default 2 000 ms. */
  probeTimeoutMs?: number;
}

export class AlipayChannel implements QrChannel, PreviousKeyFallback {
  readonly channel: ChannelId = 'alipay';
  private readonly trades: QrGatewayProvider;
  private previous: { client: GatewayClient; onUsed: () => void } | null = null;
  private readonly keyOrder = new KeyOrder<GatewayClient>();

  constructor(private readonly opts: AlipayChannelOptions) {
    // the trade logic calls the gateway through `call` below (the client in force, else the previous one on a
    // refused signature); everything else of the client (notifications) is the client in force
    const client = Object.create(opts.client) as GatewayClient;
    client.call = (method, biz, options) => this.call(method, biz, options);
    this.trades = new QrGatewayProvider({
      client,
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

  /** Requests refused for their signature are retried once with `previous`'s client (HQ's previous values). */
  fallBackTo(previous: QrChannel, onUsed: () => void): void {
    if (previous instanceof AlipayChannel) this.previous = { client: previous.opts.client, onUsed };
  }

  private async call(method: GatewayMethod, biz: Record<string, unknown>, options?: { signal?: AbortSignal; timeoutMs?: number }): Promise<GatewayResponse> {
    const previous = this.previous;
    if (!previous) return this.opts.client.call(method, biz, options);
    const id = typeof biz.out_trade_no === 'string' ? biz.out_trade_no : undefined;
    const [first, second] = this.keyOrder.order(id, this.opts.client, previous.client);
    const answer = await first.call(method, biz, options); // an error (lost answer, timeout) keeps its own rules
    if (!refusedForSignature(answer)) return answer;
    // refused for the signature: not processed. The same request once more with the other key.
    const again = await second.call(method, biz, options);
    if (refusedForSignature(again)) return again;
    this.keyOrder.settled(id, second, previous.client, previous.onUsed);
    return again;
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
