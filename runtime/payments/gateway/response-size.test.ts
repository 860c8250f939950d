/**
 * Issue 11 point 10 (size caps per call site): a gateway (or anything answering on its URL) that streams a huge
 * answer is cut off at MAX_GATEWAY_RESPONSE_BYTES with PROTOCOL (outcome unknown, so the payment is looked up,
 * never retried blindly) instead of being buffered until memory runs out.
 */
import { generateKeyPairSync } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { SimulatedClock } from '../../../kernel/clock';
import { KioskError } from '../../../kernel/errors';
import { GatewayClient, MAX_GATEWAY_RESPONSE_BYTES } from './gateway-client';

test('an endless answer is refused once it passes the cap, the stream is dropped', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gw-size-'));
  const pem = () => generateKeyPairSync('rsa', { modulusLength: 2048, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } });
  const merchant = pem();
  const gateway = pem();
  fs.writeFileSync(path.join(dir, 'merchant.pem'), merchant.privateKey);
  fs.writeFileSync(path.join(dir, 'gateway.pub'), gateway.publicKey);
  let sent = 0;
  let closed: () => void = () => undefined;
  const clientGone = new Promise<void>((r) => (closed = r));
  const server = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    const chunk = Buffer.alloc(64 * 1024, 0x5b); // '[' for ever, never ending
    const pump = () => {
      while (!res.destroyed && sent < 64 * MAX_GATEWAY_RESPONSE_BYTES && res.write(chunk)) sent += chunk.length;
    };
    res.on('drain', pump);
    res.on('close', closed);
    pump();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    // the clock never advances: only the size cap can end this call
    const client = new GatewayClient({
      url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/gateway`,
      appId: 'app',
      merchantPrivateKeyPath: path.join(dir, 'merchant.pem'),
      gatewayPublicKeyPath: path.join(dir, 'gateway.pub'),
      clock: new SimulatedClock(),
    });
    const err = await client.call('alipay.trade.query', { out_trade_no: 'o1' }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(KioskError);
    expect(err).toMatchObject({ code: 'PROTOCOL', message: `gateway answer to alipay.trade.query is larger than ${MAX_GATEWAY_RESPONSE_BYTES} bytes`, details: { unknownOutcome: true } });
    await clientGone; // the connection was dropped, not read to the end
    expect(sent).toBeLessThan(64 * MAX_GATEWAY_RESPONSE_BYTES);
  } finally {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
