import { formatTime } from '../console/format';
import { csrfField, html, type Html } from '../console/html';
import type { Lang, Translate } from '../console/types';
import type { PromotionsDiff } from './diff';
import type { Promotion, PromotionProblem } from './reader';
import type { KioskStoreConfig } from './store-promotions';

/** The HTML of the console's promotions page (every value escaped by `html`: sheets and kiosk reports come from outside). */

export interface PageEnv {
  t: Translate;
  lang: Lang;
  timezone: string;
  csrfToken: string;
  canPublish: boolean;
}

const time = (env: PageEnv, ms: number | null): string => (ms === null ? '—' : formatTime(ms, env.timezone, env.lang));
const label = (env: PageEnv, p: Promotion): string => p.label[env.lang] ?? p.label.en ?? Object.values(p.label)[0] ?? '';
const show = (v: unknown): string => (v === undefined ? '—' : Array.isArray(v) ? v.join('|') : typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v));

/** The terms of a promotion in words (amounts as the config holds them: minor units). */
const terms = (env: PageEnv, p: Promotion): string =>
  p.kind === 'percent_off'
    ? `${p.percent}%`
    : p.kind === 'amount_off'
      ? `-${p.amount}`
      : p.kind === 'buy_x_pay_y'
        ? `${p.buy}→${p.pay}`
        : p.kind === 'x_for_price'
          ? `${p.quantity}×=${p.price}`
          : p.kind === 'points'
            ? env.t('promotions.pointsTerms', { multiplier: p.multiplier })
            : `${p.price}`;

export function storePicker(env: PageEnv, stores: readonly string[], current: string | undefined): Html {
  if (!stores.length) return html`<p class="empty">${env.t('promotions.noStores')}</p>`;
  return html`<form method="get" action="/promotions" class="promotions-store"><label>${env.t('promotions.store')} <select name="store">${stores.map(
    (s) => html`<option value="${s}"${s === current ? html` selected` : ''}>${s}</option>`,
  )}</select></label> <button type="submit">${env.t('promotions.choose')}</button></form>`;
}

export function promotionsTable(env: PageEnv, list: readonly Promotion[], version: number | null): Html {
  const title = html`<h2>${env.t('promotions.current', { version: version === null ? '—' : `v${version}` })}</h2>`;
  if (!list.length) return html`${title}<p class="empty">${env.t('promotions.none')}</p>`;
  return html`${title}<table class="promotions-current"><thead><tr><th>${env.t('promotions.id')}</th><th>${env.t('promotions.kind')}</th><th>${env.t('promotions.label')}</th><th>${env.t('promotions.skus')}</th><th>${env.t('promotions.terms')}</th><th>${env.t('promotions.validFrom')}</th><th>${env.t('promotions.validTo')}</th></tr></thead>
<tbody>${list.map((p) => html`<tr data-id="${p.id}"><td>${p.id}</td><td>${p.kind}</td><td>${label(env, p)}</td><td>${p.skus.join('|')}</td><td>${terms(env, p)}</td><td>${p.validFrom ?? '—'}</td><td>${p.validTo ?? '—'}</td></tr>`)}</tbody></table>`;
}

/**
 * The upload: console.js POSTs the chosen file's bytes raw to `data-upload` (store in the query, CSRF in a header); the
 * CSV can also be pasted. `note`: what the textarea holds (the promotions in force, pre-filled) or why it is empty.
 */
export function uploadForm(env: PageEnv, store: string, csv = '', note: Html | '' = ''): Html {
  return html`<h2>${env.t('promotions.upload')}</h2>
<p class="muted">${env.t('promotions.uploadHelp')}</p>
<form method="post" action="/promotions/upload" data-upload="/promotions/upload" class="promotions-file">${csrfField(env.csrfToken)}<input type="hidden" name="store" value="${store}">
<label>${env.t('promotions.file')} <input type="file" name="file" required accept=".csv,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"></label>
<button type="submit">${env.t('promotions.check')}</button></form>
${note}
<form method="post" action="/promotions/preview" class="promotions-paste">${csrfField(env.csrfToken)}<input type="hidden" name="store" value="${store}">
<label>${env.t('promotions.csv')}<textarea name="csv" rows="8" cols="100" required>
${csv}</textarea></label>
<button type="submit">${env.t('promotions.check')}</button></form>`;
}

/** The note above the pre-filled textarea: what it holds, the promotions it cannot carry exactly, or that it is too large to hold. */
export function prefillNote(env: PageEnv, o: { count: number; inexact: readonly string[]; tooLarge: number | null }): Html {
  if (o.tooLarge !== null) return html`<p class="problems promotions-too-large" role="status">${env.t('promotions.tooLargeToEdit', { size: `${(o.tooLarge / 1048576).toFixed(1)} MiB` })}</p>`;
  return html`<p class="muted promotions-prefilled">${o.count ? env.t('promotions.prefilled', { count: o.count }) : env.t('promotions.prefilledNone')}</p>${
    o.inexact.length ? html`<p class="problems promotions-inexact" role="status">${env.t('promotions.inexact', { ids: o.inexact.join(', ') })}</p>` : ''
  }`;
}

export function problemsTable(env: PageEnv, problems: readonly PromotionProblem[]): Html {
  return html`<div class="problems" role="alert"><p>${env.t('promotions.problems', { count: problems.length })}</p>
<table class="promotions-problems"><thead><tr><th>${env.t('promotions.line')}</th><th>${env.t('promotions.field')}</th><th>${env.t('promotions.reason')}</th></tr></thead>
<tbody>${problems.map((p) => html`<tr data-line="${p.line ?? ''}"><td>${p.line ?? env.t('promotions.fileLevel')}</td><td>${p.field ?? ''}</td><td>${p.reason}</td></tr>`)}</tbody></table></div>`;
}

export function diffView(env: PageEnv, diff: PromotionsDiff, base: number | null): Html {
  const rows = (cls: string, title: string, list: readonly Promotion[]) =>
    list.length
      ? html`<h3>${title}</h3><table class="${cls}"><thead><tr><th>${env.t('promotions.id')}</th><th>${env.t('promotions.kind')}</th><th>${env.t('promotions.label')}</th><th>${env.t('promotions.skus')}</th><th>${env.t('promotions.terms')}</th><th>${env.t('promotions.validFrom')}</th><th>${env.t('promotions.validTo')}</th></tr></thead>
<tbody>${list.map((p) => html`<tr data-id="${p.id}"><td>${p.id}</td><td>${p.kind}</td><td>${label(env, p)}</td><td>${p.skus.join('|')}</td><td>${terms(env, p)}</td><td>${p.validFrom ?? '—'}</td><td>${p.validTo ?? '—'}</td></tr>`)}</tbody></table>`
      : '';
  return html`<p class="promotions-summary">${env.t('promotions.diffSummary', { added: diff.added.length, removed: diff.removed.length, changed: diff.changed.length, unchanged: diff.unchanged, base: base === null ? env.t('promotions.base.none') : `v${base}` })}</p>
${rows('promotions-added', env.t('promotions.added'), diff.added)}
${rows('promotions-removed', env.t('promotions.removed'), diff.removed)}
${
  diff.changed.length
    ? html`<h3>${env.t('promotions.changed')}</h3><table class="promotions-changed"><thead><tr><th>${env.t('promotions.id')}</th><th>${env.t('promotions.label')}</th><th>${env.t('promotions.what')}</th></tr></thead>
<tbody>${diff.changed.map((c) => html`<tr data-id="${c.id}"><td>${c.id}</td><td>${label(env, c.after)}</td><td>${c.fields.map((f) => `${f.field}: ${show(f.before)} → ${show(f.after)}`).join('; ')}</td></tr>`)}</tbody></table>`
    : ''
}`;
}

/** Publish: the checked sheet travels as its CSV text; the publish route checks it again (it never trusts the preview). */
export function confirmForm(env: PageEnv, store: string, csv: string): Html {
  return html`<form method="post" action="/promotions/publish" data-confirm="${env.t('promotions.confirm', { store })}">${csrfField(env.csrfToken)}
<input type="hidden" name="store" value="${store}"><input type="hidden" name="csv" value="${csv}">
<button type="submit">${env.t('promotions.publish', { store })}</button></form>`;
}

export function kiosksTable(env: PageEnv, version: number | null, rows: readonly KioskStoreConfig[]): Html {
  const title = html`<h2>${env.t('promotions.kiosks', { version: version === null ? '—' : `v${version}` })}</h2>`;
  if (!rows.length) return html`${title}<p class="empty">${env.t('promotions.noKiosks')}</p>`;
  // applied/rejected count only for the version in force: an older report is still waiting for it
  const state = (r: KioskStoreConfig): string => (version !== null && r.version === version && ['applied', 'rejected', 'pending'].includes(r.status) ? r.status : 'waiting');
  return html`${title}<table class="promotions-kiosks"><thead><tr><th>${env.t('promotions.kiosk')}</th><th>${env.t('promotions.status')}</th><th>${env.t('promotions.reportedVersion')}</th><th>${env.t('promotions.reason')}</th><th>${env.t('promotions.reportedAt')}</th></tr></thead>
<tbody>${rows.map(
    (r) => html`<tr data-device="${r.device}" class="status-${state(r)}"><td>${r.device}</td><td>${env.t(`promotions.status.${state(r)}`)}</td><td>${r.version === null ? '—' : `v${r.version}`}</td><td>${r.reason ?? ''}</td><td>${time(env, r.at)}</td></tr>`,
  )}</tbody></table>`;
}
