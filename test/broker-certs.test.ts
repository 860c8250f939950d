/**
 * Per-kiosk certificates on a real Mosquitto: the shipped configuration (password listeners) plus the shipped
 * certificate listener (deploy/mosquitto/mosquitto-certs.conf: require_certificate, use_identity_as_username, crlfile)
 * with the ACL of `hq broker acl`, and certificates from HQ's CA (hq/ca). A kiosk's certificate CN is its broker
 * username, so the ACL follows the certificate; a certificate from another CA, none at all, or a revoked one
 * (after `hq ca revoke` and a broker reload) is refused; passwords still work on their listener. The kiosk side is
 * the real one: `kiosk provision --csr` (the key never leaves the kiosk), provisioning with the signed certificate,
 * and the kiosk's HQ link (identity broker auth 'cert') connecting through TLS and delivering a sale.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { MqttClient } from 'mqtt';
import { configFrom } from '../device/cli-support';
import { provisionCsr, provisionKiosk, type ProvisionOptions } from '../device/commands/provision';
import { bootKiosk } from '../device/kiosk';
import { startHqLink } from '../device/hq-link';
import { CertificateAuthority } from '../hq/ca/authority';
import { SystemClock } from '../kernel/clock';
import { brokerCredentials, readIdentity } from '../runtime/trust/identity';
import { startCertBroker, type CertBroker } from './support/cert-broker';
import { sell, type JournalKiosk } from './support/kiosk-journals';
import { testKey } from './support/trust';
import { waitFor } from './support/wait';

// the kiosk is provisioned with a broker, so the embedded Aedes HQ (an ES module jest cannot load) is never started
jest.mock('../device/embedded-hq', () => ({
  startEmbeddedHq: () => Promise.reject(new Error('the embedded HQ is not used in this test')),
}));
jest.setTimeout(120_000);

const CERT_KIOSKS = [
  { store: 's1', device: 'lane-1' }, // hq ca issue
  { store: 's1', device: 'lane-2' }, // kiosk provision --csr + hq ca sign
  { store: 's2', device: 'lane-1' }, // revoked in the test
];
const PASSWORD_KIOSK = { store: 's3', device: 'lane-1' };

describe('per-kiosk certificates on Mosquitto', () => {
  const clock = new SystemClock();
  let tmp: string;
  let caDir: string;
  let ca: CertificateAuthority;
  let b: CertBroker;
  let hq: MqttClient;
  const seen: { topic: string; body: string }[] = [];
  const issued: Record<string, { cert: Buffer; key: Buffer }> = {};
  const mode = (f: string) => fs.statSync(f).mode & 0o777;

  beforeAll(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'broker-certs-'));
    caDir = path.join(tmp, 'ca');
    ca = CertificateAuthority.init(caDir, clock, { hosts: ['127.0.0.1'] });
    for (const k of [CERT_KIOSKS[0], CERT_KIOSKS[2]]) {
      const { files } = ca.issue(k.store, k.device);
      issued[`${k.store}/${k.device}`] = { cert: fs.readFileSync(files.cert), key: fs.readFileSync(files.key) };
    }
    b = await startCertBroker({ caDir, devices: CERT_KIOSKS, passwordDevices: [PASSWORD_KIOSK] });
    hq = await b.hq();
    hq.on('message', (topic, p) => seen.push({ topic, body: p.toString() }));
    await hq.subscribeAsync('kiosk/v1/#', { qos: 1 });
  });
  afterAll(async () => {
    await b?.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  /** Publishes a unique body to `topic` from `from`: whether HQ got it, and the PUBACK's error (v5 "Not authorized"). */
  async function publish(from: MqttClient, topic: string): Promise<{ delivered: boolean; error: string | null }> {
    const body = `probe-${Math.random()}`;
    let error: string | null = null;
    await from.publishAsync(topic, body, { qos: 1 }).catch((e: Error) => void (error = e.message));
    await new Promise((r) => setTimeout(r, 300));
    return { delivered: seen.some((m) => m.topic === topic && m.body === body), error };
  }

  /** Whether a TLS connection with these credentials is refused (the error text), or null when it connects. */
  async function refused(o: { cert?: Buffer | string; key?: Buffer | string; ca?: Buffer | string }): Promise<string | null> {
    try {
      const c = await b.connectCert(o as { cert: Buffer; key: Buffer });
      await c.endAsync();
      return null;
    } catch (e) {
      return (e as Error).message || String(e);
    }
  }

  it('a kiosk with the certificate `hq ca issue` made connects and publishes its own events; another kiosk\'s topic is refused (the ACL follows the CN)', async () => {
    const c = await b.connectCert(issued['s1/lane-1']);
    expect(await publish(c, 'kiosk/v1/s1/lane-1/events')).toEqual({ delivered: true, error: null });
    const other = await publish(c, 'kiosk/v1/s1/lane-2/events');
    expect(other.delivered).toBe(false);
    expect(other.error).toMatch(/Not authorized/);
    expect((await publish(c, 'kiosk/v1/s2/lane-1/events')).delivered).toBe(false);
    await c.endAsync();
  });

  it('refused: no certificate, a certificate of another CA with the same CN, a password instead of a certificate', async () => {
    expect(await refused({})).not.toBeNull();
    const rogue = CertificateAuthority.init(path.join(tmp, 'rogue'), clock);
    const { files } = rogue.issue('s1', 'lane-1');
    expect(await refused({ cert: fs.readFileSync(files.cert), key: fs.readFileSync(files.key) })).not.toBeNull();
    // the kiosk's own key with another kiosk's certificate: its TLS stack refuses to use them together
    expect(await refused({ cert: issued['s1/lane-1'].cert, key: issued['s2/lane-1'].key })).not.toBeNull();
    await expect(b.connectCert({ username: 's1/lane-1', password: 'pw-s1/lane-1' } as unknown as { cert: Buffer; key: Buffer })).rejects.toBeDefined();
    // and the one good certificate still gets in
    expect(await refused(issued['s1/lane-1'])).toBeNull();
  });

  it('kiosk provision --csr: the key is made on the kiosk (0600), HQ signs the CSR, provisioning with the certificate (no --key) connects over TLS', async () => {
    const data = path.join(tmp, 'kiosk-lane-2');
    const csrFile = path.join(tmp, 'lane-2.csr');
    let err = '';
    const csr = provisionCsr({ data, store: 's1', device: 'lane-2', csrOut: csrFile }, { out: () => undefined, err: (t) => void (err += t) });
    expect(csr.created).toBe(true);
    expect(mode(csr.keyFile)).toBe(0o600);
    expect(err).toContain('hq ca sign');
    const keyPem = fs.readFileSync(csr.keyFile, 'utf8');
    // HQ sees the CSR only
    const { certPem } = ca.sign(fs.readFileSync(csrFile, 'utf8'), { expect: { store: 's1', device: 'lane-2' } });
    expect(certPem).not.toContain('PRIVATE KEY');
    const certFile = path.join(tmp, 'lane-2.crt');
    fs.writeFileSync(certFile, certPem);
    const hqPub = path.join(tmp, 'hq.pub');
    fs.writeFileSync(hqPub, testKey().publicPem);
    const opts: ProvisionOptions = { data, store: 's1', device: 'lane-2', broker: b.certUrl, cert: certFile, ca: path.join(caDir, 'ca.crt'), trust: [hqPub], requireBroker: true };
    const io = { out: () => undefined, err: () => undefined, clock };

    // refused, nothing written: the certificate for another store/device, signed by another CA, or for another key
    await expect(provisionKiosk({ ...opts, device: 'lane-9' }, io)).rejects.toMatchObject({ code: 1, message: expect.stringContaining('is for s1/lane-2, not s1/lane-9') });
    await expect(provisionKiosk({ ...opts, ca: path.join(tmp, 'rogue', 'ca.crt') }, io)).rejects.toMatchObject({ code: 1, message: expect.stringContaining('not signed by the CA') });
    fs.writeFileSync(path.join(tmp, 'lane-1.crt'), issued['s1/lane-1'].cert);
    await expect(provisionKiosk({ ...opts, cert: path.join(tmp, 'lane-1.crt') }, io)).rejects.toMatchObject({ code: 1, message: expect.stringContaining("does not certify this kiosk's key") });
    expect(fs.existsSync(path.join(data, 'identity.json'))).toBe(false);

    const r = await provisionKiosk(opts, io);
    expect(r.broker).toEqual({ ok: true });
    expect(r.identity.broker).toEqual({ url: b.certUrl, auth: { kind: 'cert', certFile: 'secrets/client.crt', keyFile: 'secrets/client.key', caFile: 'secrets/ca.crt' } });
    expect(fs.readFileSync(path.join(data, 'secrets', 'client.key'), 'utf8')).toBe(keyPem); // the key made on the kiosk, moved
    expect(mode(path.join(data, 'secrets', 'client.key'))).toBe(0o600);
    expect(fs.existsSync(csr.keyFile)).toBe(false);
    const creds = brokerCredentials(data, readIdentity(data)!.broker.auth);
    const c = await b.connectCert({ cert: creds.cert!, key: creds.key!, ca: creds.ca! });
    expect(await publish(c, 'kiosk/v1/s1/lane-2/events')).toEqual({ delivered: true, error: null });
    expect((await publish(c, 'kiosk/v1/s1/lane-1/events')).delivered).toBe(false);
    await c.endAsync();
  });

  it('the kiosk\'s HQ link with identity auth "cert" connects through TLS: presence online and a sale reach HQ under its CN', async () => {
    const data = path.join(tmp, 'kiosk-lane-2'); // provisioned by the test above
    const before = seen.length;
    const k = await bootKiosk(configFrom({ data }), { confirmCash: async () => true });
    const link = await startHqLink(k);
    try {
      await waitFor('the kiosk online at HQ', () => seen.slice(before).some((m) => m.topic === 'kiosk/v1/s1/lane-2/state' && (JSON.parse(m.body) as { online?: boolean }).online === true), 30_000);
      await sell({ engine: k.engine } as unknown as JournalKiosk, { items: [{ sku: 'cert-1', price: 1250 }], method: 'cash' });
      await waitFor('the sale at HQ', () => seen.slice(before).some((m) => m.topic === 'kiosk/v1/s1/lane-2/events' && m.body.includes('order_completed')), 30_000);
    } finally {
      await link.close();
      await k.close();
    }
  });

  it('revocation: after `hq ca revoke` and a broker reload the revoked kiosk cannot connect, the others can; a restart cuts its open connection', async () => {
    const held = await b.connectCert(issued['s2/lane-1']);
    expect(await publish(held, 'kiosk/v1/s2/lane-1/events')).toEqual({ delivered: true, error: null });
    ca.revoke({ store: 's2', device: 'lane-1' }, 'keyCompromise');
    b.installCrl(); // copy crl.pem to the broker, SIGHUP
    await waitFor('the revoked certificate refused', async () => (await refused(issued['s2/lane-1'])) !== null, 10_000, 200);
    expect(await refused(issued['s2/lane-1'])).toMatch(/revoked|closed|connect/i);
    expect(await refused(issued['s1/lane-1'])).toBeNull();
    // a reload does not cut the connection it already had (documented: restart the broker for that)
    expect(held.connected).toBe(true);
    const dropped = new Promise<void>((resolve) => held.once('close', () => resolve()));
    await b.broker.restart();
    await dropped;
    expect(await refused(issued['s2/lane-1'])).not.toBeNull();
    expect(await refused(issued['s1/lane-1'])).toBeNull();
  });

  it('passwords stay supported: a kiosk with a password logs in on its listener and is held to its own topics', async () => {
    hq = await b.hq(); // the restart above ended the first HQ client
    hq.on('message', (topic, p) => seen.push({ topic, body: p.toString() }));
    await hq.subscribeAsync('kiosk/v1/#', { qos: 1 });
    const mqtt = (await import('mqtt')).default;
    const user = `${PASSWORD_KIOSK.store}/${PASSWORD_KIOSK.device}`;
    const c = await mqtt.connectAsync(b.url, { username: user, password: `pw-${user}`, protocolVersion: 5, reconnectPeriod: 0 });
    try {
      expect(await publish(c, `kiosk/v1/${user}/events`)).toEqual({ delivered: true, error: null });
      expect((await publish(c, 'kiosk/v1/s1/lane-1/events')).delivered).toBe(false);
    } finally {
      await c.endAsync();
    }
  });
});
