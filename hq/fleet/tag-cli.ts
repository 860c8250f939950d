import type { Command } from 'commander';
import { SystemClock } from '../../kernel/clock';
import { SqlAuditLog } from '../audit/audit-log';
import { cliActor, DEFAULT_DB, UsageError } from '../commands/user';
import { withConsoleStore } from '../commands/console-store';
import { cliAction } from '../commands/cli-action';
import { IngestStore } from '../ingest/store';
import { addTag, isValidTag, MAX_TAGS_PER_KIOSK, removeTag, tagsInScope } from './tags';

/**
 * `hq fleet tag add|remove|list`: the kiosk tags of the console's fleet page (same `kiosk_tags` registry,
 * hq/fleet/tags.ts) from the command line. A change is audited as the console audits it (`kiosk.tag` /
 * `kiosk.untag`, target `store/device`, detail `{tag}`) with the CLI's actor `cli:<os user>`. Only a kiosk HQ knows
 * (a row of the fleet table) can be tagged. Exit 2 for bad usage or an unknown kiosk, 1 for other faults.
 */

interface TagOpts {
  db: string;
  store?: string;
  device?: string;
  tag?: string;
  json?: boolean;
}

const withStore = <T>(db: string, fn: (store: IngestStore, audit: SqlAuditLog, now: number) => Promise<T>): Promise<T> => withConsoleStore(db, fn, new SystemClock());

const run = <A extends unknown[]>(verb: string, fn: (...a: A) => Promise<void>) => cliAction('fleet tag', verb, fn);

/** Adds or removes one tag on one kiosk; prints what happened. */
async function change(verb: 'add' | 'remove', o: TagOpts): Promise<void> {
  if (!o.store || !o.device || !o.tag) throw new UsageError('--store, --device and --tag are required');
  const { store: storeId, device: deviceId, tag } = o;
  if (!isValidTag(tag)) throw new UsageError(`bad tag ${JSON.stringify(tag)}: 1-32 of a-z 0-9 - _, starting with a letter or digit`);
  const out = await withStore(o.db, async (store, audit, now) => {
    const known = await store.db.read.get('SELECT 1 AS x FROM fleet WHERE store_id = ? AND device_id = ?', [storeId, deviceId]);
    if (!known) throw new UsageError(`unknown kiosk ${storeId}/${deviceId}: HQ has never heard from it`);
    const r = verb === 'add' ? await addTag(store.db, storeId, deviceId, tag, cliActor(), now) : await removeTag(store.db, storeId, deviceId, tag);
    if (r === 'too_many') throw new UsageError(`${storeId}/${deviceId} already has ${MAX_TAGS_PER_KIOSK} tags`);
    if (r === 'added' || r === 'removed') await audit.record({ actor: cliActor(), action: r === 'added' ? 'kiosk.tag' : 'kiosk.untag', target: `${storeId}/${deviceId}`, detail: { tag } });
    return r;
  });
  const text = { added: 'tagged', exists: 'already tagged', removed: 'untagged', absent: 'was not tagged' } as Record<string, string>;
  process.stdout.write(`${storeId}/${deviceId} ${text[out] ?? out} ${tag}\n`);
}

/** Lists `store/device  tag,tag` for the kiosks with a tag, narrowed by --store, --device, --tag. */
async function list(o: TagOpts): Promise<void> {
  if (o.tag !== undefined && !isValidTag(o.tag)) throw new UsageError(`bad tag ${JSON.stringify(o.tag)}`);
  const tags = await withStore(o.db, (store) => tagsInScope(store.db, { all: true }));
  const rows = [...tags.entries()]
    .map(([k, list]) => ({ kiosk: k, storeId: k.slice(0, k.indexOf('/')), deviceId: k.slice(k.indexOf('/') + 1), tags: list }))
    .filter((r) => (o.store === undefined || r.storeId === o.store) && (o.device === undefined || r.deviceId === o.device) && (o.tag === undefined || r.tags.includes(o.tag)));
  if (o.json) {
    process.stdout.write(`${JSON.stringify(rows.map((r) => ({ store: r.storeId, device: r.deviceId, tags: r.tags })))}\n`);
    return;
  }
  if (rows.length === 0) {
    process.stdout.write('no tagged kiosk\n');
    return;
  }
  const width = Math.max(...rows.map((r) => r.kiosk.length));
  process.stdout.write(rows.map((r) => `${r.kiosk.padEnd(width)}  ${r.tags.join(',')}`).join('\n') + '\n');
}

export function register(program: Command): void {
  const fleet = program.command('fleet').description('the fleet as the console sees it');
  const tag = fleet.command('tag').description('kiosk tags (the batches of the console select kiosks by tag): add, remove, list; changes audited as cli:<os user>');
  const opts = (c: Command, required: boolean) =>
    c
      .option('--db <path|url>', 'the console store: a SQLite file or a postgres:// URL', DEFAULT_DB)
      .option('--store <id>', required ? 'the kiosk\'s store' : 'only this store')
      .option('--device <id>', required ? 'the kiosk\'s device id' : 'only this device')
      .option('--tag <tag>', required ? 'the tag' : 'only kiosks with this tag');
  opts(tag.command('add').description('put a tag on a kiosk'), true).action(run('add', (o) => change('add', o)));
  opts(tag.command('remove').description('take a tag off a kiosk'), true).action(run('remove', (o) => change('remove', o)));
  opts(tag.command('list').description('the tagged kiosks').option('--json', 'print as JSON'), false).action(run('list', list));
}
