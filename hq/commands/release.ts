import * as fs from 'node:fs';
import type { Command } from 'commander';
import { SystemClock, type Clock } from '../../kernel/clock';
import { addBrokerOptions, brokerConnectOptions, type BrokerCliOptions } from '../broker-auth';
import { withBroker } from '../mqtt-link';
import { loadPrivateKey } from '../signing';
import { startReleaseFileServer } from '../releases/file-server';
import { defaultReleaseDir, listReleases, publishRelease } from '../releases/registry';
import { changeRollout, createRollout, driveRollout, getRollout, listRollouts, rolloutKiosks, shownStep, stepCounts, type DriveResult, type StateChange } from '../releases/rollouts';
import type { SqlAuditLog } from '../audit/audit-log';
import type { IngestStore } from '../ingest/store';
import { cliAction } from './cli-action';
import { withConsoleStore } from './console-store';
import { cliActor, DEFAULT_DB, UsageError } from './user';

/**
 * `hq release publish|list|serve|rollout|status|pause|resume|abort`: over-the-air releases (hq/releases). Changes
 * are audited with the actor `cli:<os user>`. A rollout command given `--key` and `--broker` sends what the change
 * calls for at once; without them `hq serve --key --broker` (its release service) does within 30 s. Exit 2 for bad
 * usage, a refused package, an unknown rollout or a rollout refused because older ones hold its kiosks (`conflict`:
 * the message names them and the ways on, e.g. `--supersede`); 1 for other faults.
 */

export interface ReleaseIo {
  out: (t: string) => void;
  err: (t: string) => void;
  clock?: Clock;
}

interface DbOpts {
  db: string;
  json?: boolean;
}

interface SendOpts extends BrokerCliOptions {
  key?: string;
}

const intArg = (name: string, v: string | undefined): number | undefined => {
  if (v === undefined) return undefined;
  if (!/^\d{1,9}$/.test(v)) throw new UsageError(`bad ${name} "${v}": expected a whole number`);
  return Number(v);
};

export type PublishOptions = DbOpts & { version: string; minConfigSchema?: string; notes?: string; dir?: string };

export async function releasePublish(file: string, o: PublishOptions, io: ReleaseIo): Promise<void> {
  const clock = io.clock ?? new SystemClock();
  const dir = o.dir ?? defaultReleaseDir(o.db);
  const r = await withConsoleStore(
    o.db,
    async (store, audit, now) => {
      const p = await publishRelease(store.db, { file, version: o.version, minConfigSchema: intArg('--min-config-schema', o.minConfigSchema) ?? 1, ...(o.notes !== undefined ? { notes: o.notes } : {}), dir, actor: cliActor(), now });
      if (p.ok && p.created) await audit.record({ actor: cliActor(), action: 'release.publish', target: p.release.version, detail: { sha256: p.release.sha256, size: p.release.size, minConfigSchema: p.release.minConfigSchema } });
      return p;
    },
    clock,
  );
  if (!r.ok) throw new UsageError(r.message);
  if (o.json) return io.out(`${JSON.stringify({ ...r.release, created: r.created, file: r.file, entries: r.facts.entries, name: r.facts.name })}\n`);
  io.out(`release ${r.release.version} ${r.created ? 'published' : 'was already published with this package'}: sha256 ${r.release.sha256}, ${r.release.size} bytes, min config schema ${r.release.minConfigSchema}; stored as ${r.file}\n`);
}

export async function releaseList(o: DbOpts, io: ReleaseIo): Promise<void> {
  const clock = io.clock ?? new SystemClock();
  const r = await withConsoleStore(
    o.db,
    async (store) => {
      const rollouts = await listRollouts(store.db.read);
      return { releases: await listReleases(store.db.read), rollouts: await Promise.all(rollouts.map(async (x) => ({ ...x, steps: stepCounts(await rolloutKiosks(store.db.read, x.id)) }))) };
    },
    clock,
  );
  if (o.json) return io.out(`${JSON.stringify(r)}\n`);
  const lines: string[] = [];
  if (r.releases.length === 0) lines.push('no release');
  for (const x of r.releases) lines.push(`${x.version}  sha256 ${x.sha256}  ${x.size} bytes  min config schema ${x.minConfigSchema}  by ${x.publishedBy} at ${new Date(x.publishedAt).toISOString()}${x.notes ? `  ${x.notes}` : ''}`);
  for (const x of r.rollouts) lines.push(`rollout ${x.id}: ${x.version} ${x.state}${x.reason ? ` (${x.reason})` : ''}  ${x.percent} %${x.canaryTag ? `  canary ${x.canaryTag}` : ''}  ${Object.entries(x.steps).map(([s, c]) => `${s} ${c}`).join(', ')}`);
  io.out(lines.join('\n') + '\n');
}

export async function releaseStatus(id: string, o: DbOpts, io: ReleaseIo): Promise<void> {
  const clock = io.clock ?? new SystemClock();
  const r = await withConsoleStore(o.db, async (store) => ({ rollout: await getRollout(store.db.read, id), kiosks: await rolloutKiosks(store.db.read, id) }), clock);
  if (!r.rollout) throw new UsageError(`no rollout ${JSON.stringify(id.slice(0, 80))}`);
  if (o.json) return io.out(`${JSON.stringify(r)}\n`);
  const x = r.rollout;
  const lines = [`rollout ${x.id}: ${x.version} ${x.state}${x.reason ? ` (${x.reason})` : ''}, ${x.percent} %, max failures ${x.maxFailures}${x.canaryTag ? `, canary tag ${x.canaryTag}` : ''}, ${x.url}`];
  for (const k of r.kiosks) {
    const step = shownStep(k);
    lines.push(`  ${k.storeId}/${k.deviceId}${k.canary ? ' (canary)' : ''}: ${step}${k.supersededBy !== null ? ` by ${k.supersededBy} (was ${k.offerSeq === null ? 'waiting' : (k.step ?? 'offered')})` : ''}${k.running ? `, running ${k.running}` : ''}${k.reason ? `, ${k.reason}${k.detail ? `: ${k.detail}` : ''}` : ''}${k.withdrawnAt !== null ? ', withdrawn' : ''}`);
  }
  io.out(lines.join('\n') + '\n');
}

/** With `--key` and `--broker`: drives the rollout now; otherwise says who will. */
async function sendNow(store: IngestStore, audit: SqlAuditLog, id: string, o: SendOpts, clock: Clock): Promise<DriveResult | null> {
  if (!o.key || !o.broker) return null;
  const hqKey = loadPrivateKey(o.key);
  const broker = await brokerConnectOptions(o);
  return withBroker(broker, (mqtt) => driveRollout({ db: store.db, mqtt, hqKey, clock, audit }, id));
}

const sentLine = (id: string, d: DriveResult | null): string =>
  d ? `rollout ${id} is ${d.state}: ${d.offered} offer(s) and ${d.withdrawn} withdraw(s) sent${d.failedToSend ? `, ${d.failedToSend} not sent (sent again by hq serve)` : ''}\n` : `rollout ${id}: hq serve --key --broker sends the offers (or run this with --key and --broker)\n`;

export type RolloutOptions = DbOpts & SendOpts & { version: string; store?: string[]; tag?: string[]; all?: boolean; percent?: string; canaryTag?: string; maxFailures?: string; baseUrl: string; supersede?: boolean };

export async function releaseRollout(o: RolloutOptions, io: ReleaseIo): Promise<string> {
  const clock = io.clock ?? new SystemClock();
  const stores = o.store ?? [];
  const tags = o.tag ?? [];
  if (o.all && (stores.length || tags.length)) throw new UsageError('--all, or --store / --tag, not both');
  if (!o.all && !stores.length && !tags.length) throw new UsageError('select kiosks: --store S, --tag T (repeatable) or --all');
  if ((o.key === undefined) !== (o.broker === undefined)) throw new UsageError('--key and --broker go together (to send now)');
  const r = await withConsoleStore(
    o.db,
    async (store, audit, now) => {
      const c = await createRollout(store.db, audit, {
        version: o.version,
        selection: { all: o.all === true, stores, tags },
        baseUrl: o.baseUrl,
        actor: cliActor(),
        now,
        ...(o.percent !== undefined ? { percent: intArg('--percent', o.percent) } : {}),
        ...(o.maxFailures !== undefined ? { maxFailures: intArg('--max-failures', o.maxFailures) } : {}),
        ...(o.canaryTag !== undefined ? { canaryTag: o.canaryTag } : {}),
        ...(o.supersede ? { supersede: true } : {}),
      });
      return c.ok ? { c, sent: await sendNow(store, audit, c.rollout.id, o, clock) } : { c, sent: null };
    },
    clock,
  );
  if (!r.c.ok) throw new UsageError(r.c.message);
  const { rollout, kiosks, canaries, superseded } = r.c;
  if (o.json) io.out(`${JSON.stringify({ id: rollout.id, version: rollout.version, kiosks, canaries, url: rollout.url, superseded, sent: r.sent })}\n`);
  else {
    const over = superseded.map(
      (s) =>
        `supersedes ${s.id} (${s.version}): ${s.kiosks} kiosk(s) handed over${s.midInstall ? `, ${s.midInstall} mid-install finish under ${s.id} first` : ''}${s.aborted ? `; ${s.id} aborted (superseded by ${rollout.id})` : ''}\n`,
    );
    io.out(`rollout ${rollout.id}: release ${rollout.version} to ${kiosks} kiosk(s)${canaries ? ` (${canaries} canary first)` : ''}, ${rollout.percent} %, aborts at ${rollout.maxFailures} failure(s)\n${over.join('')}${sentLine(rollout.id, r.sent)}`);
  }
  return rollout.id;
}

export async function releaseChange(change: StateChange, id: string, o: DbOpts & SendOpts & { percent?: string }, io: ReleaseIo): Promise<void> {
  const clock = io.clock ?? new SystemClock();
  if ((o.key === undefined) !== (o.broker === undefined)) throw new UsageError('--key and --broker go together (to send now)');
  const r = await withConsoleStore(
    o.db,
    async (store, audit, now) => {
      const c = await changeRollout(store.db, audit, id, change, { actor: cliActor(), now, ...(o.percent !== undefined ? { percent: intArg('--percent', o.percent) } : {}) });
      return c.ok ? { c, sent: change === 'pause' ? null : await sendNow(store, audit, id, o, clock) } : { c, sent: null };
    },
    clock,
  );
  if (!r.c.ok) throw new UsageError(r.c.message);
  if (o.json) return io.out(`${JSON.stringify({ id, state: r.c.rollout.state, added: r.c.added, sent: r.sent })}\n`);
  io.out(`rollout ${id} ${r.c.rollout.state}${r.c.added ? ` (${r.c.added} kiosk(s) added)` : ''}\n${change === 'pause' ? '' : sentLine(id, r.sent)}`);
}

export interface ServeReleaseOptions {
  db: string;
  dir?: string;
  tlsCert: string;
  tlsKey: string;
  clientCa?: string;
  host: string;
  port: string;
}

/** `hq release serve`: the package folder over HTTPS until `signal` aborts. */
export async function releaseServe(o: ServeReleaseOptions, io: ReleaseIo & { signal: AbortSignal }): Promise<void> {
  const port = Number(o.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`bad --port "${o.port}"`);
  const dir = o.dir ?? defaultReleaseDir(o.db);
  fs.mkdirSync(dir, { recursive: true });
  const srv = await startReleaseFileServer(
    { dir, cert: fs.readFileSync(o.tlsCert), key: fs.readFileSync(o.tlsKey), ...(o.clientCa ? { clientCa: fs.readFileSync(o.clientCa) } : {}), log: (l) => io.out(`${l}\n`) },
    { host: o.host, port },
  );
  io.out(`hq release serve: ${dir} on https://${o.host.includes(':') ? `[${o.host}]` : o.host}:${srv.port}/releases/files/${o.clientCa ? ' (client certificates required)' : ''}\n`);
  await new Promise<void>((resolve) => {
    if (io.signal.aborted) return resolve();
    io.signal.addEventListener('abort', () => resolve(), { once: true });
  });
  await srv.close();
}

const collect = (v: string, prev: string[] = []) => [...prev, v];
const run = <A extends unknown[]>(verb: string, fn: (...a: A) => Promise<unknown>) => cliAction('release', verb, async (...a: A) => void (await fn(...a)));
const io: ReleaseIo = { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t) };

export function register(program: Command): void {
  const release = program.command('release').description('over-the-air kiosk software: publish packages, serve them over HTTPS, roll them out in stages');
  const dbOpt = (c: Command) => c.option('--db <path|url>', 'the console store: a SQLite file or a postgres:// URL', DEFAULT_DB).option('--json', 'print as JSON');
  const dirOpt = (c: Command) => c.option('--dir <folder>', 'the release folder (default: releases/ beside the SQLite database; hq-data/releases with PostgreSQL)');
  const sendOpts = (c: Command) => addBrokerOptions(c.option('--key <file>', "HQ's Ed25519 private key: with --broker, send the offers now"), { required: false });

  dirOpt(
    dbOpt(
      release
        .command('publish')
        .argument('<package>', 'the kiosk package, as npm pack makes it (.tgz)')
        .description('check an npm pack archive, store it content-addressed and record the release (a version names one package for ever)')
        .requiredOption('--version <version>', 'MAJOR.MINOR.PATCH[-tag]; must match the package.json inside')
        .option('--min-config-schema <n>', 'the lowest config schema the release reads', '1')
        .option('--notes <text>', 'release notes shown to staff (at most 2000 characters)'),
    ),
  ).action(run('publish', (file: string, o: PublishOptions) => releasePublish(file, o, io)));
  dbOpt(release.command('list').description('releases, and rollouts with their kiosks per step')).action(run('list', (o: DbOpts) => releaseList(o, io)));
  dbOpt(release.command('status').argument('<rollout>').description("a rollout's kiosks and the step each reported")).action(run('status', (id: string, o: DbOpts) => releaseStatus(id, o, io)));
  dirOpt(
    release
      .command('serve')
      .description('serve the release folder over HTTPS with Range requests (resumable downloads); until SIGINT/SIGTERM')
      .option('--db <path|url>', 'the console store (for the default release folder)', DEFAULT_DB)
      .requiredOption('--tls-cert <file>', 'server certificate (PEM, with its chain)')
      .requiredOption('--tls-key <file>', 'its private key (PEM)')
      .option('--client-ca <file>', 'require kiosk client certificates issued by this CA (PEM), e.g. hq ca\'s ca.crt')
      .option('--host <host>', 'address to listen on', '0.0.0.0')
      .option('--port <port>', 'port to listen on (0: any free one, printed)', '8443'),
  ).action(
    run('serve', async (o: ServeReleaseOptions) => {
      const ac = new AbortController();
      process.once('SIGINT', () => ac.abort());
      process.once('SIGTERM', () => ac.abort());
      await releaseServe(o, { ...io, signal: ac.signal });
    }),
  );
  sendOpts(
    dbOpt(
      release
        .command('rollout')
        .description('offer a release to kiosks by store / tag / all, a stable percentage, canaries first (audited)')
        .requiredOption('--version <version>', 'a published release')
        .requiredOption('--base-url <url>', "HQ's public HTTPS base URL where hq release serve answers, e.g. https://hq.example:8443")
        .option('--store <id>', 'kiosks of this store (repeatable)', collect)
        .option('--tag <tag>', 'kiosks carrying this tag (repeatable; with --store: in those stores)', collect)
        .option('--all', 'every kiosk HQ knows (not retired)')
        .option('--percent <p>', 'a stable share of the selected kiosks, 1-100 (canaries always included)', '100')
        .option('--canary-tag <tag>', 'kiosks with this tag get it first; the rest only after every canary reports healthy')
        .option('--max-failures <n>', 'abort when this many kiosks report failed / rolled_back', '1')
        .option('--supersede', 'take over the kiosks older active / paused rollouts have not finished (otherwise refused); kiosks mid-install finish first'),
    ),
  ).action(run('rollout', (o: RolloutOptions) => releaseRollout(o, io)));
  for (const change of ['pause', 'resume', 'abort'] as const) {
    const c = dbOpt(
      release
        .command(change)
        .argument('<rollout>')
        .description(
          change === 'pause'
            ? 'offer the release to no more kiosks (audited)'
            : change === 'resume'
              ? 'offer it again (optionally widened to a larger --percent; audited)'
              : 'stop the rollout and withdraw the offer from kiosks that have not switched (audited)',
        ),
    );
    if (change === 'resume') c.option('--percent <p>', 'widen the rollout to this percentage');
    (change === 'pause' ? c : sendOpts(c)).action(run(change, (id: string, o: DbOpts & SendOpts & { percent?: string }) => releaseChange(change, id, o, io)));
  }
}
