/**
 * One HTTPS request (GET or POST) to WeChat Pay APIv3 that resolves with the answer's status, headers and bytes
 * (bounded). The same error semantics as kernel/http/bounded-post.ts (which answers POST without headers; APIv3
 * needs GET and the answer's `Wechatpay-*` signature headers):
 * - DEVICE_OFFLINE, unknownOutcome false: connection refused or TLS handshake refused (the server read nothing);
 * - DEVICE_OFFLINE, unknownOutcome true: the connection broke after the request may have been sent / answer cut off;
 * - TIMEOUT, unknownOutcome true: no answer within the timeout on the injected clock, or the caller aborted
 *   (unknownOutcome false when aborted before anything was written);
 * - PROTOCOL, unknownOutcome true: the answer is larger than `maxBytes`.
 */
import * as https from 'node:https';
import type { Clock } from '../../../../kernel/clock';
import { KioskError } from '../../../../kernel/errors';

const NOT_REACHED = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL']);
const TLS_REFUSED = /^(ERR_SSL_|ERR_TLS_CERT|UNABLE_TO_|SELF_SIGNED_CERT|DEPTH_ZERO_SELF_SIGNED_CERT|CERT_|EPROTO$)/;

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
  const details = { path: o.what, unknownOutcome: true };
  const peer = 'WeChat Pay';
  if (o.url.protocol !== 'https:') return Promise.reject(new KioskError('CONFIG_INVALID', `WeChat Pay APIv3 URL must be https: ${o.url.origin}`, { unknownOutcome: false }));
  return new Promise((resolve, reject) => {
    let settled = false;
    let answered = false;
    const finish = (err: KioskError | null, value?: V3Answer) => {
      if (settled) return;
      settled = true;
      o.clock.clearTimeout(timer);
      o.signal?.removeEventListener('abort', onAbort);
      if (err) {
        req.destroy();
        reject(err);
      } else resolve(value!);
    };
    const headers: Record<string, string | number> = { ...o.headers };
    if (o.method === 'POST') headers['content-length'] = Buffer.byteLength(o.body);
    const req = https.request(o.url, { method: o.method, headers, ca: o.caPem, agent: false });
    req.on('error', (e: NodeJS.ErrnoException) => {
      const code = e.code ?? '';
      const tls = TLS_REFUSED.test(code);
      const notReached = NOT_REACHED.has(code) || (!answered && tls);
      finish(new KioskError('DEVICE_OFFLINE', `${peer} connection failed during ${o.what}: ${code || e.message}`, { ...details, unknownOutcome: !notReached }));
    });
    const timer = o.clock.setTimeout(() => finish(new KioskError('TIMEOUT', `${peer} did not answer ${o.what} within ${o.timeoutMs} ms`, details)), o.timeoutMs);
    const onAbort = () => finish(new KioskError('TIMEOUT', `${o.what} aborted while waiting for ${peer}`, details));
    if (o.signal?.aborted) {
      finish(new KioskError('TIMEOUT', `${o.what} aborted before sending`, { ...details, unknownOutcome: false }));
      return;
    }
    o.signal?.addEventListener('abort', onAbort, { once: true });
    req.on('response', (res) => {
      answered = true;
      const chunks: Buffer[] = [];
      let received = 0;
      res.on('data', (c: Buffer) => {
        received += c.length;
        if (received > o.maxBytes) {
          finish(new KioskError('PROTOCOL', `${peer} answer to ${o.what} is larger than ${o.maxBytes} bytes`, details));
          res.destroy();
          return;
        }
        chunks.push(c);
      });
      const cut = () => finish(new KioskError('DEVICE_OFFLINE', `${peer} answer to ${o.what} was cut off`, details));
      res.on('error', cut);
      res.on('aborted', cut);
      res.on('end', () => finish(null, { status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.end(o.method === 'POST' ? o.body : undefined);
  });
}
