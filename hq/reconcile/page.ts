import { formatMoney, formatTime } from '../console/format';
import { html, csrfField, type Html } from '../console/html';
import type { ConsoleRequest } from '../console/types';
import { DISCREPANCY_KINDS, type DiscrepancyKind, type ReconcileItem } from './items';
import type { RunRow } from './run-store';

export const PAGE_CHANNELS = ['alipay', 'wechat', 'unionpay', 'card'] as const;

export interface PageEnv {
  req: ConsoleRequest;
  timeZone: string;
}

const money = (env: PageEnv, v: number | null | undefined): string => (v === null || v === undefined ? '' : formatMoney(v, 'CNY', env.req.lang));
const channelName = (env: PageEnv, c: string): string => env.req.t(`reconcile.channel.${c}`);

/** The link to a run's page. */
export const runHref = (r: Pick<RunRow, 'channel' | 'day' | 'storeId'>, kind?: string): string =>
  `/reconcile/run?${new URLSearchParams({ channel: r.channel, day: r.day, ...(r.storeId ? { store: r.storeId } : {}), ...(kind ? { kind } : {}) }).toString()}`;

/** Whether a user sees a run's totals: every run for users who see every store; a store manager only their card runs (a wallet bill's totals cover every store). */
export const showsTotals = (env: PageEnv, r: Pick<RunRow, 'storeId'>): boolean => env.req.scope.all || r.storeId !== '';

export function runsTable(env: PageEnv, runs: readonly RunRow[]): Html {
  const t = env.req.t;
  if (runs.length === 0) return html`<p class="muted">${t('reconcile.none')}</p>`;
  return html`<div class="table-wrap"><table id="reconcile-runs">
<thead><tr><th>${t('reconcile.day')}</th><th>${t('reconcile.channel')}</th><th>${t('reconcile.store')}</th><th class="num">${t('reconcile.matched')}</th><th class="num">${t('reconcile.discrepancies')}</th><th class="num">${t('reconcile.expectedFees')}</th><th class="num">${t('reconcile.actualFees')}</th><th class="num">${t('reconcile.settlementChannel')}</th><th class="num">${t('reconcile.settlementJournal')}</th><th>${t('reconcile.runAt')}</th><th>${t('reconcile.runBy')}</th><th></th></tr></thead>
<tbody>${runs.map((r) => {
    const totals = showsTotals(env, r) ? r.totals : null;
    return html`<tr data-channel="${r.channel}" data-day="${r.day}" data-discrepancies="${r.discrepancies}"${r.discrepancies > 0 ? html` class="warn"` : ''}><td>${r.day}</td><td>${channelName(env, r.channel)}</td><td>${r.storeId || t('reconcile.allStores')}</td><td class="num">${r.matched}</td><td class="num">${r.discrepancies}</td><td class="num">${money(env, totals?.fees.expected)}</td><td class="num">${totals ? (totals.fees.actual === null ? t('reconcile.notReported') : money(env, totals.fees.actual)) : ''}</td><td class="num">${totals ? (totals.settlement.channel === null ? t('reconcile.notReported') : money(env, totals.settlement.channel)) : ''}</td><td class="num">${money(env, totals?.settlement.journal)}</td><td>${formatTime(r.runAt, env.timeZone, env.req.lang)}</td><td>${r.runBy}</td><td><a href="${runHref(r)}">${t('reconcile.open')}</a></td></tr>`;
  })}</tbody></table></div>`;
}

export function filterForm(env: PageEnv, f: { channel?: string; day?: string }): Html {
  const t = env.req.t;
  return html`<form method="get" action="/reconcile" class="filters">
<label>${t('reconcile.channel')}<select name="channel"><option value="">${t('reconcile.any')}</option>${PAGE_CHANNELS.map((c) => html`<option value="${c}"${c === f.channel ? html` selected` : ''}>${channelName(env, c)}</option>`)}</select></label>
<label>${t('reconcile.day')}<input type="date" name="day" value="${f.day ?? ''}"></label>
<button type="submit">${t('reconcile.filter')}</button>
</form>`;
}

/** The admin's forms: a bill pasted as text or uploaded as a file (console.js `data-upload`), or a store's card end-of-day. */
export function runForms(env: PageEnv, today: string): Html {
  const t = env.req.t;
  return html`<details class="panel" id="reconcile-upload"><summary>${t('reconcile.upload')}</summary>
<form method="post" action="/reconcile/run">${csrfField(env.req.csrfToken)}
<input type="hidden" name="mode" value="bill">
<p class="muted">${t('reconcile.uploadHint')}</p>
<label>${t('reconcile.channel')}<select name="channel">${PAGE_CHANNELS.filter((c) => c !== 'card').map((c) => html`<option value="${c}">${channelName(env, c)}</option>`)}</select></label>
<label>${t('reconcile.day')}<input type="date" name="day" value="${today}" required></label>
<label>${t('reconcile.bill')}<textarea name="bill" rows="6" cols="100" required></textarea></label>
<button type="submit">${t('reconcile.run')}</button>
</form>
<form method="post" action="/reconcile/upload" data-upload="/reconcile/upload" id="reconcile-file">${csrfField(env.req.csrfToken)}
<p class="muted">${t('reconcile.fileHint')}</p>
<label>${t('reconcile.channel')}<select name="channel">${PAGE_CHANNELS.filter((c) => c !== 'card').map((c) => html`<option value="${c}">${channelName(env, c)}</option>`)}</select></label>
<label>${t('reconcile.day')}<input type="date" name="day" value="${today}" required></label>
<label>${t('reconcile.file')} <input type="file" name="file" required></label>
<button type="submit">${t('reconcile.runFile')}</button>
</form></details>
<details class="panel" id="reconcile-card"><summary>${t('reconcile.cardRun')}</summary>
<form method="post" action="/reconcile/run">${csrfField(env.req.csrfToken)}
<input type="hidden" name="mode" value="card"><input type="hidden" name="channel" value="card">
<label>${t('reconcile.store')}<input name="store" required maxlength="64"></label>
<label>${t('reconcile.day')}<input type="date" name="day" value="${today}" required></label>
<button type="submit">${t('reconcile.run')}</button>
</form></details>`;
}

function kindTabs(env: PageEnv, run: RunRow, counts: Map<DiscrepancyKind, number>, kind: DiscrepancyKind | undefined): Html {
  const t = env.req.t;
  const total = [...counts.values()].reduce((s, n) => s + n, 0);
  return html`<p class="tabs" id="reconcile-kinds">${kind ? html`<a href="${runHref(run)}">${t('reconcile.allKinds')} (${total})</a>` : html`<strong>${t('reconcile.allKinds')} (${total})</strong>`}${DISCREPANCY_KINDS.filter((k) => counts.has(k)).map((k) =>
    k === kind ? html` · <strong>${t(`reconcile.kind.${k}`)} (${counts.get(k) ?? 0})</strong>` : html` · <a href="${runHref(run, k)}">${t(`reconcile.kind.${k}`)} (${counts.get(k) ?? 0})</a>`,
  )}</p>`;
}

function itemRow(env: PageEnv, i: ReconcileItem & { idx: number }): Html {
  const t = env.req.t;
  const kiosk = i.storeId && i.deviceId ? html`<a href="/fleet/${encodeURIComponent(i.storeId)}/${encodeURIComponent(i.deviceId)}">${i.storeId}/${i.deviceId}</a>` : html`—`;
  const order = i.storeId && i.deviceId && i.orderId ? html`<a href="/orders/${encodeURIComponent(i.storeId)}/${encodeURIComponent(i.deviceId)}/${encodeURIComponent(i.orderId)}">${i.orderId.slice(0, 8)}</a>` : html``;
  const count = (n: number | undefined) => (n === undefined ? '' : ` (${n})`);
  return html`<tr data-kind="${i.kind}" data-idx="${i.idx}"><td>${t(`reconcile.kind.${i.kind}`)}</td><td>${kiosk}</td><td>${order}</td><td><code>${i.orderNo ?? i.scheme ?? ''}</code></td><td><code>${i.refundNo ?? ''}</code></td><td class="num">${money(env, i.expectedAmount)}${count(i.expectedCount)}</td><td class="num">${money(env, i.actualAmount)}${count(i.actualCount)}</td><td class="num">${money(env, i.expectedFee)}</td><td class="num">${money(env, i.actualFee)}</td><td>${i.at !== undefined ? formatTime(i.at, env.timeZone, env.req.lang) : ''}</td><td class="num">${i.billLine ?? ''}</td><td>${i.detail ?? ''}</td></tr>`;
}

export function runBody(env: PageEnv, run: RunRow, items: readonly (ReconcileItem & { idx: number })[], counts: Map<DiscrepancyKind, number>, kind: DiscrepancyKind | undefined): Html {
  const t = env.req.t;
  const totals = showsTotals(env, run) ? run.totals : null;
  const n = (v: number | null | undefined) => (v === null || v === undefined ? t('reconcile.notReported') : money(env, v));
  const totalsTable = totals
    ? html`<h2>${t('reconcile.totals')}</h2><div class="table-wrap"><table id="reconcile-totals">
<thead><tr><th>${t('reconcile.side')}</th><th class="num">${t('reconcile.payments')}</th><th class="num">${t('reconcile.refunds')}</th><th class="num">${t('reconcile.fees')}</th><th class="num">${t('reconcile.settlement')}</th></tr></thead>
<tbody><tr data-side="channel"><th>${t('reconcile.atChannel')}</th><td class="num">${money(env, totals.channel.paymentAmount)} (${totals.channel.payments})</td><td class="num">${money(env, totals.channel.refundAmount)} (${totals.channel.refunds})</td><td class="num">${n(totals.fees.actual)}</td><td class="num">${n(totals.settlement.channel)}</td></tr>
<tr data-side="journal"><th>${t('reconcile.inJournal')}</th><td class="num">${money(env, totals.journal.paymentAmount)} (${totals.journal.payments})</td><td class="num">${money(env, totals.journal.refundAmount)} (${totals.journal.refunds})</td><td class="num">${money(env, totals.fees.expected)}</td><td class="num">${money(env, totals.settlement.journal)}</td></tr></tbody></table></div>
<p class="muted">${t('reconcile.rates', { rates: Object.entries(totals.rates).map(([k, v]) => `${k} ${(v / 100).toFixed(2)} %`).join(', ') })}</p>`
    : html`<p class="muted">${t('reconcile.scopedTotals')}</p>`;
  return html`<h1>${t('reconcile.runTitle', { channel: channelName(env, run.channel), day: run.day })}</h1>
<p>${run.storeId ? html`${t('reconcile.store')}: ${run.storeId} · ` : ''}${t('reconcile.matched')}: <strong id="reconcile-matched">${run.matched}</strong> · ${t('reconcile.discrepancies')}: <strong id="reconcile-count">${run.discrepancies}</strong> · ${t('reconcile.runAt')}: ${formatTime(run.runAt, env.timeZone, env.req.lang)} (${run.runBy})${run.source ? html` · ${t('reconcile.source')}: ${run.source}` : ''}</p>
${totalsTable}
<h2>${t('reconcile.discrepancies')}</h2>
${kindTabs(env, run, counts, kind)}
${
  items.length === 0
    ? html`<p class="notice">${t('reconcile.noItems')}</p>`
    : html`<div class="table-wrap"><table id="reconcile-items"><thead><tr><th>${t('reconcile.kind')}</th><th>${t('reconcile.kiosk')}</th><th>${t('reconcile.order')}</th><th>${t('reconcile.orderNo')}</th><th>${t('reconcile.refundNo')}</th><th class="num">${t('reconcile.expected')}</th><th class="num">${t('reconcile.actual')}</th><th class="num">${t('reconcile.expectedFee')}</th><th class="num">${t('reconcile.fee')}</th><th>${t('reconcile.time')}</th><th class="num">${t('reconcile.line')}</th><th>${t('reconcile.detail')}</th></tr></thead>
<tbody>${items.map((i) => itemRow(env, i))}</tbody></table></div>`
}`;
}
