import type { ChannelId } from './qr-channel';

/**
 * The channel the lane hands on for a code no payment-code rule matches, read while a QR payment waits for the
 * shopper's code (runtime/lane/lane.ts): no wallet. The barcode rules never name a channel '' (config/barcode-rules.ts).
 */
export const NO_WALLET = '';

/**
 * The wallet channel a name stands for: the channel ids themselves, and the names the barcode rules give payment
 * codes (`wechat_pay`, config/barcode-rules.ts). Null for anything else.
 */
export function walletOf(name: string): ChannelId | null {
  switch (name.toLowerCase()) {
    case 'alipay':
      return 'alipay';
    case 'wechat':
    case 'wechat_pay':
    case 'wechatpay':
      return 'wechat';
    case 'unionpay':
    case 'union_pay':
      return 'unionpay';
    default:
      return null;
  }
}

const NAMES: Record<ChannelId, string> = { alipay: 'Alipay', wechat: 'WeChat Pay', unionpay: 'UnionPay' };

/** A channel's name for logs and technicians. */
export function channelName(name: string): string {
  const id = walletOf(name);
  return id ? NAMES[id] : name;
}
