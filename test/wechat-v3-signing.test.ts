/**
 * WeChat Pay APIv3 signatures: the kiosk's signer / verifier (runtime/payments/wechat/v3/v3-sign.ts) against the
 * documents' message layouts, against OpenSSL (`openssl dgst -sha256 -sign/-verify`: a third implementation), and
 * against the simulator's independent code (simulators/wechat/v3/v3-sim-signing.ts). WeChat's documents publish no
 * private/public key to check a signature value against, so interop is the proof; the message layouts are checked
 * against the documents' worked examples.
 */
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync, X509Certificate } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createCa, issueCertificate } from '../kernel/x509/certificates';
import { v3AnswerMessage, v3Authorize, v3CheckAnswer, v3RequestMessage, v3Sign, v3Verify } from '../runtime/payments/wechat/v3/v3-sign';
import { certificateSerial, parseAuthorization, requestSignatureValid, signAnswer } from '../simulators/wechat/v3/v3-sim-signing';

let dir: string;
const ca = createCa({ commonName: 'test merchant CA' });
const merchant = issueCertificate(ca, 'client', { commonName: '1900009191' });
const merchantPub = new X509Certificate(merchant.certPem).publicKey.export({ type: 'spki', format: 'pem' }).toString();
const wxp = generateKeyPairSync('rsa', { modulusLength: 2048 });
const wxpPrivate = wxp.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const wxpPublic = wxp.publicKey.export({ type: 'spki', format: 'pem' }).toString();
const PUB_ID = 'PUB_KEY_ID_0000000000000024101100397200000006';

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wxv3-sign-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function opensslVerify(pubPem: string, message: string | Buffer, signatureB64: string): boolean {
  fs.writeFileSync(path.join(dir, 'pub.pem'), pubPem);
  fs.writeFileSync(path.join(dir, 'msg'), message);
  fs.writeFileSync(path.join(dir, 'sig'), Buffer.from(signatureB64, 'base64'));
  try {
    const out = execFileSync('openssl', ['dgst', '-sha256', '-verify', path.join(dir, 'pub.pem'), '-signature', path.join(dir, 'sig'), path.join(dir, 'msg')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    return out.includes('Verified OK');
  } catch {
    return false;
  }
}

test('the request and answer messages have the layouts of the documents worked examples', () => {
  // 签名生成: "GET\n/v3/certificates\n1554208460\n593BEC0C930BF1AFEB40B4A08C8FB242\n\n" (GET: empty body line)
  expect(v3RequestMessage('get', '/v3/certificates', '1554208460', '593BEC0C930BF1AFEB40B4A08C8FB242', '')).toBe('GET\n/v3/certificates\n1554208460\n593BEC0C930BF1AFEB40B4A08C8FB242\n\n');
  // 如何使用微信支付公钥验签 (Native下单 answer): "1722850421\nd824f2e086d3c1df967785d13fcd22ef\n{"code_url":…}\n"
  expect(v3AnswerMessage('1722850421', 'd824f2e086d3c1df967785d13fcd22ef', '{"code_url":"weixin://wxpay/bizpayurl?pr=JyC91EIz1"}')).toBe(
    '1722850421\nd824f2e086d3c1df967785d13fcd22ef\n{"code_url":"weixin://wxpay/bizpayurl?pr=JyC91EIz1"}\n',
  );
});

test("the kiosk's request signature verifies with openssl and with the simulator's verifier; a tampered byte fails both", () => {
  const body = '{"appid":"wxd678efh567hg6787","mchid":"1900009191","description":"Image形象店-深圳腾大-QQ公仔","out_trade_no":"1217752501201407033233368018","payer":{"auth_code":"130061098828009406"},"amount":{"total":1}}';
  const header = v3Authorize({ method: 'POST', url: '/v3/pay/transactions/codepay', body, mchid: '1900009191', serialNo: certificateSerial(merchant.certPem), privateKey: merchant.keyPem, timestamp: '1554208460', nonce: '593BEC0C930BF1AFEB40B4A08C8FB242' });
  expect(header.startsWith('WECHATPAY2-SHA256-RSA2048 mchid="1900009191",nonce_str="593BEC0C930BF1AFEB40B4A08C8FB242",signature="')).toBe(true);
  const auth = parseAuthorization(header)!;
  expect(auth).toMatchObject({ mchid: '1900009191', timestamp: '1554208460', serial_no: certificateSerial(merchant.certPem) });
  const message = Buffer.from(`POST\n/v3/pay/transactions/codepay\n1554208460\n593BEC0C930BF1AFEB40B4A08C8FB242\n${body}\n`, 'utf8');
  expect(opensslVerify(merchantPub, message, auth.signature)).toBe(true);
  expect(requestSignatureValid(auth, 'POST', '/v3/pay/transactions/codepay', body, merchant.certPem)).toBe(true);
  // one byte changed in the body (total 1 → 2)
  const tampered = body.replace('"total":1', '"total":2');
  expect(opensslVerify(merchantPub, Buffer.from(message.toString('utf8').replace('"total":1', '"total":2'), 'utf8'), auth.signature)).toBe(false);
  expect(requestSignatureValid(auth, 'POST', '/v3/pay/transactions/codepay', tampered, merchant.certPem)).toBe(false);
  // the same signature on another URL does not verify
  expect(requestSignatureValid(auth, 'POST', '/v3/pay/transactions/native', body, merchant.certPem)).toBe(false);
});

test("an answer signed by the simulator (and by openssl) verifies with the kiosk's checker; tampering, another key id or a stale timestamp do not", () => {
  const body = '{"code_url":"weixin://wxpay/bizpayurl?pr=JyC91EIz1"}';
  const ts = '1722850421';
  const nonce = 'd824f2e086d3c1df967785d13fcd22ef';
  const sig = signAnswer(ts, nonce, body, wxpPrivate);
  const headers = { 'wechatpay-timestamp': ts, 'wechatpay-nonce': nonce, 'wechatpay-signature': sig, 'wechatpay-serial': PUB_ID };
  const key = { publicKey: wxpPublic, publicKeyId: PUB_ID };
  expect(v3CheckAnswer(headers, body, key, 1722850421 + 10)).toBe('ok');
  expect(opensslVerify(wxpPublic, v3AnswerMessage(ts, nonce, body), sig)).toBe(true);
  expect(v3CheckAnswer(headers, body.replace('JyC91', 'JyC92'), key, 1722850421)).toBe('bad-signature');
  expect(v3CheckAnswer({ ...headers, 'wechatpay-serial': 'PUB_KEY_ID_0000000000000000000000000000000001' }, body, key, 1722850421)).toBe('unknown-key');
  expect(v3CheckAnswer(headers, body, key, 1722850421 + 301)).toBe('stale');
  expect(v3CheckAnswer({ ...headers, 'wechatpay-signature': undefined }, body, key, 1722850421)).toBe('missing-headers');
  // openssl as the signer: the kiosk verifies its signature too
  fs.writeFileSync(path.join(dir, 'key.pem'), wxpPrivate);
  fs.writeFileSync(path.join(dir, 'm2'), v3AnswerMessage(ts, nonce, body));
  const osig = execFileSync('openssl', ['dgst', '-sha256', '-sign', path.join(dir, 'key.pem'), path.join(dir, 'm2')]).toString('base64');
  expect(v3Verify(v3AnswerMessage(ts, nonce, body), osig, wxpPublic)).toBe(true);
  expect(v3CheckAnswer({ ...headers, 'wechatpay-signature': osig }, body, key, 1722850421)).toBe('ok');
  // signed by another key (the merchant's): does not verify
  expect(v3Verify(v3AnswerMessage(ts, nonce, body), v3Sign(v3AnswerMessage(ts, nonce, body), merchant.keyPem), wxpPublic)).toBe(false);
});

test('an Authorization header that is not the v3 schema or lacks a field is refused by the simulator parser', () => {
  expect(parseAuthorization('WECHATPAY2-SHA256-RSA2048 mchid="1",nonce_str="n",signature="s",timestamp="1"')).toBeNull();
  expect(parseAuthorization('Bearer x')).toBeNull();
  expect(parseAuthorization(undefined)).toBeNull();
  expect(parseAuthorization('WECHATPAY2-SHA256-RSA2048 mchid="1",nonce_str="n",signature="s",timestamp="1",serial_no="AB"')).toEqual({ mchid: '1', nonce_str: 'n', signature: 's', timestamp: '1', serial_no: 'AB' });
});
