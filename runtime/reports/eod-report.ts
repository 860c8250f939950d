import type { Minor } from '../../kernel/money';
import type { Order } from '../orders/order';
import type { OrderState } from '../orders/states';
import { finish, MM, newDoc, type PdfFontOptions } from '../receipts/pdf-common';
import { formatRate, methodLabel, money, type DocLocale } from '../../protocol/receipts/receipt-model';

/** Orders whose sale counts: paid and closed (a refund is reported separately, the sale stays a sale). */
const SALE_STATES: readonly OrderState[] = ['completed', 'partially_refunded', 'refunded'];

/** The bounds of a business day: ISO 8601 UTC instants (`from` inclusive, `to` exclusive) and the store's local wall times. */
export interface EodPeriod {
  /** The store's IANA zone, e.g. "Asia/Shanghai". */
  timeZone: string;
  /** The local hour the business day starts (config `reports.dayStartHour`). */
  dayStartHour: number;
  from: string;
  to: string;
  /** `YYYY-MM-DD HH:MM`, local. */
  localFrom: string;
  localTo: string;
  /** 24, or 23 / 25 across a daylight-saving change. */
  hours: number;
}

export interface EodModel {
  date: string;
  /** The business day's bounds; null when the caller gave none (a model over hand-picked orders). */
  period: EodPeriod | null;
  storeId: string;
  deviceId: string;
  currency: string;
  minorUnits: number;
  locale: DocLocale;
  sales: { count: number; amount: Minor };
  refunds: { count: number; amount: Minor };
  /** sales − refunds. */
  net: Minor;
  /** Orders that were cancelled (voided) before completion. */
  cancelledCount: number;
  /** Orders still open (not closed) at report time: listed so nothing goes unnoticed. */
  openCount: number;
  /** Training-mode orders (`kiosk demo --training`): counted here only, never in sales, payments, tax or card totals. */
  trainingCount: number;
  /** Approved amounts per payment method, of the sales orders. Sorted by method. */
  byMethod: { method: string; label: string; count: number; amount: Minor }[];
  /** Per tax class over the sales orders. Sorted by class, then rate. */
  byTaxClass: { taxClass: string; rate: number; base: Minor; tax: Minor }[];
  payments: { attempts: number; approved: number; declined: number; unknown: number; pending: number; successRate: number | null };
  /** Local card totals (approved card payments of all orders) against what the terminal reports. */
  card: {
    /** Card payments not reversed, and their amount net of card refunds — what the terminal settles. */
    local: { count: number; amount: Minor };
    /** `count` is null when the terminal reports only an amount. */
    terminal: { count: number | null; amount: Minor } | null;
    /** terminal − local; null when no terminal totals were given. */
    difference: { count: number | null; amount: Minor } | null;
    matches: boolean | null;
  };
}

export interface EodOptions {
  /** The business day the report covers (the caller passes that day's orders), e.g. '2026-11-21'. */
  date: string;
  /** That day's bounds in the store's zone (runtime/reports/eod-query.ts `businessDayPeriod`). */
  period?: EodPeriod;
  storeId: string;
  deviceId: string;
  /** From the terminal's end-of-day (journaled `terminal_end_of_day`). */
  terminalTotals?: { count?: number | null; amount: Minor };
  currency?: string;
  minorUnits?: number;
  locale?: DocLocale;
}

/** The end-of-day (Z) report over the given orders. Pure. */
export function eodModel(orders: Order[], opts: EodOptions): EodModel {
  const sales = { count: 0, amount: 0 };
  const refunds = { count: 0, amount: 0 };
  let cancelledCount = 0;
  let openCount = 0;
  let trainingCount = 0;
  const byMethod = new Map<string, { count: number; amount: Minor }>();
  const byTax = new Map<string, { taxClass: string; rate: number; base: Minor; tax: Minor }>();
  const attempts = { attempts: 0, approved: 0, declined: 0, unknown: 0, pending: 0 };
  const cardLocal = { count: 0, amount: 0 };
  for (const o of orders) {
    // a training order is no sale: nothing of it (payments, tax, card) reaches the report's totals
    if (o.training) {
      trainingCount += 1;
      continue;
    }
    for (const p of o.payments) {
      attempts.attempts += 1;
      attempts[p.status] += 1;
      if (p.status === 'approved' && p.method === 'card') {
        cardLocal.count += 1;
        cardLocal.amount += p.approvedAmount;
      }
    }
    for (const r of o.refunds) {
      refunds.count += 1;
      refunds.amount += r.amount;
      for (const a of r.allocations ?? []) {
        if (a.method !== 'card') continue;
        cardLocal.amount -= a.amount;
        if (a.via === 'reversal') cardLocal.count -= 1; // a reversed payment is not settled at all
      }
    }
    if (o.state === 'cancelled') {
      cancelledCount += 1;
      continue;
    }
    if (!SALE_STATES.includes(o.state)) {
      openCount += 1;
      continue;
    }
    sales.count += 1;
    sales.amount += o.priced.total;
    for (const p of o.payments.filter((x) => x.status === 'approved')) {
      const e = byMethod.get(p.method) ?? { count: 0, amount: 0 };
      e.count += 1;
      e.amount += p.approvedAmount;
      byMethod.set(p.method, e);
    }
    for (const t of o.priced.taxes) {
      const key = `${t.taxClass}\u0000${t.rate}`;
      const e = byTax.get(key) ?? { taxClass: t.taxClass, rate: t.rate, base: 0, tax: 0 };
      e.base += t.base;
      e.tax += t.tax;
      byTax.set(key, e);
    }
  }
  const locale = opts.locale ?? 'zh-CN';
  const terminal = opts.terminalTotals ? { count: opts.terminalTotals.count ?? null, amount: opts.terminalTotals.amount } : null;
  const difference = terminal ? { count: terminal.count === null ? null : terminal.count - cardLocal.count, amount: terminal.amount - cardLocal.amount } : null;
  return {
    date: opts.date,
    period: opts.period ? { ...opts.period } : null,
    storeId: opts.storeId,
    deviceId: opts.deviceId,
    currency: opts.currency ?? 'CNY',
    minorUnits: opts.minorUnits ?? 2,
    locale,
    sales,
    refunds,
    net: sales.amount - refunds.amount,
    cancelledCount,
    openCount,
    trainingCount,
    byMethod: [...byMethod.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([method, v]) => ({ method, label: methodLabel(method, locale), ...v })),
    byTaxClass: [...byTax.values()].sort((a, b) => a.taxClass.localeCompare(b.taxClass) || a.rate - b.rate),
    payments: { ...attempts, successRate: attempts.attempts === 0 ? null : attempts.approved / attempts.attempts },
    card: {
      local: cardLocal,
      terminal: terminal ? { ...terminal } : null,
      difference,
      matches: difference ? (difference.count ?? 0) === 0 && difference.amount === 0 : null,
    },
  };
}

export const EOD_LABELS = {
  'zh-CN': {
    title: '日结报表 (Z)',
    date: '日期',
    period: '营业时段',
    store: '门店 / 设备',
    sales: '销售',
    refunds: '退款',
    net: '净额',
    cancelled: '取消/作废订单',
    open: '未结订单',
    training: '培训订单 (不计入)',
    byMethod: '按付款方式',
    byTax: '按税类',
    base: '税基',
    tax: '税',
    payments: '付款尝试',
    successRate: '成功率',
    approved: '成功',
    declined: '拒绝',
    unknown: '未知',
    card: '银行卡对账',
    local: '本机',
    terminal: '终端',
    difference: '差额',
    noTerminal: '未提供终端汇总',
    count: '笔',
  },
  en: {
    title: 'End of day report (Z)',
    date: 'Date',
    period: 'Business day',
    store: 'Store / device',
    sales: 'Sales',
    refunds: 'Refunds',
    net: 'Net',
    cancelled: 'Cancelled / voided orders',
    open: 'Open orders',
    training: 'Training orders (not counted)',
    byMethod: 'By payment method',
    byTax: 'By tax class',
    base: 'base',
    tax: 'tax',
    payments: 'Payment attempts',
    successRate: 'Success rate',
    approved: 'approved',
    declined: 'declined',
    unknown: 'unknown',
    card: 'Card reconciliation',
    local: 'Local',
    terminal: 'Terminal',
    difference: 'Difference',
    noTerminal: 'no terminal totals given',
    count: 'tx',
  },
} as const;

export const formatPercent = (r: number | null) => (r === null ? '-' : `${(r * 100).toFixed(1)}%`);

/** The Z report as an A4 PDF; a non-zero card difference is printed in red. */
export async function renderEodPdf(model: EodModel, opts: PdfFontOptions = {}): Promise<Buffer> {
  const L = EOD_LABELS[model.locale];
  const m = (v: Minor) => money(model, v);
  const margin = 15 * MM;
  const doc = await newDoc(opts);
  doc.addPage({ size: 'A4', margin });
  doc.info.Title = `${L.title} ${model.storeId} ${model.deviceId} ${model.date}`;
  const x = margin;
  const width = doc.page.width - 2 * margin;
  const row = (left: string, right: string, color = 'black') => {
    const y = doc.y;
    doc.fontSize(10).fillColor(color);
    const rw = doc.widthOfString(right);
    doc.text(right, x + width - rw, y, { width: rw + 1, lineBreak: false });
    doc.text(left, x, y, { width: width - rw - 10 });
    doc.fillColor('black');
    doc.y = Math.max(doc.y, y + doc.currentLineHeight()) + 2;
  };
  const heading = (text: string) => {
    doc.moveDown(0.5).fontSize(12).fillColor('black').text(text, x, doc.y, { width });
    const y = doc.y + 1;
    doc.moveTo(x, y).lineTo(x + width, y).lineWidth(0.5).stroke();
    doc.y = y + 4;
  };

  doc.fontSize(18).text(L.title, x, margin, { width, align: 'center' });
  doc.moveDown(0.5);
  row(L.date, model.date);
  if (model.period) row(L.period, `${model.period.localFrom} – ${model.period.localTo} ${model.period.timeZone} (${model.period.hours} h)`);
  row(L.store, `${model.storeId} / ${model.deviceId}`);

  heading(L.sales);
  row(`${L.sales} (${model.sales.count} ${L.count})`, m(model.sales.amount));
  row(`${L.refunds} (${model.refunds.count} ${L.count})`, m(-model.refunds.amount));
  row(L.net, m(model.net));
  row(L.cancelled, String(model.cancelledCount));
  if (model.openCount) row(L.open, String(model.openCount), 'red');
  row(L.training, String(model.trainingCount));

  heading(L.byMethod);
  for (const p of model.byMethod) row(`${p.label} (${p.count} ${L.count})`, m(p.amount));

  heading(L.byTax);
  for (const t of model.byTaxClass) row(`${t.taxClass} ${formatRate(t.rate)}  ${L.base} ${m(t.base)}`, `${L.tax} ${m(t.tax)}`);

  heading(L.payments);
  const a = model.payments;
  row(`${L.approved} ${a.approved} / ${L.declined} ${a.declined} / ${L.unknown} ${a.unknown} / ${a.attempts}`, '');
  row(L.successRate, formatPercent(a.successRate));

  heading(L.card);
  const c = model.card;
  row(`${L.local} (${c.local.count} ${L.count})`, m(c.local.amount));
  if (c.terminal && c.difference) {
    row(c.terminal.count === null ? L.terminal : `${L.terminal} (${c.terminal.count} ${L.count})`, m(c.terminal.amount));
    const off = !c.matches;
    row(c.difference.count === null ? L.difference : `${L.difference} (${c.difference.count} ${L.count})`, m(c.difference.amount), off ? 'red' : 'black');
  } else {
    row(L.terminal, L.noTerminal);
  }
  return finish(doc);
}
