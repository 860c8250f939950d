/**
 * What the crash matrices (test/payment-crash.test.ts, test/refund-crash.test.ts) share: the four payment
 * simulators running in the test process — the ZVT terminal on TCP (a LAN terminal), the Alipay gateway on HTTP,
 * WeChat Pay on HTTPS (refunds and reversals with the merchant's client certificate) and the UnionPay acquirer on
 * HTTPS — so they outlive every kill of the kiosk and their own ledgers are the judge; a kiosk config that reaches
 * them all; and a runner of the built CLI that does not block this process (the simulators answer from here).
 */
import { generateKeyPairSync } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadConfig } from '../../config/load';
import { GatewaySimulator } from '../../simulators/gateway/gateway-simulator';
import { UnionpaySimulator } from '../../simulators/unionpay/unionpay-simulator';
import { WechatSimulator } from '../../simulators/wechat/wechat-simulator';
import { ZvtTerminalSimulator } from '../../simulators/terminal/zvt-simulator';
import { exited, kioskAsync } from './cli';

export interface CliRun {
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
}

/** Runs the built `kiosk` CLI to its end without blocking this process. */
export async function runKiosk(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliRun> {
  const child = kioskAsync(args, { env });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const { code, signal } = await exited(child);
  return { code, signal, stdout, stderr };
}

export interface PaymentSimulators {
  terminal: ZvtTerminalSimulator;
  terminalPort: number;
  gateway: GatewaySimulator;
  wechat: WechatSimulator;
  unionpay: UnionpaySimulator;
  /** The kiosk config (data dir inside `dir`) that pays and refunds through all four. */
  configPath: string;
  stop(): Promise<void>;
}

/** Starts the four simulators (ledgers in `dir`) and writes the kiosk config for them. */
export async function startPaymentSimulators(dir: string): Promise<PaymentSimulators> {
  // the terminal works in the kiosk's currency (a terminal refuses a registration in any other one)
  const currency = Number(loadConfig({ env: {}, overrides: { dataDir: dir } }).currency.numeric);
  const terminal = new ZvtTerminalSimulator({ ecrAckTimeoutMs: 2000, currency });
  const addr = await terminal.listenTcp();
  const merchant = generateKeyPairSync('rsa', { modulusLength: 2048 });
  fs.writeFileSync(path.join(dir, 'merchant.key.pem'), merchant.privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  const gateway = new GatewaySimulator({ ledgerPath: path.join(dir, 'gateway-ledger.json'), merchantPublicKey: merchant.publicKey, appId: 'crash-test' });
  const url = await gateway.start();
  fs.writeFileSync(path.join(dir, 'gateway.pub.pem'), gateway.gatewayPublicKeyPem);
  const wechat = new WechatSimulator({ ledgerPath: path.join(dir, 'wechat-ledger.json'), apiKey: 'crashtest0123456789abcdefghijklm', mchId: '10000100', appId: 'wxcrash' });
  await wechat.start();
  const file = (name: string, text: string) => {
    fs.writeFileSync(path.join(dir, name), text, { mode: 0o600 });
    return path.join(dir, name);
  };
  const unionpay = new UnionpaySimulator({ ledgerPath: path.join(dir, 'unionpay-ledger.json'), https: true });
  const unionpayUrl = await unionpay.start();
  const configPath = path.join(dir, 'kiosk.json');
  fs.writeFileSync(
    configPath,
    JSON.stringify({
      dataDir: path.join(dir, 'data'),
      devices: { terminal: { transport: 'tcp', host: addr.host, port: addr.port } },
      payments: {
        gateway: { transport: 'http', url, appId: 'crash-test', merchantKeyPath: path.join(dir, 'merchant.key.pem'), gatewayPublicKeyPath: path.join(dir, 'gateway.pub.pem') },
        wechat: {
          transport: 'https',
          url: wechat.url,
          secapiUrl: wechat.secapiUrl,
          appId: wechat.appId,
          mchId: wechat.mchId,
          apiKeyPath: file('wx-api.key', 'crashtest0123456789abcdefghijklm'),
          clientCertPath: file('wx-client.crt', wechat.clientCertPem),
          clientKeyPath: file('wx-client.key', wechat.clientKeyPem),
          caPath: file('wx-ca.crt', wechat.caPem),
        },
        unionpay: {
          transport: 'https',
          url: unionpayUrl,
          merId: unionpay.merId,
          signKeyPath: file('up-sign.key', unionpay.merchantKeyPem),
          signCertPath: file('up-sign.crt', unionpay.merchantCertPem),
          rootCertPath: file('up-root.crt', unionpay.rootCaPem),
          caPath: file('up-tls-ca.crt', unionpay.tlsCaPem),
        },
        qrPollMs: 100,
      },
    }),
  );
  return {
    terminal,
    terminalPort: addr.port,
    gateway,
    wechat,
    unionpay,
    configPath,
    async stop() {
      await terminal.close();
      await gateway.stop();
      await wechat.stop();
      await unionpay.stop();
    },
  };
}
