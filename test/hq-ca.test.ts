/**
 * HQ's certificate authority (hq/ca, `hq ca …`): what it writes is checked by an independent implementation, the
 * `openssl` CLI — certificate extensions, chain and purpose, the CRL (`openssl verify -crl_check`) before and after a
 * revocation — and CSRs made by `openssl req` as well as by the kiosk (`kiosk provision --csr`) are signed or refused.
 * The CRL that must never expire: `hq ca crl --if-expiring-within`, `hq ca check`, and the shipped systemd units
 * (deploy/systemd/hq-ca-crl.service + .timer) verified with systemd-analyze and their commands run on a temporary CA.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { SimulatedClock, SystemClock } from '../kernel/clock';
import { isKioskError } from '../kernel/errors';
import { CertificateAuthority } from '../hq/ca/authority';
import { caFiles, readIndex } from '../hq/ca/ca-index';
import { clientCsr, ensurePendingKey } from '../runtime/trust/client-csr';
import { hq } from './support/console-server';

const mode = (f: string) => fs.statSync(f).mode & 0o777;
const openssl = (args: string[], input?: string) => spawnSync('openssl', args, { encoding: 'utf8', input });
const text = (certFile: string) => execFileSync('openssl', ['x509', '-in', certFile, '-noout', '-text'], { encoding: 'utf8' });

/** `openssl verify` of `certFile` against the CA, with its CRL when `crl`; returns the output (contains "OK" when good). */
function verify(caDir: string, certFile: string, o: { crl?: boolean; purpose?: string } = {}): string {
  const f = caFiles(caDir);
  const args = ['verify', '-CAfile', f.cert, ...(o.crl ? ['-CRLfile', f.crl, '-crl_check'] : []), ...(o.purpose ? ['-purpose', o.purpose] : []), certFile];
  const r = openssl(args);
  return `${r.stdout}${r.stderr}`;
}

async function refusal(fn: () => unknown): Promise<string> {
  try {
    await fn();
  } catch (e) {
    if (isKioskError(e) && e.code === 'CA_REFUSED') return e.message;
    throw e;
  }
  throw new Error('expected CA_REFUSED');
}

describe('hq ca: the fleet certificate authority, checked with openssl', () => {
  let tmp: string;
  let dir: string;
  let ca: CertificateAuthority;
  const clock = new SystemClock();
  const write = (name: string, data: string) => {
    const f = path.join(tmp, name);
    fs.writeFileSync(f, data);
    return f;
  };

  beforeAll(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hq-ca-'));
    dir = path.join(tmp, 'ca');
    ca = CertificateAuthority.init(dir, clock, { hosts: ['127.0.0.1', 'broker.local'] });
  });
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('init: a CA certificate with critical basicConstraints CA and keyCertSign/cRLSign, keys 0600, an empty CRL; the broker certificate for its hosts', () => {
    const f = caFiles(dir);
    expect(mode(dir)).toBe(0o700);
    expect(mode(f.key)).toBe(0o600);
    expect(mode(f.serverKey)).toBe(0o600);
    const t = text(f.cert);
    expect(t).toMatch(/Subject: CN ?= ?kiosk fleet CA/);
    expect(t).toMatch(/X509v3 Basic Constraints: critical\s+CA:TRUE/);
    expect(t).toMatch(/X509v3 Key Usage: critical\s+Certificate Sign, CRL Sign/);
    expect(verify(dir, f.cert)).toContain('OK'); // self-signed, a trust anchor of itself
    const s = text(f.serverCert);
    expect(s).toMatch(/DNS:broker\.local/);
    expect(s).toMatch(/IP Address:127\.0\.0\.1/);
    expect(s).toMatch(/CA:FALSE/);
    expect(verify(dir, f.serverCert, { crl: true, purpose: 'sslserver' })).toMatch(/: OK/);
    expect(verify(dir, f.serverCert, { purpose: 'sslclient' })).not.toMatch(/: OK/);
    const crl = openssl(['crl', '-in', f.crl, '-noout', '-text', '-CAfile', f.cert]);
    expect(`${crl.stdout}${crl.stderr}`).toContain('verify OK');
    expect(crl.stdout).toMatch(/No Revoked Certificates/);
    expect(readIndex(dir).certs.map((c) => c.kind)).toEqual(['server']);
  });

  it('init refuses a folder that holds a CA, and leaves it as it was', async () => {
    const before = fs.readFileSync(caFiles(dir).key, 'utf8');
    expect(await refusal(() => CertificateAuthority.init(dir, clock))).toMatch(/already holds a CA/);
    expect(fs.readFileSync(caFiles(dir).key, 'utf8')).toBe(before);
    expect(await refusal(() => ca.server(['127.0.0.1']))).toMatch(/exists/);
  });

  it('issue: a client certificate with CN STORE/DEVICE for TLS client auth, key 0600, verified with the CRL; never overwrites its files', async () => {
    const { cert, files } = ca.issue('s1', 'lane-1');
    expect(mode(files.key)).toBe(0o600);
    const t = text(files.cert);
    expect(t).toMatch(/Subject: CN ?= ?s1\/lane-1/);
    expect(t).toMatch(/TLS Web Client Authentication/);
    expect(t).toMatch(/CA:FALSE/);
    expect(verify(dir, files.cert, { crl: true, purpose: 'sslclient' })).toMatch(/: OK/);
    expect(new X509Certificate(fs.readFileSync(files.cert)).checkPrivateKey(createPrivateKey(fs.readFileSync(files.key)))).toBe(true);
    expect(fs.readFileSync(files.ca, 'utf8')).toBe(fs.readFileSync(caFiles(dir).cert, 'utf8'));
    expect(cert.serial).toBe(new X509Certificate(fs.readFileSync(files.cert)).serialNumber.toLowerCase());
    expect(await refusal(() => ca.issue('s1', 'lane-1'))).toMatch(/client\.key exists/);
    expect(await refusal(() => ca.issue('s1', 'a/b'))).toMatch(/STORE\/DEVICE/);
  });

  it('sign: a CSR made by openssl req is certified for its CN; what else it asks for (CA:TRUE) is not granted', () => {
    const key = path.join(tmp, 'ossl.key');
    const csr = openssl(['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-subj', '/O=ignored/CN=s1\\/lane-2', '-addext', 'basicConstraints=critical,CA:TRUE']);
    expect(csr.status).toBe(0);
    const { cert, certPem } = ca.sign(csr.stdout, { expect: { store: 's1', device: 'lane-2' } });
    expect(cert).toMatchObject({ subject: 's1/lane-2', store: 's1', device: 'lane-2', fromCsr: true });
    const file = write('lane-2.crt', certPem);
    const t = text(file);
    expect(t).toMatch(/Subject: CN ?= ?s1\/lane-2\n/);
    expect(t).not.toContain('ignored');
    expect(t).toMatch(/CA:FALSE/);
    expect(verify(dir, file, { crl: true, purpose: 'sslclient' })).toMatch(/: OK/);
    // the certificate is for the key openssl made (which never left its file)
    const mod = (args: string[]) => execFileSync('openssl', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
    expect(mod(['x509', '-in', file, '-noout', '-modulus'])).toBe(mod(['rsa', '-in', key, '-noout', '-modulus']));
  });

  it('sign: the kiosk\'s own CSR (kiosk provision --csr) is certified, and openssl reads that CSR as valid', () => {
    const data = path.join(tmp, 'kiosk-data');
    const { keyPem, created } = ensurePendingKey(data);
    expect(created).toBe(true);
    expect(mode(path.join(data, 'secrets', 'csr.key'))).toBe(0o600);
    expect(ensurePendingKey(data).keyPem).toBe(keyPem); // kept: the same key for a CSR made again
    const csrPem = clientCsr(keyPem, 's1', 'lane-3');
    const check = openssl(['req', '-in', write('k.csr', csrPem), '-noout', '-verify', '-subject']);
    expect(`${check.stdout}${check.stderr}`).toMatch(/verify OK/i);
    expect(check.stdout).toMatch(/CN ?= ?s1\/lane-3/);
    const { certPem } = ca.sign(csrPem);
    expect(new X509Certificate(certPem).checkPrivateKey(createPrivateKey(keyPem))).toBe(true);
    expect(verify(dir, write('lane-3.crt', certPem), { crl: true, purpose: 'sslclient' })).toMatch(/: OK/);
  });

  it('sign refuses: another kiosk than --store/--device, a CN that is no kiosk, an altered CSR, an EC or 1024-bit key, a key certified for another kiosk', async () => {
    const req = (subj: string, newkey = 'rsa:2048', keyout = path.join(tmp, `k-${Math.random()}.key`)) => {
      const r = openssl(['req', '-new', '-newkey', newkey, ...(newkey.startsWith('ec') ? ['-pkeyopt', 'ec_paramgen_curve:P-256'] : []), '-nodes', '-keyout', keyout, '-subj', subj]);
      expect(r.status).toBe(0);
      return r.stdout;
    };
    const indexBefore = readIndex(dir).certs.length;
    expect(await refusal(() => ca.sign(req('/CN=s1\\/lane-9'), { expect: { store: 's1', device: 'lane-8' } }))).toMatch(/for s1\/lane-9, not s1\/lane-8/);
    expect(await refusal(() => ca.sign(req('/CN=s2\\/lane-9'), { expect: { store: 's1' } }))).toMatch(/not s1\/lane-9/);
    expect(await refusal(() => ca.sign(req('/CN=hq')))).toMatch(/not a kiosk identity/);
    expect(await refusal(() => ca.sign(req('/CN=s1\\/lane-9/CN=s1\\/lane-8')))).toMatch(/exactly one CN/);
    expect(await refusal(() => ca.sign(req('/CN=s1\\/lane-9', 'ec')))).toMatch(/not RSA/);
    expect(await refusal(() => ca.sign(req('/CN=s1\\/lane-9', 'rsa:1024')))).toMatch(/1024 bits/);
    // one byte of the signature changed
    const good = req('/CN=s1\\/lane-9');
    const der = Buffer.from(good.replace(/-----[^-]+-----/g, '').replace(/\s/g, ''), 'base64');
    der[der.length - 5] ^= 0x01;
    const altered = `-----BEGIN CERTIFICATE REQUEST-----\n${der.toString('base64').replace(/(.{64})/g, '$1\n')}\n-----END CERTIFICATE REQUEST-----\n`;
    expect(await refusal(() => ca.sign(altered))).toMatch(/signature does not verify/);
    expect(await refusal(() => ca.sign('hello'))).toMatch(/not a PEM certificate signing request/);
    // the key of s1/lane-2 (signed above) asking to be s1/lane-7
    const lane2Key = path.join(tmp, 'ossl.key');
    const again = openssl(['req', '-new', '-key', lane2Key, '-subj', '/CN=s1\\/lane-7']);
    expect(await refusal(() => ca.sign(again.stdout))).toMatch(/already certified for s1\/lane-2/);
    expect(readIndex(dir).certs.length).toBe(indexBefore); // nothing recorded
  });

  it('revoke: openssl -crl_check refuses the revoked certificate and still accepts the others; the key is never certified again', async () => {
    const f = caFiles(dir);
    const lane1 = path.join(dir, 'issued', 's1', 'lane-1', 'client.crt');
    const lane2 = path.join(tmp, 'lane-2.crt');
    const numberBefore = readIndex(dir).crlNumber;
    const revoked = ca.revoke({ store: 's1', device: 'lane-2' }, 'keyCompromise');
    expect(revoked.map((c) => c.subject)).toEqual(['s1/lane-2']);
    expect(verify(dir, lane2, { crl: true })).toMatch(/certificate revoked/);
    expect(verify(dir, lane2)).toMatch(/: OK/); // without the CRL it would pass: the CRL is what stops it
    expect(verify(dir, lane1, { crl: true })).toMatch(/: OK/);
    const crl = openssl(['crl', '-in', f.crl, '-noout', '-text', '-CAfile', f.cert]);
    expect(`${crl.stdout}${crl.stderr}`).toContain('verify OK');
    expect(crl.stdout).toContain(`Serial Number: ${revoked[0].serial.toUpperCase()}`);
    expect(crl.stdout).toMatch(/Key Compromise/);
    expect(crl.stdout).toMatch(new RegExp(`X509v3 CRL Number: *\\n *${numberBefore + 1}\\b`));
    expect(await refusal(() => ca.revoke({ store: 's1', device: 'lane-2' }))).toMatch(/already revoked/);
    expect(await refusal(() => ca.revoke({ store: 's9', device: 'lane-1' }))).toMatch(/no certificate for s9\/lane-1/);
    expect(await refusal(() => ca.revoke({ serial: 'abcdef' }))).toMatch(/no certificate with serial abcdef/);
    // the revoked kiosk's key, in a new CSR under its own name: refused
    const again = openssl(['req', '-new', '-key', path.join(tmp, 'ossl.key'), '-subj', '/CN=s1\\/lane-2']);
    expect(await refusal(() => ca.sign(again.stdout))).toMatch(/revoked key is never certified again/);
    // by serial (as openssl prints it, with colons)
    const lane3 = readIndex(dir).certs.find((c) => c.subject === 's1/lane-3')!;
    expect(ca.revoke({ serial: lane3.serial.toUpperCase().replace(/(..)(?!$)/g, '$1:') }).map((c) => c.subject)).toEqual(['s1/lane-3']);
    expect(verify(dir, path.join(tmp, 'lane-3.crt'), { crl: true })).toMatch(/certificate revoked/);
    expect(verify(dir, lane1, { crl: true })).toMatch(/: OK/);
    expect(ca.list().map((c) => [c.subject, c.status])).toEqual([
      ['127.0.0.1', 'valid'],
      ['s1/lane-1', 'valid'],
      ['s1/lane-2', 'revoked'],
      ['s1/lane-3', 'revoked'],
    ]);
  });

  it('the CRL expires (openssl then refuses every certificate); `crl` renews it with the same revocations and the next number', () => {
    const sim = new SimulatedClock(Date.now());
    const d2 = path.join(tmp, 'ca2');
    const ca2 = CertificateAuthority.init(d2, sim, { name: 'second CA' });
    const { files } = ca2.issue('s5', 'lane-1');
    const other = ca2.issue('s5', 'lane-2', { out: path.join(tmp, 'ca2-lane-2') });
    ca2.revoke({ store: 's5', device: 'lane-2' });
    const at = (days: number) => String(Math.floor(Date.now() / 1000) + days * 86_400);
    const check = (file: string, days: number) => {
      const r = openssl(['verify', '-CAfile', caFiles(d2).cert, '-CRLfile', caFiles(d2).crl, '-crl_check', '-attime', at(days), file]);
      return `${r.stdout}${r.stderr}`;
    };
    expect(check(files.cert, 1)).toMatch(/: OK/);
    expect(check(files.cert, 31)).toMatch(/CRL has expired/);
    sim.advance(29 * 86_400_000);
    const r = ca2.renewCrl(60);
    expect(r.number).toBe(3); // init, revoke, renew
    expect(ca2.crlNextUpdate().getTime()).toBe(sim.now() + 60 * 86_400_000 - (sim.now() % 1000)); // whole seconds in the CRL
    expect(check(files.cert, 31)).toMatch(/: OK/);
    expect(check(other.files.cert, 31)).toMatch(/certificate revoked/);
    sim.advance(5 * 366 * 86_400_000);
    expect(ca2.list().find((c) => c.subject === 's5/lane-1')?.status).toBe('expired');
  });

  it('renewCrlIfExpiring renews only within the window; crlState says ok / expiring / expired by the injected clock', async () => {
    const sim = new SimulatedClock(Date.now());
    const d4 = path.join(tmp, 'ca4');
    const ca4 = CertificateAuthority.init(d4, sim, { name: 'fourth CA' });
    const DAY = 86_400_000;
    const first = ca4.crlNextUpdate().getTime();
    const pem = fs.readFileSync(caFiles(d4).crl, 'utf8');
    expect(ca4.crlState(7)).toMatchObject({ state: 'ok' });
    // 30 days of validity, renewed within 10 of the end: day 19 leaves it, day 21 renews it
    sim.advance(19 * DAY);
    expect(ca4.renewCrlIfExpiring(10)).toEqual({ renewed: false, number: 1, nextUpdate: new Date(first) });
    expect(fs.readFileSync(caFiles(d4).crl, 'utf8')).toBe(pem);
    sim.advance(2 * DAY);
    const r = ca4.renewCrlIfExpiring(10);
    expect(r).toMatchObject({ renewed: true, number: 2 });
    expect(ca4.crlNextUpdate().getTime()).toBe(sim.now() + 30 * DAY - (sim.now() % 1000));
    expect(fs.readFileSync(caFiles(d4).crl, 'utf8')).not.toBe(pem);
    // the new CRL verifies with openssl
    const v = openssl(['crl', '-in', caFiles(d4).crl, '-noout', '-CAfile', caFiles(d4).cert]);
    expect(`${v.stdout}${v.stderr}`).toContain('verify OK');
    // monitoring: under 7 days left is `expiring`, past its end `expired`
    sim.advance(23 * DAY + 1000);
    expect(ca4.crlState(7)).toMatchObject({ state: 'expiring' });
    expect(ca4.crlState(7).leftMs).toBeLessThan(7 * DAY);
    sim.advance(7 * DAY);
    expect(ca4.crlState(7)).toMatchObject({ state: 'expired' });
    expect(ca4.crlState(7).leftMs).toBeLessThanOrEqual(0);
    // an expired CRL is renewed too; a window as long as the validity would renew every day: refused
    expect(ca4.renewCrlIfExpiring(10)).toMatchObject({ renewed: true, number: 3 });
    expect(await refusal(() => ca4.renewCrlIfExpiring(30))).toMatch(/renewal window must be 1 to 29 days/);
    expect(await refusal(() => ca4.crlState(7, path.join(tmp, 'nowhere.pem')))).toMatch(/nowhere\.pem: ENOENT/);
  });

  it('a CA other than the fleet\'s does not vouch for its certificates', () => {
    const d3 = path.join(tmp, 'ca3');
    const rogue = CertificateAuthority.init(d3, clock);
    const { files } = rogue.issue('s1', 'lane-1');
    // the same CA name, another key: the signature does not verify against the fleet CA
    const out = verify(dir, files.cert, { crl: true });
    expect(out).toMatch(/certificate signature failure/);
    expect(out).not.toMatch(/: OK/);
  });
});

describe('hq ca: the CLI (dist/hq/cli.js)', () => {
  let tmp: string;
  beforeAll(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hq-ca-cli-'));
  });
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('init, issue, sign (stdin), revoke, crl, list; exit 2 for bad usage, 1 when the CA refuses', () => {
    const dir = path.join(tmp, 'ca');
    const init = hq(['ca', 'init', '--dir', dir, '--host', '127.0.0.1']);
    expect(init.stderr).toBe('');
    expect(init.code).toBe(0);
    expect(init.stdout).toContain('keep it at HQ');
    expect(hq(['ca', 'init', '--dir', dir])).toMatchObject({ code: 1, stderr: expect.stringMatching(/^hq ca init: .*already holds a CA/) });

    const issue = hq(['ca', 'issue', '--dir', dir, '--store', 's1', '--device', 'lane-1']);
    expect(issue.code).toBe(0);
    expect(issue.stdout).toMatch(/certificate [0-9a-f]+ for s1\/lane-1/);
    expect(hq(['ca', 'issue', '--dir', dir, '--store', 's1'])).toMatchObject({ code: 2 });
    expect(hq(['ca', 'issue', '--dir', path.join(tmp, 'none'), '--store', 's1', '--device', 'd'])).toMatchObject({ code: 1, stderr: expect.stringContaining('no CA in') });

    const key = path.join(tmp, 'k.key');
    const csr = execFileSync('openssl', ['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-subj', '/CN=s1\\/lane-2'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    const signed = hq(['ca', 'sign', '--dir', dir, '--csr', '-', '--store', 's1', '--device', 'lane-2'], { input: csr });
    expect(signed.code).toBe(0);
    expect(new X509Certificate(signed.stdout).subject).toBe('CN=s1/lane-2');
    expect(hq(['ca', 'sign', '--dir', dir, '--csr', '-', '--device', 'lane-3'], { input: csr })).toMatchObject({ code: 1, stderr: expect.stringContaining('not s1/lane-3') });

    const revoke = hq(['ca', 'revoke', '--dir', dir, '--store', 's1', '--device', 'lane-2', '--reason', 'keyCompromise']);
    expect(revoke.code).toBe(0);
    expect(revoke.stdout).toMatch(/revoked [0-9a-f]+ \(s1\/lane-2, keyCompromise\)/);
    expect(hq(['ca', 'revoke', '--dir', dir, '--store', 's1', '--device', 'lane-1', '--reason', 'stolen'])).toMatchObject({ code: 2 });
    expect(hq(['ca', 'crl', '--dir', dir, '--days', '10'])).toMatchObject({ code: 0, stdout: expect.stringMatching(/CRL #3 written/) });

    const list = hq(['ca', 'list', '--dir', dir, '--json']);
    expect(list.code).toBe(0);
    const parsed = JSON.parse(list.stdout) as { crlNextUpdate: string; certs: { subject: string; kind: string; status: string }[] };
    expect(parsed.certs.map((c) => [c.kind, c.subject, c.status])).toEqual([
      ['server', '127.0.0.1', 'valid'],
      ['client', 's1/lane-1', 'valid'],
      ['client', 's1/lane-2', 'revoked'],
    ]);
    expect(Date.parse(parsed.crlNextUpdate) - Date.now()).toBeGreaterThan(9 * 86_400_000);
    expect(hq(['ca', 'list', '--dir', dir]).stdout).toMatch(/s1\/lane-2\s+revoked/);
    // what the CLI wrote passes openssl with its CRL
    const r = spawnSync('openssl', ['verify', '-CAfile', path.join(dir, 'ca.crt'), '-CRLfile', path.join(dir, 'crl.pem'), '-crl_check', path.join(dir, 'issued', 's1', 'lane-1', 'client.crt')], { encoding: 'utf8' });
    expect(r.stdout).toMatch(/: OK/);
  });
});

describe('hq ca: the CRL that must never expire (CLI, deploy/systemd/hq-ca-crl.*)', () => {
  let tmp: string;
  beforeAll(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hq-ca-crl-'));
  });
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
  const DAY = 86_400_000;
  const UNITS = path.join(__dirname, '..', 'deploy', 'systemd');

  it('hq ca crl --if-expiring-within: a fresh CRL is left alone, one within the window is renewed; the output says which', () => {
    const dir = path.join(tmp, 'ca-a');
    const ca = CertificateAuthority.init(dir, new SystemClock());
    const pem = fs.readFileSync(caFiles(dir).crl, 'utf8');
    const fresh = hq(['ca', 'crl', '--dir', dir, '--if-expiring-within', '10d']);
    expect(fresh).toMatchObject({ code: 0, stderr: '' });
    expect(fresh.stdout).toMatch(/^CRL #1 left as it is: valid until \S+ \(\d+\.\d days left, renewed within 10 days of its end\)\n$/);
    expect(fs.readFileSync(caFiles(dir).crl, 'utf8')).toBe(pem);

    ca.renewCrl(5); // #2, 5 days left
    const soon = hq(['ca', 'crl', '--dir', dir, '--if-expiring-within', '10']);
    expect(soon).toMatchObject({ code: 0, stderr: '' });
    expect(soon.stdout).toMatch(/^CRL #3 renewed \(less than 10 days were left\)/);
    expect(ca.crlNextUpdate().getTime() - Date.now()).toBeGreaterThan(29 * DAY);

    expect(hq(['ca', 'crl', '--dir', dir, '--if-expiring-within', 'soon'])).toMatchObject({ code: 2, stderr: expect.stringMatching(/^hq ca crl: --if-expiring-within must be a number of days like 10d/) });
    expect(hq(['ca', 'crl', '--dir', dir, '--if-expiring-within', '30d'])).toMatchObject({ code: 1, stderr: expect.stringMatching(/renewal window must be 1 to 29 days/) });
    expect(readIndex(dir).crlNumber).toBe(3);
  });

  it('hq ca check (and list): exit 1 with a clear message when the CRL expires within 7 days or has expired, 0 otherwise', () => {
    const dir = path.join(tmp, 'ca-b');
    const ca = CertificateAuthority.init(dir, new SystemClock());
    const ok = hq(['ca', 'check', '--dir', dir]);
    expect(ok).toMatchObject({ code: 0, stderr: '' });
    expect(ok.stdout).toMatch(/valid until \S+ \((29\.9|30\.0) days left\)/);
    const copy = path.join(tmp, 'broker-crl.pem');
    fs.copyFileSync(caFiles(dir).crl, copy); // the broker's copy: still 30 days

    ca.renewCrl(3);
    const soon = hq(['ca', 'check', '--dir', dir]);
    expect(soon.code).toBe(1);
    expect(soon.stderr).toMatch(/^hq ca check: CRL \S+crl\.pem expires in (2\.9|3\.0) days, at \S+ \(less than 7 days\): then the broker refuses every kiosk; renew it now: hq ca crl --dir /);
    expect(hq(['ca', 'check', '--dir', dir, '--within', '2d'])).toMatchObject({ code: 0 });
    expect(hq(['ca', 'check', '--dir', dir, '--crl', copy])).toMatchObject({ code: 0 });
    expect(hq(['ca', 'list', '--dir', dir]).stdout).toMatch(/CRL valid until \S+ — renew it now: hq ca crl\n/);

    // a CA made 40 days ago (injected clock) whose CRL nobody renewed
    const old = path.join(tmp, 'ca-c');
    CertificateAuthority.init(old, new SimulatedClock(Date.now() - 40 * DAY));
    const expired = hq(['ca', 'check', '--dir', old]);
    expect(expired.code).toBe(1);
    expect(expired.stderr).toMatch(/^hq ca check: CRL \S+crl\.pem EXPIRED at \S+: the broker refuses EVERY kiosk certificate; renew it now/);
    expect(hq(['ca', 'list', '--dir', old]).stdout).toMatch(/EXPIRED: the broker refuses every kiosk/);
    expect(hq(['ca', 'check', '--dir', old, '--crl', path.join(tmp, 'missing.pem')])).toMatchObject({ code: 1, stderr: expect.stringMatching(/missing\.pem: ENOENT/) });
    expect(hq(['ca', 'check', '--dir', old, '--within', 'a week'])).toMatchObject({ code: 2 });
  });

  it('the shipped units pass systemd-analyze verify; their commands, run on a temporary CA, renew only in the window and reload the broker only when its copy changed', () => {
    const service = fs.readFileSync(path.join(UNITS, 'hq-ca-crl.service'), 'utf8');
    const timer = fs.readFileSync(path.join(UNITS, 'hq-ca-crl.timer'), 'utf8');
    expect(timer).toMatch(/^OnCalendar=daily$/m);
    expect(timer).toMatch(/^Persistent=true$/m);
    expect(timer).toMatch(/^RandomizedDelaySec=\S+$/m);
    expect(timer).toMatch(/^WantedBy=timers\.target$/m);
    // the broker's crlfile is the one the shipped certificate listener reads
    const crlfile = /^crlfile (\S+)$/m.exec(fs.readFileSync(path.join(__dirname, '..', 'deploy', 'mosquitto', 'mosquitto-certs.conf'), 'utf8'))![1];
    expect(crlfile).toBe('/etc/mosquitto/certs/crl.pem');
    expect(service).toContain(`install -m 0644 /var/lib/hq/ca/crl.pem ${crlfile}`);
    expect(service).toContain('/bin/systemctl reload mosquitto');

    // the units with this machine's paths: the CLI (dist/) behind /usr/local/bin/hq, a temporary CA and broker folder
    const root = path.join(tmp, 'units');
    const caDir = path.join(root, 'ca');
    const certs = path.join(root, 'mosquitto-certs');
    const reloads = path.join(root, 'reloads');
    fs.mkdirSync(certs, { recursive: true });
    const bin = path.join(root, 'hq');
    fs.writeFileSync(bin, `#!/bin/sh\nexec ${process.execPath} ${path.join(__dirname, '..', 'dist', 'hq', 'cli.js')} "$@"\n`, { mode: 0o755 });
    const local = (unit: string) =>
      unit
        .replaceAll('/usr/local/bin/hq', bin)
        .replaceAll('/var/lib/hq/ca', caDir)
        .replaceAll('/etc/mosquitto/certs', certs)
        .replaceAll('/bin/systemctl reload mosquitto', `echo reload >> ${reloads}`);
    fs.writeFileSync(path.join(root, 'hq-ca-crl.service'), local(service));
    fs.writeFileSync(path.join(root, 'hq-ca-crl.timer'), timer);
    const analyze = spawnSync('systemd-analyze', ['verify', '--man=no', path.join(root, 'hq-ca-crl.service'), path.join(root, 'hq-ca-crl.timer')], { encoding: 'utf8' });
    expect(`${analyze.stdout}${analyze.stderr}`).toBe('');
    expect(analyze.status).toBe(0);
    // and the shipped file as it is fails only on the hq CLI not installed here (every other check passes)
    const shipped = path.join(tmp, 'shipped');
    fs.mkdirSync(shipped);
    fs.copyFileSync(path.join(UNITS, 'hq-ca-crl.service'), path.join(shipped, 'hq-ca-crl.service'));
    fs.copyFileSync(path.join(UNITS, 'hq-ca-crl.timer'), path.join(shipped, 'hq-ca-crl.timer'));
    const asShipped = spawnSync('systemd-analyze', ['verify', '--man=no', path.join(shipped, 'hq-ca-crl.service'), path.join(shipped, 'hq-ca-crl.timer')], { encoding: 'utf8' });
    expect(`${asShipped.stdout}${asShipped.stderr}`.trim().split('\n')).toEqual([expect.stringMatching(/Command \/usr\/local\/bin\/hq is not executable/)]);

    // ExecStart and ExecStartPost as systemd runs them (no $ or % in them: nothing for systemd to expand)
    const unit = local(service);
    const start = /^ExecStart=(.+)$/m.exec(unit)![1];
    const post = /^ExecStartPost=\/bin\/sh -c '(.+)'$/m.exec(unit)![1];
    expect(`${start}${post}`).not.toMatch(/[$%]/);
    const runUnit = () => {
      const [cmd, ...args] = start.split(' ');
      const s = spawnSync(cmd, args, { encoding: 'utf8' });
      expect(s.status).toBe(0); // Type=oneshot: a non-zero exit fails the unit and skips ExecStartPost
      const p = spawnSync('/bin/sh', ['-c', post], { encoding: 'utf8' });
      expect(p).toMatchObject({ status: 0, stderr: '' });
      return s.stdout;
    };
    const reloadCount = () => (fs.existsSync(reloads) ? fs.readFileSync(reloads, 'utf8').split('\n').filter(Boolean).length : 0);
    const ca = CertificateAuthority.init(caDir, new SystemClock());

    // first run: a fresh CRL is left alone, but the broker has none yet: installed 0644 and reloaded
    expect(runUnit()).toMatch(/left as it is/);
    expect(fs.readFileSync(path.join(certs, 'crl.pem'), 'utf8')).toBe(fs.readFileSync(caFiles(caDir).crl, 'utf8'));
    expect(mode(path.join(certs, 'crl.pem'))).toBe(0o644);
    expect(reloadCount()).toBe(1);
    // next day: nothing to do, no reload
    expect(runUnit()).toMatch(/left as it is/);
    expect(reloadCount()).toBe(1);
    // 5 days left: renewed, copied, reloaded; the broker's copy is good for 30 days again
    ca.renewCrl(5);
    expect(runUnit()).toMatch(/renewed \(less than 10 days were left\)/);
    expect(reloadCount()).toBe(2);
    expect(fs.readFileSync(path.join(certs, 'crl.pem'), 'utf8')).toBe(fs.readFileSync(caFiles(caDir).crl, 'utf8'));
    expect(hq(['ca', 'check', '--dir', caDir, '--crl', path.join(certs, 'crl.pem')])).toMatchObject({ code: 0, stdout: expect.stringMatching(/\((29\.9|30\.0) days left\)/) });
  });
});
