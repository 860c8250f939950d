import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Command } from 'commander';
import { signManifest } from '../signing';
import mqtt from 'mqtt';
import { compareVersions, parseManifest, type PricebookManifest } from '../../protocol/pricebook/manifest';
import { pricebookBase, type PricebookScope } from '../../protocol/pricebook/topics';
import { chunkPriceBookFile, dirSink } from '../pricebook/chunker';
import { publishPricebook } from '../pricebook/publish';

/**
 * Signs a manifest with the HQ key in `keyFile` and returns the message to publish. The lead plugs in
 * protocol/signed-envelope.ts `signEnvelope` (kind 'pricebook'); the kiosk's `verifyManifest` must accept it.
 */
export type ManifestSigner = (manifest: PricebookManifest, keyFile: string, scope: PricebookScope) => Buffer | Promise<Buffer>;

export interface PricebookPushOptions {
  version: string;
  delta?: boolean;
  base?: string;
  scope: string;
  key?: string;
  broker?: string;
  out?: string;
}

/** `store:S` → the store's `_all` level, `device:S/D` → one device. */
export function parsePricebookScope(text: string): PricebookScope {
  const store = /^store:([^/+#\s]+)$/.exec(text);
  if (store) return { store: store[1] };
  const device = /^device:([^/+#\s]+)\/([^/+#\s]+)$/.exec(text);
  if (device) return { store: device[1], device: device[2] };
  throw new Error(`bad --scope "${text}": expected store:STORE or device:STORE/DEVICE`);
}

/**
 * `hq pricebook push FILE`: cuts a full book (CSV/JSONL/JSON, validated by the streaming reader) or, with
 * `--delta --base V0`, a delta (NDJSON of {op:'upsert',item} / {op:'delete',sku}) into gzip chunks of ~256 KB,
 * and either writes `manifest.json` (+ `manifest.signed` when a signer is wired) and `chunk-N.ndjson.gz` to
 * `--out DIR`, or publishes the signed manifest and the chunks retained, QoS 1, under the scope's
 * `.../pricebook` topics (`--broker`, needs `--key` and a signer). Memory stays at one chunk.
 */
export async function pricebookPush(
  file: string,
  opts: PricebookPushOptions,
  deps: { sign?: ManifestSigner; out: (text: string) => void },
): Promise<PricebookManifest> {
  if (!opts.broker && !opts.out) throw new Error('give --broker URL to publish or --out DIR to write the files');
  if (!fs.existsSync(file)) throw new Error(`no such file: ${file}`);
  const scope = parsePricebookScope(opts.scope);
  const base = pricebookBase(scope);
  if (opts.delta && !opts.base) throw new Error('--delta needs --base VERSION (the version it applies on top of)');
  if (!opts.delta && opts.base) throw new Error('--base is only for --delta');
  if (opts.base && compareVersions(opts.version, opts.base) <= 0) throw new Error(`--version ${opts.version} must be newer than --base ${opts.base}`);
  if (opts.broker && !opts.key) throw new Error('--broker needs --key (the HQ key that signs the manifest)');
  if (opts.broker && !deps.sign) throw new Error('manifest signing is not wired into this build: use --out DIR');

  const dir = opts.out ?? fs.mkdtempSync(path.join(os.tmpdir(), 'hq-pricebook-'));
  try {
    const meta = opts.delta ? { version: opts.version, kind: 'delta' as const, baseVersion: opts.base } : { version: opts.version, kind: 'full' as const };
    const manifest = await chunkPriceBookFile(file, meta, dirSink(dir));
    const checked = parseManifest(manifest);
    if (!checked.ok) throw new Error(`manifest: ${checked.detail}`);
    fs.mkdirSync(dir, { recursive: true });
    const signed = deps.sign && opts.key ? await deps.sign(manifest, opts.key, scope) : null;
    const what = `${manifest.kind} price book ${manifest.version}${manifest.baseVersion ? ` (on ${manifest.baseVersion})` : ''}: ${manifest.items} records in ${manifest.chunkCount} chunks`;
    if (opts.out) {
      fs.writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(manifest) + '\n');
      if (signed) fs.writeFileSync(path.join(dir, 'manifest.signed'), signed);
      deps.out(`wrote ${what} to ${dir}${signed ? '' : ' (manifest unsigned)'}\n`);
    }
    if (opts.broker && signed) {
      const client = await mqtt.connectAsync(opts.broker, { reconnectPeriod: 0, connectTimeout: 10_000, clientId: `hq-pricebook-${process.pid}` }, false);
      try {
        await publishPricebook(client, base, manifest, signed, dir);
      } finally {
        await client.endAsync();
      }
      deps.out(`published ${what} on ${base}/…\n`);
    }
    return manifest;
  } finally {
    if (!opts.out) fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Registers `hq pricebook push`; `sign` is the manifest signer (until it is wired, only `--out` works). */
export function registerPricebookPush(program: Command, sign?: ManifestSigner): void {
  const pricebook = program.commands.find((c) => c.name() === 'pricebook') ?? program.command('pricebook').description('price books for kiosks');
  pricebook
    .command('push')
    .description('chunk a price book (or delta) and publish it, signed and retained, to a store or device')
    .argument('<file>', 'full book: .csv/.jsonl/.json; delta (--delta): .jsonl of {op,item|sku}')
    .requiredOption('--version <v>', 'version of this book, newer than the one on the kiosks')
    .option('--delta', 'FILE is a delta')
    .option('--base <v>', 'with --delta: the version the delta applies on top of')
    .requiredOption('--scope <scope>', 'store:S | device:S/D')
    .option('--key <file>', 'HQ private key that signs the manifest (hq.key)')
    .option('--broker <url>', 'publish to this MQTT broker')
    .option('--out <dir>', 'write manifest and chunks to DIR instead of (or as well as) publishing')
    .action(async (file: string, opts: PricebookPushOptions) => {
      await pricebookPush(file, opts, { sign, out: (t) => process.stdout.write(t) });
    });
}

export const register = (program: Command): void => registerPricebookPush(program, signManifest);
