import { generateKeyPairSync } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { PaymentPrompt } from '../../protocol/screen';
import { GatewayClient } from '../../runtime/payments/gateway/gateway-client';
import { QrGatewayProvider } from '../../runtime/payments/gateway/qr-provider';
import type { PaymentCodeInbox } from '../../runtime/payments/payment-code-inbox';
import type { PaymentRequest } from '../../runtime/payments/provider';
import { GatewaySimulator } from '../../simulators/gateway/gateway-simulator';
import type { DeviceContext } from './types';

export interface BuiltGateway {
  /** Shopper-presented code (`qr`): the scanner reads the shopper's payment code. */
  provider: QrGatewayProvider;
  /** Merchant-presented code (`qr_merchant`): the kiosk shows a dynamic QR (`onQrCode`) and polls until paid or expired. */
  merchant: QrGatewayProvider;
  sim?: GatewaySimulator;
  close(): Promise<void>;
}

/** A key pair kept in the data dir, so a simulated gateway's ledger and keys survive restarts. */
function keyPair(dir: string, name: string): { privatePath: string; publicPem: string } {
  const privatePath = path.join(dir, `${name}.key.pem`);
  const publicPath = path.join(dir, `${name}.pub.pem`);
  if (!fs.existsSync(privatePath)) {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    fs.writeFileSync(privatePath, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
    fs.writeFileSync(publicPath, publicKey.export({ type: 'spki', format: 'pem' }));
  }
  return { privatePath, publicPem: fs.readFileSync(publicPath, 'utf8') };
}

/** The QR-pay gateway: the real signed client, against the store's gateway or a local simulator. */
export async function buildGateway(
  ctx: DeviceContext,
  inbox: PaymentCodeInbox,
  screen: { onQrCode?: (qrCode: string, req: PaymentRequest) => void; onPrompt?: (method: string, prompt: PaymentPrompt) => void } = {},
): Promise<BuiltGateway | null> {
  const cfg = ctx.config.payments.gateway;
  if (cfg.transport === 'none') return null;
  const providerOpts = {
    clock: ctx.clock,
    pollMs: ctx.config.payments.qrPollMs,
    waitDeadlineMs: ctx.config.payments.qrWaitDeadlineMs,
  };
  const providers = (client: GatewayClient) => ({
    provider: new QrGatewayProvider({
      client,
      ...providerOpts,
      readAuthCode: (_req: unknown, signal: AbortSignal) => inbox.next(signal),
      onPrompt: (prompt) => screen.onPrompt?.('qr', prompt),
    }),
    merchant: new QrGatewayProvider({
      client,
      ...providerOpts,
      qrDeadlineMs: ctx.config.payments.qrWaitDeadlineMs,
      onQrCode: (code, req) => screen.onQrCode?.(code, req),
      onPrompt: (prompt) => screen.onPrompt?.('qr_merchant', prompt),
    }),
  });
  if (cfg.transport === 'http') {
    const client = new GatewayClient({
      url: cfg.url,
      appId: cfg.appId,
      merchantPrivateKeyPath: cfg.merchantKeyPath,
      gatewayPublicKeyPath: cfg.gatewayPublicKeyPath,
      clock: ctx.clock,
    });
    return { ...providers(client), close: async () => undefined };
  }
  const dir = path.join(ctx.config.dataDir, 'sim-gateway');
  fs.mkdirSync(dir, { recursive: true });
  const merchant = keyPair(dir, 'merchant');
  const gateway = keyPair(dir, 'gateway');
  const sim = new GatewaySimulator({
    ledgerPath: path.join(dir, 'ledger.json'),
    merchantPublicKey: merchant.publicPem,
    gatewayPrivateKey: fs.readFileSync(gateway.privatePath, 'utf8'),
    appId: 'kiosk-sim',
    clock: ctx.clock,
  });
  const url = await sim.start();
  const client = new GatewayClient({
    url,
    appId: 'kiosk-sim',
    merchantPrivateKeyPath: merchant.privatePath,
    gatewayPublicKeyPath: path.join(dir, 'gateway.pub.pem'),
    clock: ctx.clock,
    timeoutMs: 5000,
  });
  return { ...providers(client), sim, close: () => sim.stop() };
}
