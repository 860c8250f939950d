/**
 * A wallet configured `hq` (config transport): its merchant credentials are the ones HQ sealed to this kiosk
 * (runtime/hq-control/channel-secrets.ts), read when they change — until they arrive the channel refuses before
 * sending anything, and a rotation applies from the next payment without a restart. Against the real WeChat Pay
 * simulator over HTTPS; the composition root's wiring (device/devices/wallets.ts) is what is under test.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadConfig } from '../config/load';
import { buildWallets, type BuiltWallets } from '../device/devices/wallets';
import { SystemClock } from '../kernel/clock';
import type { ChannelSecrets } from '../protocol/payments/channel-secrets';
import { PaymentCodeInbox } from '../runtime/payments/payment-code-inbox';
import { WechatSimulator } from '../simulators/wechat/wechat-simulator';
import { tempDir } from './support/engine-fixture';

const API_KEY = 'hqsealed0123456789abcdefghijklmn';

describe('wallet credentials from HQ (transport hq)', () => {
  let dir: string;
  let sim: WechatSimulator;
  let wallets: BuiltWallets | null = null;

  beforeAll(async () => {
    dir = tempDir('kiosk-wallets-hq-');
    sim = new WechatSimulator({ ledgerPath: path.join(dir, 'wechat-ledger.json'), apiKey: API_KEY });
    await sim.start();
  });
  afterAll(async () => {
    await wallets?.close();
    await sim.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('refuses before sending until the secrets arrive, pays with them, and takes a rotation at the next payment', async () => {
    fs.writeFileSync(path.join(dir, 'ca.pem'), sim.caPem);
    const config = loadConfig({
      env: {},
      overrides: {
        dataDir: path.join(dir, 'data'),
        payments: { gateway: { transport: 'none' }, unionpay: { transport: 'none' }, wechat: { transport: 'hq', url: sim.url, secapiUrl: sim.secapiUrl, caPath: path.join(dir, 'ca.pem') }, qrPollMs: 50, qrWaitDeadlineMs: 1000 },
      },
    });
    let version: number | null = null;
    let secrets: ChannelSecrets | null = null;
    let unsealed = 0;
    const inbox = new PaymentCodeInbox();
    wallets = await buildWallets({ config, clock: new SystemClock() }, inbox, {}, { version: () => version, secrets: () => (unsealed++, secrets) });
    const wechat = wallets!.channels.get('wechat')!;
    const req = (n: number) => ({ attemptId: `0c1d2e3f-4a5b-4c6d-8e9f-00000000000${n}`, orderId: `o${n}`, amount: 1234, currency: 'CNY' });
    const never = new AbortController().signal;

    // nothing from HQ yet: refused before anything reaches WeChat Pay, and QR pay is not offered
    expect(await wallets!.router.available()).toBe(false);
    await expect(wechat.payWithCode(req(1), '134567890123456789', never)).rejects.toMatchObject({ code: 'DEVICE_OFFLINE', details: { unknownOutcome: false } });
    expect(sim.trades()).toEqual([]);

    // HQ's secrets arrive (version 1)
    const creds = { appId: sim.appId, mchId: sim.mchId, apiKey: API_KEY, clientCertPem: sim.clientCertPem, clientKeyPem: sim.clientKeyPem };
    secrets = { wechat: creds };
    version = 1;
    expect(await wallets!.router.available()).toBe(true);
    expect(await wechat.payWithCode(req(2), '134567890123456789', never)).toMatchObject({ outcome: 'approved', amount: 1234 });
    expect(unsealed).toBe(1); // unsealed once for the version, not per call

    // a rotation to a key WeChat does not know: the very next payment signs with it (and is not believed paid)
    secrets = { wechat: { ...creds, apiKey: 'rotated0123456789abcdefghijklmnop' } };
    version = 2;
    const rotated = await wechat.payWithCode(req(3), '134567890123456789', AbortSignal.timeout(2000)).then(
      (r) => r.outcome,
      () => 'in doubt',
    );
    expect(rotated).not.toBe('approved');
    expect(sim.trades().map((t) => t.outTradeNo)).not.toContain(req(3).attemptId.replace(/-/g, ''));
    // and back to the right one: paid again, no restart
    secrets = { wechat: creds };
    version = 3;
    expect(await wechat.payWithCode(req(4), '134567890123456789', never)).toMatchObject({ outcome: 'approved' });
    expect(unsealed).toBe(3);
  });
});
