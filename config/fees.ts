import { z } from 'zod';
import { num } from './fields';

/** Wallet channels whose bills HQ reconciles, and card schemes of the terminal's end-of-day totals. */
export const FEE_CHANNELS = ['alipay', 'wechat', 'unionpay'] as const;
export const CARD_SCHEMES = ['girocard', 'mastercard', 'visa', 'amex', 'jcb', 'diners', 'other'] as const;
export type FeeChannel = (typeof FEE_CHANNELS)[number];
export type CardScheme = (typeof CARD_SCHEMES)[number];
export type FeeKey = FeeChannel | CardScheme;
export type FeeRates = Record<FeeKey, number>;

/**
 * The merchant fee rates in basis points (1 bps = 0.01 %) when the config sets none: the channels' standard rates
 * (Alipay and WeChat Pay 0.60 %, UnionPay QR 0.38 %) and typical card rates.
 */
export const DEFAULT_FEE_BPS: FeeRates = {
  alipay: 60,
  wechat: 60,
  unionpay: 38,
  girocard: 20,
  mastercard: 30,
  visa: 30,
  amex: 180,
  jcb: 100,
  diners: 180,
  other: 100,
};

const bps = () => num({ min: 0, max: 10_000, int: true });

/** `payments.fees`: fee rates in basis points per channel and card scheme; each one optional (the default above). */
export const feesSchema = z
  .object(Object.fromEntries([...FEE_CHANNELS, ...CARD_SCHEMES].map((k) => [k, bps().optional()])) as Record<FeeKey, z.ZodOptional<ReturnType<typeof bps>>>)
  .strict();
