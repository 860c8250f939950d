import { randomUUID } from 'node:crypto';
import type { Tx } from '../../kernel/sqlite/database';
import { csrfField, html } from '../console/html';
import { composeConfig } from '../../config/bundle-validation';
import { defaultConfig } from '../../config/defaults';
import { returnsPolicyOf, type ReturnsPolicy } from '../../config/returns-policy';
import type { Scope } from '../../protocol/signed-envelope';
import { ConfigRegistry } from '../config/registry';
import { can, type ConsoleContext, type ConsoleReply, type ConsoleRequest } from '../console/types';
import { sendCommand } from '../fleet/commands';
import { obj, parsePayload, text } from './journal-payload';

/**
 * After-sales returns from the console: the order page's "Return" form sends HQ's signed `return` command to the
 * order's kiosk (hq/fleet/commands.ts: recorded in `commands`, audited `command.send`), which runs it under the
 * store's returns policy; the kiosk's `cmd/result` (recorded on the command row) is shown under the form. The
 * form carries a return id made when the page is drawn, so sending it twice is one return at the kiosk.
 */

export interface ReturnCommandRow {
  id: string;
  returnId: string;
  sentBy: string;
  sentAt: number;
  status: string;
  /** The kiosk's answer: the refund (amount, reason) or the refusal text. */
  outcome: string;
}

/** Reason and return id of each `refund_issued` of this order, by journal seq (from the journal payloads HQ holds). */
export async function returnInfoBySeq(db: Pick<Tx, 'all'>, ids: string[]): Promise<Map<number, { reason: string | null; returnId: string | null }>> {
  const rows = await db.all<{ seq: number; payload: string }>(
    "SELECT seq, payload FROM sales_events WHERE store_id = ? AND device_id = ? AND order_id = ? AND type = 'refund_issued' ORDER BY seq",
    ids,
  );
  const out = new Map<number, { reason: string | null; returnId: string | null }>();
  for (const r of rows) {
    const ev = obj((parsePayload(r.payload) ?? {}).event) ?? {};
    out.set(Number(r.seq), { reason: text(ev.reason, 64), returnId: text(ev.returnId, 128) });
  }
  return out;
}

/** The `return` commands sent for this order, newest first, with what the kiosk answered. */
export async function returnCommands(db: Pick<Tx, 'all'>, ids: string[]): Promise<ReturnCommandRow[]> {
  const [store, device, orderId] = ids;
  const rows = await db.all<{ id: string; args: string; sent_by: string; sent_at: number; status: string; result: string | null }>(
    "SELECT id, args, sent_by, sent_at, status, result FROM commands WHERE store_id = ? AND device_id = ? AND name = 'return' ORDER BY sent_at DESC LIMIT 200",
    [store, device],
  );
  const out: ReturnCommandRow[] = [];
  for (const r of rows) {
    const args = obj(parsePayload(r.args)) ?? {};
    if (args.orderId !== orderId) continue;
    const res = obj(parsePayload(r.result ?? '')) ?? {};
    const refund = obj(obj(res.result)?.refund);
    const outcome = refund
      ? `${String(refund.amount)} (${text(refund.reason, 64) ?? ''})${obj(res.result)?.replayed === true ? ' · replayed' : ''}`
      : (text(res.error, 300) ?? '');
    out.push({ id: r.id, returnId: text(args.returnId, 128) ?? '', sentBy: r.sent_by, sentAt: Number(r.sent_at), status: r.status, outcome });
  }
  return out;
}

/** A return reason of the store's policy: its id (what the kiosk checks) and its label per console language. */
export type ReturnReason = ReturnsPolicy['reasons'][number];

/**
 * The return reasons of the store's policy as HQ published it to this kiosk: the config bodies in force at the
 * fleet, store and device levels (hq/config registry) merged over the kiosk defaults, as the kiosk composes them
 * (config/bundle-validation.ts composeConfig), then `returnsPolicyOf` (a config without `returns`: the default
 * reasons). Null when HQ has published no config for any of those levels (or they do not compose): HQ does not
 * know the store's reasons, and the form falls back to free text.
 */
export async function storeReturnReasons(db: Tx, store: string, device: string): Promise<ReturnReason[] | null> {
  const registry = new ConfigRegistry(db);
  const levels: Scope[] = [{ kind: 'fleet' }, { kind: 'store', store }, { kind: 'device', store, device }];
  const bodies: Record<string, unknown>[] = [];
  for (const scope of levels) {
    const row = await registry.latest(scope);
    if (row) bodies.push(JSON.parse(row.body) as Record<string, unknown>);
  }
  if (bodies.length === 0) return null;
  const composed = composeConfig(defaultConfig(), bodies);
  return composed.ok ? returnsPolicyOf(composed.config).reasons : null;
}

/** The reason field: a drop-down of the policy's reasons (labels in the console language), else free text. */
function reasonField(req: ConsoleRequest, reasons: readonly ReturnReason[] | null) {
  const t = req.t;
  if (reasons === null || reasons.length === 0)
    return html`<label>${t('orders.return.reason')}<input name="reason" required maxlength="64" pattern="[A-Za-z0-9][A-Za-z0-9._\\-]{0,63}"></label>`;
  return html`<label>${t('orders.return.reason')}<select name="reason" required>${reasons.map((r) => html`<option value="${r.id}">${r.label[req.lang] ?? r.label.en}</option>`)}</select></label>`;
}

/**
 * The Return form (users with `orders.return`) and the returns sent for this order. `reasons`: the store's return
 * reasons ({@link storeReturnReasons}), null when HQ does not know them.
 */
export function returnSection(req: ConsoleRequest, href: string, sent: ReturnCommandRow[], time: (ms: number) => string, reasons: readonly ReturnReason[] | null = null) {
  const t = req.t;
  return html`<section id="returns"><h2>${t('orders.return.title')}</h2>
    ${can(req.user.role, 'orders.return')
      ? html`<form method="post" action="${href}/return" class="filters" data-confirm="${t('orders.return.confirm')}">
      ${csrfField(req.csrfToken)}<input type="hidden" name="returnId" value="hq-${randomUUID()}">
      ${reasonField(req, reasons)}
      <label>${t('orders.return.amount')}<input name="amount" inputmode="numeric" pattern="[0-9]*"></label>
      <label>${t('orders.return.lines')}<input name="lines" maxlength="200" placeholder="L1,L2"></label>
      <button type="submit" class="primary">${t('orders.return.send')}</button></form><p class="muted">${t('orders.return.help')}</p>`
      : ''}
    ${sent.length
      ? html`<div class="table-wrap"><table id="return-commands"><thead><tr><th>${t('orders.detail.time')}</th><th>${t('orders.return.id')}</th><th>${t('orders.return.by')}</th><th>${t('orders.col.status')}</th><th>${t('orders.return.outcome')}</th></tr></thead>
      <tbody>${sent.map((s) => html`<tr><td>${time(s.sentAt)}</td><td><code>${s.returnId}</code></td><td>${s.sentBy}</td><td>${s.status}</td><td>${s.outcome}</td></tr>`)}</tbody></table></div>`
      : ''}</section>`;
}

/** POST /orders/:store/:device/:order/return — signs and sends the `return` command (404 for an unknown order). */
export async function returnPost(req: ConsoleRequest, ctx: ConsoleContext): Promise<ConsoleReply> {
  const { store, device, order } = req.params;
  const known = await ctx.store.db.read.get<{ n: number }>('SELECT 1 AS n FROM orders WHERE store_id = ? AND device_id = ? AND order_id = ?', [store, device, order]);
  if (!known) return { error: { status: 404, message: req.t('orders.notFound') } };
  const v = (k: string) => (req.body[k] ?? '').trim();
  const amount = v('amount');
  const lines = v('lines');
  const args: Record<string, unknown> = {
    orderId: order,
    returnId: v('returnId') || `hq-${randomUUID()}`,
    reason: v('reason'),
    approvedBy: req.user.username,
    ...(amount ? { amount: /^\d{1,15}$/.test(amount) ? Number(amount) : amount } : {}),
    ...(lines ? { lineIds: lines.split(',').map((l) => l.trim()).filter(Boolean) } : {}),
  };
  const out = await sendCommand(ctx, req.user.username, store, device, 'return', args);
  if (!out.ok) return { error: { status: out.status, message: out.message } };
  ctx.live.publish('orders', store);
  return { redirect: `/orders/${encodeURIComponent(store)}/${encodeURIComponent(device)}/${encodeURIComponent(order)}?sent=${encodeURIComponent(out.id)}#returns` };
}
