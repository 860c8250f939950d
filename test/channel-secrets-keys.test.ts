/**
 * The kiosk's sealing key outside the delivery flow: made at boot for a kiosk provisioned before sealing keys
 * existed (device/live-config.ts), kept by re-provisioning the same identity, and `hq channels set/list` on the CLI
 * (fingerprints only, secrets from files, exit 2 naming the field).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { loadConfig } from '../config/load';
import { bootKiosk } from '../device/kiosk';
import { runChannelsList, runChannelsSet, ChannelsUsage } from '../hq/commands/channels';
import { SystemClock } from '../kernel/clock';
import { fingerprint } from '../protocol/payments/channel-secrets';
import { writeIdentity } from '../runtime/trust/identity';
import { sealKeyPath, sealPubPath, readSealPublicKey } from '../runtime/trust/seal-key';
import { TrustStore } from '../runtime/trust/trust-store';
import { tempDir } from './support/engine-fixture';
import { testKey } from './support/trust';

jest.setTimeout(60_000);
const clock = new SystemClock();

it('a provisioned kiosk without a sealing key gets one at boot (0600), and keeps it at the next boot', async () => {
  const dir = tempDir('seal-boot-');
  TrustStore.open(dir).install([testKey().publicPem], { replace: true, now: clock.now() });
  writeIdentity(dir, { v: 1, store: 'S1', device: 'D1', broker: { url: 'mqtt://127.0.0.1:1', auth: { kind: 'none' } }, provisionedAt: new Date().toISOString() });
  expect(fs.existsSync(sealKeyPath(dir))).toBe(false);
  const config = loadConfig({ env: {}, overrides: { dataDir: dir } });
  let k = await bootKiosk(config, { confirmCash: async () => true });
  await k.close();
  expect(fs.statSync(sealKeyPath(dir)).mode & 0o777).toBe(0o600);
  expect(fs.statSync(sealPubPath(dir)).mode & 0o777).toBe(0o600);
  const first = readSealPublicKey(dir);
  expect(first).toMatch(/^-----BEGIN PUBLIC KEY-----/);
  k = await bootKiosk(config, { confirmCash: async () => true });
  await k.close();
  expect(readSealPublicKey(dir)).toBe(first);
  fs.rmSync(dir, { recursive: true, force: true });
});

it('an unprovisioned kiosk makes no sealing key', async () => {
  const dir = tempDir('seal-none-');
  const k = await bootKiosk(loadConfig({ env: {}, overrides: { dataDir: dir } }), { confirmCash: async () => true });
  await k.close();
  expect(fs.existsSync(sealKeyPath(dir))).toBe(false);
  fs.rmSync(dir, { recursive: true, force: true });
});

it('hq channels set / list: secrets from files, fingerprints only, the key file 0600 beside the database, exit 2 naming a bad field', async () => {
  const dir = tempDir('hq-channels-cli-');
  const db = path.join(dir, 'hq.sqlite');
  const signKey = `-----BEGIN PRIVATE KEY-----\n${randomBytes(120).toString('base64')}\n-----END PRIVATE KEY-----\n`;
  const cert = `-----BEGIN CERTIFICATE-----\n${randomBytes(120).toString('base64')}\n-----END CERTIFICATE-----\n`;
  fs.writeFileSync(path.join(dir, 'sign.key'), signKey);
  fs.writeFileSync(path.join(dir, 'sign.crt'), cert);
  const out: string[] = [];
  const io = { out: (t: string) => void out.push(t), err: () => undefined, clock };
  const r = await runChannelsSet({ db, channel: 'unionpay', store: 'S1', merId: '777290058110048', signKey: path.join(dir, 'sign.key'), signCert: path.join(dir, 'sign.crt') }, io);
  expect(r.row).toMatchObject({ scope: 'S1', channel: 'unionpay', version: 1, ids: { merId: '777290058110048' }, fingerprints: { signKeyPem: fingerprint(signKey) } });
  expect(r.deliveries).toBeNull();
  expect(fs.statSync(path.join(dir, 'hq-secrets.key')).mode & 0o777).toBe(0o600);
  await runChannelsList({ db }, io);
  const text = out.join('');
  expect(text).toContain(fingerprint(signKey));
  expect(text).toContain('777290058110048');
  expect(text).not.toContain(signKey.split('\n')[1]);
  // a field missing: refused naming it, nothing stored
  await expect(runChannelsSet({ db, channel: 'unionpay', chain: true, merId: '777290058110048', signKey: path.join(dir, 'sign.key') }, io)).rejects.toThrow(ChannelsUsage);
  await expect(runChannelsSet({ db, channel: 'unionpay', chain: true, merId: '777290058110048', signKey: path.join(dir, 'sign.key') }, io)).rejects.toThrow(/unionpay\.signCertPem/);
  await expect(runChannelsSet({ db, channel: 'unionpay', merId: 'x', signKey: 'a', signCert: 'b' }, io)).rejects.toThrow(/--store S or --chain/);
  out.length = 0;
  await runChannelsList({ db, json: true }, io);
  expect((JSON.parse(out.join('')) as { channels: unknown[] }).channels).toHaveLength(1);
  fs.rmSync(dir, { recursive: true, force: true });
});
