import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Command } from 'commander';
import { writeFileAtomic } from '../../kernel/atomic-file';
import { generateHqKeyPair } from '../signing';

export interface KeygenOptions {
  out: string;
  name?: string;
  force?: boolean;
}

/**
 * `hq keygen --out DIR [--name hq]`: a new Ed25519 key pair, `DIR/<name>.key` (PKCS8 PEM, 0600) and
 * `DIR/<name>.pub` (SPKI PEM, what `kiosk provision --trust` takes). Refuses to overwrite a key without `--force`.
 * Returns (and prints) the keyId.
 */
export function keygen(opts: KeygenOptions, out: (text: string) => void): string {
  const name = opts.name ?? 'hq';
  if (!/^[A-Za-z0-9._-]+$/.test(name)) throw new Error(`bad --name "${name}": letters, digits, . _ - only`);
  const keyFile = path.join(opts.out, `${name}.key`);
  const pubFile = path.join(opts.out, `${name}.pub`);
  if (!opts.force && (fs.existsSync(keyFile) || fs.existsSync(pubFile))) throw new Error(`${keyFile} or ${pubFile} exists; use --force to replace the key`);
  const pair = generateHqKeyPair();
  fs.mkdirSync(opts.out, { recursive: true });
  writeFileAtomic(keyFile, pair.privatePem, 0o600);
  writeFileAtomic(pubFile, pair.publicPem, 0o644);
  out(`keyId ${pair.keyId}\n  private: ${keyFile} (0600, keep it secret)\n  public:  ${pubFile}\n`);
  return pair.keyId;
}

export function register(program: Command): void {
  program
    .command('keygen')
    .description('new Ed25519 HQ signing key pair: DIR/hq.key (0600) and DIR/hq.pub')
    .requiredOption('--out <dir>', 'folder for the key files')
    .option('--name <name>', 'file name stem', 'hq')
    .option('--force', 'replace an existing key pair')
    .action((opts: KeygenOptions) => {
      keygen(opts, (t) => process.stdout.write(t));
    });
}
