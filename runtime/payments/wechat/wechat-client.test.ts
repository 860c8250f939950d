/**
 * WechatClient against a stub HTTPS server (kernel/x509 certificates): an answer split into tiny TCP writes (a
 * multi-byte character cut in half) is read whole and verified; an endless answer is cut at the size cap; the
 * timeout runs on the injected clock; every request carries a random nonce_str and sign_type HMAC-SHA256 and
 * verifies with the merchant key.
 */
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import { SimulatedClock, SystemClock } from '../../../kernel/clock';
import { KioskError } from '../../../kernel/errors';
import { createCa, issueCertificate } from '../../../kernel/x509/certificates';
import { MAX_WECHAT_RESPONSE_BYTES, WechatClient } from './wechat-client';
import { signWechat, verifyWechat } from '../../../protocol/payments/wechat/wechat-sign';
import { decodeWechatXml, encodeWechatXml } from '../../../protocol/payments/wechat/wechat-xml';

const KEY = 'k'.repeat(32);
const ca = createCa({ commonName: 'test CA' });
const server = issueCertificate(ca, 'server', { commonName: '127.0.0.1', ips: ['127.0.0.1'] });
let srv: https.Server;
let handler: (body: string, res: import('node:http').ServerResponse) => void;

beforeAll(async () => {
  srv = https.createServer({ key: server.keyPem, cert: server.certPem }, (q, s) => {
    const chunks: Buffer[] = [];
    q.on('data', (c: Buffer) => chunks.push(c));
    q.on('end', () => handler(Buffer.concat(chunks).toString('utf8'), s));
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
});

afterAll(async () => {
  srv.closeAllConnections();
  await new Promise((r) => srv.close(r));
});

const client = (clock = new SystemClock() as SystemClock | SimulatedClock) =>
  new WechatClient({ url: `https://127.0.0.1:${(srv.address() as AddressInfo).port}`, appId: 'wxapp', mchId: '1900000109', apiKey: KEY, caPem: ca.certPem, clock, timeoutMs: 5000 });

const answer = (extra: Record<string, string>) =>
  encodeWechatXml(signWechat({ return_code: 'SUCCESS', return_msg: 'OK', appid: 'wxapp', mch_id: '1900000109', nonce_str: 'abc', result_code: 'SUCCESS', ...extra }, KEY, 'HMAC-SHA256'));

test('requests are signed HMAC-SHA256 with a fresh 32-character nonce_str', async () => {
  const seen: Array<Record<string, string>> = [];
  handler = (body, res) => {
    seen.push(decodeWechatXml(body)!);
    res.end(answer({ trade_state: 'NOTPAY' }));
  };
  const c = client();
  await c.call('/pay/orderquery', { out_trade_no: 'a1' });
  await c.call('/pay/orderquery', { out_trade_no: 'a1' });
  expect(seen[0]).toMatchObject({ appid: 'wxapp', mch_id: '1900000109', out_trade_no: 'a1', sign_type: 'HMAC-SHA256' });
  expect(seen[0].nonce_str).toMatch(/^[0-9A-Za-z]{32}$/);
  expect(seen[0].nonce_str).not.toBe(seen[1].nonce_str);
  expect(verifyWechat(seen[0], KEY, 'HMAC-SHA256')).toBe(true);
});

test('an answer arriving in 3-byte writes, a Chinese character cut in half, is read whole and verified', async () => {
  handler = (_body, res) => {
    const bytes = Buffer.from(answer({ trade_state: 'USERPAYING', trade_state_desc: '需要用户输入支付密码' }), 'utf8');
    res.writeHead(200, { 'content-type': 'text/xml' });
    let i = 0;
    const next = () => {
      if (i >= bytes.length) return void res.end();
      res.write(bytes.subarray(i, i + 3));
      i += 3;
      setImmediate(next);
    };
    next();
  };
  await expect(client().call('/pay/orderquery', { out_trade_no: 'a1' })).resolves.toMatchObject({ trade_state: 'USERPAYING', trade_state_desc: '需要用户输入支付密码' });
});

test('unsigned FAIL, a tampered answer, another merchant, garbage: PROTOCOL with unknown outcome, never a result', async () => {
  const cases = [
    encodeWechatXml({ return_code: 'FAIL', return_msg: '签名错误' }),
    answer({ trade_state: 'NOTPAY' }).replace('NOTPAY', 'SUCCESS'),
    encodeWechatXml(signWechat({ return_code: 'SUCCESS', appid: 'wxother', mch_id: '1900000109', result_code: 'SUCCESS' }, KEY, 'HMAC-SHA256')),
    encodeWechatXml(signWechat({ return_code: 'SUCCESS', appid: 'wxapp', mch_id: '1900000109', result_code: 'SUCCESS' }, KEY, 'MD5')),
    '<html>502 Bad Gateway</html>',
  ];
  for (const body of cases) {
    handler = (_b, res) => res.end(body);
    await expect(client().call('/pay/micropay', { out_trade_no: 'a1' })).rejects.toMatchObject({ code: 'PROTOCOL', details: { unknownOutcome: true } });
  }
});

test('an endless answer is refused at the size cap, the stream dropped; the clock never had to move', async () => {
  let sent = 0;
  handler = (_b, res) => {
    res.writeHead(200, { 'content-type': 'text/xml' });
    const chunk = Buffer.alloc(64 * 1024, 0x61);
    const pump = () => {
      while (!res.destroyed && sent < 16 * MAX_WECHAT_RESPONSE_BYTES && res.write(chunk)) sent += chunk.length;
    };
    res.on('drain', pump);
    pump();
  };
  const err = await client(new SimulatedClock()).call('/pay/orderquery', { out_trade_no: 'a1' }).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(KioskError);
  expect(err).toMatchObject({ code: 'PROTOCOL', details: { unknownOutcome: true } });
  expect(sent).toBeLessThan(16 * MAX_WECHAT_RESPONSE_BYTES);
});

test('no answer: TIMEOUT fires on the injected clock (unknown outcome)', async () => {
  handler = () => undefined; // never answers
  const clock = new SimulatedClock();
  const p = client(clock).call('/pay/micropay', { out_trade_no: 'a1' }).catch((e: unknown) => e);
  await new Promise((r) => setTimeout(r, 50));
  clock.advance(5000);
  await expect(p).resolves.toMatchObject({ code: 'TIMEOUT', details: { unknownOutcome: true } });
});

test('a server whose certificate does not chain to the configured CA: not reached (unknownOutcome false)', async () => {
  const other = createCa({ commonName: 'other CA' });
  const c = new WechatClient({ url: `https://127.0.0.1:${(srv.address() as AddressInfo).port}`, appId: 'wxapp', mchId: '1900000109', apiKey: KEY, caPem: other.certPem, clock: new SystemClock() });
  let called = false;
  handler = (_b, res) => {
    called = true;
    res.end('');
  };
  await expect(c.call('/pay/micropay', { out_trade_no: 'a1' })).rejects.toMatchObject({ code: 'DEVICE_OFFLINE', details: { unknownOutcome: false } });
  expect(called).toBe(false);
});

test('notification signs: the declared type, or without sign_type either MD5 or HMAC-SHA256; a wrong key never', () => {
  const c = client();
  const base = { return_code: 'SUCCESS', appid: 'wxapp', mch_id: '1900000109', out_trade_no: 'a1', transaction_id: 't1', total_fee: '1' };
  expect(c.verifies(signWechat(base, KEY, 'MD5'))).toBe(true);
  expect(c.verifies(signWechat(base, KEY, 'HMAC-SHA256'))).toBe(true);
  expect(c.verifies(signWechat({ ...base, sign_type: 'HMAC-SHA256' }, KEY, 'HMAC-SHA256'))).toBe(true);
  expect(c.verifies(signWechat({ ...base, sign_type: 'MD5' }, KEY, 'HMAC-SHA256'))).toBe(false);
  expect(c.verifies(signWechat({ ...base, sign_type: 'RSA' }, KEY, 'HMAC-SHA256'))).toBe(false);
  expect(c.verifies(signWechat(base, 'x'.repeat(32), 'MD5'))).toBe(false);
});
