/**
 * `kiosk support-bundle` (issue 13): one tar.gz for the help desk with doctor, versions, redacted config and
 * identity, logs (or why there are none), journal verify, storage, devices, lane history — and no secret of a
 * provisioned kiosk anywhere in it (the broker password from --password-file, credentials in the broker URL, the
 * terminal password, attendant PIN and badge hashes, the client key).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import * as tar from 'tar';
import { loadConfig } from '../config/load';
import { passwordFrom, provisionKiosk } from '../device/commands/provision';
import { bootKiosk } from '../device/kiosk';
import { Redactor, REDACTED } from '../device/redact-secrets';
import { buildSupportBundle } from '../device/support-bundle';
import { SystemClock } from '../kernel/clock';
import { tempDir } from './support/engine-fixture';
import { freePort } from './support/mosquitto';
import { testKey } from './support/trust';

const BROKER_PW = 'Br0ker-Pa55-7f3a9c';
const URL_PW = 'url-cred-5e1d2b';
const TERMINAL_PW = '918273';
const PIN_HASH = 'scrypt$16384$8$1$cGluLXNhbHQtMTIzNDU2Nzg=$cGluLWhhc2gtYWJjZGVmZ2hpamtsbW5vcA==';
const BADGE_HASH = 'scrypt$16384$8$1$YmFkZ2Utc2FsdC05ODc2NTQzMg==$YmFkZ2UtaGFzaC16eXh3dnV0c3JxcG9u';

describe('kiosk support-bundle', () => {
  let dir: string;
  let data: string;
  let configFile: string;

  beforeAll(async () => {
    dir = tempDir('kiosk-bundle-');
    data = path.join(dir, 'data');
    configFile = path.join(dir, 'config.json');
    fs.writeFileSync(
      configFile,
      JSON.stringify({
        devices: { terminalPassword: TERMINAL_PW },
        attendant: { pins: [{ attendantId: 'a1', hash: PIN_HASH }], badges: [{ attendantId: 'a2', hash: BADGE_HASH }] },
      }),
    );
    const hqPub = path.join(dir, 'hq.pub');
    fs.writeFileSync(hqPub, testKey().publicPem);
    const pwFile = path.join(dir, 'pw');
    fs.writeFileSync(pwFile, `${BROKER_PW}\n`, { mode: 0o600 });
    const password = await passwordFrom({ passwordFile: pwFile }, () => Promise.reject(new Error('no stdin')));
    await provisionKiosk(
      { data, store: 's7', device: 'd7', broker: `mqtt://lane-d7:${URL_PW}@127.0.0.1:${await freePort()}`, username: 'lane-d7', password, trust: [hqPub] },
      { out: () => undefined, err: () => undefined, clock: new SystemClock(), brokerTimeoutMs: 500 },
    );
    const k = await bootKiosk(loadConfig({ env: {}, configPath: configFile, overrides: { dataDir: data } }), { clock: new SystemClock() });
    await k.close();
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('holds every part the help desk needs and no secret bytes', async () => {
    const out = path.join(dir, 'bundle.tar.gz');
    const config = loadConfig({ env: {}, configPath: configFile, overrides: { dataDir: data } });
    expect(config.devices.terminalPassword).toBe(TERMINAL_PW); // the secrets really are in what the bundle starts from
    const r = await buildSupportBundle(config, out, { clock: new SystemClock(), logLines: 50 });
    expect(fs.statSync(out).mode & 0o777).toBe(0o600);

    const files = new Map<string, string>();
    await tar.t({
      file: out,
      onReadEntry: (e) => {
        const chunks: Buffer[] = [];
        e.on('data', (c: Buffer) => chunks.push(c));
        e.on('end', () => files.set(e.path.replace(/^[^/]+\//, ''), Buffer.concat(chunks).toString('utf8')));
      },
    });
    expect([...files.keys()].filter((n) => n !== '').sort()).toEqual(
      ['backups.json', 'config.json', 'devices.json', 'doctor.json', 'identity.json', 'journal-verify.json', 'lane-history.json', 'logs.txt', 'manifest.json', 'storage.json', 'versions.json'],
    );
    expect(r.entries).toHaveLength(11);
    const json = (n: string) => JSON.parse(files.get(n)!) as Record<string, unknown>;
    expect(json('versions.json')).toMatchObject({ node: process.version, sqlite: expect.stringMatching(/^3\.\d+\.\d+$/), kiosk: expect.any(String) });
    expect(json('journal-verify.json')).toMatchObject({ ok: true, journalSeq: expect.any(Number) });
    expect((json('journal-verify.json').journalSeq as number) > 0).toBe(true);
    expect(json('storage.json')).toMatchObject({ ok: true });
    expect(json('doctor.json')).toMatchObject({ source: expect.stringContaining('offline checks'), rows: [{ check: 'storage', ok: true }, { check: 'journal', ok: true }] });
    expect(json('manifest.json')).toMatchObject({ running: false, dataDir: path.resolve(data) });
    expect(json('devices.json')).toHaveProperty('devices');
    expect(json('lane-history.json')).toMatchObject({ conditionNow: 'no kiosk running', entries: expect.arrayContaining([expect.objectContaining({ type: expect.any(String), at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) })]) });
    // config: the shape stays, the secrets are gone
    const cfg = json('config.json') as { devices: { terminalPassword: string }; attendant: { pins: { attendantId: string; hash: string }[] } };
    expect(cfg.devices.terminalPassword).toBe(REDACTED);
    expect(cfg.attendant.pins).toEqual([{ attendantId: 'a1', hash: REDACTED }]);
    const id = json('identity.json') as { store: string; broker: { url: string; auth: { username: string } } };
    expect(id).toMatchObject({ store: 's7', broker: { auth: { username: 'lane-d7' } } });
    expect(id.broker.url).toMatch(/^mqtt:\/\/lane-d7:\[redacted\]@127\.0\.0\.1:\d+$/);
    // logs: journald's lines for the unit, or one line saying why there are none — never an invented file
    const logs = files.get('logs.txt')!;
    if (r.logSource === 'none') expect(logs).toMatch(/^no log source: /);
    else expect(r.logSource).toBe('journalctl -u kiosk.service -n 50');

    // no secret anywhere: the archive's bytes, gunzipped, and each entry
    const bytes = zlib.gunzipSync(fs.readFileSync(out)).toString('latin1');
    for (const secret of [BROKER_PW, URL_PW, TERMINAL_PW, PIN_HASH, BADGE_HASH, 'cGluLWhhc2g', 'YmFkZ2UtaGFzaC']) {
      expect([secret, bytes.includes(secret)]).toEqual([secret, false]);
    }
  });

  it('never carries a payment channel secret (API key, client / signing keys in the files the config names), even from a log line', async () => {
    const wxKey = 'Wx-ApiKey-0f9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c';
    const files = { api: path.join(dir, 'wx-api.key'), client: path.join(dir, 'wx-client.key.pem'), sign: path.join(dir, 'up-sign.key.pem') };
    fs.writeFileSync(files.api, `${wxKey}\n`, { mode: 0o600 });
    const pem = (label: string) => `-----BEGIN PRIVATE KEY-----\n${label}${'A'.repeat(40)}\n-----END PRIVATE KEY-----\n`;
    fs.writeFileSync(files.client, pem('wxclient'), { mode: 0o600 });
    fs.writeFileSync(files.sign, pem('upsign'), { mode: 0o600 });
    const cfgFile = path.join(dir, 'channels.json');
    fs.writeFileSync(
      cfgFile,
      JSON.stringify({
        payments: {
          wechat: { transport: 'https', url: 'https://127.0.0.1:9/', appId: 'wx1', mchId: '10000100', apiKeyPath: files.api, clientCertPath: files.client, clientKeyPath: files.client },
          unionpay: { transport: 'https', url: 'https://127.0.0.1:9/', merId: '777290058110048', signKeyPath: files.sign, signCertPath: files.sign, rootCertPath: files.sign },
        },
      }),
    );
    const config = loadConfig({ env: {}, configPath: cfgFile, overrides: { dataDir: data } });
    const out = path.join(dir, 'bundle-channels.tar.gz');
    // a careless log line that printed the key and a key file's body
    const line = `wechat: signing with key ${wxKey}; key file wxclient${'A'.repeat(40)}`;
    await buildSupportBundle(config, out, { clock: new SystemClock(), logLines: 5, logs: () => ({ source: 'test', text: line }) });
    const bytes = zlib.gunzipSync(fs.readFileSync(out)).toString('latin1');
    expect(bytes).toContain('wechat: signing with key');
    for (const secret of [wxKey, `wxclient${'A'.repeat(40)}`, `upsign${'A'.repeat(40)}`]) expect([secret, bytes.includes(secret)]).toEqual([secret, false]);
  });

  it('never carries the WeChat Pay APIv3 merchant key (api v3: merchantKeyPath), even from a log line', async () => {
    const keyFile = path.join(dir, 'apiclient_key.pem');
    const pubFile = path.join(dir, 'pub_key.pem');
    const body = `wxv3merchant${'B'.repeat(40)}`;
    fs.writeFileSync(keyFile, `-----BEGIN PRIVATE KEY-----\n${body}\n-----END PRIVATE KEY-----\n`, { mode: 0o600 });
    fs.writeFileSync(pubFile, `-----BEGIN PUBLIC KEY-----\nwxv3public${'C'.repeat(40)}\n-----END PUBLIC KEY-----\n`);
    const cfgFile = path.join(dir, 'channels-v3.json');
    fs.writeFileSync(
      cfgFile,
      JSON.stringify({
        payments: {
          wechat: {
            transport: 'https',
            api: 'v3',
            url: 'https://127.0.0.1:9/',
            appId: 'wx1',
            mchId: '10000100',
            merchantKeyPath: keyFile,
            merchantCertSerial: '5157F09EFDC096DE15EBE81A47057A7232F1B8E1',
            wechatpayPublicKeyPath: pubFile,
            wechatpayPublicKeyId: 'PUB_KEY_ID_0114232134912410000000000000',
          },
        },
      }),
    );
    const config = loadConfig({ env: {}, configPath: cfgFile, overrides: { dataDir: data } });
    const out = path.join(dir, 'bundle-channels-v3.tar.gz');
    await buildSupportBundle(config, out, { clock: new SystemClock(), logLines: 5, logs: () => ({ source: 'test', text: `wechat v3: loaded key ${body}` }) });
    const bytes = zlib.gunzipSync(fs.readFileSync(out)).toString('latin1');
    expect(bytes).toContain('wechat v3: loaded key');
    expect(bytes.includes(body)).toBe(false);
  });

  it('redacts by field name, by pattern and by the values the kiosk holds', () => {
    const red = new Redactor(['held-secret-value']);
    expect(
      red.value({
        hq: { broker: 'mqtts://u:p4ss@h:8883', password: 'x', apiToken: 'y', mqttPassword: 'z' },
        light: { pins: { green: 2 } },
        note: 'logged held-secret-value and scrypt$1$2$3$abc= and -----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----',
        keyId: 'abc123',
      }),
    ).toEqual({
      hq: { broker: `mqtts://u:${REDACTED}@h:8883`, password: REDACTED, apiToken: REDACTED, mqttPassword: REDACTED },
      light: { pins: { green: 2 } },
      note: `logged ${REDACTED} and ${REDACTED} and ${REDACTED}`,
      keyId: 'abc123',
    });
  });
});
