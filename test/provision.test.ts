import * as fs from 'node:fs';
import * as os from 'node:os';
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { CliExit } from '../device/cli-support';
import { passwordFrom, provisionKiosk, type ProvisionOptions } from '../device/commands/provision';
import { SystemClock } from '../kernel/clock';
import { brokerCredentials, readIdentity } from '../runtime/trust/identity';
import { testKey } from './support/trust';
import { TrustStore } from '../runtime/trust/trust-store';
import mqtt from 'mqtt';
import { encodeAck } from '../protocol/sync/messages';
import { ackTopic } from '../protocol/topics';
import { freePort, Mosquitto } from './support/mosquitto';
import { appendEntries, kioskDb } from './support/sync-fixtures';

const PASSWORD = 'pa55-w0rd-secret';

describe('kiosk provision', () => {
  let broker: Mosquitto;
  let dir: string;
  let data: string;
  let hqPub: string;
  let hqKeyId: string;
  let out: string;
  let err: string;
  const io = () => ({ out: (t: string) => void (out += t), err: (t: string) => void (err += t), clock: new SystemClock() });
  const mode = (f: string) => fs.statSync(f).mode & 0o777;

  beforeAll(async () => {
    broker = await Mosquitto.start();
  });
  afterAll(async () => {
    await broker.close();
  });
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kiosk-prov-'));
    data = path.join(dir, 'data');
    const k = testKey();
    hqPub = path.join(dir, 'hq.pub');
    fs.writeFileSync(hqPub, k.publicPem);
    hqKeyId = k.keyId;
    out = '';
    err = '';
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const opts = (over: Partial<ProvisionOptions> = {}): ProvisionOptions => ({
    data,
    store: 's1',
    device: 'd1',
    broker: broker.url,
    username: 'lane-d1',
    password: PASSWORD,
    trust: [hqPub],
    ...over,
  });

  it('writes the identity, a 0600 password file and the trusted key; tests the broker; never prints the password', async () => {
    const r = await provisionKiosk(opts(), io());
    expect(r.broker).toEqual({ ok: true });
    expect(out).toContain(`broker ${broker.url}: OK`);
    expect(out).toContain('provisioned s1/d1');
    expect(out).toContain(hqKeyId);
    expect(out + err).not.toContain(PASSWORD);
    expect(err).toBe('');

    const identity = readIdentity(data);
    expect(identity).toMatchObject({ v: 1, store: 's1', device: 'd1', broker: { url: broker.url, auth: { kind: 'password', username: 'lane-d1', passwordFile: 'secrets/mqtt-password' } } });
    expect(JSON.stringify(identity)).not.toContain(PASSWORD);
    const pwFile = path.join(data, 'secrets', 'mqtt-password');
    expect(fs.readFileSync(pwFile, 'utf8')).toBe(PASSWORD);
    expect(mode(pwFile)).toBe(0o600);
    expect(mode(path.join(data, 'secrets'))).toBe(0o700);
    expect(mode(path.join(data, 'identity.json'))).toBe(0o600);
    expect(brokerCredentials(data, identity!.broker.auth)).toEqual({ username: 'lane-d1', password: PASSWORD });
    expect(TrustStore.open(data).keyIds()).toEqual([hqKeyId]);
  });

  it('refuses to overwrite an existing identity without --force, and replaces it with --force', async () => {
    await provisionKiosk(opts(), io());
    const before = fs.readFileSync(path.join(data, 'identity.json'), 'utf8');
    const e = await provisionKiosk(opts({ device: 'd2' }), io()).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(CliExit);
    expect((e as CliExit).code).toBe(1);
    expect((e as CliExit).message).toMatch(/already provisioned \(s1\/d1, .*identity\.json\); use --force to replace it/);
    expect(fs.readFileSync(path.join(data, 'identity.json'), 'utf8')).toBe(before);

    const other = testKey();
    fs.writeFileSync(hqPub, other.publicPem);
    await provisionKiosk(opts({ device: 'd2', force: true }), io());
    expect(readIdentity(data)).toMatchObject({ store: 's1', device: 'd2' });
    expect(out).toContain('(replaced s1/d1)');
    expect(TrustStore.open(data).keyIds()).toEqual([other.keyId]);
  });

  it('copies client certificate, key and CA into the data dir as 0600 files', async () => {
    for (const f of ['c.crt', 'c.key', 'ca.crt']) fs.writeFileSync(path.join(dir, f), `-----BEGIN X-----\n${f}\n-----END X-----\n`);
    const r = await provisionKiosk(
      opts({ username: undefined, password: undefined, cert: path.join(dir, 'c.crt'), key: path.join(dir, 'c.key'), ca: path.join(dir, 'ca.crt'), broker: `mqtt://127.0.0.1:${await freePort()}` }),
      io(),
    );
    expect(r.identity.broker.auth).toEqual({ kind: 'cert', certFile: 'secrets/client.crt', keyFile: 'secrets/client.key', caFile: 'secrets/ca.crt' });
    for (const f of ['client.crt', 'client.key', 'ca.crt']) expect(mode(path.join(data, 'secrets', f))).toBe(0o600);
    expect(fs.readFileSync(path.join(data, 'secrets', 'client.key'), 'utf8')).toContain('c.key');
  });

  it('an unreachable broker prints the error and still writes the identity, with a warning', async () => {
    const dead = `mqtt://127.0.0.1:${await freePort()}`;
    const r = await provisionKiosk(opts({ broker: dead }), io());
    expect(r.broker.ok).toBe(false);
    expect(out).toMatch(new RegExp(`broker ${dead.replace(/[.]/g, '\\.')}: .*ECONNREFUSED`));
    expect(err).toMatch(/warning: broker not reachable/);
    expect(readIdentity(data)).toMatchObject({ store: 's1', device: 'd1', broker: { url: dead } });
  });

  it('--require-broker makes an unreachable broker fatal and writes nothing', async () => {
    const dead = `mqtt://127.0.0.1:${await freePort()}`;
    const e = await provisionKiosk(opts({ broker: dead, requireBroker: true }), io()).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(CliExit);
    expect((e as CliExit).code).toBe(1);
    expect(out).toMatch(/ECONNREFUSED/);
    expect(readIdentity(data)).toBeNull();
    expect(fs.existsSync(path.join(data, 'secrets', 'mqtt-password'))).toBe(false);
  });

  it('tests the broker with the given credentials: a wrong password is reported, the right one is OK', async () => {
    const authDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mosq-auth-'));
    fs.chmodSync(authDir, 0o755);
    const pwfile = path.join(authDir, 'passwd');
    execFileSync('mosquitto_passwd', ['-b', '-c', pwfile, 'lane-d1', PASSWORD]);
    fs.chmodSync(pwfile, 0o644);
    const secured = await Mosquitto.start({ extraConfig: ['allow_anonymous false', `password_file ${pwfile}`] });
    try {
      const bad = await provisionKiosk(opts({ broker: secured.url, password: 'wrong' }), io());
      expect(bad.broker).toEqual({ ok: false, error: expect.stringMatching(/not authori[sz]ed|bad user ?name or password/i) });
      expect(out).not.toContain('wrong');
      out = '';
      const good = await provisionKiosk(opts({ broker: secured.url, force: true }), io());
      expect(good.broker).toEqual({ ok: true });
      expect(out).toContain(`broker ${secured.url}: OK`);
    } finally {
      await secured.close();
      fs.rmSync(authDir, { recursive: true, force: true });
    }
  });

  describe('an identity HQ already knows', () => {
    /** What HQ's ingest leaves on the broker for an identity it holds sales of: its retained ack. */
    const retainAck = async (device: string, seq: number, hash: string) => {
      const hq = await mqtt.connectAsync(broker.url);
      await hq.publishAsync(ackTopic('s1', device), encodeAck(seq, hash), { qos: 1, retain: true });
      await hq.endAsync();
    };

    it('warns when the identity is reused: HQ acknowledged entries of it that this kiosk does not have', async () => {
      await retainAck('d-reused', 30, 'c'.repeat(64));
      const r = await provisionKiosk(opts({ device: 'd-reused' }), io());
      expect(r.known).toMatchObject({ status: 'known', ack: { seq: 30 } });
      expect(err).toMatch(/^kiosk: warning: HQ already knows s1\/d-reused: HQ acknowledged its journal up to seq 30\. .*quarantined.*new device id/m);
      expect(readIdentity(data)).toMatchObject({ device: 'd-reused' }); // a warning, not a refusal
    });

    it('does not warn when this kiosk\'s own journal holds the entry HQ acknowledged (the same kiosk, re-provisioned)', async () => {
      fs.mkdirSync(data, { recursive: true });
      const db = await kioskDb(data);
      const entries = await appendEntries(db, 'd-same', 3);
      await db.close();
      await retainAck('d-same', 3, entries[2].hash);
      const r = await provisionKiosk(opts({ device: 'd-same' }), io());
      expect(r.known).toMatchObject({ status: 'known', ack: { seq: 3, hash: entries[2].hash } });
      expect(r.reuseWarning).toBeNull();
      expect(err).toBe('');
    });

    it('says nothing for a new identity, and says it could not check when the broker is not there', async () => {
      const r = await provisionKiosk(opts({ device: 'd-new' }), io());
      expect(r.known).toEqual({ status: 'unknown' });
      expect(err).toBe('');
      const dead = `mqtt://127.0.0.1:${await freePort()}`;
      await provisionKiosk(opts({ device: 'd-new', broker: dead, force: true }), io());
      expect(err).toMatch(/warning: could not check whether HQ already knows s1\/d-new \(.*ECONNREFUSED/);
    });
  });

  it('usage errors exit 2; a trust file that is not an Ed25519 key exits 1 before anything is written', async () => {
    await expect(provisionKiosk(opts({ store: 'bad store' }), io())).rejects.toMatchObject({ code: 2 });
    await expect(provisionKiosk(opts({ trust: [] }), io())).rejects.toMatchObject({ code: 2, message: expect.stringContaining('--trust') });
    await expect(provisionKiosk(opts({ password: undefined }), io())).rejects.toMatchObject({ code: 2 });
    await expect(provisionKiosk(opts({ cert: path.join(dir, 'c.crt') }), io())).rejects.toMatchObject({ code: 2 });
    fs.writeFileSync(hqPub, 'not a key');
    await expect(provisionKiosk(opts(), io())).rejects.toMatchObject({ code: 1, message: expect.stringContaining('not an HQ public key') });
    expect(fs.existsSync(data)).toBe(false);
  });

  it('--trust with HQ\'s PRIVATE key exits 2 pointing to the public key, and writes nothing', async () => {
    const k = testKey();
    const keyFile = path.join(dir, 'hq.key');
    fs.writeFileSync(keyFile, k.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), { mode: 0o600 });
    const e = await provisionKiosk(opts({ trust: [hqPub, keyFile] }), io()).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(CliExit);
    expect(e).toMatchObject({ code: 2, message: expect.stringMatching(/hq\.key is a private key; give HQ's public key \(the \.pub file `hq keygen --out DIR` wrote/) });
    expect(fs.existsSync(data)).toBe(false);
    expect(out + err).not.toContain('PRIVATE KEY');
  });

  describe('the MQTT password never comes from argv', () => {
    const noStdin = () => Promise.reject(new Error('stdin not expected'));
    it('--password <p> exits 2 naming --password-stdin and --password-file', async () => {
      await expect(passwordFrom({ password: PASSWORD }, noStdin)).rejects.toMatchObject({
        code: 2,
        message: expect.stringMatching(/--password would put the MQTT password in the command line .*--password-stdin.*--password-file FILE/),
      });
    });
    it('reads it from stdin (one trailing line break dropped) or from a file; refuses both, or an empty one', async () => {
      expect(await passwordFrom({ passwordStdin: true }, async () => Buffer.from(`${PASSWORD}\n`))).toBe(PASSWORD);
      const f = path.join(dir, 'pw');
      fs.writeFileSync(f, `${PASSWORD}\r\n`, { mode: 0o600 });
      expect(await passwordFrom({ passwordFile: f }, noStdin)).toBe(PASSWORD);
      expect(await passwordFrom({}, noStdin)).toBeUndefined();
      await expect(passwordFrom({ passwordStdin: true, passwordFile: f }, noStdin)).rejects.toMatchObject({ code: 2 });
      await expect(passwordFrom({ passwordStdin: true }, async () => Buffer.from('\n'))).rejects.toMatchObject({ code: 2, message: expect.stringContaining('empty') });
      await expect(passwordFrom({ passwordFile: path.join(dir, 'missing') }, noStdin)).rejects.toMatchObject({ code: 1 });
    });
  });
});
