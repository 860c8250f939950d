import { randomUUID } from 'node:crypto';
import { COMMAND_ARGS, KIOSK_COMMANDS, type CommandName } from '../../protocol/control/commands';
import { scopeWhere } from '../console/scope-sql';
import { inScope, type ConsoleContext, type StoreScope } from '../console/types';
import { sendCommand } from './commands';
import { pushItems, type PushStatus } from './push-status';
import { isValidTag, selectKiosks, type KioskSelection } from './tags';

/**
 * Batches of signed commands (schema v13 `batches`, `commands.batch_id`): one console action sends the same command
 * to every kiosk of a selection (stores, a tag, or kiosks ticked on the fleet page), each through
 * {@link sendCommand} (same signing, MQTT path, `commands` row and `command.send` audit as a single command). The
 * batch row keeps who, when, what and the kiosks targeted; each kiosk's status and result is its `commands` row
 * (sent / ok / failed / rejected / no answer), updated by the command results service as answers come.
 */

/** A batch never targets more kiosks than this (one form post). */
export const MAX_BATCH_KIOSKS = 500;

export interface Kiosk {
  storeId: string;
  deviceId: string;
}

export interface BatchRequest {
  name: string;
  args: Record<string, unknown>;
  /** The store/tag filter; with `kiosks`, only the ticked kiosks that the filter also selects. */
  selection: KioskSelection;
  kiosks?: readonly Kiosk[];
}

export type BatchOutcome = { ok: true; id: string; kiosks: number } | { ok: false; status: 400 | 503; message: string; reason: 'bad_command' | 'bad_args' | 'bad_tag' | 'no_kiosk' | 'too_many' | 'unavailable' };

export const kioskKey = (k: Kiosk): string => `${k.storeId}/${k.deviceId}`;

/** Why a selection cannot be sent to (nothing was recorded). */
export interface TargetRefusal {
  ok: false;
  status: 400 | 503;
  reason: 'bad_tag' | 'no_kiosk' | 'too_many' | 'unavailable';
  message: string;
}

/**
 * The kiosks of a batch: the store/tag `selection` inside `scope` (retired kiosks and other stores left out), with
 * `kiosks` only those ticked; refused when none, too many, or HQ cannot sign and send right now (nothing recorded).
 */
export async function resolveTargets(
  ctx: Pick<ConsoleContext, 'store' | 'mqtt' | 'hqKey'>,
  scope: StoreScope,
  selection: KioskSelection,
  kiosks?: readonly Kiosk[],
): Promise<{ ok: true; targets: Kiosk[] } | TargetRefusal> {
  if (selection.tag !== undefined && !isValidTag(selection.tag)) return { ok: false, status: 400, reason: 'bad_tag', message: 'bad tag' };
  let targets = await selectKiosks(ctx.store.db, scope, selection);
  if (kiosks) {
    const ticked = new Set(kiosks.map(kioskKey));
    targets = targets.filter((k) => ticked.has(kioskKey(k)));
  }
  if (targets.length === 0) return { ok: false, status: 400, reason: 'no_kiosk', message: 'No kiosk selected.' };
  if (targets.length > MAX_BATCH_KIOSKS) return { ok: false, status: 400, reason: 'too_many', message: `At most ${MAX_BATCH_KIOSKS} kiosks in one batch.` };
  if (!ctx.mqtt) return { ok: false, status: 503, reason: 'unavailable', message: 'No broker: hq serve was started without --broker, so nothing can be sent.' };
  if (!ctx.hqKey) return { ok: false, status: 503, reason: 'unavailable', message: 'No signing key: hq serve was started without --key, so nothing can be signed.' };
  if (!ctx.mqtt.connected) return { ok: false, status: 503, reason: 'unavailable', message: 'The broker is unreachable right now: nothing was sent. Try again when it is back.' };
  return { ok: true, targets };
}

/**
 * Sends a batch: checks the command and its args, resolves the selection inside `scope` (retired kiosks and other
 * stores left out), checks the broker and key (nothing is recorded when it cannot be sent), records the batch, audits
 * `batch.command`, then sends to each kiosk in turn.
 */
export async function sendCommandBatch(ctx: ConsoleContext, user: string, scope: StoreScope, r: BatchRequest): Promise<BatchOutcome> {
  if (!(KIOSK_COMMANDS as readonly string[]).includes(r.name)) return { ok: false, status: 400, reason: 'bad_command', message: `not a command for a batch of kiosks: ${r.name}` };
  const parsed = COMMAND_ARGS[r.name as CommandName].safeParse(r.args);
  if (!parsed.success) return { ok: false, status: 400, reason: 'bad_args', message: `bad args for ${r.name}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}` };
  const resolved = await resolveTargets(ctx, scope, r.selection, r.kiosks);
  if (!resolved.ok) return resolved;
  const targets = resolved.targets;
  const id = randomUUID();
  const now = ctx.clock.now();
  const selection = { stores: r.selection.stores ?? [], tag: r.selection.tag ?? null, kiosks: targets.map(kioskKey) };
  await ctx.store.db.transaction((tx) =>
    tx.run("INSERT INTO batches (id, kind, name, args, selection, created_by, created_at) VALUES (?, 'command', ?, ?, ?, ?, ?)", [id, r.name, JSON.stringify(parsed.data), JSON.stringify(selection), user, now]),
  );
  await ctx.audit.record({ actor: user, action: 'batch.command', target: id, detail: { name: r.name, args: parsed.data, stores: selection.stores, tag: selection.tag, kiosks: targets.length } });
  for (const k of targets) {
    // a kiosk whose send fails before its row is written (the broker went away mid-batch) shows as "not sent"
    await sendCommand(ctx, user, k.storeId, k.deviceId, r.name, parsed.data as Record<string, unknown>, { batchId: id });
  }
  return { ok: true, id, kiosks: targets.length };
}

export type BatchItemStatus = 'not_sent' | 'sent' | 'ok' | 'failed' | 'rejected' | 'timeout' | PushStatus;

/** Every status, in the order the batch page counts them. */
export const BATCH_STATUSES: readonly BatchItemStatus[] = ['ok', 'applied', 'pending', 'downloading', 'failed', 'rejected', 'timeout', 'sent', 'waiting', 'not_sent'];

/** The kinds of batch: a signed command, a config body or a console price book pushed at device scope. */
export type BatchKind = 'command' | 'config' | 'pricebook';

export interface BatchItem extends Kiosk {
  commandId: string | null;
  /** A push batch: the version published to this kiosk. */
  version?: string | null;
  status: BatchItemStatus;
  result: string | null;
  resultAt: number | null;
}

export interface BatchView {
  id: string;
  kind: BatchKind;
  name: string;
  args: string;
  stores: string[];
  tag: string | null;
  createdBy: string;
  createdAt: number;
  /** The kiosks of the batch inside the reader's scope. */
  items: BatchItem[];
  counts: Record<BatchItemStatus, number>;
}

interface BatchRow {
  id: string;
  kind: BatchKind;
  name: string;
  args: string;
  selection: string;
  created_by: string;
  created_at: number;
}

function parseSelection(text: string): { stores: string[]; tag: string | null; kiosks: string[] } {
  const v = JSON.parse(text) as { stores?: string[]; tag?: string | null; kiosks?: string[] };
  return { stores: v.stores ?? [], tag: v.tag ?? null, kiosks: v.kiosks ?? [] };
}

/** A batch with its kiosks' progress, as `scope` may see it: null when unknown or none of its kiosks is in scope. */
export async function batchView(ctx: Pick<ConsoleContext, 'store'>, scope: StoreScope, id: string): Promise<BatchView | null> {
  const read = ctx.store.db.read;
  const b = await read.get<BatchRow>('SELECT * FROM batches WHERE id = ?', [id]);
  if (!b) return null;
  const sel = parseSelection(b.selection);
  if (b.kind !== 'command') {
    const pushed = await pushItems(read, id, b.kind, scope);
    if (pushed.length === 0) return null;
    const items: BatchItem[] = pushed.map((p) => ({ ...p, commandId: null }));
    return { id: b.id, kind: b.kind, name: b.name, args: b.args, stores: sel.stores, tag: sel.tag, createdBy: b.created_by, createdAt: Number(b.created_at), items, counts: countOf(items) };
  }
  const w = scopeWhere(scope, 'store_id');
  const rows = await read.all<{ id: string; store_id: string; device_id: string; status: BatchItemStatus; result: string | null; result_at: number | null }>(
    `SELECT id, store_id, device_id, status, result, result_at FROM commands WHERE batch_id = ? AND ${w.sql}`,
    [id, ...w.params],
  );
  const byKiosk = new Map(rows.map((r) => [`${r.store_id}/${r.device_id}`, r]));
  const items: BatchItem[] = [];
  for (const k of sel.kiosks) {
    const slash = k.indexOf('/');
    const storeId = k.slice(0, slash);
    const deviceId = k.slice(slash + 1);
    if (!inScope(scope, storeId)) continue;
    const r = byKiosk.get(k);
    items.push({ storeId, deviceId, commandId: r?.id ?? null, status: r?.status ?? 'not_sent', result: r?.result ?? null, resultAt: r?.result_at === null || r?.result_at === undefined ? null : Number(r.result_at) });
  }
  if (items.length === 0) return null;
  return { id: b.id, kind: b.kind, name: b.name, args: b.args, stores: sel.stores, tag: sel.tag, createdBy: b.created_by, createdAt: Number(b.created_at), items, counts: countOf(items) };
}

function countOf(items: readonly BatchItem[]): Record<BatchItemStatus, number> {
  const counts = Object.fromEntries(BATCH_STATUSES.map((s) => [s, 0])) as Record<BatchItemStatus, number>;
  for (const i of items) counts[i.status]++;
  return counts;
}

/** The newest batches with at least one kiosk in `scope` (newest first). */
export async function recentBatches(ctx: Pick<ConsoleContext, 'store'>, scope: StoreScope, limit = 50): Promise<{ id: string; kind: BatchKind; name: string; createdBy: string; createdAt: number; kiosks: number }[]> {
  const w = scopeWhere(scope, 'c.store_id');
  const rows = await ctx.store.db.read.all<{ id: string; kind: BatchKind; name: string; created_by: string; created_at: number; n: number }>(
    `SELECT b.id, b.kind, b.name, b.created_by, b.created_at, COUNT(*) AS n FROM batches b
     JOIN (SELECT batch_id, store_id FROM commands WHERE batch_id IS NOT NULL UNION ALL SELECT batch_id, store_id FROM batch_pushes) c ON c.batch_id = b.id
     WHERE ${w.sql} GROUP BY b.id, b.kind, b.name, b.created_by, b.created_at ORDER BY b.created_at DESC, b.id LIMIT ?`,
    [...w.params, limit],
  );
  return rows.map((r) => ({ id: r.id, kind: r.kind, name: r.name, createdBy: r.created_by, createdAt: Number(r.created_at), kiosks: Number(r.n) }));
}
