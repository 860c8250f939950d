/**
 * The shopper's touchscreen. Renders the kiosk's ScreenView (pushed over the WebSocket at /ws) and sends taps as
 * commands. It keeps no state of its own that matters: a reload shows exactly what the kiosk says now.
 */
import { t, type StringKey } from './i18n.js';
import type { ClientMessage, Lang, ScreenCommand, ScreenView, ServerMessage, ViewLine, ViewOrder } from './protocol.js';

const app = document.getElementById('app')!;
let view: ScreenView | null = null;
let socket: WebSocket | null = null;
let nextId = 1;
let pin = '';
let connected = false;

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
  const help = v.order || v.screen === 'scanning' ? button({ kind: 'help' }, txt(v, 'help'), 'help', 'help') : '';
  return `<header><div class="store">${esc(v.storeName)}</div><div class="tools">${langs}${help}${staff}</div></header>`;
}

function lineRow(v: ScreenView, l: ViewLine, removable: boolean): string {
  const qty = l.weightGrams !== null ? `${(l.weightGrams / 1000).toFixed(3)} kg` : `× ${l.quantity}`;
  const tags = [
    !l.approved ? `<span class="tag warn">${txt(v, 'age_check')}</span>` : '',
    l.voidRequested ? `<span class="tag warn">${txt(v, 'remove_requested')}</span>` : '',
  ].join('');
  const remove = removable && !l.voidRequested ? button({ kind: 'request_void', lineId: l.lineId }, txt(v, 'remove'), 'small', `remove-${l.lineId}`) : '';
  const discount = l.discount > 0 ? `<div class="line-discount">−${money(v, l.discount)}</div>` : '';
  return `<li class="line" data-test="line" data-line="${esc(l.lineId)}"><div class="line-main"><span class="line-name" data-test="line-name">${local(v, l.name)}</span>${tags}<span class="line-qty">${qty}</span></div><div class="line-price"><span data-test="line-amount">${money(v, l.gross)}</span>${discount}${remove}</div></li>`;
}

function basket(v: ScreenView, o: ViewOrder | null, removable: boolean): string {
  if (!o || o.lines.length === 0) return `<div class="basket empty"><p class="hint">${txt(v, 'scan_hint')}</p></div>`;
  return `<ul class="basket" data-test="basket">${o.lines.map((l) => lineRow(v, l, removable)).join('')}</ul>`;
}

function totals(v: ScreenView, o: ViewOrder | null): string {
  if (!o) return '';
  const discounts = o.discounts
    .map((d) => `<div class="row promo" data-test="promotion"><span>${local(v, d.label)}</span><span>−${money(v, d.amount)}</span></div>`)
    .join('');
  const member = o.memberId ? `<div class="row member" data-test="member"><span>${txt(v, 'member')} ${esc(o.memberId.slice(-4))}</span><span>${o.pointsEarned ? `+${o.pointsEarned} ${txt(v, 'points')}` : ''}</span></div>` : '';
  const savings = o.discountTotal > 0 ? `<div class="row savings" data-test="savings"><span>${txt(v, 'savings')}</span><span>${money(v, o.discountTotal)}</span></div>` : '';
  return `<section class="totals">${member}<div class="row"><span>${txt(v, 'subtotal')}</span><span data-test="subtotal">${money(v, o.subtotal)}</span></div>${discounts}${savings}<div class="row total"><span>${txt(v, 'total')}</span><span data-test="total">${money(v, o.total)}</span></div></section>`;
}

function message(v: ScreenView): string {
  return v.message ? `<div class="message" role="alert" data-test="message" data-code="${esc(v.message.code)}">${local(v, v.message.text)}</div>` : '';
}

function methodLabel(v: ScreenView, m: string): string {
  return m === 'card' ? txt(v, 'method_card') : m === 'qr' ? txt(v, 'method_qr') : m === 'cash' ? txt(v, 'method_cash') : esc(m);
}

function main(v: ScreenView): string {
  const o = v.order;
  switch (v.screen) {
    case 'welcome':
      return `<main class="center welcome" data-screen="welcome"><h1>${txt(v, 'welcome_title')}</h1><p class="hint">${txt(v, 'welcome_hint')}</p>${message(v)}${button({ kind: 'start' }, txt(v, 'start'), 'primary huge', 'start')}</main>`;
    case 'scanning':
      return `<main class="split" data-screen="scanning"><div class="left">${message(v)}${basket(v, o, true)}</div><aside class="right">${totals(v, o)}${o && o.lines.length > 0 ? button({ kind: 'checkout' }, txt(v, 'pay'), 'primary huge', 'checkout') : ''}</aside></main>`;
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
      const key = (p?.prompt ? `prompt_${p.prompt}` : 'paying') as StringKey;
      return `<main class="center" data-screen="paying"><h1>${p ? methodLabel(v, p.method) : ''}</h1><p class="prompt" data-test="prompt" data-prompt="${esc(p?.prompt ?? '')}">${txt(v, key)}</p><p class="amount">${o ? money(v, o.due) : ''}</p></main>`;
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
            ? `<p class="banner warn">${txt(v, 'print_failed')}</p>`
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
      return `<main class="center oos" data-screen="lane_closed"><h1>${txt(v, 'lane_closed')}</h1></main>`;
  }
}

function pinPad(v: ScreenView): string {
  const keys = ['1', '2', '3', '4', '5', '6', '7', '8', '9', 'C', '0', 'OK'];
  const err = v.attendant.lockedUntil ? txt(v, 'pin_locked') : v.attendant.error === 'wrong_pin' || v.attendant.error === 'bad_input' ? txt(v, 'pin_wrong') : '';
  return `<div class="overlay" data-test="pin-pad"><div class="panel"><h2>${txt(v, 'pin_title')}</h2><div class="pin-dots" data-test="pin-dots">${'●'.repeat(pin.length) || '&nbsp;'}</div><p class="error" data-test="pin-error">${err}</p><div class="keys">${keys
    .map((k) => `<button class="btn key" data-key="${k}" data-test="key-${k}">${k === 'C' ? txt(v, 'clear') : k === 'OK' ? txt(v, 'ok') : k}</button>`)
    .join('')}</div>${button({ kind: 'attendant_close' }, txt(v, 'close'), 'secondary', 'pin-close')}</div></div>`;
}

function attendantPanel(v: ScreenView): string {
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
  const health = v.outOfService ? `<p class="staff-info" data-test="att-health">${esc(v.outOfService.reasons.join('; '))}</p>` : '';
  return `<div class="overlay attendant" data-test="attendant-panel"><div class="panel"><h2>${txt(v, 'attendant_mode')} · <span data-test="attendant-id">${esc(v.attendant.attendantId ?? '')}</span></h2>${health}${message(v)}<h3>${txt(v, 'pending_requests')}</h3><ul class="requests">${reqs.join('') || `<li>${txt(v, 'nothing_pending')}</li>`}</ul><div class="methods">${actions.join('')}</div>${button({ kind: 'attendant_close' }, txt(v, 'close'), 'secondary', 'att-close')}</div></div>`;
}

function render(): void {
  if (!view) return;
  const v = view;
  document.documentElement.lang = v.lang;
  document.body.dataset.screen = v.screen;
  document.body.dataset.lang = v.lang;
  document.body.dataset.seq = String(v.seq);
  const overlay = v.attendant.active ? attendantPanel(v) : v.attendant.pinPad ? pinPad(v) : '';
  const offline = connected ? '' : `<div class="banner warn offline" data-test="offline">${txt(v, 'offline')}</div>`;
  app.innerHTML = `${header(v)}${offline}${main(v)}${overlay}`;
}

app.addEventListener('click', (e) => {
  const target = (e.target as HTMLElement).closest('button');
  if (!target) return;
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
    send(c);
  }
});

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
