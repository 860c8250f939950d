/**
 * Signed calls to a UnionPay ACP 5.1.0 acquirer (全渠道 backTransReq.do / queryTrans.do): form-urlencoded POST signed
 * with the merchant's key (signMethod 01, certId = the merchant certificate's serial), answer text verified with the
 * `signPubKeyCert` it carries, which must chain to the configured UnionPay root. An answer that cannot be verified
 * is an error with `details.unknownOutcome: true` — never a success.
 */
import { boundedPost } from '../../../kernel/http/bounded-post';
import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import type { Clock } from '../../../kernel/clock';
import { KioskError } from '../../../kernel/errors';
import { ACP_FORM_LIMITS, decodeForm, encodeForm, parseAcpText, type AcpFields } from '../../../protocol/payments/unionpay/unionpay-form';
import { certIdOf, signFields, verifyAnswer } from '../../../protocol/payments/unionpay/unionpay-sign';

export type AcpApi = 'backTransReq' | 'queryTrans';

export interface UnionpayClientOptions {
  /** The acquirer's base URL, e.g. http://127.0.0.1:4568 (requests go to `<url>/gateway/api/<api>.do`). */
  url: string;
  /** The merchant number (merId, 15 digits). */
  merId: string;
  /** The merchant's signing key (PKCS#8 PEM; never logged). */
  merchantKeyPem: string;
  /** The merchant's signing certificate (PEM): its serial number is the `certId` sent. */
  merchantCertPem: string;
  /** The UnionPay root certificate every answer's `signPubKeyCert` must chain to. */
  unionpayRootCaPem: string;
  clock: Clock;
  /** Per-request timeout; default 10 000 ms. */
  timeoutMs?: number;
  /** Where the acquirer POSTs asynchronous notifications (backUrl). */
  backUrl?: string;
  /** For an https `url`: the CA of the server's TLS certificate. */
  tlsCaPem?: string;
}

/** Largest answer read. */
export const MAX_UNIONPAY_ANSWER_BYTES = ACP_FORM_LIMITS.maxBytes;


/** yyyyMMddHHmmss in Beijing time (UTC+8, no DST) of the instant `ms`. */
export function beijingTimestamp(ms: number): string {
  return new Date(ms + 8 * 3_600_000).toISOString().replace(/[-:T]/g, '').slice(0, 14);
}

export class UnionpayClient {
  readonly merId: string;
  private readonly key: KeyObject;
  private readonly certId: string;
  private readonly root: X509Certificate;

  constructor(private readonly opts: UnionpayClientOptions) {
    this.merId = opts.merId;
    this.key = createPrivateKey(opts.merchantKeyPem);
    this.certId = certIdOf(opts.merchantCertPem);
    this.root = new X509Certificate(opts.unionpayRootCaPem);
  }

  get backUrl(): string | undefined {
    return this.opts.backUrl;
  }

  /** The signed request fields (common fields added). */
  signedFields(fields: AcpFields): AcpFields {
    return signFields(
      {
        version: '5.1.0',
        encoding: 'UTF-8',
        signMethod: '01',
        certId: this.certId,
        merId: this.merId,
        accessType: '0',
        ...fields,
      },
      this.key,
    );
  }

  /**
   * One signed call. Rejects with KioskError:
   * - DEVICE_OFFLINE, unknownOutcome false: the connection was refused (nothing was sent);
   * - DEVICE_OFFLINE, unknownOutcome true: the connection broke after the request may have been sent;
   * - TIMEOUT, unknownOutcome true: no answer within the timeout (or the caller aborted);
   * - PROTOCOL, unknownOutcome true: the answer was too large, malformed, not verified, or for another order.
   */
  async call(api: AcpApi, fields: AcpFields, options: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<AcpFields> {
    const what = `${api} txnType ${fields.txnType ?? '?'}`;
    const details = { api, txnType: fields.txnType, unknownOutcome: true };
    const res = await boundedPost({
      url: `${this.opts.url.replace(/\/+$/, '')}/gateway/api/${api}.do`,
      body: encodeForm(this.signedFields(fields)),
      contentType: 'application/x-www-form-urlencoded;charset=UTF-8',
      ...(this.opts.tlsCaPem ? { tls: { ca: this.opts.tlsCaPem } } : {}),
      clock: this.opts.clock,
      timeoutMs: options.timeoutMs ?? this.opts.timeoutMs ?? 10_000,
      ...(options.signal ? { signal: options.signal } : {}),
      maxBytes: MAX_UNIONPAY_ANSWER_BYTES,
      peer: 'UnionPay',
      what,
      details: { api, txnType: fields.txnType },
    });
    const answer = this.openAnswer(res.body.toString('utf8'), fields.orderId);
    if (!answer) throw new KioskError('PROTOCOL', `unverifiable UnionPay answer to ${what} (HTTP ${res.status})`, details);
    return answer;
  }

  /**
   * Parses and verifies an answer text; null unless it is well formed, signed by a certificate chained to the root,
   * for this merchant and (when given) this order, and carries a respCode.
   */
  openAnswer(text: string, orderId?: string): AcpFields | null {
    const fields = parseAcpText(text);
    if (!fields || !verifyAnswer(fields, this.root, this.opts.clock.now())) return null;
    if (typeof fields.respCode !== 'string' || !/^[0-9A-Z]{2}$/.test(fields.respCode)) return null;
    if (fields.merId !== undefined && fields.merId !== this.merId) return null;
    if (orderId !== undefined && fields.orderId !== undefined && fields.orderId !== orderId) return null;
    return fields;
  }

  /**
   * Verifies a backUrl notification (form-urlencoded, signed like an answer). Throws KioskError PROTOCOL when it is
   * malformed, not verified, or for another merchant.
   */
  verifyNotification(rawBody: string): AcpFields {
    const fields = decodeForm(rawBody);
    if (!fields || !verifyAnswer(fields, this.root, this.opts.clock.now())) {
      throw new KioskError('PROTOCOL', 'UnionPay notification does not verify');
    }
    if (fields.merId !== this.merId) throw new KioskError('PROTOCOL', 'UnionPay notification for another merchant');
    if (!fields.orderId || !fields.respCode) throw new KioskError('PROTOCOL', 'UnionPay notification without orderId or respCode');
    return fields;
  }
}
