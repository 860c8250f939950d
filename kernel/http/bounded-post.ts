/**
 * One HTTP(S) request (a POST, or a GET for WeChat Pay APIv3's queries) to a payment channel, by the attempt rules every channel client keeps (runtime/payments/
 * channels/qr-channel.ts): it resolves with the answer's bytes (bounded) and rejects with a `KioskError` whose
 * `details.unknownOutcome` says whether the request may have reached the channel:
 * - DEVICE_OFFLINE, unknownOutcome false: the connection was refused or the TLS handshake failed (nothing was read);
 * - DEVICE_OFFLINE, unknownOutcome true: the connection broke after the request may have been sent, or the answer
 *   was cut off;
 * - TIMEOUT, unknownOutcome true: no answer within the timeout on the injected clock (or the caller aborted);
 *   unknownOutcome false when the caller had aborted before anything was written;
 * - PROTOCOL, unknownOutcome true: the answer was larger than `maxBytes` (refused at once, never buffered).
 * The caller verifies the answer (signature, merchant, order) and treats one that does not verify as unknown.
 */
import * as http from 'node:http';
import * as https from 'node:https';
import type { Clock } from '../clock';
import { KioskError } from '../errors';

const NOT_REACHED = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL']);
/** TLS handshake refusals (ours or the server's): the HTTP request was never read by the server. */
const TLS_REFUSED = /^(ERR_SSL_|ERR_TLS_CERT|UNABLE_TO_|SELF_SIGNED_CERT|DEPTH_ZERO_SELF_SIGNED_CERT|CERT_|EPROTO$)/;

export interface BoundedPost {
  url: string | URL;
  body: string;
  contentType: string;
  /** CA, client certificate and key for an https URL. */
  tls?: Pick<https.RequestOptions, 'ca' | 'cert' | 'key'>;
  clock: Clock;
  timeoutMs: number;
  signal?: AbortSignal;
  maxBytes: number;
  /** Who answers, for messages: `gateway`, `WeChat Pay`, `UnionPay`. */
  peer: string;
  /** What was asked, for messages: the method, path or API. */
  what: string;
  /** Carried on every error (unknownOutcome is set here). */
  details?: Record<string, unknown>;
}

/** {@link boundedPost}'s request in general: GET (no body) or POST, with headers of the caller's own. */
export interface BoundedRequest extends Omit<BoundedPost, 'body' | 'contentType'> {
  method: 'GET' | 'POST';
  /** Sent as is (a POST also gets its content-length). */
  headers: Record<string, string>;
  /** The POST body; ignored for GET. */
  body: string;
}

export interface BoundedAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

export async function boundedPost(o: BoundedPost): Promise<{ status: number; body: Buffer }> {
  const { contentType, ...rest } = o;
  const { status, body } = await boundedRequest({ ...rest, method: 'POST', headers: { 'content-type': contentType } });
  return { status, body };
}

export function boundedRequest(o: BoundedRequest): Promise<BoundedAnswer> {
  const { clock, peer, what } = o;
  const details = { ...o.details, unknownOutcome: true };
  return new Promise((resolve, reject) => {
    let settled = false;
    let answered = false;
    const finish = (err: KioskError | null, value?: BoundedAnswer) => {
      if (settled) return;
      settled = true;
      clock.clearTimeout(timer);
      o.signal?.removeEventListener('abort', onAbort);
      if (err) {
        req.destroy();
        reject(err);
      } else resolve(value!);
    };
    const url = typeof o.url === 'string' ? new URL(o.url) : o.url;
    const headers: Record<string, string | number> = { ...o.headers };
    if (o.method === 'POST') headers['content-length'] = Buffer.byteLength(o.body);
    const options: https.RequestOptions = {
      method: o.method,
      headers,
      ...(url.protocol === 'https:' ? { ...o.tls, agent: false } : {}),
    };
    const req = url.protocol === 'https:' ? https.request(url, options) : http.request(url, options);
    req.on('error', (e: NodeJS.ErrnoException) => {
      const code = e.code ?? '';
      const tls = TLS_REFUSED.test(code);
      const notReached = NOT_REACHED.has(code) || (!answered && tls);
      finish(new KioskError('DEVICE_OFFLINE', `${peer} connection failed during ${what}: ${code || e.message}`, { ...details, unknownOutcome: !notReached, ...(tls ? { tls: code } : {}) }));
    });
    const timer = clock.setTimeout(() => finish(new KioskError('TIMEOUT', `${peer} did not answer ${what} within ${o.timeoutMs} ms`, details)), o.timeoutMs);
    const onAbort = () => finish(new KioskError('TIMEOUT', `${what} aborted while waiting for ${peer}`, details));
    if (o.signal?.aborted) {
      // nothing has been written yet
      finish(new KioskError('TIMEOUT', `${what} aborted before sending`, { ...details, unknownOutcome: false }));
      return;
    }
    o.signal?.addEventListener('abort', onAbort, { once: true });
    req.on('response', (res) => {
      answered = true;
      const chunks: Buffer[] = [];
      let received = 0;
      res.on('data', (c: Buffer) => {
        received += c.length;
        // an answer is a few KiB: past the cap it is refused at once instead of buffered without end
        if (received > o.maxBytes) {
          finish(new KioskError('PROTOCOL', `${peer} answer to ${what} is larger than ${o.maxBytes} bytes`, details));
          res.destroy();
          return;
        }
        chunks.push(c);
      });
      const cut = () => finish(new KioskError('DEVICE_OFFLINE', `${peer} answer to ${what} was cut off`, details));
      res.on('error', cut);
      res.on('aborted', cut);
      res.on('end', () => finish(null, { status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.end(o.method === 'POST' ? o.body : undefined);
  });
}
