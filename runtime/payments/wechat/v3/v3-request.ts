/**
 * One HTTPS request (GET or POST) to WeChat Pay APIv3 that resolves with the answer's status, headers and bytes
 * (bounded): kernel/http/bounded-post.ts `boundedRequest`, with its error semantics (DEVICE_OFFLINE / TIMEOUT /
 * PROTOCOL and `details.unknownOutcome`) — APIv3 needs GET and the answer's `Wechatpay-*` signature headers.
 */
import type { Clock } from '../../../../kernel/clock';
import { KioskError } from '../../../../kernel/errors';
import { boundedRequest } from '../../../../kernel/http/bounded-post';

export interface V3Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

export interface V3Request {
  url: URL;
  method: 'GET' | 'POST';
  headers: Record<string, string>;
  body: string;
  caPem: string;
  clock: Clock;
  timeoutMs: number;
  signal?: AbortSignal;
  maxBytes: number;
  what: string;
}

export function v3Request(o: V3Request): Promise<V3Answer> {
  if (o.url.protocol !== 'https:') return Promise.reject(new KioskError('CONFIG_INVALID', `WeChat Pay APIv3 URL must be https: ${o.url.origin}`, { unknownOutcome: false }));
  const { caPem, ...rest } = o;
  return boundedRequest({ ...rest, tls: { ca: caPem }, peer: 'WeChat Pay', details: { path: o.what } });
}
