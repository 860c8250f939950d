import { CliExit } from '../cli-support';
import { hashPin } from '../../runtime/screen/pin';

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
