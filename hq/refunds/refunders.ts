/**
 * The channel refunders HQ builds for a store: the merchant secrets from HQ's encrypted registry (the store's own,
 * else the chain's: hq/channels/registry.ts effectiveFor), the channel's endpoint from HQ's endpoints file
 * (`--channel-endpoints FILE`, JSON: `{"wechat": {"url": "https://api.mch.weixin.qq.com", "secapiUrl"?: …,
 * "caPath"?: "ca.pem"}, "alipay": {"url": "https://openapi.alipay.com/gateway.do", "caPath"?: …}, "unionpay": {"url":
 * "https://gateway.95516.com", "caPath"?: …, "rootCertPath": "unionpay-root.pem"}}`; without caPath the system's
 * CAs; rootCertPath is UnionPay's root certificate the answers' signing certificates must chain to).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { rootCertificates } from 'node:tls';
import { z } from 'zod';
import type { Clock } from '../../kernel/clock';
import { KioskError } from '../../kernel/errors';
import type { IngestDb } from '../ingest/pg-db';
import { ChannelSecretsRegistry } from '../channels/registry';
import type { HqSecretsKey } from '../channels/secrets-key';
import type { ChannelRefunder } from './channel-refunder';
import type { WalletPayment } from './refund-rows';
import { WechatRefunder, type WechatEndpoint } from './wechat-refunder';
import { AlipayRefunder, type AlipayEndpoint } from './alipay-refunder';
import { unionpayKnown } from './unionpay-known';
import { UnionpayRefunder, type UnionpayEndpoint } from './unionpay-refunder';

const endpoint = z.object({ url: z.url(), secapiUrl: z.url().optional(), caPath: z.string().min(1).max(4096).optional() }).strict();
const unionpayEndpoint = z.object({ url: z.url(), caPath: z.string().min(1).max(4096).optional(), rootCertPath: z.string().min(1).max(4096) }).strict();
const endpointsSchema = z.object({ wechat: endpoint.optional(), alipay: endpoint.optional(), unionpay: unionpayEndpoint.optional() }).strict();

export interface ChannelEndpoints {
  wechat?: WechatEndpoint;
  alipay?: AlipayEndpoint;
  unionpay?: UnionpayEndpoint;
}

/** Reads the endpoints file (relative CA paths are relative to it). */
export function loadChannelEndpoints(file: string): ChannelEndpoints {
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8').slice(0, 65_536));
  } catch (e) {
    throw new KioskError('CONFIG_INVALID', `channel endpoints ${file}: ${(e as Error).message}`);
  }
  const parsed = endpointsSchema.safeParse(raw);
  if (!parsed.success) throw new KioskError('CONFIG_INVALID', `channel endpoints ${file}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  const out: ChannelEndpoints = {};
  const read = (p: string): string => fs.readFileSync(path.resolve(path.dirname(file), p), 'utf8');
  const caOf = (e: { caPath?: string }): string => (e.caPath ? read(e.caPath) : rootCertificates.join('\n'));
  const w = parsed.data.wechat;
  if (w) out.wechat = { url: w.url, ...(w.secapiUrl ? { secapiUrl: w.secapiUrl } : {}), caPem: caOf(w) };
  const a = parsed.data.alipay;
  if (a) out.alipay = { url: a.url, caPem: caOf(a) };
  const u = parsed.data.unionpay;
  if (u) out.unionpay = { url: u.url, caPem: caOf(u), rootCaPem: read(u.rootCertPath) };
  return out;
}

/** The refunder factory of hq/refunds/hq-refund.ts. */
export function channelRefunders(db: IngestDb, key: HqSecretsKey, endpoints: ChannelEndpoints, clock: Clock): (channel: WalletPayment['channel'], store: string) => Promise<ChannelRefunder> {
  const registry = new ChannelSecretsRegistry(db);
  return async (channel, store) => {
    if (channel === 'alipay') {
      const secrets = (await registry.effectiveFor(key, store))?.secrets.alipay;
      if (!secrets) throw new KioskError('CONFIG_INVALID', `HQ holds no Alipay secrets for store ${store} (hq channels set)`, { channel });
      if (!endpoints.alipay) throw new KioskError('CONFIG_INVALID', 'no Alipay gateway configured at HQ (--channel-endpoints FILE)', { channel });
      return new AlipayRefunder(endpoints.alipay, secrets, clock);
    }
    if (channel === 'unionpay') {
      const secrets = (await registry.effectiveFor(key, store))?.secrets.unionpay;
      if (!secrets) throw new KioskError('CONFIG_INVALID', `HQ holds no UnionPay secrets for store ${store} (hq channels set)`, { channel });
      if (!endpoints.unionpay) throw new KioskError('CONFIG_INVALID', 'no UnionPay acquirer configured at HQ (--channel-endpoints FILE)', { channel });
      return new UnionpayRefunder(endpoints.unionpay, secrets, unionpayKnown(db.read, store), clock);
    }
    const secrets = (await registry.effectiveFor(key, store))?.secrets.wechat;
    if (!secrets) throw new KioskError('CONFIG_INVALID', `HQ holds no WeChat Pay secrets for store ${store} (hq channels set)`, { channel });
    if (!endpoints.wechat) throw new KioskError('CONFIG_INVALID', 'no WeChat Pay endpoint configured at HQ (--channel-endpoints FILE)', { channel });
    return new WechatRefunder(endpoints.wechat, secrets, clock);
  };
}
