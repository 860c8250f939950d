import { CliExit } from '../cli-support';
import { MAX_BADGE_CHARS } from '../../runtime/screen/attendant-gate';
import { hashBadge, hashPin } from '../../runtime/screen/pin';

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * `kiosk attendant hash-pin --id ATT`: reads a PIN (4-12 digits) from stdin — never from the command line, where it
 * would land in shell history and `ps` — and prints the `attendant.pins` config entry with its scrypt hash.
 */
export async function attendantHashPin(opts: { id: string }): Promise<void> {
  const pin = (await readStdin()).trim();
  if (!/^\d{4,12}$/.test(pin)) throw new CliExit(2, 'kiosk: the PIN must be 4-12 digits, given on stdin');
  if (!/^[A-Za-z0-9_-]{1,40}$/.test(opts.id)) throw new CliExit(2, `kiosk: attendant id must be 1-40 letters, digits, _ or -, got "${opts.id}"`);
  process.stdout.write(`${JSON.stringify({ attendantId: opts.id, hash: await hashPin(pin) })}\n`);
}

/**
 * `kiosk attendant hash-badge --id ATT`: reads a badge code (the text the scanner reads from the badge) from stdin
 * and prints the `attendant.badges` config entry with its scrypt hash; the code is never an argument nor printed.
 * The code must match `attendant.badgePattern` on the lane to be tried (checked there, not here: HQ may enrol for
 * lanes with another pattern). `--salt` (base64, ≥ 16 bytes) hashes a store's badges with one shared salt, so a scan
 * costs one scrypt however many badges are enrolled (with a random salt each, one per badge).
 */
export async function attendantHashBadge(opts: { id: string; salt?: string }): Promise<void> {
  const code = (await readStdin()).replace(/\r?\n$/, '');
  if (code.length === 0 || code.length > MAX_BADGE_CHARS || [...code].some((ch) => ch.charCodeAt(0) < 0x20 || ch.charCodeAt(0) === 0x7f)) {
    throw new CliExit(2, `kiosk: the badge code must be 1-${MAX_BADGE_CHARS} printable characters, given on stdin`);
  }
  if (!/^[A-Za-z0-9_-]{1,40}$/.test(opts.id)) throw new CliExit(2, `kiosk: attendant id must be 1-40 letters, digits, _ or -, got "${opts.id}"`);
  let salt: Buffer | undefined;
  if (opts.salt !== undefined) {
    salt = Buffer.from(opts.salt, 'base64');
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(opts.salt) || salt.length < 16 || salt.length > 64) throw new CliExit(2, 'kiosk: --salt must be 16-64 bytes in base64');
  }
  process.stdout.write(`${JSON.stringify({ attendantId: opts.id, hash: await hashBadge(code, undefined, salt) })}\n`);
}
