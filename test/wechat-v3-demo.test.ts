/**
 * `kiosk demo --pay wechat` with `payments.wechat.api = 'v3'` (built CLI from dist/): the kiosk's in-process WeChat
 * Pay APIv3 simulator takes the payment (its ledger has the trade; the v2 simulator never starts), and the config
 * schema refuses a v3 https config without its keys and a v2 one without its API key.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ConfigError } from '../kernel/errors';
import { loadConfig } from '../config/load';
import { channelOrderNo } from '../protocol/payments/channel-numbers';
import { kiosk } from './support/cli';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wechat-v3-demo-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

function problems(over: unknown): string[] {
  try {
    loadConfig({ env: {}, overrides: over as Record<string, unknown> });
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  return [];
}

it('demo --pay wechat with api v3 pays through the APIv3 simulator', () => {
  const configPath = path.join(dir, 'kiosk.json');
  fs.writeFileSync(configPath, JSON.stringify({ payments: { wechat: { transport: 'simulated', api: 'v3' } } }));
  const data = path.join(dir, 'data');
  const r = kiosk(['demo', '--data', data, '--config', configPath, '--json', '--pay', 'wechat'], { timeoutMs: 120_000 });
  expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
  const o = JSON.parse(r.stdout) as { state: string; total: number; payments: Array<{ attemptId: string; approvedAmount: number; reference: { channel: string; outTradeNo: string; tradeNo?: string } }> };
  expect(o.state).toBe('completed');
  expect(o.payments).toHaveLength(1);
  const p = o.payments[0];
  expect(p).toMatchObject({ approvedAmount: o.total, reference: { channel: 'wechat', outTradeNo: channelOrderNo('wechat', p.attemptId) } });
  const ledger = JSON.parse(fs.readFileSync(path.join(data, 'sim-wechat-v3', 'ledger.json'), 'utf8')) as { trades: Array<{ outTradeNo: string; state: string; totalFee: number; transactionId: string }> };
  expect(ledger.trades).toEqual([expect.objectContaining({ outTradeNo: p.reference.outTradeNo, state: 'SUCCESS', totalFee: o.total, transactionId: p.reference.tradeNo })]);
  expect(fs.existsSync(path.join(data, 'sim-wechat'))).toBe(false);
});

it('config: api v3 over https needs the merchant key, certificate serial and WeChat Pay public key + id; v2 needs its API key and client certificate', () => {
  const base = { transport: 'https', url: 'https://api.mch.weixin.qq.com', appId: 'wx1', mchId: '1900009191' };
  const v3 = problems({ payments: { wechat: { ...base, api: 'v3' } } });
  for (const f of ['merchantKeyPath', 'merchantCertSerial', 'wechatpayPublicKeyPath', 'wechatpayPublicKeyId']) expect(v3.join('\n')).toContain(f);
  expect(v3.join('\n')).not.toContain('apiKeyPath');
  const v2 = problems({ payments: { wechat: base } });
  for (const f of ['apiKeyPath', 'clientCertPath', 'clientKeyPath']) expect(v2.join('\n')).toContain(f);
  expect(problems({ payments: { wechat: { ...base, api: 'v3', merchantKeyPath: '/k.pem', merchantCertSerial: '444F4864EA9B34415', wechatpayPublicKeyPath: '/p.pem', wechatpayPublicKeyId: 'PUB_KEY_ID_0114232134912410000000000000' } } })).toEqual([]);
  expect(problems({ payments: { wechat: { transport: 'simulated', api: 'v4' } } }).join('\n')).toContain('api');
});
