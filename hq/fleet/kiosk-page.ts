import { KIOSK_COMMANDS } from '../../protocol/control/commands';
import { csrfField, html } from '../console/html';
import { can, type ConsoleContext, type ConsoleReply, type ConsoleRequest } from '../console/types';
import { alertWords } from './alert-text';
import { SqlAlerts } from './alerts';
import { sendCommand } from './commands';
import { fleetRows } from './fleet-query';
import { devicesCell, kindLabel, kioskHref, laneBadge, releaseNote, severityBadge, statusBadge, timeCell } from './page-parts';
import { tagsSection } from './tags-page';

interface CommandRow {
  id: string;
  name: string;
  args: string;
  sent_by: string;
  sent_at: number;
  status: string;
  result: string | null;
  result_at: number | null;
}

/** A stored JSON text, pretty-printed for a `<pre>` (escaped by the template) and cut to a readable size. */
export function pretty(text: string | null, max = 4000): string {
  if (!text) return '';
  let out = text;
  try {
    out = JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    /* shown as stored */
  }
  return out.length > max ? `${out.slice(0, max)}\n…` : out;
}

export const statusClass = (s: string): string =>
  s === 'ok' || s === 'applied' ? 'ok' : s === 'sent' || s === 'waiting' || s === 'downloading' || s === 'pending' ? '' : s === 'timeout' ? 'warn' : 'bad';

/** GET /fleet/:store/:device — versions, lane, devices, journal, alerts, recent events, doctor, commands. */
export async function kioskPage(req: ConsoleRequest, ctx: ConsoleContext): Promise<ConsoleReply> {
  const { store, device } = req.params;
  const t = req.t;
  const now = ctx.clock.now();
  const [row] = await fleetRows(ctx.store, req.scope, { store, device, includeRetired: true }, now);
  if (!row) return { error: { status: 404, message: t('fleet.kiosk.unknown') } };
  const read = ctx.store.db.read;
  const [alerts, events, commands, doctor, retired, tags] = await Promise.all([
    new SqlAlerts(ctx.store.db).open(req.scope, { store, device }),
    read.all<{ seq: number; ts: number; type: string; order_id: string | null }>(
      'SELECT seq, ts, type, order_id FROM sales_events WHERE store_id = ? AND device_id = ? ORDER BY seq DESC LIMIT 50',
      [store, device],
    ),
    read.all<CommandRow>('SELECT * FROM commands WHERE store_id = ? AND device_id = ? ORDER BY sent_at DESC LIMIT 20', [store, device]),
    read.get<CommandRow>("SELECT * FROM commands WHERE store_id = ? AND device_id = ? AND name = 'doctor' AND result IS NOT NULL ORDER BY result_at DESC LIMIT 1", [store, device]),
    read.get<{ retired_by: string | null }>('SELECT retired_by FROM fleet WHERE store_id = ? AND device_id = ?', [store, device]),
    read.all<{ tag: string }>('SELECT tag FROM kiosk_tags WHERE store_id = ? AND device_id = ? ORDER BY tag', [store, device]),
  ]);
  const canCommand = can(req.user.role, 'fleet.command');
  const unavailable = !ctx.mqtt ? t('fleet.cmd.noBroker') : !ctx.hqKey ? t('fleet.cmd.noKey') : null;
  const sent = typeof req.query.sent === 'string' ? req.query.sent.slice(0, 128) : null;
  const body = html`
    <p><a href="/fleet">${t('fleet.kiosk.back')}</a></p>
    <h1>${t('fleet.kiosk.title', { store, device })}</h1>
    ${sent ? html`<p class="notice">${t('fleet.cmd.sent', { id: sent })}</p>` : ''}
    <section>
      <dl class="facts">
        <dt>${t('fleet.col.status')}</dt><dd>${statusBadge(req, ctx, row)}${row.retiredAt !== null ? html` <small>${t('fleet.kiosk.retiredAt', { time: new Date(row.retiredAt).toISOString(), user: retired?.retired_by ?? '?' })}</small>` : ''}</dd>
        <dt>${t('fleet.col.software')}</dt><dd>${row.software ?? '—'}${releaseNote(req, row)}</dd>
        <dt>${t('fleet.col.config')}</dt><dd>${row.configVersion === null ? '—' : String(row.configVersion)}</dd>
        <dt>${t('fleet.col.pricebook')}</dt><dd>${row.pricebookVersion === null ? '—' : String(row.pricebookVersion)}${row.pricebookStatus ? html` <small class="muted">(${String(row.pricebookStatus.version ?? '?')}: ${row.pricebookStatus.status}${row.pricebookStatus.reason ? ` — ${row.pricebookStatus.reason}` : ''})</small>` : ''}</dd>
        <dt>${t('fleet.col.lane')}</dt><dd>${laneBadge(req, row.lane, row.online)}</dd>
        <dt>${t('fleet.col.devices')}</dt><dd>${devicesCell(req, row)}${row.devices.length ? html`<br><small class="muted">${row.devices.map((d) => `${d.name}: ${d.status}`).join(', ')}</small>` : ''}</dd>
        <dt>${t('fleet.col.backlog')}</dt><dd>${row.backlog ?? '—'}</dd>
        <dt>${t('fleet.kiosk.paymentsInDoubt')}</dt><dd>${row.paymentsInDoubt}</dd>
        <dt>${t('fleet.kiosk.journal')}</dt><dd>${row.journal ? (row.journal.chainOk ? t('fleet.kiosk.journalOk', { seq: row.journal.contiguousSeq }) : t('fleet.kiosk.journalBroken', { seq: row.journal.contiguousSeq, error: row.journal.chainError ?? '' })) : '—'}</dd>
        <dt>${t('fleet.col.lastEvent')}</dt><dd>${timeCell(req, ctx, row.lastEventTs)}</dd>
        <dt>${t('fleet.col.lastSeen')}</dt><dd>${timeCell(req, ctx, row.lastSeen)}</dd>
        <dt>${t('fleet.col.health')}</dt><dd>${row.health}</dd>
      </dl>
    </section>
    <h2>${t('fleet.kiosk.versions')}</h2>
    <div class="table-wrap"><table id="config-levels">
      <thead><tr><th>${t('fleet.kiosk.level')}</th><th>${t('fleet.kiosk.inForce')}</th><th>${t('fleet.kiosk.lastOffer')}</th><th>${t('fleet.kiosk.outcome')}</th><th>${t('fleet.kiosk.reason')}</th></tr></thead>
      <tbody>${row.configLevels.length === 0 ? html`<tr><td colspan="5" class="muted">${t('fleet.kiosk.none')}</td></tr>` : ''}${row.configLevels.map(
        (l) => html`<tr><td>${l.level}</td><td>${l.inForce ?? '—'}</td><td>${l.version ?? '?'}</td><td><span class="badge ${l.status === 'applied' ? 'ok' : l.status === 'rejected' ? 'bad' : 'warn'}">${l.status}</span></td><td>${[l.reason, l.detail].filter(Boolean).join(': ')}</td></tr>`,
      )}</tbody>
    </table></div>
    <h2>${t('fleet.kiosk.openAlerts')}</h2>
    ${alerts.length === 0 ? html`<p class="muted">${t('fleet.kiosk.noAlerts')}</p>` : html`<ul id="kiosk-alerts">${alerts.map((a) => html`<li>${severityBadge(req, a.severity)} ${kindLabel(req, a.kind)} — ${alertWords(a, { t, lang: req.lang, timeZone: ctx.settings.timezone })} <small class="muted">${timeCell(req, ctx, a.raisedAt)}</small></li>`)}</ul>`}
    ${tagsSection(req, store, device, tags.map((x) => x.tag), canCommand)}
    ${canCommand ? commandForm(req, store, device, unavailable) : ''}
    <h2 id="commands">${t('fleet.cmd.history')}</h2>
    ${commands.length === 0 ? html`<p class="muted">${t('fleet.cmd.none')}</p>` : html`<div class="table-wrap"><table id="command-history">
      <thead><tr><th>${t('fleet.cmd.sentAt')}</th><th>${t('fleet.cmd.name')}</th><th>${t('fleet.cmd.args')}</th><th>${t('fleet.cmd.by')}</th><th>${t('fleet.cmd.status')}</th><th>${t('fleet.cmd.result')}</th></tr></thead>
      <tbody>${commands.map(
        (c) => html`<tr data-command="${c.id}"><td>${timeCell(req, ctx, Number(c.sent_at))}</td><td>${c.name}</td><td><code>${c.args === '{}' ? '' : c.args}</code></td><td>${c.sent_by}</td>
          <td><span class="badge ${statusClass(c.status)}" data-status="${c.status}">${t(`fleet.cmd.status.${c.status}`)}</span></td><td>${c.result ? html`<pre>${pretty(c.result, 1500)}</pre>` : ''}</td></tr>`,
      )}</tbody>
    </table></div>`}
    <h2>${t('fleet.kiosk.doctor')}</h2>
    ${doctor ? html`<p class="muted">${timeCell(req, ctx, doctor.result_at === null ? null : Number(doctor.result_at))}</p><pre id="doctor">${pretty(doctor.result)}</pre>` : html`<p class="muted">${t('fleet.kiosk.noDoctor')}</p>`}
    <h2>${t('fleet.kiosk.events')}</h2>
    ${events.length === 0 ? html`<p class="muted">${t('fleet.kiosk.noEvents')}</p>` : html`<div class="table-wrap"><table id="events">
      <thead><tr><th class="num">${t('fleet.kiosk.seq')}</th><th>${t('fleet.kiosk.time')}</th><th>${t('fleet.kiosk.type')}</th><th>${t('fleet.kiosk.order')}</th></tr></thead>
      <tbody>${events.map(
        (e) => html`<tr><td class="num">${Number(e.seq)}</td><td>${timeCell(req, ctx, Number(e.ts))}</td><td>${e.type}</td><td>${e.order_id ? html`<a href="/orders/${encodeURIComponent(store)}/${encodeURIComponent(device)}/${encodeURIComponent(e.order_id)}">${e.order_id}</a>` : '—'}</td></tr>`,
      )}</tbody>
    </table></div>`}
    ${can(req.user.role, 'fleet.retire') && row.retiredAt === null
      ? html`<section><h2>${t('fleet.retire.title')}</h2><p class="muted">${t('fleet.retire.help')}</p>
        <form method="post" action="${kioskHref(store, device)}/retire" data-confirm="${t('fleet.retire.confirm', { store, device })}">${csrfField(req.csrfToken)}<button type="submit" class="danger">${t('fleet.retire.button')}</button></form></section>`
      : ''}`;
  return { page: { title: t('fleet.kiosk.title', { store, device }), body, live: ['fleet', 'alerts', 'commands'] } };
}

function commandForm(req: ConsoleRequest, store: string, device: string, unavailable: string | null) {
  const t = req.t;
  return html`<section><h2>${t('fleet.cmd.title')}</h2>
    ${unavailable ? html`<p class="error">${t('fleet.cmd.unavailable', { why: unavailable })}</p>` : ''}
    <form method="post" action="${kioskHref(store, device)}/command" class="filters" data-confirm="${t('fleet.cmd.confirm', { store, device })}">
      ${csrfField(req.csrfToken)}
      <label>${t('fleet.cmd.name')}<select name="name">${KIOSK_COMMANDS.map((n) => html`<option value="${n}">${n}</option>`)}</select></label>
      <label>${t('fleet.cmd.reason')}<input name="reason" maxlength="200"></label>
      <label>${t('fleet.cmd.fromSeq')}<input name="fromSeq" inputmode="numeric" pattern="[0-9]*"></label>
      <label>${t('fleet.cmd.date')}<input name="date" pattern="\\d{4}-\\d{2}-\\d{2}"></label>
      <button type="submit" class="primary"${unavailable ? html` disabled` : ''}>${t('fleet.cmd.send')}</button>
    </form></section>`;
}

/** The args of a command as the form gives them (only the fields that command takes). */
export function commandArgs(name: string, body: Record<string, string | undefined>): Record<string, unknown> {
  const v = (k: string) => (body[k] ?? '').trim();
  if (name === 'lock') return v('reason') ? { reason: v('reason').slice(0, 200) } : {};
  if (name === 'resend') return { fromSeq: /^\d{1,15}$/.test(v('fromSeq')) ? Number(v('fromSeq')) : v('fromSeq') };
  if (name === 'eod') return v('date') ? { date: v('date') } : {};
  return {};
}

/** POST /fleet/:store/:device/command — signs, records, publishes and audits; 503 without broker or key. */
export async function commandPost(req: ConsoleRequest, ctx: ConsoleContext): Promise<ConsoleReply> {
  const { store, device } = req.params;
  const name = req.body.name ?? '';
  if (!(KIOSK_COMMANDS as readonly string[]).includes(name)) return { error: { status: 400, message: req.t('fleet.cmd.badName') } };
  const [row] = await fleetRows(ctx.store, req.scope, { store, device, includeRetired: true }, ctx.clock.now());
  if (!row) return { error: { status: 404, message: req.t('fleet.kiosk.unknown') } };
  const out = await sendCommand(ctx, req.user.username, store, device, name, commandArgs(name, req.body));
  if (!out.ok) return { error: { status: out.status, message: out.message } };
  return { redirect: `${kioskHref(store, device)}?sent=${encodeURIComponent(out.id)}#commands` };
}

/** POST /fleet/:store/:device/retire — leaves the fleet and its alerts until a newer birth; audited. */
export async function retirePost(req: ConsoleRequest, ctx: ConsoleContext): Promise<ConsoleReply> {
  const { store, device } = req.params;
  const now = ctx.clock.now();
  if (!(await ctx.store.retireKiosk(store, device, req.user.username, now))) return { error: { status: 404, message: req.t('fleet.kiosk.unknown') } };
  await new SqlAlerts(ctx.store.db).clearDevice(store, device, now);
  ctx.ingest?.fleet.retire(store, device, now, req.user.username);
  await ctx.audit.record({ actor: req.user.username, action: 'kiosk.retire', target: `${store}/${device}`, ip: req.ip });
  ctx.live.publish('fleet', store);
  ctx.live.publish('alerts', store);
  return { redirect: '/fleet' };
}
