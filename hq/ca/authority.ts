import { randomBytes, X509Certificate } from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import forge from 'node-forge';
import type { Clock } from '../../kernel/clock';
import { writeFileAtomic } from '../../kernel/atomic-file';
import { KioskError } from '../../kernel/errors';
import { createCa, issueCertificate, type KeyAndCert } from '../../kernel/x509/certificates';
import { parseDevice, type AclDevice } from '../broker-acl';
import { buildCrl, REVOCATION_REASONS, type RevocationReason } from './crl';
import { caFiles, readIndex, withCaLock, writeIndex, type CaIndex, type IssuedCert } from './ca-index';
import { publicKeySha256, readCsr } from './csr';

export const DEFAULT_CA_NAME = 'kiosk fleet CA';
/** Validity in days: the CA 20 years, a kiosk 5, the broker 825 (what TLS clients accept for servers). */
export const DAYS = { ca: 7305, client: 1826, server: 825 } as const;
/** A CRL is good for 30 days: rewrite it (`hq ca crl`) before then, or the broker refuses every kiosk (CRL expired). */
export const CRL_DAYS = 30;
const DAY = 86_400_000;
const SECRET = 0o600;

export type CertStatus = 'valid' | 'revoked' | 'expired';
export interface ListedCert extends IssuedCert {
  status: CertStatus;
}

const refuse = (message: string): never => {
  throw new KioskError('CA_REFUSED', message);
};

function checkDays(days: number | undefined, fallback: number): number {
  const d = days ?? fallback;
  if (!Number.isInteger(d) || d < 1 || d > 36_525) refuse(`validity must be 1 to 36525 days, got ${String(days)}`);
  return d;
}

function checkHosts(hosts: string[]): { ips: string[]; dns: string[] } {
  if (hosts.length === 0) refuse('the broker certificate needs at least one --host (the name or IP address kiosks connect to)');
  for (const h of hosts) if (!net.isIP(h) && !/^(?=.{1,253}$)[A-Za-z0-9*]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$/.test(h)) refuse(`bad --host "${h}": a DNS name or an IP address`);
  return { ips: hosts.filter((h) => net.isIP(h)), dns: hosts.filter((h) => !net.isIP(h)) };
}

function writeNew(file: string, data: string, mode: number, force: boolean): void {
  if (!force && fs.existsSync(file)) refuse(`${file} exists; it is not overwritten${mode === SECRET ? ' (a private key)' : ''}`);
  writeFileAtomic(file, data, mode);
}

/**
 * The fleet's certificate authority, kept in one folder (hq/ca/ca-index.ts lists its files). It issues each kiosk a
 * TLS client certificate whose CN is `STORE/DEVICE` — Mosquitto's `use_identity_as_username` makes that the broker
 * username, so the ACL `hq broker acl` writes applies to certificates as it does to passwords — and the broker its
 * server certificate, and revokes through a CRL (crl.pem, rewritten on every change). Every change holds the
 * folder's lock and records the certificate in index.json; private keys are written 0600 and never overwritten.
 * Time comes from the clock given.
 */
export class CertificateAuthority {
  private constructor(
    readonly dir: string,
    private readonly clock: Clock,
  ) {}

  /**
   * `hq ca init`: a new CA in `dir` (made 0700 if missing): key (RSA 3072, 0600), self-signed certificate
   * (basicConstraints CA critical, keyUsage keyCertSign + cRLSign critical), an empty index and an empty CRL; with
   * `hosts`, the broker's server certificate too. Refuses a folder that already holds a CA.
   */
  static init(dir: string, clock: Clock, o: { name?: string; days?: number; hosts?: string[]; serverDays?: number } = {}): CertificateAuthority {
    const f = caFiles(dir);
    if (fs.existsSync(f.key) || fs.existsSync(f.cert) || fs.existsSync(f.index)) refuse(`${dir} already holds a CA (ca.key / ca.crt / index.json); it is never overwritten`);
    const name = o.name ?? DEFAULT_CA_NAME;
    if (!/^[\x20-\x7e]{1,64}$/.test(name)) refuse(`bad CA name "${name}": 1-64 printable ASCII characters`);
    const days = checkDays(o.days, DAYS.ca);
    if (o.hosts) checkHosts(o.hosts);
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const ca = new CertificateAuthority(dir, clock);
    return withCaLock(dir, () => {
      const pair = createCa({ commonName: name, now: new Date(ca.now()), days, serialHex: ca.newSerial(new Set()), bits: 3072 });
      writeNew(f.key, pair.keyPem, SECRET, false);
      writeNew(f.cert, pair.certPem, 0o644, false);
      const index: CaIndex = { v: 1, crlNumber: 0, certs: [] };
      ca.writeCrl(index, CRL_DAYS);
      if (o.hosts) ca.issueServer(index, o.hosts, o.serverDays, false);
      writeIndex(dir, index);
      return ca;
    });
  }

  /** The CA in `dir`; refuses a folder without one. */
  static open(dir: string, clock: Clock): CertificateAuthority {
    const f = caFiles(dir);
    for (const file of [f.key, f.cert, f.index]) if (!fs.existsSync(file)) refuse(`no CA in ${dir} (${path.basename(file)} missing): make one with \`hq ca init --dir ${dir}\``);
    return new CertificateAuthority(dir, clock);
  }

  get certPem(): string {
    return fs.readFileSync(caFiles(this.dir).cert, 'utf8');
  }

  /** `hq ca server`: the broker's TLS server certificate for `hosts` (server.key 0600, server.crt). */
  server(hosts: string[], o: { days?: number; force?: boolean } = {}): IssuedCert {
    return this.change((index) => this.issueServer(index, hosts, o.days, o.force ?? false));
  }

  /**
   * `hq ca issue`: a key pair made here and a client certificate for kiosk `store/device`, written with the CA
   * certificate to `out` (default `issued/STORE/DEVICE/` in the CA folder): client.key (0600), client.crt, ca.crt —
   * what `kiosk provision --cert --key --ca` takes. Existing files there are not overwritten.
   */
  issue(store: string, device: string, o: { days?: number; out?: string } = {}): { cert: IssuedCert; files: { key: string; cert: string; ca: string } } {
    const who = this.device(store, device);
    const days = checkDays(o.days, DAYS.client);
    const out = o.out ?? caFiles(this.dir).issued(who.store, who.device);
    const files = { key: path.join(out, 'client.key'), cert: path.join(out, 'client.crt'), ca: path.join(out, 'ca.crt') };
    for (const file of [files.key, files.cert]) if (fs.existsSync(file)) refuse(`${file} exists; it is not overwritten (revoke the old certificate, or give another --out)`);
    return this.change((index) => {
      const pair = issueCertificate(this.caPair(), 'client', { commonName: `${who.store}/${who.device}`, now: new Date(this.now()), days, serialHex: this.newSerial(serials(index)) });
      const entry = this.record(index, pair.certPem, { kind: 'client', subject: `${who.store}/${who.device}`, ...who, fromCsr: false });
      fs.mkdirSync(out, { recursive: true, mode: 0o700 });
      writeNew(files.key, pair.keyPem, SECRET, false);
      writeFileAtomic(files.cert, pair.certPem, 0o644);
      writeFileAtomic(files.ca, this.certPem, 0o644);
      return { cert: entry, files };
    });
  }

  /**
   * `hq ca sign`: certifies the key of a kiosk's CSR (`kiosk provision --csr`; the private key stays on the kiosk).
   * The CSR must verify and name a kiosk `STORE/DEVICE` (hq/ca/csr.ts); `expect` (from --store/--device) must match
   * it. A key that was certified for another kiosk, or whose certificate was revoked, is refused.
   */
  sign(csrPem: string, o: { days?: number; expect?: Partial<AclDevice> } = {}): { cert: IssuedCert; certPem: string } {
    const req = readCsr(csrPem);
    const days = checkDays(o.days, DAYS.client);
    const cn = `${req.store}/${req.device}`;
    if ((o.expect?.store !== undefined && o.expect.store !== req.store) || (o.expect?.device !== undefined && o.expect.device !== req.device)) {
      refuse(`the CSR is for ${cn}, not ${o.expect.store ?? req.store}/${o.expect.device ?? req.device}`);
    }
    return this.change((index) => {
      for (const c of index.certs.filter((c) => c.keySha256 === req.keySha256)) {
        if (c.revokedAt) refuse(`this key was certified before (serial ${c.serial}, ${c.subject}) and that certificate is revoked: a revoked key is never certified again; make a new key (kiosk provision --csr --force)`);
        if (c.subject !== cn) refuse(`this key is already certified for ${c.subject} (serial ${c.serial}): one key, one kiosk`);
      }
      const pair = issueCertificate(this.caPair(), 'client', { commonName: cn, now: new Date(this.now()), days, serialHex: this.newSerial(serials(index)), publicPem: req.publicPem });
      const entry = this.record(index, pair.certPem, { kind: 'client', subject: cn, store: req.store, device: req.device, fromCsr: true });
      return { cert: entry, certPem: pair.certPem };
    });
  }

  /**
   * `hq ca revoke`: revokes the kiosk's certificates that are not revoked yet (or the one with `serial`) and
   * rewrites crl.pem. The broker reads it at start and on SIGHUP (`systemctl reload mosquitto`): from then on the
   * revoked kiosk cannot connect. A connection it holds already stays until it drops (restart the broker to cut it).
   */
  revoke(target: { store: string; device: string } | { serial: string }, reason: RevocationReason = 'unspecified'): IssuedCert[] {
    if (!(reason in REVOCATION_REASONS)) refuse(`unknown reason "${String(reason)}": one of ${Object.keys(REVOCATION_REASONS).join(', ')}`);
    const serial = 'serial' in target ? normalSerial(target.serial) : null;
    const who = 'serial' in target ? null : this.device(target.store, target.device);
    return this.change((index) => {
      const hits = index.certs.filter((c) => (serial !== null ? c.serial === serial : c.kind === 'client' && c.store === who!.store && c.device === who!.device));
      if (hits.length === 0) refuse(serial !== null ? `no certificate with serial ${serial} in this CA` : `no certificate for ${who!.store}/${who!.device} in this CA`);
      const fresh = hits.filter((c) => !c.revokedAt);
      if (fresh.length === 0) refuse(`already revoked: ${hits.map((c) => c.serial).join(', ')}`);
      const at = new Date(this.now()).toISOString();
      for (const c of fresh) Object.assign(c, { revokedAt: at, reason });
      this.writeCrl(index, CRL_DAYS);
      return fresh;
    });
  }

  /** `hq ca crl`: a new CRL (next number, valid `days` from now) with the same revocations: run it before the last one expires. */
  renewCrl(days?: number): { number: number; nextUpdate: Date } {
    const d = checkDays(days, CRL_DAYS);
    return this.change((index) => {
      this.writeCrl(index, d);
      return { number: index.crlNumber, nextUpdate: new Date(this.now() + d * DAY) };
    });
  }

  /**
   * `hq ca crl --if-expiring-within N`: renews the CRL (as {@link renewCrl}) only when less than `withinDays` of its
   * validity are left (or it has expired); otherwise leaves crl.pem as it is. Checked and written under the CA's lock.
   * `withinDays` must be shorter than the new CRL's validity, or every run would renew it.
   */
  renewCrlIfExpiring(withinDays: number, days?: number): { renewed: boolean; number: number; nextUpdate: Date } {
    const d = checkDays(days, CRL_DAYS);
    if (!Number.isInteger(withinDays) || withinDays < 1 || withinDays >= d) refuse(`the renewal window must be 1 to ${d - 1} days (shorter than the CRL's validity, ${d} days), got ${String(withinDays)}`);
    return this.change((index) => {
      const nextUpdate = this.crlNextUpdate();
      if (nextUpdate.getTime() - this.now() >= withinDays * DAY) return { renewed: false, number: index.crlNumber, nextUpdate };
      this.writeCrl(index, d);
      return { renewed: true, number: index.crlNumber, nextUpdate: new Date(this.now() + d * DAY) };
    });
  }

  /**
   * `hq ca check`: the CRL's state now — `expired` (the broker refuses every kiosk), `expiring` (less than
   * `warnDays` left) or `ok` — of the CA's crl.pem, or of `file` (e.g. the broker's copy, /etc/mosquitto/certs/crl.pem).
   */
  crlState(warnDays: number, file?: string): { state: 'ok' | 'expiring' | 'expired'; nextUpdate: Date; leftMs: number } {
    const nextUpdate = this.crlNextUpdate(file);
    const leftMs = nextUpdate.getTime() - this.now();
    return { state: leftMs <= 0 ? 'expired' : leftMs < warnDays * DAY ? 'expiring' : 'ok', nextUpdate, leftMs };
  }

  /** `hq ca list`: every certificate issued, with its status now. */
  list(): ListedCert[] {
    const now = this.now();
    return readIndex(this.dir).certs.map((c) => ({ ...c, status: c.revokedAt ? 'revoked' : Date.parse(c.notAfter) < now ? 'expired' : 'valid' }));
  }

  /** When the current CRL (or the one in `file`) stops being valid (its nextUpdate). */
  crlNextUpdate(file = caFiles(this.dir).crl): Date {
    let crl: string;
    try {
      crl = fs.readFileSync(file, 'utf8');
    } catch (e) {
      return refuse(`${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    const m = /-----BEGIN X509 CRL-----/.test(crl) ? crlNextUpdate(crl) : null;
    if (!m) return refuse(`${file}: not a CRL`);
    return m;
  }

  private now(): number {
    return this.clock.now();
  }

  private device(store: string, device: string): AclDevice {
    try {
      return parseDevice(`${store}/${device}`);
    } catch (e) {
      return refuse((e as Error).message);
    }
  }

  private caPair(): KeyAndCert {
    const f = caFiles(this.dir);
    return { keyPem: fs.readFileSync(f.key, 'utf8'), certPem: fs.readFileSync(f.cert, 'utf8') };
  }

  private change<T>(fn: (index: CaIndex) => T): T {
    return withCaLock(this.dir, () => {
      const index = readIndex(this.dir);
      const result = fn(index);
      writeIndex(this.dir, index);
      return result;
    });
  }

  /** A positive 128-bit serial whose first byte is non-zero (a minimal DER INTEGER as it is), unused in this CA. */
  private newSerial(used: Set<string>): string {
    for (;;) {
      const b = randomBytes(16);
      b[0] = (b[0] & 0x7f) | 0x40;
      const hex = b.toString('hex');
      if (!used.has(hex)) return hex;
    }
  }

  private issueServer(index: CaIndex, hosts: string[], days: number | undefined, force: boolean): IssuedCert {
    const { ips, dns } = checkHosts(hosts);
    const f = caFiles(this.dir);
    if (!force && (fs.existsSync(f.serverKey) || fs.existsSync(f.serverCert))) refuse(`${f.serverKey} exists; use --force to replace the broker's certificate`);
    const pair = issueCertificate(this.caPair(), 'server', { commonName: hosts[0], ips, dns, now: new Date(this.now()), days: checkDays(days, DAYS.server), serialHex: this.newSerial(serials(index)) });
    const entry = this.record(index, pair.certPem, { kind: 'server', subject: hosts[0], hosts, fromCsr: false });
    writeFileAtomic(f.serverKey, pair.keyPem, SECRET);
    writeFileAtomic(f.serverCert, pair.certPem, 0o644);
    return entry;
  }

  private record(index: CaIndex, certPem: string, o: Pick<IssuedCert, 'kind' | 'subject' | 'store' | 'device' | 'hosts' | 'fromCsr'>): IssuedCert {
    const x = new X509Certificate(certPem);
    const entry: IssuedCert = {
      serial: normalSerial(x.serialNumber),
      ...o,
      keySha256: publicKeySha256(x.publicKey.export({ type: 'spki', format: 'pem' }).toString()),
      issuedAt: new Date(this.now()).toISOString(),
      notBefore: new Date(x.validFrom).toISOString(),
      notAfter: new Date(x.validTo).toISOString(),
    };
    index.certs.push(entry);
    return entry;
  }

  private writeCrl(index: CaIndex, days: number): void {
    index.crlNumber += 1;
    const now = this.now();
    const ca = this.caPair();
    const pem = buildCrl({
      caKeyPem: ca.keyPem,
      caCertPem: ca.certPem,
      revoked: index.certs.filter((c) => c.revokedAt).map((c) => ({ serialHex: c.serial, revokedAt: new Date(c.revokedAt!), reason: c.reason })),
      number: index.crlNumber,
      thisUpdate: new Date(now),
      nextUpdate: new Date(now + days * DAY),
    });
    writeFileAtomic(caFiles(this.dir).crl, pem, 0o644);
  }
}

const serials = (index: CaIndex) => new Set(index.certs.map((c) => c.serial));

/** A serial as the index keeps it: lower-case hex without leading zero bytes or separators. */
export function normalSerial(s: string): string {
  const hex = s.replace(/[:\s]/g, '').toLowerCase();
  if (!/^[0-9a-f]+$/.test(hex)) refuse(`bad serial "${s}": hex digits`);
  return hex.replace(/^(00)+(?=[0-9a-f]{2})/, '');
}

/** The nextUpdate of a PEM CRL (read with node-forge's ASN.1 parser), or null when it has none. */
function crlNextUpdate(pem: string): Date | null {
  const der = forge.pem.decode(pem)[0]?.body;
  if (!der) return null;
  const tbs = (forge.asn1.fromDer(der).value as forge.asn1.Asn1[])[0].value as forge.asn1.Asn1[];
  // version, signature, issuer, thisUpdate, nextUpdate
  const t = tbs[4];
  if (!t || (t.type !== forge.asn1.Type.UTCTIME && t.type !== forge.asn1.Type.GENERALIZEDTIME)) return null;
  return t.type === forge.asn1.Type.UTCTIME ? forge.asn1.utcTimeToDate(t.value as string) : forge.asn1.generalizedTimeToDate(t.value as string);
}
