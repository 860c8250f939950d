import { html } from '../console/html';
import type { ConsoleContext, ConsoleReply, ConsoleRequest } from '../console/types';
import { BATCH_STATUSES, batchView, MAX_BATCH_KIOSKS, recentBatches, sendCommandBatch, type BatchView, type Kiosk } from './batches';
import { commandArgs, pretty, statusClass } from './kiosk-page';
import { kioskHref, queryId, timeCell } from './page-parts';
import { pushPost } from './push-pages';

/** The console pages of command batches: POST /batches (from the fleet page's batch form), the list, one batch. */

/** A ticked kiosk's checkbox value: `encodeURIComponent(store)/encodeURIComponent(device)` (ids may hold `,` and `/`). */
export const kioskValue = (storeId: string, deviceId: string): string => `${encodeURIComponent(storeId)}/${encodeURIComponent(deviceId)}`;

/** The ticked kiosks of a form (repeated `kiosk` fields arrive joined by `,`); malformed values are dropped. */
export function parseKioskValues(v: string | undefined): Kiosk[] {
  if (!v) return [];
  const out: Kiosk[] = [];
  for (const part of v.split(',').slice(0, MAX_BATCH_KIOSKS * 2)) {
    const m = /^([^/]+)\/([^/]+)$/.exec(part);
    if (!m) continue;
    try {
      out.push({ storeId: decodeURIComponent(m[1]), deviceId: decodeURIComponent(m[2]) });
    } catch {
      /* not percent-encoding: dropped */
    }
  }
  return out;
}

/** POST /batches — a signed command to the ticked kiosks, or to every kiosk of the store/tag filter. Audited. */
export async function batchPost(req: ConsoleRequest, ctx: ConsoleContext): Promise<ConsoleReply> {
  const t = req.t;
  const name = req.body.name ?? '';
  const store = queryId(req.body.store);
  const tag = req.body.tag ? req.body.tag : undefined;
  const target = req.body.target === 'filter' ? 'filter' : 'checked';
  const kiosks = target === 'checked' ? parseKioskValues(req.body.kiosk) : undefined;
  if (kiosks?.length === 0) return { error: { status: 400, message: t('fleet.batch.noKiosk') } };
  if (req.body.kind === 'config' || req.body.kind === 'pricebook') return pushPost(req, ctx, { stores: store ? [store] : [], tag }, kiosks);
  const out = await sendCommandBatch(ctx, req.user.username, req.scope, { name, args: commandArgs(name, req.body), selection: { stores: store ? [store] : [], tag }, kiosks });
  if (!out.ok) {
    const message = out.reason === 'bad_command' ? t('fleet.cmd.badName') : out.reason === 'no_kiosk' ? t('fleet.batch.noKiosk') : out.reason === 'bad_tag' ? t('fleet.tags.bad') : out.message;
    return { error: { status: out.status, message } };
  }
  return { redirect: `/batches/${encodeURIComponent(out.id)}` };
}

/** GET /batches — the newest batches with a kiosk in the user's scope. */
export async function batchesPage(req: ConsoleRequest, ctx: ConsoleContext): Promise<ConsoleReply> {
  const t = req.t;
  const rows = await recentBatches(ctx, req.scope);
  const body = html`
    <h1>${t('fleet.batch.title')}</h1>
    <p class="muted">${t('fleet.batch.help')}</p>
    ${rows.length === 0 ? html`<p class="muted">${t('fleet.batch.none')}</p>` : html`<div class="table-wrap"><table id="batches">
      <thead><tr><th>${t('fleet.batch.at')}</th><th>${t('fleet.cmd.name')}</th><th>${t('fleet.cmd.by')}</th><th class="num">${t('fleet.batch.kiosks')}</th></tr></thead>
      <tbody>${rows.map(
        (b) => html`<tr data-batch="${b.id}" data-kind="${b.kind}"><td><a href="/batches/${encodeURIComponent(b.id)}">${timeCell(req, ctx, b.createdAt)}</a></td><td>${batchName(req, b)}</td><td>${b.createdBy}</td><td class="num">${b.kiosks}</td></tr>`,
      )}</tbody></table></div>`}`;
  return { page: { title: t('fleet.batch.title'), body, live: ['commands'] } };
}

/** GET /batches/:id — who, when, what, and each kiosk's progress and result (the kiosks in the user's scope). */
export async function batchPage(req: ConsoleRequest, ctx: ConsoleContext): Promise<ConsoleReply> {
  const t = req.t;
  const b = await batchView(ctx, req.scope, req.params.id);
  if (!b) return { error: { status: 404, message: t('fleet.batch.unknown') } };
  const answered = b.items.length - b.counts.sent - b.counts.not_sent - b.counts.waiting;
  const label = (s: string) => (['ok', 'sent', 'failed', 'rejected', 'timeout'].includes(s) ? t(`fleet.cmd.status.${s}`) : t(`fleet.batch.status.${s}`));
  const push = b.kind !== 'command';
  const body = html`
    <p><a href="/batches">${t('fleet.batch.back')}</a></p>
    <h1>${t('fleet.batch.one', { name: batchName(req, b) })}</h1>
    <dl class="facts">
      <dt>${t('fleet.batch.id')}</dt><dd><code>${b.id}</code></dd>
      <dt>${t('fleet.batch.kind')}</dt><dd data-kind="${b.kind}">${t(`fleet.batch.kind.${b.kind}`)}</dd>
      <dt>${push ? t('fleet.batch.what') : t('fleet.cmd.name')}</dt><dd>${b.kind === 'command' ? b.name : ''} <code>${b.args === '{}' ? '' : pretty(b.args, 1500)}</code></dd>
      <dt>${t('fleet.cmd.by')}</dt><dd>${b.createdBy}</dd>
      <dt>${t('fleet.batch.at')}</dt><dd>${timeCell(req, ctx, b.createdAt)}</dd>
      <dt>${t('fleet.batch.selection')}</dt><dd>${b.stores.length ? b.stores.join(', ') : t('fleet.filter.all')}${b.tag ? html` · ${t('fleet.filter.tag')}: ${b.tag}` : ''}</dd>
      <dt>${t('fleet.batch.kiosks')}</dt><dd id="batch-progress" data-answered="${answered}" data-total="${b.items.length}">${t('fleet.batch.progress', { done: answered, total: b.items.length })}
        ${BATCH_STATUSES.filter((s) => b.counts[s] > 0).map((s) => html` <span class="badge ${statusClass(s)}">${label(s)}: ${b.counts[s]}</span>`)}</dd>
    </dl>
    <div class="table-wrap"><table id="batch-items">
      <thead><tr><th>${t('fleet.col.store')}</th><th>${t('fleet.col.device')}</th>${push ? html`<th>${t('fleet.batch.version')}</th>` : ''}<th>${t('fleet.cmd.status')}</th><th>${t('fleet.batch.answeredAt')}</th><th>${t('fleet.cmd.result')}</th></tr></thead>
      <tbody>${b.items.map(
        (i) => html`<tr data-kiosk="${i.storeId}/${i.deviceId}"><td>${i.storeId}</td><td><a href="${kioskHref(i.storeId, i.deviceId)}">${i.deviceId}</a></td>${push ? html`<td><code>${i.version ?? ''}</code></td>` : ''}
          <td><span class="badge ${statusClass(i.status)}" data-status="${i.status}">${label(i.status)}</span></td>
          <td>${timeCell(req, ctx, i.resultAt)}</td><td>${i.result ? html`<pre>${pretty(i.result, 1500)}</pre>` : ''}</td></tr>`,
      )}</tbody>
    </table></div>`;
  return { page: { title: t('fleet.batch.one', { name: batchName(req, b) }), body, live: ['commands', 'fleet', 'config'] } };
}

/** A batch's name in lists and titles: the command, or what was pushed. */
function batchName(req: ConsoleRequest, b: Pick<BatchView, 'kind' | 'name'>): string {
  return b.kind === 'command' ? b.name : b.kind === 'config' ? req.t('fleet.batch.kind.config') : `${req.t('fleet.batch.kind.pricebook')} ${b.name}`;
}
