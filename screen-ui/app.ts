/**
 * The shopper's touchscreen. Renders the kiosk's ScreenView (pushed over the WebSocket at /ws) and sends taps as
 * commands. It keeps no state of its own that matters: a reload shows exactly what the kiosk says now.
 */
import { promptText, t, type StringKey } from './i18n.js';
import type { ClientMessage, Lang, ScreenCommand, ScreenView, ServerMessage, ViewLine, ViewOrder } from '../protocol/screen.js';

const app = document.getElementById('app')!;
let view: ScreenView | null = null;
let socket: WebSocket | null = null;
let nextId = 1;
let pin = '';
let connected = false;
/** The kiosk refused an attendant command from this page (not its attendant session, e.g. it timed out): said until the next tap. */
let refused = false;

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

function money(v: ScreenView, amount: number): string {
  const { code, minorUnits } = v.currency;
  const sym = code === 'CNY' ? '¥' : code === 'EUR' ? '€' : code === 'USD' ? '$' : `${code} `;
  const sign = amount < 0 ? '-' : '';
  const abs = Math.abs(amount);
  const scale = 10 ** minorUnits;
  const major = Math.floor(abs / scale);
  return minorUnits === 0 ? `${sign}${sym}${major}` : `${sign}${sym}${major}.${String(abs % scale).padStart(minorUnits, '0')}`;
}

const txt = (v: ScreenView, key: StringKey) => esc(t(key, v.lang));
const local = (v: ScreenView, text: Record<string, string>) => esc(text[v.lang] ?? text.en ?? Object.values(text)[0] ?? '');

function send(command: ScreenCommand): void {
  if (!socket || socket.readyState !== WebSocket.OPEN) return;
  const m: ClientMessage = { type: 'command', id: nextId++, command };
  socket.send(JSON.stringify(m));
}

function button(cmd: ScreenCommand, label: string, cls = '', test = ''): string {
  return `<button class="btn ${cls}" data-cmd='${esc(JSON.stringify(cmd))}'${test ? ` data-test="${test}"` : ''}>${label}</button>`;
}

function header(v: ScreenView): string {
  const langs = v.languages
    .map((l: Lang) => button({ kind: 'language', lang: l }, l === 'zh-CN' ? '中文' : 'English', l === v.lang ? 'lang active' : 'lang', `lang-${l}`))
    .join('');
  const staff = v.attendant.active ? '' : button({ kind: 'attendant_open' }, txt(v, 'attendant'), 'staff', 'attendant-open');
  const help = v.screen === 'lane_closed' || v.screen === 'out_of_service' ? '' : button({ kind: 'help' }, txt(v, 'help'), 'help', 'help');
  const logo = v.branding.logoUrl ? `<img class="logo" data-test="logo" src="${esc(v.branding.logoUrl)}" alt="" />` : '';
  return `<header data-test="header"><div class="store">${logo}<span data-test="store-name">${esc(v.storeName)}</span></div><div class="tools">${langs}${help}${staff}</div></header>`;
}

/** Which step of scan → pay → receipt a screen belongs to (none: out of service, lane closed). */
function step(screen: ScreenView['screen']): 'scan' | 'pay' | 'receipt' | null {
  if (screen === 'payment_method' || screen === 'paying' || screen === 'checking_payment') return 'pay';
  if (screen === 'receipt_choice' || screen === 'thank_you') return 'receipt';
  if (screen === 'out_of_service' || screen === 'lane_closed') return null;
  return 'scan';
}

/** The progress strip under the header: scan → pay → receipt, the current step lit, the ones before done. */
function progress(v: ScreenView): string {
  const now = step(v.screen);
  if (!now) return '';
  const steps = ['scan', 'pay', 'receipt'] as const;
  const at = steps.indexOf(now);
  return `<ol class="progress" data-test="progress" data-step="${now}">${steps
    .map((s, i) => `<li class="${i < at ? 'done' : i === at ? 'current' : ''}"${i === at ? ' aria-current="step"' : ''}><span class="step-no">${i + 1}</span>${txt(v, `step_${s}`)}</li>`)
    .join('')}</ol>`;
}

/** The "scan here" pictogram: a barcode under a sweeping scanner beam, pointing down to the scanner window. */
function scanHere(v: ScreenView, big: boolean, label: StringKey = big ? 'scan_hint' : 'scan_here'): string {
  const bars = [0, 7, 11, 18, 25, 29, 36, 42, 49, 53, 60, 67, 71, 78, 84, 90]
    .map((x, i) => `<rect x="${18 + x}" y="14" width="${i % 3 === 0 ? 5 : 3}" height="44"></rect>`)
    .join('');
  const icon = `<svg class="scan-icon" viewBox="0 0 128 96" aria-hidden="true"><rect class="label" x="6" y="6" width="116" height="60" rx="6"></rect><g class="bars">${bars}</g><rect class="beam" x="2" y="34" width="124" height="4" rx="2"></rect><path class="arrow" d="M52 72h24v8h10L64 94 42 80h10z"></path></svg>`;
  return `<div class="scan-here${big ? ' big' : ''}" data-test="scan-here">${icon}<span>${txt(v, label)}</span></div>`;
}

/** The last scanned line (id and quantity) already shown: only a new scan flashes it, not every re-render. */
let shownLast: string | null = null;
let flashLast = false;

/** Items in the basket as the shopper counts them: units of counted lines, one per weighed or labelled line. */
const itemCount = (o: ViewOrder) => o.lines.reduce((n, l) => n + (l.weightGrams === null ? l.quantity : 1), 0);

function lineRow(v: ScreenView, l: ViewLine, removable: boolean, lastId: string | null): string {
  const qty = l.weightGrams !== null ? `${(l.weightGrams / 1000).toFixed(3)} kg × ${money(v, l.unitPrice)}/kg` : `× ${l.quantity}`;
  const tags = [
    !l.approved ? `<span class="tag warn">${txt(v, 'age_check')}</span>` : '',
    l.voidRequested ? `<span class="tag warn">${txt(v, 'remove_requested')}</span>` : '',
  ].join('');
  const remove = removable && !l.voidRequested ? button({ kind: 'request_void', lineId: l.lineId }, txt(v, 'remove'), 'small', `remove-${l.lineId}`) : '';
  const discount = l.discount > 0 ? `<div class="line-discount">−${money(v, l.discount)}</div>` : '';
  const last = lastId === l.lineId;
  return `<li class="line${last ? ` last${flashLast ? ' arrived' : ''}` : ''}" data-test="line" data-line="${esc(l.lineId)}"${last ? ' data-last="true"' : ''}><div class="line-main"><span class="line-name" data-test="line-name">${local(v, l.name)}</span>${tags}<span class="line-qty">${qty}</span></div><div class="line-price"><span data-test="line-amount">${money(v, l.gross)}</span>${discount}${remove}</div></li>`;
}

function basket(v: ScreenView, o: ViewOrder | null, removable: boolean): string {
  if (!o || o.lines.length === 0) return `<div class="basket empty">${scanHere(v, true)}</div>`;
  return `<ul class="basket" data-test="basket">${o.lines.map((l) => lineRow(v, l, removable, o.lastLineId)).join('')}</ul>`;
}

/** The member's type, the points available, what this order uses, and the "Use points" button when redemption is on. */
function memberPoints(v: ScreenView, o: ViewOrder): string {
  const m = o.member;
  if (!m) return '';
  const used = o.pointsRedeemed ?? 0;
  const info = `<div class="row member-points" data-test="member-points"><span data-test="member-type" data-type="${esc(m.customerType)}">${txt(v, `type_${m.customerType}`)}</span><span>${txt(v, 'points_available')} <span data-test="points-available">${m.available}</span></span></div>`;
  // the amount itself is listed with the discounts (pricing's `points` discount)
  const usedRow = used > 0 ? `<div class="row member-points" data-test="points-used"><span>${txt(v, 'points_used')}</span><span>${used} ${txt(v, 'points')}</span></div>` : '';
  const btn = !m.canRedeem ? '' : used > 0 ? button({ kind: 'use_points', use: false }, txt(v, 'dont_use_points'), 'secondary', 'dont-use-points') : m.available > 0 ? button({ kind: 'use_points', use: true }, txt(v, 'use_points'), 'secondary', 'use-points') : '';
  return `${info}${usedRow}${btn}`;
}

function totals(v: ScreenView, o: ViewOrder | null): string {
  if (!o) return '';
  const discounts = o.discounts
    .map((d) => `<div class="row promo" data-test="promotion"><span>${local(v, d.label)}</span><span>−${money(v, d.amount)}</span></div>`)
    .join('');
  const member = o.memberId ? `<div class="row member" data-test="member"><span>${txt(v, 'member')} ${esc(o.memberId.slice(-4))}</span><span>${o.pointsEarned ? `+${o.pointsEarned} ${txt(v, 'points')}` : ''}</span></div>${memberPoints(v, o)}` : '';
  const savings = o.discountTotal > 0 ? `<div class="row savings" data-test="savings"><span>${txt(v, 'savings')}</span><span>${money(v, o.discountTotal)}</span></div>` : '';
  const count = `<div class="row count"><span>${txt(v, 'items')}</span><span data-test="item-count">${itemCount(o)}</span></div>`;
  return `<section class="totals">${count}${member}<div class="row"><span>${txt(v, 'subtotal')}</span><span data-test="subtotal">${money(v, o.subtotal)}</span></div>${discounts}${savings}<div class="row total"><span>${txt(v, 'total')}</span><span data-test="total">${money(v, o.total)}</span></div></section>`;
}

function message(v: ScreenView): string {
  return v.message ? `<div class="message" role="alert" data-test="message" data-code="${esc(v.message.code)}">${local(v, v.message.text)}</div>` : '';
}

function methodLabel(v: ScreenView, m: string): string {
  return m === 'card' ? txt(v, 'method_card') : m === 'qr' ? txt(v, 'method_qr') : m === 'qr_merchant' ? txt(v, 'method_qr_merchant') : m === 'cash' ? txt(v, 'method_cash') : esc(m);
}

function main(v: ScreenView): string {
  const o = v.order;
  switch (v.screen) {
    case 'welcome':
      return `<main class="center welcome" data-screen="welcome"><h1>${txt(v, 'welcome_title')}</h1>${scanHere(v, true, 'scan_here')}<p class="hint">${txt(v, 'welcome_hint')}</p>${message(v)}${button({ kind: 'start' }, txt(v, 'start'), 'primary huge', 'start')}</main>`;
    case 'scanning':
      return `<main class="split" data-screen="scanning"><div class="left">${message(v)}${basket(v, o, true)}</div><aside class="right">${o && o.lines.length > 0 ? scanHere(v, false) : ''}${totals(v, o)}${o && o.lines.length > 0 ? button({ kind: 'checkout' }, txt(v, 'pay'), 'primary huge', 'checkout') : ''}</aside></main>`;
    case 'attendant_wait': {
      const age = o?.pending.some((p) => p.kind === 'age_check');
      return `<main class="split" data-screen="attendant_wait"><div class="left"><div class="banner warn" data-test="wait-attendant">${txt(v, age ? 'wait_attendant_age' : 'wait_attendant')}</div>${message(v)}${basket(v, o, false)}</div><aside class="right">${totals(v, o)}</aside></main>`;
    }
    case 'idle_prompt':
      return `<main class="center" data-screen="idle_prompt"><h1>${txt(v, 'still_there')}</h1>${button({ kind: 'still_here' }, txt(v, 'continue'), 'primary huge', 'still-here')}</main>`;
    case 'payment_method':
      return `<main class="split" data-screen="payment_method"><div class="left"><h1>${txt(v, 'choose_method')}</h1>${message(v)}<div class="methods">${v.methods
        .map((m) => button({ kind: 'pay', method: m }, methodLabel(v, m), `method method-${esc(m)}`, `pay-${esc(m)}`))
        .join('')}</div>${button({ kind: 'back_to_shopping' }, txt(v, 'back'), 'secondary', 'back')}</div><aside class="right">${totals(v, o)}<div class="row due"><span>${txt(v, 'amount_due')}</span><span data-test="due">${o ? money(v, o.due) : ''}</span></div></aside></main>`;
    case 'paying': {
      const p = v.paying;
      const qr = p?.qrSvg ? `<div class="qr big" data-test="merchant-qr">${p.qrSvg}</div>` : '';
      const side = `<div class="pay-side"><p class="prompt" data-test="prompt" data-prompt="${esc(p?.prompt ?? '')}">${p?.prompt ? esc(promptText(p.prompt, v.lang)) : txt(v, 'paying')}</p><p class="amount" data-test="paying-amount">${o ? money(v, o.due) : ''}</p>${button({ kind: 'cancel_payment' }, txt(v, 'cancel_payment'), 'secondary', 'cancel-payment')}</div>`;
      return `<main class="center paying${qr ? ' with-qr' : ''}" data-screen="paying"><h1 data-test="paying-title">${p ? methodLabel(v, p.method) : ''}</h1><div class="pay-body">${qr}${side}</div></main>`;
    }
    case 'checking_payment':
      return `<main class="center" data-screen="checking_payment"><div class="spinner"></div><h1 data-test="checking">${txt(v, 'checking_title')}</h1><p class="hint">${txt(v, 'checking_hint')}</p><p class="amount">${o ? money(v, o.total) : ''}</p></main>`;
    case 'receipt_choice': {
      const r = v.receipt!;
      return `<main class="center" data-screen="receipt_choice"><h1 data-test="paid">${txt(v, 'paid_title')}</h1><p class="amount" data-test="paid-total">${money(v, r.total)}</p><p>${txt(v, 'receipt_question')}</p><div class="methods">${button({ kind: 'receipt', choice: 'print' }, txt(v, 'receipt_print'), 'primary', 'receipt-print')}${button({ kind: 'receipt', choice: 'e_receipt' }, txt(v, 'receipt_e'), 'primary', 'receipt-e')}${button({ kind: 'receipt', choice: 'none' }, txt(v, 'receipt_none'), 'secondary', 'receipt-none')}</div></main>`;
    }
    case 'thank_you': {
      const r = v.receipt!;
      const extra =
        r.choice === 'print'
          ? r.printed === 'failed'
            ? `<p class="banner warn" data-test="print-failed">${txt(v, 'print_failed')}</p>${r.qrSvg ? `<div class="qr" data-test="e-receipt-qr">${r.qrSvg}</div><p>${txt(v, 'scan_e_receipt')}</p>` : ''}`
            : `<p data-test="take-receipt" data-printed="${esc(r.printed ?? '')}">${txt(v, 'take_receipt')}</p>`
          : r.choice === 'e_receipt' && r.qrSvg
            ? `<div class="qr" data-test="e-receipt-qr">${r.qrSvg}</div><p>${txt(v, 'scan_e_receipt')}</p>`
            : '';
      const no = r.receiptNo !== null ? `<p class="hint">${txt(v, 'receipt_no')} <span data-test="receipt-no">${r.receiptNo}</span></p>` : '';
      return `<main class="center" data-screen="thank_you"><h1 data-test="thank-you">${txt(v, 'thank_you')}</h1>${extra}${no}${button({ kind: 'done' }, txt(v, 'done'), 'secondary', 'done')}</main>`;
    }
    case 'out_of_service': {
      const s = v.outOfService;
      return `<main class="center oos" data-screen="out_of_service"><h1 data-test="out-of-service">${txt(v, 'out_of_service')}</h1><p>${s?.message ? local(v, s.message) : txt(v, 'out_of_service_hint')}</p><div class="staff-info"><strong>${txt(v, 'staff_reason')}:</strong> <span data-test="oos-reasons">${esc((s?.reasons ?? []).join('; '))}</span></div></main>`;
    }
    case 'lane_closed':
      return `<main class="center oos" data-screen="lane_closed"><h1>${txt(v, 'lane_closed')}</h1><p>${txt(v, 'out_of_service_hint')}</p>${v.laneClosed ? `<div class="staff-info"><strong>${txt(v, 'staff_reason')}:</strong> <span data-test="lane-closed-reason">${esc(v.laneClosed.reason)}</span></div>` : ''}</main>`;
  }
}

function pinPad(v: ScreenView): string {
  const keys = ['1', '2', '3', '4', '5', '6', '7', '8', '9', 'C', '0', 'OK'];
  const e = v.attendant.error;
  // a badge alone opened attendant mode: a money action asks for the badge holder's own PIN first
  const err = v.attendant.lockedUntil
    ? txt(v, 'pin_locked')
    : e === 'wrong_pin' || e === 'bad_input'
      ? txt(v, 'pin_wrong')
      : e === 'pin_required'
        ? txt(v, 'pin_required')
        : e === 'badge_ambiguous'
          ? txt(v, 'badge_ambiguous')
          : e === 'unknown_badge' || e === 'badge_locked' || e === 'badge_busy'
            ? txt(v, 'badge_refused')
            : '';
  return `<div class="overlay" data-test="pin-pad" role="dialog" aria-modal="true" aria-labelledby="pin-title"><div class="panel"><h2 id="pin-title">${txt(v, 'pin_title')}</h2><div class="pin-dots" data-test="pin-dots">${'●'.repeat(pin.length) || '&nbsp;'}</div><p class="error" data-test="pin-error" data-error="${esc(e ?? '')}">${err}</p><div class="keys">${keys
    .map((k) => `<button class="btn key" data-key="${k}" data-test="key-${k}">${k === 'C' ? txt(v, 'clear') : k === 'OK' ? txt(v, 'ok') : k}</button>`)
    .join('')}</div>${button({ kind: 'attendant_close' }, txt(v, 'close'), 'secondary', 'pin-close')}</div></div>`;
}

function attendantOrderTab(v: ScreenView): string {
  const o = v.order;
  const reqs = (o?.pending ?? []).map((p) => {
    const line = p.lineId ? o!.lines.find((l) => l.lineId === p.lineId) : undefined;
    const what = p.kind === 'age_check' ? `${txt(v, 'req_age_check')} ${p.ageLimit ?? ''}+` : p.kind === 'void' ? txt(v, 'req_void') : txt(v, 'req_help');
    return `<li data-test="request">${what}${line ? ` — ${local(v, line.name)}` : ''}</li>`;
  });
  const actions: string[] = [];
  if (o?.state === 'needs_attendant') {
    actions.push(button({ kind: 'attendant_approve' }, txt(v, 'approve'), 'primary', 'att-approve'), button({ kind: 'attendant_reject' }, txt(v, 'reject'), 'secondary', 'att-reject'));
  }
  if (o?.state === 'payment_unknown') {
    reqs.push(`<li data-test="request">${txt(v, 'payment_in_doubt')}: ${o.unknownPayment ? `${methodLabel(v, o.unknownPayment.method)} ${money(v, o.unknownPayment.amount)}` : ''}</li>`);
    actions.push(
      button({ kind: 'attendant_recheck' }, txt(v, 'recheck'), 'primary', 'att-recheck'),
      button({ kind: 'attendant_resolve', outcome: 'approved' }, txt(v, 'resolve_paid'), 'secondary', 'att-resolve-approved'),
      button({ kind: 'attendant_resolve', outcome: 'declined' }, txt(v, 'resolve_declined'), 'secondary', 'att-resolve-declined'),
    );
  }
  if (o && ['idle', 'shopping', 'needs_attendant', 'idle_prompt', 'awaiting_payment'].includes(o.state) && o.paid === 0) {
    actions.push(button({ kind: 'attendant_cancel_order' }, txt(v, 'cancel_order'), 'danger', 'att-cancel'));
  }
  const voidable = o && (o.state === 'shopping' || o.state === 'needs_attendant');
  const lines = voidable
    ? `<ul class="att-lines">${o.lines
        .map(
          (l) =>
            `<li><span>${local(v, l.name)} ${l.weightGrams !== null ? `${(l.weightGrams / 1000).toFixed(3)} kg` : `× ${l.quantity}`}</span><span>${money(v, l.net)}</span>${button({ kind: 'attendant_void_line', lineId: l.lineId }, txt(v, 'void_line'), 'small danger', `att-void-${l.lineId}`)}</li>`,
        )
        .join('')}</ul>`
    : '';
  return `${message(v)}<h3>${txt(v, 'pending_requests')}</h3><ul class="requests">${reqs.join('') || `<li>${txt(v, 'nothing_pending')}</li>`}</ul><div class="methods">${actions.join('')}</div>${lines}`;
}

/** Lines the attendant picked for a partial refund (per order), kept on this page only until sent. */
const refundPick = new Map<string, Set<string>>();

/**
 * The Return form open on this page (one order at a time): the lines picked (none: the whole order), the reason, and
 * the return id made once when the form opened — every tap of Confirm sends the same id, so a double tap is one
 * return (the kiosk pays it back once). It closes when the kiosk's answer for that return id arrives.
 */
let returnForm: { orderId: string; returnId: string; picks: Set<string>; reason: string | null; supervisorPin: string } | null = null;

function newReturnId(): string {
  // the screen is served from 127.0.0.1, a secure context: randomUUID is there
  return `lane-${crypto.randomUUID()}`;
}

function returnFormView(v: ScreenView, o: NonNullable<ScreenView['attendant']['orders']>[number]): string {
  const f = returnForm!;
  const policy = v.attendant.returns!;
  const left = o.total - o.refunded;
  const lines = o.lines
    .map((l) => {
      const chosen = f.picks.has(l.lineId);
      const label = `${local(v, l.name)} ${l.weightGrams !== null ? `${(l.weightGrams / 1000).toFixed(3)} kg` : `× ${l.quantity}`} · ${money(v, l.net)}${l.refunded ? ` · ${txt(v, 'refunded')}` : ''}`;
      return `<button class="btn ${l.refunded ? 'pick done' : chosen ? 'pick chosen' : 'pick'}" data-ret-pick="${esc(l.lineId)}" data-test="ret-pick-${esc(l.lineId)}"${l.refunded ? ' disabled' : ''}>${label}</button>`;
    })
    .join('');
  const reasons = policy.reasons
    .map((r) => `<button class="btn pick${f.reason === r.id ? ' chosen' : ''}" data-ret-reason="${esc(r.id)}" data-test="ret-reason-${esc(r.id)}">${local(v, r.label)}</button>`)
    .join('');
  const amount = f.picks.size > 0 ? o.lines.filter((l) => f.picks.has(l.lineId)).reduce((n, l) => n + l.net, 0) : left;
  // a supervisor store and an attendant who is not one: a supervisor types their own PIN on the form
  const needsSupervisor = policy.approval === 'supervisor' && !policy.canApprove;
  const ready = f.reason !== null && amount > 0 && (policy.canApprove || (needsSupervisor && f.supervisorPin.length >= 4));
  const cmd: ScreenCommand = {
    kind: 'attendant_return',
    orderId: o.id,
    returnId: f.returnId,
    reason: f.reason ?? '',
    ...(f.picks.size > 0 ? { lineIds: [...f.picks] } : {}),
  };
  const supervisorPad = needsSupervisor
    ? `<h3>${txt(v, 'return_supervisor_pin')}</h3><div class="pin-dots" data-test="sup-dots">${'●'.repeat(f.supervisorPin.length) || '&nbsp;'}</div><div class="picks">${['1', '2', '3', '4', '5', '6', '7', '8', '9', '0', 'C']
        .map((k) => `<button class="btn pick" data-sup-key="${k}" data-test="sup-key-${k}">${k === 'C' ? txt(v, 'clear') : k}</button>`)
        .join('')}</div>`
    : '';
  const confirm = `<button class="btn danger" data-cmd='${esc(JSON.stringify(cmd))}' data-test="ret-confirm"${ready ? '' : ' disabled'}>${txt(v, 'return_confirm')}</button>`;
  const why = policy.why ? `<p class="banner warn" data-test="ret-why">${local(v, policy.why)}</p>` : '';
  return `<div class="return-form" data-test="return-form" data-return-id="${esc(f.returnId)}"><h3>${txt(v, 'return_title')} · ${txt(v, 'receipt_no')} ${o.receiptNo ?? ''}</h3>${why}<p class="hint">${txt(v, 'return_pick_hint')} · ${txt(v, 'return_window')} ${policy.days}</p><div class="picks">${lines}</div><h3>${txt(v, 'return_reason')}</h3><div class="picks" data-test="ret-reasons">${reasons}</div><div class="row"><span>${txt(v, 'return_amount')}${f.picks.size === 0 ? ` (${txt(v, 'return_whole')})` : ''}</span><strong data-test="ret-amount">${money(v, amount)}</strong></div><div class="row"><span>${txt(v, 'return_to')}</span><span data-test="ret-methods">${o.methods.map((m) => methodLabel(v, m)).join(' + ')}</span></div>${supervisorPad}<div class="methods">${confirm}<button class="btn secondary" data-ret-cancel="1" data-test="ret-cancel">${txt(v, 'return_cancel')}</button></div></div>`;
}

/** The refunds in doubt: one row each with the attendant's two decisions; the terminal is asked first. */
function refundsInDoubtView(v: ScreenView): string {
  const rows = v.attendant.refundsInDoubt ?? [];
  if (rows.length === 0) return '';
  const items = rows
    .map(
      (r) =>
        `<li class="past-order" data-test="refund-in-doubt" data-attempt="${esc(r.refundAttemptId)}"><div class="row"><strong>${txt(v, 'receipt_no')} ${r.receiptNo ?? ''}</strong><span>${methodLabel(v, r.method)}</span><span data-test="doubt-amount">${money(v, r.amount)}</span>${r.returnId ? `<span>${txt(v, 'return_no')} ${esc(r.returnId)}</span>` : ''}</div><div class="methods">${button(
          { kind: 'attendant_refund_decide', refundAttemptId: r.refundAttemptId, outcome: 'refunded' },
          txt(v, 'refund_decide_refunded'),
          'secondary',
          'att-doubt-refunded',
        )}${button({ kind: 'attendant_refund_decide', refundAttemptId: r.refundAttemptId, outcome: 'not_refunded' }, txt(v, 'refund_decide_not_refunded'), 'secondary', 'att-doubt-not-refunded')}</div></li>`,
    )
    .join('');
  return `<div class="banner warn" data-test="refunds-in-doubt"><h3>${txt(v, 'refunds_in_doubt')}</h3>${button({ kind: 'attendant_refund_recheck' }, txt(v, 'recheck'), 'primary', 'att-doubt-recheck')}<ul class="past-orders">${items}</ul></div>`;
}

function attendantOrdersTab(v: ScreenView): string {
  const orders = v.attendant.orders ?? [];
  const doubt = refundsInDoubtView(v);
  if (orders.length === 0) return `${doubt}<p class="hint">${txt(v, 'no_orders')}</p>`;
  return `${doubt}<ul class="past-orders" data-test="past-orders">${orders
    .map((o) => {
      const pick = refundPick.get(o.id) ?? new Set<string>();
      const left = o.total - o.refunded;
      const head = `<div class="row"><strong>${txt(v, 'receipt_no')} ${o.receiptNo ?? ''}</strong><span>${o.methods.map((m) => methodLabel(v, m)).join(' + ')}</span><span data-test="past-total">${money(v, o.total)}</span>${o.refunded > 0 ? `<span class="tag warn" data-test="past-refunded">${txt(v, 'refunded')} ${money(v, o.refunded)}</span>` : ''}${o.receiptPrint ? `<span class="tag warn" data-test="past-receipt-${o.receiptPrint}">${txt(v, o.receiptPrint === 'in_doubt' ? 'receipt_in_doubt' : 'receipt_pending')}</span>` : ''}</div>`;
      if (returnForm?.orderId === o.id && v.attendant.returns) return `<li class="past-order" data-test="past-order" data-order="${esc(o.id)}">${head}${returnFormView(v, o)}</li>`;
      const lines = o.lines
        .map((l) => {
          const chosen = pick.has(l.lineId);
          const cls = l.refunded ? 'pick done' : chosen ? 'pick chosen' : 'pick';
          const label = `${local(v, l.name)} ${l.weightGrams !== null ? `${(l.weightGrams / 1000).toFixed(3)} kg` : `× ${l.quantity}`} · ${money(v, l.net)}${l.refunded ? ` · ${txt(v, 'refunded')}` : ''}`;
          return `<button class="btn ${cls}" data-pick="${esc(o.id)}|${esc(l.lineId)}" data-test="pick-${esc(l.lineId)}"${l.refunded ? ' disabled' : ''}>${label}</button>`;
        })
        .join('');
      const actions = [
        button({ kind: 'attendant_reprint', orderId: o.id }, txt(v, 'reprint'), 'secondary', 'att-reprint'),
        left > 0 && pick.size > 0 ? button({ kind: 'attendant_refund', orderId: o.id, lineIds: [...pick] }, `${txt(v, 'refund_selected')} (${pick.size})`, 'danger', 'att-refund-lines') : '',
        left > 0 ? button({ kind: 'attendant_refund', orderId: o.id }, `${txt(v, 'refund_all')} ${money(v, left)}`, 'danger', 'att-refund-all') : '',
        left > 0 && v.attendant.returns ? `<button class="btn primary" data-ret-open="${esc(o.id)}" data-test="att-return">${txt(v, 'return_start')}</button>` : '',
      ].join('');
      return `<li class="past-order" data-test="past-order" data-order="${esc(o.id)}">${head}<div class="picks">${lines}</div><div class="methods">${actions}</div></li>`;
    })
    .join('')}</ul>`;
}

function attendantLaneTab(v: ScreenView): string {
  const lane = v.laneClosed
    ? `<p class="banner warn" data-test="lane-state" data-open="false">${txt(v, 'lane_is_closed')}: ${esc(v.laneClosed.reason)}</p>${button({ kind: 'attendant_lane', open: true }, txt(v, 'open_lane'), 'primary', 'att-lane-open')}`
    : `<p data-test="lane-state" data-open="true">${txt(v, 'lane_is_open')}</p>${button({ kind: 'attendant_lane', open: false }, txt(v, 'close_lane'), 'danger', 'att-lane-close')}`;
  const h = v.attendant.health;
  const rows = h
    ? `<table class="health" data-test="health" data-ok="${h.ok}"><tbody>${h.rows
        .map((r) => `<tr class="${r.ok ? 'ok' : r.required ? 'fail' : 'warn'}" data-test="health-row"><td>${r.ok ? 'PASS' : r.required ? 'FAIL' : 'WARN'}</td><td>${esc(r.check)}</td><td>${esc(r.reason)}</td></tr>`)
        .join('')}</tbody></table>`
    : '';
  return `<div class="lane-ctl">${lane}</div><h3>${txt(v, 'device_health')}</h3>${rows}${button({ kind: 'attendant_health' }, txt(v, 'check_again'), 'secondary', 'att-health')}`;
}

function attendantPanel(v: ScreenView): string {
  const tabs = (['order', 'orders', 'lane'] as const)
    .map((t) => button({ kind: 'attendant_tab', tab: t }, txt(v, `tab_${t}`), t === v.attendant.tab ? 'tab active' : 'tab', `att-tab-${t}`))
    .join('');
  const notice = v.attendant.notice ? `<p class="notice ${v.attendant.notice.ok ? 'ok' : 'fail'}" data-test="att-notice" data-action="${v.attendant.notice.action}" data-ok="${v.attendant.notice.ok}">${local(v, v.attendant.notice.text)}</p>` : '';
  const health = v.outOfService ? `<p class="staff-info" data-test="att-health">${esc(v.outOfService.reasons.join('; '))}</p>` : '';
  const body = v.attendant.tab === 'orders' ? attendantOrdersTab(v) : v.attendant.tab === 'lane' ? attendantLaneTab(v) : attendantOrderTab(v);
  return `<div class="overlay attendant" data-test="attendant-panel" data-tab="${v.attendant.tab}" role="dialog" aria-modal="true" aria-labelledby="att-title"><div class="panel wide"><h2 id="att-title">${txt(v, 'attendant_mode')} · <span data-test="attendant-id">${esc(v.attendant.attendantId ?? '')}</span></h2>${health}<div class="tabs">${tabs}</div>${notice}${body}${button({ kind: 'attendant_close' }, txt(v, 'close'), 'secondary', 'att-close')}</div></div>`;
}

function render(): void {
  if (!view) return;
  const v = view;
  document.documentElement.lang = v.lang;
  document.body.dataset.screen = v.screen;
  document.body.dataset.lang = v.lang;
  document.body.dataset.seq = String(v.seq);
  // the kiosk answered the open Return form (done, done before, or refused): the form closes, the notice says it
  if (returnForm && (!v.attendant.active || v.attendant.notice?.returnId === returnForm.returnId)) returnForm = null;
  const overlay = v.attendant.pinPad ? pinPad(v) : v.attendant.active ? attendantPanel(v) : '';
  const offline =
    (connected ? '' : `<div class="banner warn offline" data-test="offline">${txt(v, 'offline')}</div>`) +
    (refused ? `<div class="banner warn" role="alert" data-test="not-authorised">${txt(v, 'not_authorised')}</div>` : '');
  // the store's colours (validated hex by the config schema); set through the CSSOM, which the CSP allows
  document.documentElement.style.setProperty('--primary', v.branding.primaryColor);
  document.documentElement.style.setProperty('--accent', v.branding.accentColor);
  const lastLine = v.order?.lines.find((l) => l.lineId === v.order?.lastLineId);
  const lastKey = lastLine ? `${lastLine.lineId}:${lastLine.quantity}` : null;
  flashLast = lastKey !== null && lastKey !== shownLast;
  shownLast = lastKey;
  app.innerHTML = `${header(v)}${progress(v)}${offline}${main(v)}${overlay}`;
  // with a dialog open nothing behind it can be tapped or focused
  if (overlay) for (const el of app.querySelectorAll(':scope > header, :scope > .progress, :scope > main')) el.setAttribute('inert', '');
  // the line just scanned stays in view, however long the basket
  app.querySelector('.line.last')?.scrollIntoView({ block: 'nearest' });
}

app.addEventListener('click', (e) => {
  refused = false;
  const target = (e.target as HTMLElement).closest('button');
  if (!target) return;
  const ret = target.dataset;
  if (ret.retOpen !== undefined || ret.retPick !== undefined || ret.retReason !== undefined || ret.retCancel !== undefined || ret.supKey !== undefined) {
    if (ret.retOpen !== undefined) returnForm = { orderId: ret.retOpen, returnId: newReturnId(), picks: new Set(), reason: null, supervisorPin: '' };
    else if (returnForm && ret.supKey !== undefined) {
      if (ret.supKey === 'C') returnForm.supervisorPin = '';
      else if (returnForm.supervisorPin.length < 12) returnForm.supervisorPin += ret.supKey;
    }
    else if (returnForm && ret.retPick !== undefined) {
      if (returnForm.picks.has(ret.retPick)) returnForm.picks.delete(ret.retPick);
      else returnForm.picks.add(ret.retPick);
    } else if (returnForm && ret.retReason !== undefined) returnForm.reason = ret.retReason;
    else returnForm = null;
    render();
    return;
  }
  const picked = target.dataset.pick;
  if (picked !== undefined) {
    const [orderId, lineId] = picked.split('|');
    const set = refundPick.get(orderId) ?? new Set<string>();
    if (set.has(lineId)) set.delete(lineId);
    else set.add(lineId);
    refundPick.set(orderId, set);
    render();
    return;
  }
  const key = target.dataset.key;
  if (key !== undefined) {
    if (key === 'C') pin = '';
    else if (key === 'OK') {
      if (pin.length > 0) send({ kind: 'attendant_pin', pin });
      pin = '';
    } else if (pin.length < 12) pin += key;
    render();
    return;
  }
  const cmd = target.dataset.cmd;
  if (cmd) {
    const c = JSON.parse(cmd) as ScreenCommand;
    if (c.kind === 'attendant_open' || c.kind === 'attendant_close') pin = '';
    if (c.kind === 'attendant_refund' || c.kind === 'attendant_close') refundPick.clear();
    if (c.kind === 'attendant_close' || c.kind === 'attendant_tab') returnForm = null;
    // the supervisor's PIN joins the command only when it is sent (it is never written into the page)
    if (c.kind === 'attendant_return' && returnForm?.returnId === c.returnId && returnForm.supervisorPin.length > 0) c.supervisorPin = returnForm.supervisorPin;
    send(c);
  }
});

// a rotated or resized screen keeps the line just scanned in view
window.addEventListener('resize', () => app.querySelector('.line.last')?.scrollIntoView({ block: 'nearest' }));

function connect(): void {
  const ws = new WebSocket(`ws://${location.host}/ws`);
  socket = ws;
  ws.onopen = () => {
    connected = true;
  };
  ws.onmessage = (e) => {
    const m = JSON.parse(String(e.data)) as ServerMessage;
    if (m.type === 'view') {
      view = m.view;
      render();
    } else if (m.type === 'result' && !m.ok && /^not_authorised/.test(m.error ?? '')) {
      refused = true;
      render();
    }
  };
  ws.onclose = () => {
    connected = false;
    socket = null;
    render();
    setTimeout(connect, 1000);
  };
}

connect();
