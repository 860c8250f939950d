/**
 * QR pay with the shopper's payment code (付款码), whatever wallet it is from: the `qr` payment method.
 *
 * `prepare` waits for the code the lane scanner reads, tells the wallet by the code's prefix and length (the barcode
 * rules: Alipay 16–24 digits starting 25–30, WeChat Pay 18 digits starting 10–15, UnionPay 19 digits starting 62 —
 * config/barcode-rules.ts) and answers the channel as the attempt's context, so it is committed before anything is
 * sent: after a crash `lookup` asks that channel, and only that one. A code of a wallet this lane does not take is
 * refused on the screen (`wallet_not_accepted`) and the lane keeps waiting for another code until the deadline; so is
 * a code that matches no wallet at all (the lane hands it on as `NO_WALLET`, without its digits, while this waits):
 * `payment_code_unknown`, "not a payment code we know".
 * `pay` hands the code to the channel (once; the code is a one-time bearer credential and is never stored or
 * logged), `refund` goes back through the channel that took the money.
 */
import type { Clock } from '../../../kernel/clock';
import { KioskError } from '../../../kernel/errors';
import type { PaymentPrompt } from '../../../protocol/screen';
import type { AttemptContext } from '../../orders/events';
import type { PaymentCode } from '../payment-code-inbox';
import type { LookupRequest, LookupResult, PaymentProvider, PaymentRequest, PaymentResult, RefundOutcome, RefundRequest } from '../provider';
import type { ChannelId, QrChannel } from './qr-channel';
import { NO_WALLET, channelName, walletOf } from './wallets';

export const PROMPT_WALLET_NOT_ACCEPTED: PaymentPrompt = { code: 'wallet_not_accepted', text: 'payment code of a wallet this lane does not take' };
export const PROMPT_PAYMENT_CODE_UNKNOWN: PaymentPrompt = { code: 'payment_code_unknown', text: "a code that matches no wallet's payment-code rule" };

export interface QrRouterOptions {
  /** The channels this lane takes, by id. */
  channels: ReadonlyMap<ChannelId, QrChannel>;
  /** The next payment code the scanner reads. */
  readCode: (signal: AbortSignal) => Promise<PaymentCode>;
  clock: Clock;
  /** How long the shopper has to show a code the lane takes; default 60 000 ms. */
  codeDeadlineMs?: number;
  onPrompt?: (prompt: PaymentPrompt) => void;
  /** Channel of attempts journaled before channels were recorded (they were all the Alipay gateway's). */
  legacyChannel?: ChannelId;
}

export class QrRouter implements PaymentProvider {
  readonly method = 'qr';
  /** attemptId → the code read for it, until `pay` takes it. */
  private readonly codes = new Map<string, { channel: ChannelId; code: string }>();

  constructor(private readonly opts: QrRouterOptions) {}

  /** Waits for a payment code of a wallet the lane takes; its channel becomes the attempt's context. */
  async prepare(req: PaymentRequest, signal: AbortSignal): Promise<AttemptContext> {
    const { clock } = this.opts;
    const deadline = new AbortController();
    const timer = clock.setTimeout(() => deadline.abort(), this.opts.codeDeadlineMs ?? 60_000);
    const stop = () => deadline.abort();
    signal.addEventListener('abort', stop, { once: true });
    try {
      for (;;) {
        let read: PaymentCode;
        try {
          read = await this.opts.readCode(deadline.signal);
        } catch (e) {
          if (signal.aborted) throw new KioskError('TIMEOUT', 'cancelled by the shopper before a payment code was shown');
          throw e;
        }
        const channel = walletOf(read.channel);
        const wallet = channel ? this.opts.channels.get(channel) : undefined;
        if (channel && wallet) {
          const own = (await wallet.prepare?.(req)) ?? {};
          this.codes.set(req.attemptId, { channel, code: read.code });
          return { ...own, channel };
        }
        // no wallet's code at all, or a wallet this lane does not take: say so, and wait for another code
        if (read.channel === NO_WALLET) this.opts.onPrompt?.(PROMPT_PAYMENT_CODE_UNKNOWN);
        else this.opts.onPrompt?.({ ...PROMPT_WALLET_NOT_ACCEPTED, text: `${channelName(read.channel)} is not accepted at this lane` });
      }
    } finally {
      clock.clearTimeout(timer);
      signal.removeEventListener('abort', stop);
    }
  }

  async pay(req: PaymentRequest, signal: AbortSignal): Promise<PaymentResult> {
    const read = this.codes.get(req.attemptId);
    this.codes.delete(req.attemptId);
    // prepare always runs first; without a code nothing can be sent
    if (!read) return { outcome: 'declined', reason: 'no payment code was read for this attempt' };
    return this.channel(read.channel).payWithCode(req, read.code, signal);
  }

  async lookup(attempt: LookupRequest): Promise<LookupResult> {
    const id = channelOfContext(attempt.context) ?? this.opts.legacyChannel;
    const channel = id ? this.opts.channels.get(id) : undefined;
    if (!channel) return { outcome: 'unknown' };
    return channel.lookup(attempt);
  }

  async refund(req: RefundRequest): Promise<RefundOutcome> {
    const id = walletOf(String(req.reference?.channel ?? '')) ?? this.opts.legacyChannel;
    if (!id) return { outcome: 'declined', reason: 'the payment does not say which wallet took it' };
    return this.channel(id).refund(req);
  }

  /** True while at least one channel answers. */
  async available(): Promise<boolean> {
    const answers = await Promise.all([...this.opts.channels.values()].map((c) => c.available().catch(() => false)));
    return answers.some(Boolean);
  }

  private channel(id: ChannelId): QrChannel {
    const c = this.opts.channels.get(id);
    if (!c) throw new KioskError('DEVICE_OFFLINE', `${channelName(id)} is not configured at this lane`, { unknownOutcome: false });
    return c;
  }
}

function channelOfContext(context: AttemptContext | null): ChannelId | null {
  const c = context?.channel;
  return typeof c === 'string' ? walletOf(c) : null;
}
