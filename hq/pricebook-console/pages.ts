import { formatMoney, formatTime } from '../console/format';
import { csrfField, html, type Html } from '../console/html';
import type { Lang, Translate } from '../console/types';
import type { PriceItem } from '../../protocol/pricebook/price-item';
import type { BookDiff } from './diff';
import type { PricebookVersionRow } from './registry';
import type { ScheduleRow } from './schedules';
import type { KioskBookState } from './reports';

/** The HTML of the console's price-book page (every value escaped by `html`: books and reports come from outside). */

export interface PageEnv {
  t: Translate;
  lang: Lang;
  timezone: string;
  csrfToken: string;
  canPublish: boolean;
  currency: string;
}

const time = (env: PageEnv, ms: number | null): string => (ms === null ? '—' : formatTime(ms, env.timezone, env.lang));
const money = (env: PageEnv, minor: number): string => formatMoney(minor, env.currency, env.lang);
const nameOf = (env: PageEnv, item: PriceItem): string => item.names[env.lang] ?? item.names.en ?? Object.values(item.names)[0] ?? '';

export function storePicker(env: PageEnv, stores: readonly string[], current: string | undefined): Html {
  if (!stores.length) return html`<p class="empty">${env.t('pricebook.noStores')}</p>`;
  return html`<form method="get" action="/pricebook" class="pricebook-store"><label>${env.t('pricebook.store')} <select name="store">${stores.map(
    (s) => html`<option value="${s}"${s === current ? html` selected` : ''}>${s}</option>`,
  )}</select></label> <button type="submit">${env.t('pricebook.choose')}</button></form>`;
}

export function latestLine(env: PageEnv, latest: PricebookVersionRow | undefined): Html {
  if (!latest) return html`<p class="empty">${env.t('pricebook.none')}</p>`;
  return html`<p class="pricebook-latest">${env.t('pricebook.latest', { version: latest.version, items: latest.items, user: latest.published_by, time: time(env, latest.published_at) })}</p>`;
}

/**
 * The paste form (and the file form). `o.note`: what the textarea holds — the book in force, pre-filled — or why it
 * is empty (a book too large to post back from a textarea: the file form below is the way).
 */
export function uploadForm(env: PageEnv, store: string, o: { version?: string; csv?: string; note?: Html } = {}): Html {
  return html`<h2>${env.t('pricebook.upload')}</h2>
<p class="muted">${env.t('pricebook.uploadHelp')}</p>
${o.note ?? ''}
<form method="post" action="/pricebook/preview" class="pricebook-upload">${csrfField(env.csrfToken)}<input type="hidden" name="store" value="${store}">
<label>${env.t('pricebook.version')} <input type="text" name="version" value="${o.version ?? ''}" required maxlength="128"></label>
<label>${env.t('pricebook.csv')}<textarea name="csv" rows="10" cols="100" required>
${o.csv ?? ''}</textarea></label>
<button type="submit">${env.t('pricebook.check')}</button></form>
${fileForm(env, store, o.version)}
<p class="muted">${env.t('pricebook.promotions')}</p>`;
}

/**
 * A price-book file (CSV or XLSX): console.js POSTs the chosen file's bytes raw to `data-upload` (the other fields in
 * the query, the CSRF token in a header) and shows the answer (problems or diff) in place of the page's main.
 */
export function fileForm(env: PageEnv, store: string, version = ''): Html {
  return html`<form method="post" action="/pricebook/upload" data-upload="/pricebook/upload" class="pricebook-file">${csrfField(env.csrfToken)}<input type="hidden" name="store" value="${store}">
<label>${env.t('pricebook.version')} <input type="text" name="version" value="${version}" required maxlength="128"></label>
<label>${env.t('pricebook.file')} <input type="file" name="file" required accept=".csv,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"></label>
<button type="submit">${env.t('pricebook.checkFile')}</button></form>`;
}

/** The note above a pre-filled textarea, or the one saying the book in force is too large to edit here. */
export function prefillNote(env: PageEnv, version: string, tooLarge: number | null): Html {
  return tooLarge === null
    ? html`<p class="muted pricebook-prefilled">${env.t('pricebook.prefilled', { version })}</p>`
    : html`<p class="problems pricebook-too-large" role="status">${env.t('pricebook.tooLargeToEdit', { version, size: `${(tooLarge / 1048576).toFixed(1)} MiB` })}</p>`;
}

export function problemsTable(env: PageEnv, problems: readonly { line: number | null; field: string | null; reason: string }[]): Html {
  return html`<div class="problems" role="alert"><p>${env.t('pricebook.problems', { count: problems.length })}</p>
<table class="pricebook-problems"><thead><tr><th>${env.t('pricebook.line')}</th><th>${env.t('pricebook.field')}</th><th>${env.t('pricebook.reason')}</th></tr></thead>
<tbody>${problems.map((p) => html`<tr data-line="${p.line ?? ''}"><td>${p.line ?? env.t('pricebook.file.level')}</td><td>${p.field ?? ''}</td><td>${p.reason}</td></tr>`)}</tbody></table></div>`;
}

const describeChange = (env: PageEnv, c: BookDiff['changed'][number]): string =>
  c.fields
    .map((f) => {
      if (f === 'unitPrice') return `${env.t('pricebook.price')}: ${money(env, c.before.unitPrice)} → ${money(env, c.after.unitPrice)}`;
      if (f === 'names') return `${env.t('pricebook.name')}: ${nameOf(env, c.before)} → ${nameOf(env, c.after)}`;
      const show = (v: unknown) => (Array.isArray(v) ? v.join('|') : v === null || v === undefined ? '—' : typeof v === 'object' ? JSON.stringify(v) : String(v));
      return `${f}: ${show(c.before[f])} → ${show(c.after[f])}`;
    })
    .join('; ');

export function diffView(env: PageEnv, diff: BookDiff, base: string | null): Html {
  const items = (cls: string, title: string, list: readonly PriceItem[]) =>
    list.length
      ? html`<h3>${title}</h3><table class="${cls}"><thead><tr><th>${env.t('pricebook.sku')}</th><th>${env.t('pricebook.name')}</th><th>${env.t('pricebook.price')}</th></tr></thead>
<tbody>${list.map((i) => html`<tr data-sku="${i.sku}"><td>${i.sku}</td><td>${nameOf(env, i)}</td><td>${money(env, i.unitPrice)}</td></tr>`)}</tbody></table>`
      : '';
  return html`<p class="pricebook-summary">${env.t('pricebook.diffSummary', { added: diff.added.length, removed: diff.removed.length, changed: diff.changed.length, unchanged: diff.unchanged, base: base ?? env.t('pricebook.base.none') })}</p>
${items('pricebook-added', env.t('pricebook.added'), diff.added)}
${items('pricebook-removed', env.t('pricebook.removed'), diff.removed)}
${
  diff.changed.length
    ? html`<h3>${env.t('pricebook.changed')}</h3><table class="pricebook-changed"><thead><tr><th>${env.t('pricebook.sku')}</th><th>${env.t('pricebook.name')}</th><th>${env.t('pricebook.what')}</th></tr></thead>
<tbody>${diff.changed.map((c) => html`<tr data-sku="${c.sku}"><td>${c.sku}</td><td>${nameOf(env, c.after)}</td><td>${describeChange(env, c)}</td></tr>`)}</tbody></table>`
    : ''
}`;
}

export function confirmForm(env: PageEnv, store: string, version: string, csv: string): Html {
  return html`<form method="post" action="/pricebook/publish" data-confirm="${env.t('pricebook.confirm', { version, store })}">${csrfField(env.csrfToken)}
<input type="hidden" name="store" value="${store}"><input type="hidden" name="version" value="${version}"><input type="hidden" name="csv" value="${csv}">
<button type="submit">${env.t('pricebook.publish', { version, store })}</button></form>`;
}

export function kiosksTable(env: PageEnv, version: string | null, states: readonly KioskBookState[]): Html {
  const title = html`<h2>${env.t('pricebook.kiosks', { version: version ?? '—' })}</h2>`;
  if (!states.length) return html`${title}<p class="empty">${env.t('pricebook.noKiosks')}</p>`;
  const progress = (s: KioskBookState): string => {
    if (s.status === 'waiting') return s.reportedVersion ? env.t('pricebook.lastReport', { version: s.reportedVersion }) : '';
    if (s.status === 'downloading' && s.total) return `${Math.floor(((s.received ?? 0) * 100) / s.total)}% (${s.received ?? 0}/${s.total})`;
    if (s.status === 'applied' && s.items !== undefined) return env.t('pricebook.itemsApplied', { items: s.items });
    if (s.status === 'rejected') return `${s.reason ?? ''}${s.detail ? `: ${s.detail}` : ''}`;
    return '';
  };
  return html`${title}<table class="pricebook-kiosks"><thead><tr><th>${env.t('pricebook.kiosk')}</th><th>${env.t('pricebook.status')}</th><th>${env.t('pricebook.progress')}</th><th>${env.t('pricebook.reportedAt')}</th></tr></thead>
<tbody>${states.map(
    (s) => html`<tr data-device="${s.device}" class="status-${s.status}"><td>${s.device}</td><td>${env.t(`pricebook.status.${s.status}`)}</td><td>${progress(s)}</td><td>${time(env, s.at)}</td></tr>`,
  )}</tbody></table>`;
}

export function historyTable(env: PageEnv, rows: readonly PricebookVersionRow[]): Html {
  if (!rows.length) return html``;
  return html`<h2>${env.t('pricebook.history')}</h2><table class="pricebook-history"><thead><tr><th>${env.t('pricebook.version')}</th><th>${env.t('pricebook.items')}</th><th>${env.t('pricebook.publishedBy')}</th><th>${env.t('pricebook.publishedAt')}</th></tr></thead>
<tbody>${rows.map((r) => html`<tr data-version="${r.version}"><td>${r.version}</td><td>${r.items}</td><td>${r.published_by}</td><td>${time(env, r.published_at)}</td></tr>`)}</tbody></table>`;
}

/** Publish later: a start time (the console's time zone) for the checked book; `hq serve` publishes it when due. */
export function scheduleForm(env: PageEnv, store: string, version: string, csv: string): Html {
  return html`<form method="post" action="/pricebook/schedule" class="pricebook-schedule">${csrfField(env.csrfToken)}
<input type="hidden" name="store" value="${store}"><input type="hidden" name="version" value="${version}"><input type="hidden" name="csv" value="${csv}">
<label>${env.t('pricebook.startAt', { zone: env.timezone })} <input type="datetime-local" name="start" required></label>
<label>${env.t('pricebook.endAt')} <input type="datetime-local" name="end"></label>
<button type="submit">${env.t('pricebook.schedule', { version })}</button></form>`;
}

/** The end of a schedule: its time and, once the book is published, its state (restored as / skipped: why / failed). */
function endCell(env: PageEnv, r: ScheduleRow): Html {
  if (r.end_at === null) return html`<td class="end-none"></td>`;
  const state = r.status === 'published' && r.end_status ? r.end_status : null;
  return html`<td class="end-${state ?? 'none'}">${time(env, r.end_at)}${
    state ? html` — ${env.t(`pricebook.end.${state}`, { version: r.end_version ?? '' })}${state !== 'restored' && r.end_detail ? html`: ${r.end_detail}` : ''}${r.end_done_at !== null ? html` (${time(env, r.end_done_at)})` : ''}` : ''
  }</td>`;
}

export function schedulesTable(env: PageEnv, store: string, rows: readonly ScheduleRow[]): Html {
  if (!rows.length) return html``;
  return html`<h2>${env.t('pricebook.schedules')}</h2><table class="pricebook-schedules"><thead><tr><th>${env.t('pricebook.version')}</th><th>${env.t('pricebook.items')}</th><th>${env.t('pricebook.start')}</th><th>${env.t('pricebook.end')}</th><th>${env.t('pricebook.status')}</th><th>${env.t('pricebook.scheduledBy')}</th><th></th></tr></thead>
<tbody>${rows.map(
    (r) => html`<tr data-schedule="${r.id}" class="schedule-${r.status}"><td>${r.version}</td><td>${r.items}</td><td>${time(env, r.start_at)}</td>${endCell(env, r)}<td>${env.t(`pricebook.schedule.${r.status}`)}${r.detail ? html`: ${r.detail}` : ''}${r.done_at !== null ? html` (${time(env, r.done_at)}${r.done_by ? html`, ${r.done_by}` : ''})` : ''}</td><td>${r.created_by}</td><td>${
      r.status === 'pending' && env.canPublish
        ? html`<form method="post" action="/pricebook/schedule/cancel" data-confirm="${env.t('pricebook.cancelConfirm', { version: r.version })}">${csrfField(env.csrfToken)}<input type="hidden" name="store" value="${store}"><input type="hidden" name="id" value="${r.id}"><button type="submit">${env.t('pricebook.cancel')}</button></form>`
        : ''
    }</td></tr>`,
  )}</tbody></table>`;
}
