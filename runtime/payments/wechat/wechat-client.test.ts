/**
 * WechatClient against a stub HTTPS server (kernel/x509 certificates): an answer split into tiny TCP writes (a
 * multi-byte character cut in half) is read whole and verified; an endless answer is cut at the size cap; the
 * timeout runs on the injected clock; every request carries a random nonce_str and sign_type HMAC-SHA256 and
 * verifies with the merchant key. The key switch: a request refused for its signature is sent again once with the
 * previous key (and only such a request), the payment's follow-ups keep the key that worked.
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
    encodeWechatXml({ return_code: 'FAIL', return_msg: '系统繁忙,请稍后再试' }),
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

describe('key switch: a request refused for its signature is retried once with the previous key, nothing else is', () => {
  const OLD = 'o'.repeat(32);
  const NEW = 'n'.repeat(32);
  /** Requests received: out_trade_no and the key that signed it ('new' | 'old' | 'other'). */
  let seen: Array<{ no: string; key: string }>;
  /** The key the channel holds now; `then` answers a request it accepts. */
  const channelHolds = (key: string, then: (f: Record<string, string>) => Record<string, string> = () => ({ trade_state: 'SUCCESS' })) => {
    handler = (body, res) => {
      const f = decodeWechatXml(body)!;
      const by = verifyWechat(f, NEW, 'HMAC-SHA256') ? NEW : verifyWechat(f, OLD, 'HMAC-SHA256') ? OLD : null;
      seen.push({ no: f.out_trade_no ?? f.out_refund_no ?? '', key: by === NEW ? 'new' : by === OLD ? 'old' : 'other' });
      if (by !== key) return void res.end(encodeWechatXml({ return_code: 'FAIL', return_msg: '签名错误' }));
      res.end(encodeWechatXml(signWechat({ return_code: 'SUCCESS', return_msg: 'OK', appid: 'wxapp', mch_id: '1900000109', nonce_str: 'abc', result_code: 'SUCCESS', ...then(f) }, key, 'HMAC-SHA256')));
    };
  };
  const keyed = (apiKey: string, clock: SystemClock | SimulatedClock = new SystemClock()) =>
    new WechatClient({ url: `https://127.0.0.1:${(srv.address() as AddressInfo).port}`, appId: 'wxapp', mchId: '1900000109', apiKey, caPem: ca.certPem, clock, timeoutMs: 5000 });
  /** A client signing with NEW that falls back to OLD; `used` counts the times OLD worked. */
  const rotated = (clock?: SimulatedClock) => {
    const c = keyed(NEW, clock);
    const used = { n: 0 };
    c.fallBackTo(keyed(OLD, clock), () => void used.n++);
    return { c, used };
  };
  beforeEach(() => {
    seen = [];
  });

  test('without previous values a refused signature is one request: PROTOCOL, not processed (unknownOutcome false), signatureRefused', async () => {
    channelHolds(OLD);
    await expect(keyed(NEW).call('/pay/micropay', { out_trade_no: 'a1' })).rejects.toMatchObject({ code: 'PROTOCOL', details: { unknownOutcome: false, signatureRefused: true } });
    expect(seen).toEqual([{ no: 'a1', key: 'new' }]);
  });

  test('the channel still holds the previous key: the same request once more with it; that payment keeps it, another starts with the key in force', async () => {
    channelHolds(OLD);
    const { c, used } = rotated();
    await expect(c.call('/pay/micropay', { out_trade_no: 'a1', total_fee: '1' })).resolves.toMatchObject({ trade_state: 'SUCCESS' });
    expect(seen).toEqual([{ no: 'a1', key: 'new' }, { no: 'a1', key: 'old' }]);
    expect(used.n).toBe(1);
    // the follow-ups of a1 go straight to the key that worked
    await c.call('/pay/orderquery', { out_trade_no: 'a1' });
    await c.call('/secapi/pay/reverse', { out_trade_no: 'a1' });
    expect(seen.slice(2)).toEqual([{ no: 'a1', key: 'old' }, { no: 'a1', key: 'old' }]);
    expect(used.n).toBe(1); // told when the previous key rescued a refused request, not for each follow-up
    // another payment starts with the key in force again
    await c.call('/pay/orderquery', { out_trade_no: 'a2' });
    expect(seen.slice(4)).toEqual([{ no: 'a2', key: 'new' }, { no: 'a2', key: 'old' }]);
    // the channel switches: a1's follow-up is refused with the old key and goes through with the new one, and stays there
    channelHolds(NEW);
    seen = [];
    await c.call('/pay/orderquery', { out_trade_no: 'a1' });
    await c.call('/pay/orderquery', { out_trade_no: 'a1' });
    expect(seen).toEqual([{ no: 'a1', key: 'old' }, { no: 'a1', key: 'new' }, { no: 'a1', key: 'new' }]);
    expect(used.n).toBe(2);
  });

  test('a signed answer err_code SIGNERROR counts as a refused signature too', async () => {
    handler = (body, res) => {
      const f = decodeWechatXml(body)!;
      const old = verifyWechat(f, OLD, 'HMAC-SHA256');
      seen.push({ no: f.out_trade_no, key: old ? 'old' : 'new' });
      const extra = old ? { result_code: 'SUCCESS', trade_state: 'SUCCESS' } : { result_code: 'FAIL', err_code: 'SIGNERROR', err_code_des: '签名错误' };
      res.end(encodeWechatXml(signWechat({ return_code: 'SUCCESS', appid: 'wxapp', mch_id: '1900000109', nonce_str: 'abc', ...extra }, old ? OLD : NEW, 'HMAC-SHA256')));
    };
    await expect(rotated().c.call('/pay/orderquery', { out_trade_no: 'b1' })).resolves.toMatchObject({ trade_state: 'SUCCESS' });
    expect(seen).toEqual([{ no: 'b1', key: 'new' }, { no: 'b1', key: 'old' }]);
  });

  test('refused with both keys: PROTOCOL, signatureRefused and bothKeys, not processed — exactly two requests', async () => {
    channelHolds('x'.repeat(32));
    const { c, used } = rotated();
    await expect(c.call('/pay/micropay', { out_trade_no: 'c1' })).rejects.toMatchObject({ code: 'PROTOCOL', details: { unknownOutcome: false, signatureRefused: true, bothKeys: true } });
    expect(seen).toEqual([{ no: 'c1', key: 'new' }, { no: 'c1', key: 'old' }]);
    expect(used.n).toBe(0);
  });

  test('anything but a refused signature is never retried with the other key', async () => {
    const bodies: Array<[string, string]> = [
      ['FAIL, another message', encodeWechatXml({ return_code: 'FAIL', return_msg: '系统繁忙,请稍后再试' })],
      ['SYSTEMERROR', encodeWechatXml(signWechat({ return_code: 'SUCCESS', appid: 'wxapp', mch_id: '1900000109', result_code: 'FAIL', err_code: 'SYSTEMERROR' }, NEW, 'HMAC-SHA256'))],
      ['USERPAYING', encodeWechatXml(signWechat({ return_code: 'SUCCESS', appid: 'wxapp', mch_id: '1900000109', result_code: 'FAIL', err_code: 'USERPAYING' }, NEW, 'HMAC-SHA256'))],
      ['INVALID_REQUEST', encodeWechatXml(signWechat({ return_code: 'SUCCESS', appid: 'wxapp', mch_id: '1900000109', result_code: 'FAIL', err_code: 'INVALID_REQUEST' }, NEW, 'HMAC-SHA256'))],
      ['answer signed with the old key', encodeWechatXml(signWechat({ return_code: 'SUCCESS', appid: 'wxapp', mch_id: '1900000109', result_code: 'SUCCESS' }, OLD, 'HMAC-SHA256'))],
      ['garbage', '<html>502 Bad Gateway</html>'],
    ];
    for (const [what, body] of bodies) {
      let n = 0;
      handler = (_b, res) => {
        n++;
        res.end(body);
      };
      await rotated().c.call('/pay/micropay', { out_trade_no: 'd1' }).catch(() => undefined);
      expect({ what, requests: n }).toEqual({ what, requests: 1 });
    }
    // no answer at all (unknown outcome): not retried either
    let n = 0;
    handler = () => void n++;
    const clock = new SimulatedClock();
    const p = rotated(clock).c.call('/pay/micropay', { out_trade_no: 'd2' }).catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 50));
    clock.advance(5000);
    await expect(p).resolves.toMatchObject({ code: 'TIMEOUT', details: { unknownOutcome: true } });
    await new Promise((r) => setTimeout(r, 50));
    expect(n).toBe(1);
  });

  test('a notification signed with the previous key verifies through the fallback', () => {
    const base = { return_code: 'SUCCESS', appid: 'wxapp', mch_id: '1900000109', out_trade_no: 'a1', transaction_id: 't1', total_fee: '1', sign_type: 'HMAC-SHA256' };
    expect(keyed(NEW).verifies(signWechat(base, OLD, 'HMAC-SHA256'))).toBe(false);
    expect(rotated().c.verifies(signWechat(base, OLD, 'HMAC-SHA256'))).toBe(true);
    expect(rotated().c.verifies(signWechat(base, 'x'.repeat(32), 'HMAC-SHA256'))).toBe(false);
  });
});
