import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { SimulatedClock, SystemClock, type Clock } from '../../../kernel/clock';
import { createCa, issueCertificate } from '../../../kernel/x509/certificates';
import { beijingTimestamp, MAX_UNIONPAY_ANSWER_BYTES, UnionpayClient } from './unionpay-client';
import { decodeForm, encodeAcpText, encodeForm } from '../../../protocol/payments/unionpay/unionpay-form';
import { signFields } from '../../../protocol/payments/unionpay/unionpay-sign';

const root = createCa({ commonName: 'UnionPay root' });
const upSigning = issueCertificate(root, 'signing', { commonName: 'UnionPay signing' });
const merchant = issueCertificate(root, 'signing', { commonName: 'merchant' });
const MER = '777290058110048';

type Reply = (req: http.IncomingMessage, body: string, res: http.ServerResponse) => void;
let reply: Reply;
let server: http.Server;
let url: string;
let lastBody = '';

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      lastBody = Buffer.concat(chunks).toString('utf8');
      reply(req, lastBody, res);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

const client = (clock: Clock = new SystemClock(), timeoutMs = 2000) =>
  new UnionpayClient({ url, merId: MER, merchantKeyPem: merchant.keyPem, merchantCertPem: merchant.certPem, unionpayRootCaPem: root.certPem, clock, timeoutMs });
const signedAnswer = (f: Record<string, string>) => encodeAcpText(signFields({ merId: MER, signPubKeyCert: upSigning.certPem, ...f }, upSigning.keyPem));
const query = { txnType: '00', txnSubType: '00', bizType: '000000', orderId: 'abcdef12345678', txnTime: '20261206120000' };

describe('UnionpayClient', () => {
  it('sends a signed form with the common fields and returns the verified answer', async () => {
    reply = (req, _b, res) => res.end(signedAnswer({ orderId: 'abcdef12345678', respCode: '00', origRespCode: '00' }));
    await expect(client().call('queryTrans', query)).resolves.toMatchObject({ respCode: '00', origRespCode: '00' });
    const sent = decodeForm(lastBody)!;
    expect(sent).toMatchObject({ version: '5.1.0', encoding: 'UTF-8', signMethod: '01', merId: MER, accessType: '0', txnType: '00' });
    expect(sent.certId).toMatch(/^[0-9]+$/);
    expect(sent.signature).toBeTruthy();
  });

  it.each([
    ['garbage', () => 'not an answer'],
    ['unsigned', () => encodeAcpText({ respCode: '00', orderId: 'abcdef12345678' })],
    ['for another order', () => signedAnswer({ orderId: 'zzzzzzzz99999999', respCode: '00' })],
    ['for another merchant', () => signedAnswer({ orderId: 'abcdef12345678', respCode: '00', merId: '999999999999999' })],
    ['without respCode', () => signedAnswer({ orderId: 'abcdef12345678' })],
  ])('%s → PROTOCOL with unknown outcome', async (_name, body) => {
    reply = (_r, _b, res) => res.end(body());
    await expect(client().call('queryTrans', query)).rejects.toMatchObject({ code: 'PROTOCOL', details: { unknownOutcome: true } });
  });

  it('an endless answer is cut at the cap: PROTOCOL, unknown outcome', async () => {
    reply = (_r, _b, res) => {
      res.write('respCode=00&x=');
      const chunk = 'a'.repeat(16 * 1024);
      for (let i = 0; i * chunk.length <= MAX_UNIONPAY_ANSWER_BYTES; i++) res.write(chunk);
      res.end();
    };
    await expect(client().call('queryTrans', query)).rejects.toMatchObject({ code: 'PROTOCOL', details: { unknownOutcome: true } });
  });

  it('an answer cut off mid-way → DEVICE_OFFLINE with unknown outcome', async () => {
    reply = (_r, _b, res) => {
      res.writeHead(200, { 'content-length': '1000' });
      res.write('respCode=00');
      setTimeout(() => res.socket?.destroy(), 20);
    };
    await expect(client().call('backTransReq', { ...query, txnType: '01', txnSubType: '06' })).rejects.toMatchObject({
      code: 'DEVICE_OFFLINE',
      details: { unknownOutcome: true },
    });
  });

  it('no answer within the timeout of the injected clock → TIMEOUT with unknown outcome', async () => {
    const clock = new SimulatedClock(Date.now());
    reply = () => undefined; // never answers
    const p = client(clock, 5000).call('queryTrans', query);
    await new Promise((r) => setTimeout(r, 50));
    clock.advance(5000);
    await expect(p).rejects.toMatchObject({ code: 'TIMEOUT', details: { unknownOutcome: true } });
  });

  it('refused connection → DEVICE_OFFLINE, nothing sent', async () => {
    const c = new UnionpayClient({ url: 'http://127.0.0.1:1', merId: MER, merchantKeyPem: merchant.keyPem, merchantCertPem: merchant.certPem, unionpayRootCaPem: root.certPem, clock: new SystemClock() });
    await expect(c.call('queryTrans', query)).rejects.toMatchObject({ code: 'DEVICE_OFFLINE', details: { unknownOutcome: false } });
  });

  it('notifications: verified ones pass, forged ones throw PROTOCOL', () => {
    const n = signFields({ merId: MER, orderId: 'abcdef12345678', respCode: '00', txnType: '01', txnAmt: '5', signPubKeyCert: upSigning.certPem }, upSigning.keyPem);
    expect(client().verifyNotification(encodeForm(n))).toMatchObject({ orderId: 'abcdef12345678' });
    expect(() => client().verifyNotification(encodeForm({ ...n, txnAmt: '500' }))).toThrow(/does not verify/);
    expect(() => client().verifyNotification('%%%')).toThrow(/does not verify/);
  });

  it('txnTime is Beijing time', () => {
    expect(beijingTimestamp(Date.UTC(2026, 11, 6, 16, 30, 5))).toBe('20261207003005');
  });
});
