import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Command } from 'commander';
import { SystemClock, type Clock } from '../../kernel/clock';
import { addBrokerOptions, brokerConnectOptions, type BrokerCliOptions } from '../broker-auth';
import { cliActor, DEFAULT_DB, UsageError } from '../commands/user';
import { withConsoleStore } from '../commands/console-store';
import { cliAction } from '../commands/cli-action';
import { comparePointsEntries } from '../../protocol/members/points-ledger';
import { withBroker } from '../mqtt-link';
import { loadPrivateKey } from '../signing';
import { MAX_IMPORT_BYTES } from './import-csv';
import { adjustPoints, importMembers } from './operations';
import { balances, getMember, isMemberId, ledgerRows, listMembers } from './registry';
import { publishAllMembers } from './snapshot';

/**
 * `hq members import|list|show|adjust|publish`: HQ's member records and points ledger (hq/members) from the command
 * line. Imports and adjustments are audited as the console audits them, with the actor `cli:<os user>`; `publish`
 * signs each store's snapshot with `--key` and retains it on the broker (what `hq serve` does by itself after
 * changes). Exit 2 for bad usage or an unknown member, 1 for other faults.
 */

export interface MembersIo {
  out: (t: string) => void;
  err: (t: string) => void;
  clock?: Clock;
}

interface DbOpts {
  db: string;
  json?: boolean;
}

const withStore = withConsoleStore;

/** `hq members import FILE.csv`. */
export async function membersImport(file: string, o: DbOpts, io: MembersIo): Promise<void> {
  const clock = io.clock ?? new SystemClock();
  const stat = fs.statSync(file);
  if (stat.size > MAX_IMPORT_BYTES) throw new UsageError(`${file}: larger than ${MAX_IMPORT_BYTES} bytes`);
  const text = fs.readFileSync(file, 'utf8');
  const r = await withStore(o.db, (store, audit, now) => importMembers(store, audit, text, { actor: cliActor(), now, file: path.basename(file) }), clock);
  if (!r.ok) {
    for (const p of r.problems) io.err(`${file}${p.line !== null ? `:${p.line}` : ''}${p.field ? ` ${p.field}` : ''}: ${p.reason}\n`);
    throw new UsageError(`${r.problems.length} problem(s): nothing imported`);
  }
  io.out(o.json ? `${JSON.stringify(r)}\n` : `imported ${file}: ${r.created} created, ${r.updated} updated, ${r.unchanged} unchanged; ${r.adjusted} balance(s) set (${r.points >= 0 ? '+' : ''}${r.points} points)\n`);
}

/** `hq members list [--prefix P]`. */
export async function membersList(o: DbOpts & { prefix?: string }, io: MembersIo): Promise<void> {
  const clock = io.clock ?? new SystemClock();
  const rows = await withStore(
    o.db,
    async (store) => {
      const list = await listMembers(store.db.read, o.prefix ?? '', 100_000);
      const bal = await balances(store.db.read);
      return list.map((m) => ({ id: m.id, type: m.type, name: m.name, balance: bal.get(m.id)?.balance ?? 0, conflicts: bal.get(m.id)?.conflicts.length ?? 0 }));
    },
    clock,
  );
  if (o.json) return io.out(`${JSON.stringify(rows)}\n`);
  if (rows.length === 0) return io.out('no member\n');
  const w = Math.max(...rows.map((r) => r.id.length));
  io.out(rows.map((r) => `${r.id.padEnd(w)}  ${r.type.padEnd(8)}  ${String(r.balance).padStart(8)}${r.conflicts ? `  ${r.conflicts} conflict(s)` : ''}  ${r.name}`).join('\n') + '\n');
}

/** `hq members show ID`: the record, the balance, every ledger entry in the ledger's order and the conflicts. */
export async function membersShow(id: string, o: DbOpts, io: MembersIo): Promise<void> {
  const clock = io.clock ?? new SystemClock();
  if (!isMemberId(id)) throw new UsageError(`bad member id ${JSON.stringify(id.slice(0, 80))}`);
  const r = await withStore(
    o.db,
    async (store) => ({ member: await getMember(store.db.read, id), entries: await ledgerRows(store.db.read, id), balance: (await balances(store.db.read, id)).get(id) }),
    clock,
  );
  if (!r.member && r.entries.length === 0) throw new UsageError(`unknown member ${id}`);
  const entries = [...r.entries].sort(comparePointsEntries);
  const bal = r.balance ?? { balance: 0, earned: 0, redeemed: 0, adjusted: 0, reversed: 0, conflicts: [] };
  if (o.json) return io.out(`${JSON.stringify({ member: r.member ?? null, ...bal, entries })}\n`);
  const lines = [
    `${id}  ${r.member ? `${r.member.type}  ${r.member.name}` : '(no record: entries from kiosks only)'}`,
    `balance ${bal.balance} (earned ${bal.earned}, redeemed ${bal.redeemed}, adjusted ${bal.adjusted}${bal.reversed ? `, taken back ${bal.reversed}` : ''})`,
    ...entries.map((e) => `  ${new Date(e.ts).toISOString()}  ${e.source}#${e.seq}  ${e.kind.padEnd(6)} ${String(e.kind === 'redeem' || e.kind === 'reverse' ? -e.points : e.points).padStart(7)}${e.orderId ? `  order ${e.orderId}` : ''}${e.reason ? `  ${e.reason}` : ''}`),
    ...bal.conflicts.map((c) => `  CONFLICT overdrawn: ${c.entry.source}#${c.entry.seq} ${c.entry.kind === 'reverse' ? 'took back' : 'redeemed'} ${c.entry.points} with ${c.balanceBefore} on the balance: ${c.shortfall} short`),
  ];
  io.out(lines.join('\n') + '\n');
}

/** `hq members adjust ID --points ±N --reason R`. */
export async function membersAdjust(id: string, o: DbOpts & { points: string; reason: string }, io: MembersIo): Promise<void> {
  const clock = io.clock ?? new SystemClock();
  if (!/^[+-]?\d{1,10}$/.test(o.points)) throw new UsageError(`bad --points ${JSON.stringify(o.points)}: a non-zero integer (+N or -N)`);
  const r = await withStore(o.db, (store, audit, now) => adjustPoints(store, audit, { memberId: id, points: Number(o.points), reason: o.reason, actor: cliActor(), now }), clock);
  if (!r.ok) {
    const why = { unknown_member: `unknown member ${id}`, bad_points: 'bad --points: a non-zero integer', no_reason: '--reason is required' }[r.problem];
    throw new UsageError(why);
  }
  io.out(o.json ? `${JSON.stringify(r.entry)}\n` : `${id}: ${r.entry.points >= 0 ? '+' : ''}${r.entry.points} points (hq#${r.entry.seq}, ${r.entry.reason})\n`);
}

/** `hq members publish --broker URL --key FILE [--store S]`. */
export async function membersPublish(o: DbOpts & BrokerCliOptions & { key: string; store?: string }, io: MembersIo): Promise<void> {
  const clock = io.clock ?? new SystemClock();
  const hqKey = loadPrivateKey(o.key);
  const broker = await brokerConnectOptions(o);
  const results = await withStore(o.db, (store, audit) => withBroker(broker, (mqtt) => publishAllMembers({ store, mqtt, hqKey, clock, audit }, { user: cliActor(), ...(o.store ? { store: o.store } : {}) })), clock);
  if (o.json) return io.out(`${JSON.stringify(results.map((r) => ('envelope' in r ? { ok: true, store: r.store, version: r.version, members: r.members, topic: r.topic } : r)))}\n`);
  if (results.length === 0) io.err('no store known (no kiosk has been seen): nothing published\n');
  for (const r of results) {
    if (!r.ok) io.err(`${r.store}: ${r.problem}\n`);
    else if ('envelope' in r) io.out(`${r.store}: member snapshot v${r.version} (${r.members} members) retained on ${r.topic}\n`);
  }
  if (results.some((r) => !r.ok)) process.exitCode = 1;
}

const run = <A extends unknown[]>(verb: string, fn: (...a: A) => Promise<void>) => cliAction('members', verb, fn);

const io: MembersIo = { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t) };

export function register(program: Command): void {
  const members = program.command('members').description('member records and the points ledger (kiosk journals + HQ adjustments), snapshots to kiosks');
  const dbOpt = (c: Command) => c.option('--db <path|url>', 'the console store: a SQLite file or a postgres:// URL', DEFAULT_DB).option('--json', 'print as JSON');
  dbOpt(members.command('import').argument('<file>', 'CSV: id,type,name,points').description('create / update members; points set each member\'s opening balance (re-import adds only the difference)')).action(
    run('import', (file: string, o: DbOpts) => membersImport(file, o, io)),
  );
  dbOpt(members.command('list').description('members with type and balance').option('--prefix <id>', 'only ids starting with this')).action(run('list', (o: DbOpts & { prefix?: string }) => membersList(o, io)));
  dbOpt(members.command('show').argument('<id>').description('a member: balance, ledger entries, conflicts')).action(run('show', (id: string, o: DbOpts) => membersShow(id, o, io)));
  dbOpt(
    members
      .command('adjust')
      .argument('<id>')
      .description('correct a member\'s points (audited)')
      .requiredOption('--points <n>', '+N or -N points')
      .requiredOption('--reason <text>', 'why (kept in the ledger and the audit log)'),
  ).action(run('adjust', (id: string, o: DbOpts & { points: string; reason: string }) => membersAdjust(id, o, io)));
  const publish = dbOpt(members.command('publish').description('sign and retain each store\'s member snapshot (or one store\'s)').requiredOption('--key <file>', 'HQ\'s Ed25519 private key').option('--store <id>', 'only this store'));
  addBrokerOptions(publish, { required: true }).action(run('publish', (o: DbOpts & BrokerCliOptions & { key: string; store?: string }) => membersPublish(o, io)));
}
