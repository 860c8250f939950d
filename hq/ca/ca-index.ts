import * as fs from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import { writeFileAtomic } from '../../kernel/atomic-file';
import { KioskError } from '../../kernel/errors';
import { REVOCATION_REASONS } from './crl';

/**
 * The files of a CA folder (`hq ca init --dir DIR`):
 *   ca.key (0600) / ca.crt      the fleet CA
 *   server.key (0600) / server.crt   the broker's TLS certificate (`hq ca server`)
 *   index.json                  every certificate issued: serial, kind, subject, key fingerprint, validity, revocation
 *   crl.pem                     the revocation list Mosquitto's `crlfile` reads, rewritten on every revocation
 *   issued/STORE/DEVICE/        what `hq ca issue` made for a kiosk: client.key (0600), client.crt, ca.crt
 */
export const caFiles = (dir: string) => ({
  key: path.join(dir, 'ca.key'),
  cert: path.join(dir, 'ca.crt'),
  serverKey: path.join(dir, 'server.key'),
  serverCert: path.join(dir, 'server.crt'),
  index: path.join(dir, 'index.json'),
  crl: path.join(dir, 'crl.pem'),
  lock: path.join(dir, '.lock'),
  issued: (store: string, device: string) => path.join(dir, 'issued', store, device),
});

const reason = z.enum(Object.keys(REVOCATION_REASONS) as [keyof typeof REVOCATION_REASONS, ...(keyof typeof REVOCATION_REASONS)[]]);

const issuedSchema = z
  .object({
    /** Hex, lower case, as in the certificate and the CRL. */
    serial: z.string().regex(/^[0-9a-f]+$/),
    kind: z.enum(['client', 'server']),
    /** The certificate's CN: `STORE/DEVICE` for a kiosk, the first host name for the broker. */
    subject: z.string(),
    store: z.string().optional(),
    device: z.string().optional(),
    hosts: z.array(z.string()).optional(),
    /** SHA-256 of the certified public key (SPKI DER), hex: a revoked key is never certified again. */
    keySha256: z.string().regex(/^[0-9a-f]{64}$/),
    /** Signed from a CSR (the private key never left its owner) or made here (`hq ca issue`). */
    fromCsr: z.boolean(),
    issuedAt: z.string(),
    notBefore: z.string(),
    notAfter: z.string(),
    revokedAt: z.string().optional(),
    reason: reason.optional(),
  })
  .strict();

const indexSchema = z.object({ v: z.literal(1), crlNumber: z.number().int().nonnegative(), certs: z.array(issuedSchema) }).strict();

export type IssuedCert = z.infer<typeof issuedSchema>;
export type CaIndex = z.infer<typeof indexSchema>;

export function readIndex(dir: string): CaIndex {
  const file = caFiles(dir).index;
  let json: unknown;
  try {
    json = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new KioskError('CA_REFUSED', `${file}: cannot read the CA's index (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  const parsed = indexSchema.safeParse(json);
  if (!parsed.success) throw new KioskError('CA_REFUSED', `${file}: not a CA index (${parsed.error.issues[0].path.join('.')}: ${parsed.error.issues[0].message})`);
  return parsed.data;
}

export function writeIndex(dir: string, index: CaIndex): void {
  writeFileAtomic(caFiles(dir).index, `${JSON.stringify(index, null, 2)}\n`, 0o644);
}

/**
 * Runs `fn` holding the CA folder's lock (a `.lock` folder made atomically): two `hq ca` commands at once would each
 * read the index and the last writer would drop the other's certificate or revocation.
 */
export function withCaLock<T>(dir: string, fn: () => T): T {
  const lock = caFiles(dir).lock;
  try {
    fs.mkdirSync(lock);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new KioskError('CA_REFUSED', `the CA in ${dir} is busy (${lock} exists): another \`hq ca\` runs; remove ${lock} if none does`);
    }
    throw e;
  }
  try {
    return fn();
  } finally {
    fs.rmSync(lock, { recursive: true, force: true });
  }
}
