import type { Command } from 'commander';
import { SystemClock, type Clock } from '../../kernel/clock';
import { addBrokerOptions, brokerConnectOptions, type BrokerCliOptions } from '../broker-auth';
import { cliActor, DEFAULT_DB, UsageError } from '../commands/user';
import { withConsoleStore } from '../commands/console-store';
import { cliAction } from '../commands/cli-action';
import { withBroker } from '../mqtt-link';
import { loadPrivateKey } from '../signing';
import { addRecall, removeRecall } from './operations';
import { publishAllRecalls } from './publish';
import { listRecalls } from './registry';
import { recallsReports } from './reported';

/**
 * `hq recall add|remove|list|publish`: the product recalls HQ pushes to the stores' lanes (hq/recalls). Adds and
 * removals are audited with the actor `cli:<os user>`; `publish` signs each store's list with `--key` and retains it
 * on the broker (what `hq serve` does by itself after changes, within a minute). Exit 2 for bad usage or an unknown
 * recall, 1 for other faults.
 */

export interface RecallIo {
  out: (t: string) => void;
  err: (t: string) => void;
  clock?: Clock;
}

interface DbOpts {
  db: string;
  json?: boolean;
}

const withStore = withConsoleStore;

export type RecallAddOptions = DbOpts & { gtin: string; lot?: string; serial?: string; reason: string; id?: string; store?: string };

/** `hq recall add --gtin G [--lot L | --serial S] --reason R [--id ID] [--store S]`. */
export async function recallAdd(o: RecallAddOptions, io: RecallIo): Promise<void> {
  const clock = io.clock ?? new SystemClock();
  const r = await withStore(
    o.db,
    (store, audit, now) =>
      addRecall(store, audit, {
        gtin: o.gtin,
        reason: o.reason,
        actor: cliActor(),
        now,
        ...(o.lot !== undefined ? { lot: o.lot } : {}),
        ...(o.serial !== undefined ? { serial: o.serial } : {}),
        ...(o.id !== undefined ? { id: o.id } : {}),
        ...(o.store !== undefined ? { store: o.store } : {}),
      }),
    clock,
  );
  if (!r.ok) throw new UsageError(r.detail);
  const what = `${r.gtin14}${o.lot ? ` lot ${o.lot}` : o.serial ? ` serial ${o.serial}` : ' (every unit)'}${o.store ? ` in store ${o.store}` : ' in every store'}`;
  io.out(o.json ? `${JSON.stringify(r)}\n` : `recall ${r.id}${r.created ? ' created' : ''}: ${what}${r.added ? '' : ' was already listed'}\n`);
}

/** `hq recall remove ID`. */
export async function recallRemove(id: string, o: DbOpts, io: RecallIo): Promise<void> {
  const clock = io.clock ?? new SystemClock();
  const r = await withStore(o.db, (store, audit) => removeRecall(store, audit, { id, actor: cliActor() }), clock);
  if (!r.ok) throw new UsageError(`unknown recall ${JSON.stringify(id.slice(0, 80))}`);
  io.out(o.json ? `${JSON.stringify({ id, ...r })}\n` : `recall ${id} removed (${r.items} item(s)); the lanes sell them again once they have the next list\n`);
}

/** `hq recall list`: every recall with its items, and what each kiosk last reported. */
export async function recallList(o: DbOpts, io: RecallIo): Promise<void> {
  const clock = io.clock ?? new SystemClock();
  const r = await withStore(o.db, async (store) => ({ recalls: await listRecalls(store.db.read), kiosks: await recallsReports(store.db.read) }), clock);
  if (o.json) return io.out(`${JSON.stringify(r)}\n`);
  const lines: string[] = [];
  if (r.recalls.length === 0) lines.push('no recall');
  for (const c of r.recalls) {
    lines.push(`${c.id}  since ${new Date(c.since).toISOString()}  by ${c.createdBy}  ${c.reason}`);
    for (const i of c.items) lines.push(`  ${i.gtin14}${i.lot ? `  lot ${i.lot}` : i.serial ? `  serial ${i.serial}` : '  every unit'}  ${i.store ? `store ${i.store}` : 'every store'}`);
  }
  for (const k of r.kiosks) {
    const rep = k.report;
    lines.push(`kiosk ${k.store}/${k.device}: ${rep ? `${rep.status} v${rep.version ?? '?'}${rep.entries !== undefined ? ` (${rep.entries} entries)` : ''}${rep.reason ? ` ${rep.reason}: ${rep.detail ?? ''}` : ''}` : 'unreadable report'}`);
  }
  io.out(lines.join('\n') + '\n');
}

/** `hq recall publish --broker URL --key FILE [--store S]`. */
export async function recallPublish(o: DbOpts & BrokerCliOptions & { key: string; store?: string }, io: RecallIo): Promise<void> {
  const clock = io.clock ?? new SystemClock();
  const hqKey = loadPrivateKey(o.key);
  const broker = await brokerConnectOptions(o);
  const results = await withStore(o.db, (store, audit) => withBroker(broker, (mqtt) => publishAllRecalls({ store, mqtt, hqKey, clock, audit }, { user: cliActor(), ...(o.store ? { store: o.store } : {}) })), clock);
  if (o.json) return io.out(`${JSON.stringify(results.map((r) => ('envelope' in r ? { ok: true, store: r.store, version: r.version, recalls: r.recalls, entries: r.entries, topic: r.topic } : r)))}\n`);
  if (results.length === 0) io.err('no store known (no kiosk has been seen, no recall names one): nothing published; use --store\n');
  for (const r of results) {
    if (!r.ok) io.err(`${r.store}: ${r.problem}\n`);
    else if ('envelope' in r) io.out(`${r.store}: recall list v${r.version} (${r.recalls} recall(s), ${r.entries} entries) retained on ${r.topic}\n`);
  }
  if (results.some((r) => !r.ok)) process.exitCode = 1;
}

const run = <A extends unknown[]>(verb: string, fn: (...a: A) => Promise<void>) => cliAction('recall', verb, fn);

const io: RecallIo = { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t) };

export function register(program: Command): void {
  const recall = program.command('recall').description('product recalls: what the lanes stop (a GTIN, one lot or one serial), signed lists to the stores');
  const dbOpt = (c: Command) => c.option('--db <path|url>', 'the console store: a SQLite file or a postgres:// URL', DEFAULT_DB).option('--json', 'print as JSON');
  dbOpt(
    recall
      .command('add')
      .description('recall a GTIN (every unit, one lot or one serial), in every store or one (audited)')
      .requiredOption('--gtin <gtin>', 'GTIN-8/12/13/14')
      .option('--lot <lot>', 'only this batch / lot (GS1 AI 10)')
      .option('--serial <serial>', 'only this serial (GS1 AI 21)')
      .requiredOption('--reason <text>', 'shown to staff at the lane and logged')
      .option('--id <id>', 'the recall id (default R-<time>); an existing id with the same reason adds this item to it')
      .option('--store <id>', 'only this store (default: every store)'),
  ).action(
    run('add', (o: RecallAddOptions) => {
      if (o.lot !== undefined && o.serial !== undefined) throw new UsageError('--lot or --serial, not both');
      return recallAdd(o, io);
    }),
  );
  dbOpt(recall.command('remove').argument('<id>').description('end a recall (all its items; audited)')).action(run('remove', (id: string, o: DbOpts) => recallRemove(id, o, io)));
  dbOpt(recall.command('list').description('recalls with their items, and each kiosk\'s last report')).action(run('list', (o: DbOpts) => recallList(o, io)));
  const publish = dbOpt(recall.command('publish').description('sign and retain each store\'s recall list (or one store\'s)').requiredOption('--key <file>', 'HQ\'s Ed25519 private key').option('--store <id>', 'only this store'));
  addBrokerOptions(publish, { required: true }).action(run('publish', (o: DbOpts & BrokerCliOptions & { key: string; store?: string }) => recallPublish(o, io)));
}
