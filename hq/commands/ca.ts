import * as fs from 'node:fs';
import type { Command } from 'commander';
import { SystemClock } from '../../kernel/clock';
import { writeFileAtomic } from '../../kernel/atomic-file';
import { CertificateAuthority, CRL_DAYS, DAYS, DEFAULT_CA_NAME } from '../ca/authority';
import { caFiles } from '../ca/ca-index';
import { REVOCATION_REASONS, type RevocationReason } from '../ca/crl';
import { cliAction } from './cli-action';
import { UsageError } from './user';

/**
 * `hq ca init|server|issue|sign|revoke|crl|list|check`: per-kiosk TLS client certificates for the broker (hq/ca/authority.ts).
 * A kiosk's certificate has CN `STORE/DEVICE`; Mosquitto's certificate listener (deploy/mosquitto/mosquitto-certs.conf)
 * makes that the username, so the ACL of `hq broker acl` confines it. Exit 2 for bad usage, 1 when the CA refuses.
 */

interface Opts {
  dir: string;
  name?: string;
  host?: string[];
  days?: string;
  serverDays?: string;
  force?: boolean;
  store?: string;
  device?: string;
  out?: string;
  csr?: string;
  serial?: string;
  reason?: string;
  json?: boolean;
  ifExpiringWithin?: string;
  within?: string;
  crl?: string;
}

const clock = new SystemClock();
const say = (t: string) => process.stdout.write(t);
const run = <A extends unknown[]>(verb: string, fn: (...a: A) => Promise<void>) => cliAction('ca', verb, fn);

function days(v: string | undefined, what = '--days'): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d{1,5}$/.test(v)) throw new UsageError(`${what} must be a whole number of days, got "${v}"`);
  return Number(v);
}

function deploySteps(dir: string): string {
  const f = caFiles(dir);
  return (
    `  broker: install ${f.cert}, ${f.serverCert}, ${f.crl} (0644) and ${f.serverKey} (0640, group mosquitto)\n` +
    `          into /etc/mosquitto/certs/ and deploy/mosquitto/mosquitto-certs.conf as /etc/mosquitto/conf.d/kiosk_certs.conf\n`
  );
}

async function init(o: Opts): Promise<void> {
  const ca = CertificateAuthority.init(o.dir, clock, { name: o.name, days: days(o.days), hosts: o.host, serverDays: days(o.serverDays, '--server-days') });
  const f = caFiles(o.dir);
  say(
    `CA "${o.name ?? DEFAULT_CA_NAME}" in ${ca.dir}\n  key:  ${f.key} (0600, keep it at HQ)\n  cert: ${f.cert}\n  crl:  ${f.crl} (empty, valid ${CRL_DAYS} days: \`hq ca crl\` renews it)\n` +
      (o.host?.length ? `  broker certificate for ${o.host.join(', ')}: ${f.serverCert}, key ${f.serverKey} (0600)\n${deploySteps(o.dir)}` : `  next: \`hq ca server --dir ${o.dir} --host BROKER-HOST\` for the broker's certificate\n`),
  );
}

async function server(o: Opts): Promise<void> {
  if (!o.host?.length) throw new UsageError('--host is required (repeatable: every name or IP address kiosks use for the broker)');
  const c = CertificateAuthority.open(o.dir, clock).server(o.host, { days: days(o.days), force: o.force });
  const f = caFiles(o.dir);
  say(`broker certificate ${c.serial} for ${o.host.join(', ')}, valid until ${c.notAfter}\n  cert: ${f.serverCert}\n  key:  ${f.serverKey} (0600)\n${deploySteps(o.dir)}`);
}

function kiosk(o: Opts): { store: string; device: string } {
  if (!o.store || !o.device) throw new UsageError('--store and --device are required');
  return { store: o.store, device: o.device };
}

async function issue(o: Opts): Promise<void> {
  const { store, device } = kiosk(o);
  const { cert, files } = CertificateAuthority.open(o.dir, clock).issue(store, device, { days: days(o.days), out: o.out });
  say(
    `certificate ${cert.serial} for ${cert.subject}, valid until ${cert.notAfter}\n  key:  ${files.key} (0600)\n  cert: ${files.cert}\n  ca:   ${files.ca}\n` +
      `  on the kiosk: kiosk provision --store ${store} --device ${device} --broker mqtts://BROKER:8883 --cert client.crt --key client.key --ca ca.crt --trust hq.pub\n` +
      `  (or keep the key on the kiosk: kiosk provision --csr, then hq ca sign --csr FILE)\n`,
  );
}

async function readAll(file: string): Promise<string> {
  if (file !== '-') return fs.readFileSync(file, 'utf8');
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of process.stdin) {
    size += (c as Buffer).length;
    if (size > 64 * 1024) throw new UsageError('a CSR on stdin is at most 64 KiB');
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

async function sign(o: Opts): Promise<void> {
  if (!o.csr) throw new UsageError('--csr FILE is required (- for stdin)');
  const pem = await readAll(o.csr);
  const { cert, certPem } = CertificateAuthority.open(o.dir, clock).sign(pem, { days: days(o.days), expect: { store: o.store, device: o.device } });
  if (o.out) {
    writeFileAtomic(o.out, certPem, 0o644);
    process.stderr.write(`certificate ${cert.serial} for ${cert.subject}, valid until ${cert.notAfter}: ${o.out} (give it to the kiosk with ${caFiles(o.dir).cert})\n`);
  } else {
    say(certPem);
    process.stderr.write(`certificate ${cert.serial} for ${cert.subject}, valid until ${cert.notAfter}\n`);
  }
}

async function revoke(o: Opts): Promise<void> {
  const reason = (o.reason ?? 'unspecified') as RevocationReason;
  if (!(reason in REVOCATION_REASONS)) throw new UsageError(`--reason must be one of ${Object.keys(REVOCATION_REASONS).join(', ')}`);
  if (o.serial !== undefined && (o.store !== undefined || o.device !== undefined)) throw new UsageError('use either --serial or --store/--device, not both');
  const target = o.serial !== undefined ? { serial: o.serial } : kiosk(o);
  const revoked = CertificateAuthority.open(o.dir, clock).revoke(target, reason);
  say(
    revoked.map((c) => `revoked ${c.serial} (${c.subject}, ${reason})\n`).join('') +
      `  crl: ${caFiles(o.dir).crl} rewritten: copy it to the broker's crlfile, then \`systemctl reload mosquitto\` (SIGHUP) so the kiosk can no ` +
      `longer connect; a connection it holds now stays until it drops: \`systemctl restart mosquitto\` cuts it\n`,
  );
}

/** A number of days: `10d` or `10`. */
function window(v: string, what: string): number {
  const m = /^(\d{1,5})d?$/.exec(v);
  if (!m) throw new UsageError(`${what} must be a number of days like 10d, got "${v}"`);
  return Number(m[1]);
}

const daysLeft = (ms: number) => `${(ms / 86_400_000).toFixed(1)} days`;

async function crl(o: Opts): Promise<void> {
  const ca = CertificateAuthority.open(o.dir, clock);
  const file = caFiles(o.dir).crl;
  if (o.ifExpiringWithin !== undefined) {
    const within = window(o.ifExpiringWithin, '--if-expiring-within');
    const r = ca.renewCrlIfExpiring(within, days(o.days));
    say(
      r.renewed
        ? `CRL #${r.number} renewed (less than ${within} days were left): ${file}, valid until ${r.nextUpdate.toISOString()}: copy it to the broker and reload it before then\n`
        : `CRL #${r.number} left as it is: valid until ${r.nextUpdate.toISOString()} (${daysLeft(r.nextUpdate.getTime() - clock.now())} left, renewed within ${within} days of its end)\n`,
    );
    return;
  }
  const r = ca.renewCrl(days(o.days));
  say(`CRL #${r.number} written to ${file}, valid until ${r.nextUpdate.toISOString()}: copy it to the broker and reload it before then\n`);
}

/** Exit 0 while the CRL has at least --within days left; 1 with the reason on stderr when it expires sooner or has expired. */
async function check(o: Opts): Promise<void> {
  const warn = o.within === undefined ? 7 : window(o.within, '--within');
  const ca = CertificateAuthority.open(o.dir, clock);
  const file = o.crl ?? caFiles(o.dir).crl;
  const s = ca.crlState(warn, file);
  const end = s.nextUpdate.toISOString();
  if (s.state === 'ok') {
    say(`CRL ${file} valid until ${end} (${daysLeft(s.leftMs)} left)\n`);
    return;
  }
  const renew = `renew it now: hq ca crl --dir ${o.dir}, copy it to the broker's crlfile and reload Mosquitto`;
  process.stderr.write(
    s.state === 'expired'
      ? `hq ca check: CRL ${file} EXPIRED at ${end}: the broker refuses EVERY kiosk certificate; ${renew}\n`
      : `hq ca check: CRL ${file} expires in ${daysLeft(s.leftMs)}, at ${end} (less than ${warn} days): then the broker refuses every kiosk; ${renew}\n`,
  );
  process.exitCode = 1;
}

async function list(o: Opts): Promise<void> {
  const ca = CertificateAuthority.open(o.dir, clock);
  const rows = ca.list();
  const nextUpdate = ca.crlNextUpdate();
  if (o.json) {
    say(`${JSON.stringify({ crlNextUpdate: nextUpdate.toISOString(), certs: rows })}\n`);
    return;
  }
  const width = Math.max(7, ...rows.map((r) => r.subject.length));
  say(
    [
      `${'serial'.padEnd(32)}  ${'kind'.padEnd(6)}  ${'subject'.padEnd(width)}  ${'status'.padEnd(7)}  until`,
      ...rows.map((r) => `${r.serial.padEnd(32)}  ${r.kind.padEnd(6)}  ${r.subject.padEnd(width)}  ${r.status.padEnd(7)}  ${r.revokedAt ? `revoked ${r.revokedAt}` : r.notAfter}`),
      `CRL valid until ${nextUpdate.toISOString()}${nextUpdate.getTime() <= clock.now() ? ' — EXPIRED: the broker refuses every kiosk; renew it now: hq ca crl' : nextUpdate.getTime() - clock.now() < 7 * 86_400_000 ? ' — renew it now: hq ca crl' : ''}`,
      '',
    ].join('\n'),
  );
}

export function register(program: Command): void {
  const ca = program.command('ca').description('per-kiosk TLS certificates for the broker: a CA, kiosk certificates (CN STORE/DEVICE), revocation (CRL)');
  const dir = (c: Command) => c.requiredOption('--dir <dir>', 'the CA folder');
  const repeat = (v: string, all: string[] = []) => [...all, v];
  dir(ca.command('init').description('a new CA (key 0600, self-signed certificate, empty CRL); with --host also the broker certificate; never overwrites'))
    .option('--name <cn>', 'the CA certificate CN', DEFAULT_CA_NAME)
    .option('--days <n>', `CA validity (default ${DAYS.ca})`)
    .option('--host <name|ip>', 'the broker host name or IP address kiosks connect to (repeatable)', repeat)
    .option('--server-days <n>', `broker certificate validity (default ${DAYS.server})`)
    .action(run('init', init));
  dir(ca.command('server').description("the broker's TLS server certificate (server.key 0600, server.crt)"))
    .option('--host <name|ip>', 'a name or IP address kiosks connect to (repeatable)', repeat)
    .option('--days <n>', `validity (default ${DAYS.server})`)
    .option('--force', "replace the broker's existing certificate")
    .action(run('server', server));
  dir(ca.command('issue').description('a key and client certificate (CN STORE/DEVICE) for a kiosk: client.key (0600), client.crt, ca.crt'))
    .option('--store <id>')
    .option('--device <id>')
    .option('--out <dir>', 'where to write them (default DIR/issued/STORE/DEVICE)')
    .option('--days <n>', `validity (default ${DAYS.client})`)
    .action(run('issue', issue));
  dir(ca.command('sign').description("certify a kiosk's CSR (kiosk provision --csr): its key never leaves the kiosk"))
    .option('--csr <file>', 'the CSR (PEM), - for stdin')
    .option('--store <id>', 'refuse a CSR for another store')
    .option('--device <id>', 'refuse a CSR for another device')
    .option('--out <file>', 'write the certificate here (default stdout)')
    .option('--days <n>', `validity (default ${DAYS.client})`)
    .action(run('sign', sign));
  dir(ca.command('revoke').description("revoke a kiosk's certificates (or one --serial) and rewrite crl.pem"))
    .option('--store <id>')
    .option('--device <id>')
    .option('--serial <hex>')
    .option('--reason <reason>', Object.keys(REVOCATION_REASONS).join(', '), 'unspecified')
    .action(run('revoke', revoke));
  dir(ca.command('crl').description('re-sign crl.pem with a new validity (before it expires, or the broker refuses every kiosk)'))
    .option('--days <n>', `validity (default ${CRL_DAYS})`)
    .option('--if-expiring-within <n>d', 'renew only when less than n days are left (else exit 0 leaving it as it is): for a daily timer (deploy/systemd/hq-ca-crl.timer)')
    .action(run('crl', crl));
  dir(ca.command('list').description('every certificate issued: serial, kind, subject, status'))
    .option('--json')
    .action(run('list', list));
  dir(ca.command('check').description("for monitoring: exit 1 with the reason when the CRL expires within --within days (default 7) or has expired"))
    .option('--within <n>d', 'warn this many days before the CRL ends (default 7d)')
    .option('--crl <file>', "check this copy instead of DIR/crl.pem (e.g. the broker's /etc/mosquitto/certs/crl.pem)")
    .action(run('check', check));
}
