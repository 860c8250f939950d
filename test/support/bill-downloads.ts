/**
 * A store's bill downloads as a merchant's back office makes them, against the channel simulators (docs/bill-formats.md):
 * - Alipay: `alipay.data.dataservice.bill.downloadurl.query` (bill_type=trade), then GET `bill_download_url` → the
 *   `….csv.zip` bytes as served;
 * - UnionPay: ACP 5.1.0 fileTransfer (txnType 76, txnSubType 01, fileType 00, settleDate MMDD), the answer's signature
 *   checked, `fileContent` decoded as the ACP SDK's `AcpService.deCodeFileContent` does (base64, then zlib inflate) →
 *   the zip bytes saved under `fileName`.
 * Requests are signed with the simulators' own signing helpers (the signing is not what these downloads test).
 */
import * as https from 'node:https';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { inflateSync } from 'node:zlib';
import { withSignature, type GatewayParams } from '../../simulators/gateway/gateway-signing';
import { decimalSerial, sign, signatureOk } from '../../simulators/unionpay/acp-signing';

/** Alipay: the bill download URL for `day` (yyyy-MM-dd), then the file it serves. */
export async function downloadAlipayBill(o: { gatewayUrl: string; appId: string; merchantKeyPem: string; day: string }): Promise<{ bytes: Buffer; contentType: string; fileName: string }> {
  const params: GatewayParams = {
    app_id: o.appId,
    method: 'alipay.data.dataservice.bill.downloadurl.query',
    charset: 'utf-8',
    sign_type: 'RSA2',
    timestamp: new Date().toISOString().slice(0, 19).replace('T', ' '),
    version: '1.0',
    biz_content: JSON.stringify({ bill_type: 'trade', bill_date: o.day }),
  };
  const signed = withSignature(params, createPrivateKey(o.merchantKeyPem));
  const res = await fetch(o.gatewayUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded;charset=utf-8' },
    body: new URLSearchParams(signed as Record<string, string>).toString(),
  });
  const answer = (JSON.parse(await res.text()) as Record<string, { code: string; bill_download_url?: string }>).alipay_data_dataservice_bill_downloadurl_query_response;
  if (answer?.code !== '10000' || !answer.bill_download_url) throw new Error(`bill download url: ${JSON.stringify(answer)}`);
  const file = await fetch(answer.bill_download_url);
  const disposition = file.headers.get('content-disposition') ?? '';
  return { bytes: Buffer.from(await file.arrayBuffer()), contentType: file.headers.get('content-type') ?? '', fileName: /filename="([^"]+)"/.exec(disposition)?.[1] ?? '' };
}

/** The ACP answer text `k=v&k=v` (values unencoded; a value never holds `&`). */
function acpFields(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of text.split('&')) {
    const i = part.indexOf('=');
    if (i > 0) out[part.slice(0, i)] = part.slice(i + 1);
  }
  return out;
}

/** UnionPay: the fileTransfer answer for settle date `day` (its MMDD), signature checked; the zip it carries. */
export async function downloadUnionpayBill(o: {
  url: string;
  caPem: string;
  merId: string;
  merchantKeyPem: string;
  merchantCertPem: string;
  unionpayCertPem: string;
  day: string;
  now: number;
}): Promise<{ answer: Record<string, string>; zip: Buffer | null }> {
  const t = new Date(o.now + 8 * 3_600_000).toISOString().replace(/[-:T]/g, '').slice(0, 14);
  const msg: Record<string, string> = {
    version: '5.1.0',
    encoding: 'UTF-8',
    signMethod: '01',
    txnType: '76',
    txnSubType: '01',
    bizType: '000000',
    accessType: '0',
    merId: o.merId,
    settleDate: o.day.slice(5, 7) + o.day.slice(8, 10),
    txnTime: t,
    fileType: '00',
    certId: decimalSerial(o.merchantCertPem),
  };
  const body = new URLSearchParams({ ...msg, signature: sign(msg, o.merchantKeyPem) }).toString();
  const text = await new Promise<string>((resolve, reject) => {
    const req = https.request(`${o.url}/gateway/api/fileTransRequest.do`, { method: 'POST', ca: o.caPem, headers: { 'content-type': 'application/x-www-form-urlencoded;charset=UTF-8' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    });
    req.on('error', reject);
    req.end(body);
  });
  const answer = acpFields(text);
  if (!signatureOk(answer, new X509Certificate(o.unionpayCertPem))) throw new Error('fileTransfer answer: the signature does not verify');
  if (answer.respCode !== '00') return { answer, zip: null };
  // AcpService.deCodeFileContent: SecureUtil.inflater(SecureUtil.base64Decode(fileContent)) — java.util.zip.Inflater(false), zlib-wrapped
  return { answer, zip: inflateSync(Buffer.from(answer.fileContent, 'base64')) };
}
