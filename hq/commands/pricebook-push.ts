import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Command } from 'commander';
import { signManifest } from '../signing';
import { SystemClock, type Clock } from '../../kernel/clock';
import { addBrokerOptions, brokerConnectOptions, type BrokerCliOptions } from '../broker-auth';
import { withBroker } from '../mqtt-link';
import { progressReporter } from '../pricebook/progress';
import { knownDevices, pricebookReportWaiter, type KioskPricebookOutcome } from '../pricebook/wait-reports';
import { compareVersions, parseManifest, type PricebookManifest } from '../../protocol/pricebook/manifest';
import { pricebookBase, type PricebookScope } from '../../protocol/pricebook/topics';
import { chunkPriceBookFile, dirSink } from '../pricebook/chunker';
import { publishPricebook } from '../pricebook/publish';

/**
 * Signs a manifest with the HQ key in `keyFile` and returns the message to publish. The lead plugs in
 * protocol/signed-envelope.ts `signEnvelope` (kind 'pricebook'); the kiosk's `verifyManifest` must accept it.
 */
export type ManifestSigner = (manifest: PricebookManifest, keyFile: string, scope: PricebookScope) => Buffer | Promise<Buffer>;

export interface PricebookPushOptions extends BrokerCliOptions {
  version: string;
  delta?: boolean;
  base?: string;
  scope: string;
  key?: string;
  broker?: string;
  out?: string;
  /** Wait for every kiosk of the scope to report the version applied or refused (`pricebook/reported`). */
  wait?: boolean;
  /** Seconds to wait with `wait` (default 300). */
  timeout?: string;
  /** With a store scope and `wait`: these devices (comma-separated) instead of those known from retained `state`. */
  devices?: string;
  /** One JSON document on stdout: the manifest and, with `wait`, each kiosk's outcome. */
  json?: boolean;
}

/** What `pricebookPush` returns: the manifest, and each kiosk's outcome with `--wait`. */
export type PricebookPushResult = PricebookManifest & { kiosks?: KioskPricebookOutcome[] };

export interface PricebookPushIo {
  sign?: ManifestSigner;
  /** Results (stdout). */
  out: (text: string) => void;
  /** Progress (stderr); default nowhere. */
  err?: (text: string) => void;
  /** stderr is a terminal: a progress bar instead of 10 % lines. */
  tty?: boolean;
  errStream?: NodeJS.WritableStream;
  clock?: Clock;
  readStdin?: () => Promise<Buffer>;
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
export async function pricebookPush(file: string, opts: PricebookPushOptions, deps: PricebookPushIo): Promise<PricebookPushResult> {
  if (!opts.broker && !opts.out) throw new Error('give --broker URL to publish or --out DIR to write the files');
  if (!fs.existsSync(file)) throw new Error(`no such file: ${file}`);
  const scope = parsePricebookScope(opts.scope);
  const base = pricebookBase(scope);
  if (opts.delta && !opts.base) throw new Error('--delta needs --base VERSION (the version it applies on top of)');
  if (!opts.delta && opts.base) throw new Error('--base is only for --delta');
  if (opts.base && compareVersions(opts.version, opts.base) <= 0) throw new Error(`--version ${opts.version} must be newer than --base ${opts.base}`);
  if (opts.broker && !opts.key) throw new Error('--broker needs --key (the HQ key that signs the manifest)');
  if (opts.broker && !deps.sign) throw new Error('manifest signing is not wired into this build: use --out DIR');
  if (opts.wait && !opts.broker) throw new Error('--wait needs --broker (it waits for the kiosks\' reports there)');
  if (opts.devices !== undefined && !opts.wait) throw new Error('--devices is only for --wait');
  if (opts.devices !== undefined && 'device' in scope) throw new Error('--devices is for a store scope; a device scope waits for that device');
  const timeoutMs = Number(opts.timeout ?? '300') * 1000;
  if (opts.wait && !(timeoutMs > 0)) throw new Error(`bad --timeout "${opts.timeout}"`);
  const broker = opts.broker ? await brokerConnectOptions(opts, { readStdin: deps.readStdin }) : null;
  const err = deps.err ?? (() => undefined);
  const clock = deps.clock ?? new SystemClock();
  const say = (t: string) => (opts.json ? undefined : deps.out(t));

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
      say(`wrote ${what} to ${dir}${signed ? '' : ' (manifest unsigned)'}\n`);
    }
    let kiosks: KioskPricebookOutcome[] | undefined;
    if (broker && signed) {
      kiosks = await withBroker(broker, async (client) => {
        // who must answer, and listening before the first byte goes out (a fast kiosk answers during the publish)
        const devices = !opts.wait
          ? []
          : 'device' in scope
            ? [scope.device]
            : opts.devices !== undefined
              ? opts.devices.split(',').map((d) => d.trim()).filter((d) => d !== '')
              : await knownDevices(client, scope.store);
        const waiter = opts.wait
          ? pricebookReportWaiter(client, {
              store: scope.store,
              devices,
              version: manifest.version,
              clock,
              timeoutMs,
              onOutcome: (o) => say(`${o.store}/${o.device}: ${o.status}${o.items !== undefined ? ` (${o.items} items)` : ''}${o.reason ? ` ${o.reason}` : ''}${o.detail ? `: ${o.detail}` : ''}\n`),
            })
          : null;
        await waiter?.start();
        const progress = progressReporter(`publishing ${manifest.version}`, manifest.chunkCount, 'chunks', { write: err, tty: deps.tty === true, stream: deps.errStream });
        try {
          await publishPricebook(client, base, manifest, signed, dir, (n) => progress.update(n));
        } finally {
          progress.stop();
        }
        say(`published ${what} on ${base}/…\n`);
        if (!waiter) return undefined;
        if (devices.length === 0) err(`no kiosks known in store ${scope.store} (no retained state): nothing to wait for\n`);
        else err(`waiting up to ${timeoutMs / 1000} s for ${devices.length} kiosk(s) to apply ${manifest.version}\n`);
        return waiter.wait();
      });
    }
    const result: PricebookPushResult = kiosks ? { ...manifest, kiosks } : manifest;
    if (opts.json) deps.out(`${JSON.stringify({ manifest, published: signed !== null && broker !== null, ...(opts.out ? { dir } : {}), ...(kiosks ? { kiosks } : {}) })}\n`);
    return result;
  } finally {
    if (!opts.out) fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Registers `hq pricebook push`; `sign` is the manifest signer (until it is wired, only `--out` works). */
export function registerPricebookPush(program: Command, sign?: ManifestSigner): void {
  const pricebook = program.commands.find((c) => c.name() === 'pricebook') ?? program.command('pricebook').description('price books for kiosks');
  const push = pricebook
    .command('push')
    .description('chunk a price book (or delta) and publish it, signed and retained, to a store or device')
    .argument('<file>', 'full book: .csv/.jsonl/.json; delta (--delta): .jsonl of {op,item|sku}')
    .requiredOption('--version <v>', 'version of this book, newer than the one on the kiosks')
    .option('--delta', 'FILE is a delta')
    .option('--base <v>', 'with --delta: the version the delta applies on top of')
    .requiredOption('--scope <scope>', 'store:S | device:S/D')
    .option('--key <file>', 'HQ private key that signs the manifest (hq.key)')
    .option('--out <dir>', 'write manifest and chunks to DIR instead of (or as well as) publishing');
  addBrokerOptions(push, { required: false })
    .option('--wait', "wait for each kiosk's pricebook/reported: applied or refused (exit 1 when one refused or timed out)")
    .option('--timeout <s>', 'seconds to wait with --wait', '300')
    .option('--devices <a,b>', 'with --wait and a store scope: these devices (default: those with a retained state)')
    .option('--json', 'print one JSON document on stdout (the manifest and each kiosk\'s outcome); progress stays on stderr')
    .action(async (file: string, opts: PricebookPushOptions) => {
      const r = await pricebookPush(file, opts, {
        sign,
        out: (t) => process.stdout.write(t),
        err: (t) => process.stderr.write(t),
        tty: process.stderr.isTTY === true,
        errStream: process.stderr,
      });
      if (r.kiosks?.some((k) => k.status !== 'applied')) process.exitCode = 1;
    });
}

export const register = (program: Command): void => registerPricebookPush(program, signManifest);
