import * as fs from 'node:fs';
import * as path from 'node:path';
import sqlite3 from 'sqlite3';
import { SystemClock, type Clock } from '../../kernel/clock';
import { parsePublicKeyPem } from '../../protocol/signed-envelope';
import { writeFileAtomic } from '../../kernel/atomic-file';
import { probeBroker, type ProbeOptions, type ProbeResult } from '../../runtime/hq-sync/broker-probe';
import { identityPath, readIdentity, secretsDir, writeIdentity, type BrokerAuth, type Identity } from '../../runtime/trust/identity';
import { TrustStore } from '../../runtime/trust/trust-store';
import { createSealKey, ensureSealKey } from '../../runtime/trust/seal-key';
import { clientCsr, ensurePendingKey, pendingKeyPath, readClientCert } from '../../runtime/trust/client-csr';
import { checkIdentityAtHq, type IdentityCheck } from '../../runtime/hq-sync/identity-check';
import { dbPath } from '../kiosk';
import { baseConfigFrom, CliExit, type CommonOptions } from '../cli-support';
import { passwordText, readStdinBounded } from '../../kernel/secret-input';

export interface ProvisionOptions extends CommonOptions {
  store?: string;
  device?: string;
  broker?: string;
  username?: string;
  password?: string;
  cert?: string;
  key?: string;
  ca?: string;
  /** HQ public key PEM files (repeatable). */
  trust?: string[];
  force?: boolean;
  requireBroker?: boolean;
  /** `--csr`: make the kiosk's own key (kept here) and print a CSR for HQ to sign, instead of provisioning. */
  csr?: boolean;
  /** `--csr-out FILE`: write the CSR there instead of stdout. */
  csrOut?: string;
}

export interface ProvisionIo {
  out: (text: string) => void;
  err: (text: string) => void;
  clock: Clock;
  /** Broker test timeout (default 5 s). */
  brokerTimeoutMs?: number;
  /** How long to ask the broker whether HQ already knows the identity (default 3 s). */
  identityCheckTimeoutMs?: number;
}

export interface ProvisionSummary {
  identity: Identity;
  dataDir: string;
  trusted: string[];
  broker: ProbeResult;
  /** What the broker retains for this identity (HQ's ack, presence), checked with the new credentials. */
  known: IdentityCheck;
  /** The warning printed about a reused identity, if any. */
  reuseWarning: string | null;
  /** The fingerprint of the kiosk's sealing public key (HQ seals the payment channels' secrets to it). */
  sealKeyFingerprint: string;
}

const ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
/** Any PEM private key: PKCS#8 (`PRIVATE KEY`, `ENCRYPTED PRIVATE KEY`), PKCS#1 / SEC1 (`RSA`, `EC`), OpenSSH. */
const PRIVATE_PEM = /-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----/;
const SECRET = 0o600;

function readInput(file: string, what: string): Buffer {
  try {
    return fs.readFileSync(file);
  } catch (e) {
    throw new CliExit(1, `kiosk: cannot read ${what} ${file} (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
}

function usage(message: string): never {
  throw new CliExit(2, `kiosk provision: ${message}`);
}

/**
 * `kiosk provision`: makes this kiosk a member of the fleet.
 *
 * Rules: refuses to replace an existing identity without `--force` (exit 1). Writes the broker password and any
 * client key/certificates as 0600 files under `<data>/secrets/`, the HQ key(s) into the trust store (replacing the
 * trusted keys on `--force`), and `<data>/identity.json` last. Tests the broker (one connect, 5 s): an unreachable
 * broker is a warning — a technician may provision before the network is up — unless `--require-broker`, which makes
 * it fatal (exit 1, nothing written). The summary never shows the password.
 *
 * It also asks the broker (with the new credentials, a few seconds at most) whether HQ already knows this identity:
 * a retained HQ ack or presence `state` for `store/device`. Unless this kiosk's own journal holds the very entry HQ
 * acknowledged (the same kiosk, re-provisioned), that is a warning on stderr: a second kiosk, or a fresh or restored
 * database, under an identity HQ already holds sales for sells entries HQ will refuse and quarantine. When the
 * broker cannot be asked, it says it could not check.
 */
export async function provisionKiosk(opts: ProvisionOptions, io: ProvisionIo): Promise<ProvisionSummary> {
  const { store, device, broker } = opts;
  if (!store || !ID.test(store)) usage('--store <id> is required (letters, digits, . _ -)');
  if (!device || !ID.test(device)) usage('--device <id> is required (letters, digits, . _ -)');
  if (!broker || !/^(mqtts?|wss?|tcp|tls):\/\/[^/\s]+/.test(broker)) usage('--broker <url> is required (mqtt://host:port, mqtts://, ws://, wss://)');
  if (!opts.trust?.length) usage('--trust <hq.pub> is required (the HQ public key that signs config and commands)');
  const certParts = [opts.cert, opts.key, opts.ca].filter((x) => x !== undefined).length;
  // --cert and --ca without --key: the certificate HQ signed for this kiosk's own key (`kiosk provision --csr`)
  const ownKey = opts.cert !== undefined && opts.ca !== undefined && opts.key === undefined;
  if (certParts > 0 && certParts < 3 && !ownKey) usage('--cert, --key and --ca go together (or --cert and --ca alone, for the key `kiosk provision --csr` made here)');
  if (certParts > 0 && (opts.username !== undefined || opts.password !== undefined)) usage('use either --username with a password or --cert/--key/--ca, not both');
  if ((opts.username === undefined) !== (opts.password === undefined)) usage('--username and a password (--password-stdin or --password-file) go together');

  const dataDir = baseConfigFrom(opts).dataDir; // not configFrom: the identity being replaced may be unreadable
  const existing = fs.existsSync(identityPath(dataDir)) ? safeIdentity(dataDir) : null;
  if (fs.existsSync(identityPath(dataDir)) && !opts.force) {
    const who = existing ? `${existing.store}/${existing.device}` : 'an unreadable identity';
    throw new CliExit(1, `kiosk: this kiosk is already provisioned (${who}, ${identityPath(dataDir)}); use --force to replace it`);
  }

  const trustPems = opts.trust.map((f) => readInput(f, 'HQ key').toString('utf8'));
  const certs = certParts === 3 ? { cert: readInput(opts.cert!, 'client certificate'), key: readInput(opts.key!, 'client key'), ca: readInput(opts.ca!, 'CA certificate') } : ownKey ? withOwnKey(dataDir, store, device, opts.cert!, opts.ca!) : null;
  // check the keys before anything is written
  trustPems.forEach((pem, i) => {
    if (PRIVATE_PEM.test(pem)) {
      // node derives the public half from a private key PEM and would install it: the HQ signing key must never leave HQ
      throw new CliExit(
        2,
        `kiosk provision: ${opts.trust![i]} is a private key; give HQ's public key (the .pub file \`hq keygen --out DIR\` wrote next to it, ` +
          `or \`openssl pkey -in ${opts.trust![i]} -pubout\`), and keep the private key at HQ`,
      );
    }
    try {
      parsePublicKeyPem(pem);
    } catch (e) {
      throw new CliExit(1, `kiosk: ${opts.trust![i]}: not an HQ public key (${(e as Error).message})`);
    }
  });

  const probeOpts: ProbeOptions = { clientId: `kiosk-provision-${store}-${device}`.slice(0, 23) };
  if (opts.username !== undefined) Object.assign(probeOpts, { username: opts.username, password: opts.password });
  if (certs) Object.assign(probeOpts, certs);
  const result = await probeBroker(broker, probeOpts, io.clock, io.brokerTimeoutMs ?? 5000);
  io.out(result.ok ? `broker ${broker}: OK\n` : `broker ${broker}: ${result.error}\n`);
  if (!result.ok && opts.requireBroker) throw new CliExit(1, `kiosk: broker unreachable and --require-broker given; nothing written`);
  const known: IdentityCheck = result.ok
    ? await checkIdentityAtHq(broker, probeOpts, { store, device }, io.clock, { timeoutMs: io.identityCheckTimeoutMs ?? 3000 })
    : { status: 'unchecked', error: result.error };
  const reuseWarning = known.status === 'known' ? await reuseWarningFor(known, `${store}/${device}`, dataDir) : null;

  fs.mkdirSync(dataDir, { recursive: true });
  fs.mkdirSync(secretsDir(dataDir), { recursive: true, mode: 0o700 });
  fs.chmodSync(secretsDir(dataDir), 0o700);
  let auth: BrokerAuth = { kind: 'none' };
  if (opts.username !== undefined && opts.password !== undefined) {
    writeFileAtomic(path.join(secretsDir(dataDir), 'mqtt-password'), opts.password, SECRET);
    auth = { kind: 'password', username: opts.username, passwordFile: 'secrets/mqtt-password' };
  } else if (certs) {
    writeFileAtomic(path.join(secretsDir(dataDir), 'client.crt'), certs.cert, SECRET);
    writeFileAtomic(path.join(secretsDir(dataDir), 'client.key'), certs.key, SECRET);
    writeFileAtomic(path.join(secretsDir(dataDir), 'ca.crt'), certs.ca, SECRET);
    auth = { kind: 'cert', certFile: 'secrets/client.crt', keyFile: 'secrets/client.key', caFile: 'secrets/ca.crt' };
  }
  const trusted = TrustStore.open(dataDir).install(trustPems, { replace: true, now: io.clock.now() });
  // the kiosk's own X25519 sealing key pair: a new identity gets a new one; the same identity again keeps its key
  // (what HQ sealed to it still opens). The private key never leaves the kiosk; HQ learns the public one from the birth.
  const sameIdentity = existing !== null && existing.store === store && existing.device === device;
  const sealKey = sameIdentity ? ensureSealKey(dataDir) : createSealKey(dataDir);
  const identity: Identity = { v: 1, store, device, broker: { url: broker, auth }, provisionedAt: new Date(io.clock.now()).toISOString() };
  writeIdentity(dataDir, identity);
  if (ownKey) fs.rmSync(pendingKeyPath(dataDir), { force: true }); // now secrets/client.key

  if (!result.ok) io.err(`kiosk: warning: broker not reachable (${result.error}); identity written anyway, the kiosk will keep trying\n`);
  if (known.status === 'unchecked') io.err(`kiosk: warning: could not check whether HQ already knows ${store}/${device} (${known.error})\n`);
  if (reuseWarning) io.err(`kiosk: warning: ${reuseWarning}\n`);
  const authText =
    auth.kind === 'password' ? `username ${auth.username}, password in ${auth.passwordFile} (0600)` : auth.kind === 'cert' ? `client certificate ${auth.certFile}, key ${auth.keyFile} (0600)` : 'none';
  io.out(
    [
      `provisioned ${store}/${device}${existing ? ` (replaced ${existing.store}/${existing.device})` : ''}`,
      `  identity: ${identityPath(dataDir)}`,
      `  broker:   ${broker} (${result.ok ? 'reachable' : 'NOT reachable'})`,
      `  auth:     ${authText}`,
      `  trusted:  ${trusted.join(', ')}`,
      `  sealing key: secrets/seal.key (0600), public key fingerprint ${sealKey.fingerprint}`,
      '',
    ].join('\n'),
  );
  return { identity, dataDir, trusted, broker: result, known, reuseWarning, sealKeyFingerprint: sealKey.fingerprint };
}

/**
 * The certificate HQ signed for this kiosk's own key: the pending key of `kiosk provision --csr` (or, renewing, the
 * key already in use) must be the one it certifies, its CN must be `store/device` (the broker makes the CN the
 * username the ACL is written for) and the CA given must have signed it. Exit 1 otherwise, nothing written.
 */
function withOwnKey(dataDir: string, store: string, device: string, certFile: string, caFile: string): { cert: Buffer; key: Buffer; ca: Buffer } {
  const cert = readInput(certFile, 'client certificate');
  const ca = readInput(caFile, 'CA certificate');
  let info;
  try {
    info = readClientCert(cert);
  } catch (e) {
    throw new CliExit(1, `kiosk: ${certFile}: ${(e as Error).message}`);
  }
  const candidates = [pendingKeyPath(dataDir), path.join(secretsDir(dataDir), 'client.key')].filter((f) => fs.existsSync(f));
  if (candidates.length === 0) throw new CliExit(1, `kiosk: no key of this kiosk to go with ${certFile}: run \`kiosk provision --csr\` first (or give --key)`);
  const keyFile = candidates.find((f) => info.matches(fs.readFileSync(f, 'utf8')));
  if (!keyFile) throw new CliExit(1, `kiosk: ${certFile} does not certify this kiosk's key (${candidates.join(', ')}): was it signed from another kiosk's CSR?`);
  if (info.commonName !== `${store}/${device}`) throw new CliExit(1, `kiosk: ${certFile} is for ${info.commonName ?? '(no CN)'}, not ${store}/${device}: the broker takes the certificate's CN as the kiosk's identity`);
  if (!info.signedBy(ca.toString('utf8'))) throw new CliExit(1, `kiosk: ${certFile} was not signed by the CA in ${caFile}`);
  return { cert, key: fs.readFileSync(keyFile), ca };
}

/**
 * `kiosk provision --csr --store S --device D [--csr-out FILE]`: the first half of certificate provisioning with the
 * private key made on the kiosk. Makes the kiosk's key (`<data>/secrets/csr.key`, 0600; kept when it exists, a new one
 * with --force) and writes a CSR with CN `S/D` to FILE or stdout, for `hq ca sign --csr FILE`. Changes no identity.
 * The second half is `kiosk provision … --cert signed.crt --ca ca.crt` without --key.
 */
export function provisionCsr(opts: ProvisionOptions, io: Pick<ProvisionIo, 'out' | 'err'>): { csrPem: string; keyFile: string; created: boolean } {
  const { store, device } = opts;
  if (!store || !ID.test(store)) usage('--store <id> is required (letters, digits, . _ -)');
  if (!device || !ID.test(device)) usage('--device <id> is required (letters, digits, . _ -)');
  if (opts.cert !== undefined || opts.key !== undefined || opts.ca !== undefined || opts.username !== undefined || opts.password !== undefined) {
    usage('--csr makes a key and a CSR only: give --cert/--ca after HQ signed it, in a second `kiosk provision`');
  }
  const dataDir = baseConfigFrom(opts).dataDir;
  const { keyPem, created } = ensurePendingKey(dataDir, opts.force ?? false);
  const csrPem = clientCsr(keyPem, store, device);
  if (opts.csrOut) writeFileAtomic(opts.csrOut, csrPem, 0o644);
  else io.out(csrPem);
  io.err(
    `kiosk: ${created ? 'made' : 'kept'} this kiosk's key ${pendingKeyPath(dataDir)} (0600, it never leaves the kiosk); ` +
      `CSR for ${store}/${device}${opts.csrOut ? ` in ${opts.csrOut}` : ' on stdout'}.\n` +
      `  next: at HQ \`hq ca sign --dir CA --csr FILE --store ${store} --device ${device} --out ${device}.crt\`, ` +
      `then here \`kiosk provision --store ${store} --device ${device} --broker mqtts://BROKER:8883 --cert ${device}.crt --ca ca.crt --trust hq.pub\`\n`,
  );
  return { csrPem, keyFile: pendingKeyPath(dataDir), created };
}

/** The reuse warning for an identity HQ knows, or null when this kiosk's journal holds the entry HQ acknowledged. */
async function reuseWarningFor(known: Extract<IdentityCheck, { status: 'known' }>, who: string, dataDir: string): Promise<string | null> {
  const { ack, state } = known;
  if (ack && (await localHashAt(dataDir, ack.seq)) === ack.hash) return null; // the same kiosk's own journal
  const facts = [
    ack ? `HQ acknowledged its journal up to seq ${ack.seq}` : null,
    state ? `a kiosk announced itself with it (${state.online ? 'online' : 'offline'}${state.ts !== null ? ` at ${new Date(state.ts).toISOString()}` : ''})` : null,
  ].filter((x) => x !== null);
  return (
    `HQ already knows ${who}: ${facts.join('; ')}. This kiosk's journal does not continue that chain: its sales will ` +
    `conflict with what HQ holds and be quarantined there (never acked, kept in the outbox). Use a new device id ` +
    `unless you are restoring that kiosk's own database.`
  );
}

/** The hash of journal entry `seq` in the kiosk database under `dataDir` (read-only), or null when there is none. */
async function localHashAt(dataDir: string, seq: number): Promise<string | null> {
  const file = dbPath(dataDir);
  if (!fs.existsSync(file)) return null;
  return new Promise((resolve) => {
    const db = new sqlite3.Database(file, sqlite3.OPEN_READONLY, (err) => {
      if (err) return resolve(null);
      db.get('SELECT hash FROM journal WHERE seq = ?', [seq], (e: Error | null, row: { hash?: string } | undefined) => {
        db.close(() => resolve(!e && typeof row?.hash === 'string' ? row.hash : null));
      });
    });
  });
}

function safeIdentity(dataDir: string): Identity | null {
  try {
    return readIdentity(dataDir);
  } catch {
    return null;
  }
}

export interface ProvisionCliOptions extends Omit<ProvisionOptions, 'password'> {
  /** `--password <p>` on the command line: refused (argv is visible in `ps` and shell history). */
  password?: string;
  passwordStdin?: boolean;
  passwordFile?: string;
}


/**
 * The MQTT password from `--password-stdin` or `--password-file FILE` (never argv). `--password` is refused with
 * exit 2 naming the two safe ways; `readStdin` is the process's stdin in the CLI.
 */
export async function passwordFrom(opts: ProvisionCliOptions, readStdin: () => Promise<Buffer>): Promise<string | undefined> {
  if (opts.password !== undefined) {
    usage('--password would put the MQTT password in the command line (visible in `ps` and shell history); give it on stdin with --password-stdin, or in a file with --password-file FILE');
  }
  if (opts.passwordStdin && opts.passwordFile !== undefined) usage('use either --password-stdin or --password-file, not both');
  let pw: string | undefined;
  if (opts.passwordStdin) pw = passwordText(await readStdin());
  else if (opts.passwordFile !== undefined) pw = passwordText(readInput(opts.passwordFile, 'password file'));
  if (pw !== undefined && (pw.length === 0 || pw.length > 1024)) usage(`the MQTT password from ${opts.passwordStdin ? 'stdin' : opts.passwordFile} is ${pw.length === 0 ? 'empty' : 'longer than 1024 characters'}`);
  return pw;
}


/** The commander action. */
export async function provision(opts: ProvisionCliOptions): Promise<void> {
  const { passwordStdin: _s, passwordFile: _f, ...rest } = opts;
  if (opts.csr) {
    provisionCsr(rest, { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t) });
    return;
  }
  const password = await passwordFrom(opts, readStdinBounded);
  await provisionKiosk({ ...rest, password }, { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t), clock: new SystemClock() });
}
