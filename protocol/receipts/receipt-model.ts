import { formatMoney, type Minor } from '../../kernel/money';
import { formatLocal } from '../../kernel/local-time';
import type { LocalizedText } from '../../protocol/pricebook/price-item';
import type { CustomerType } from '../members/customer-type';
import type { ReceiptOrder } from './receipt-order';
import type { ReceiptHeader } from './text-receipt';

export type DocLocale = 'zh-CN' | 'en';

/** Every fixed label a receipt or Z report shows, per locale. */
export const LABELS = {
  'zh-CN': {
    receipt: '收据',
    receiptNo: '单号',
    date: '日期',
    subtotal: '小计',
    savings: '优惠',
    tax: '税',
    total: '合计',
    paid: '付款',
    trace: '流水号',
    auth: '授权码',
    member: '会员',
    points: '会员积分',
    pointsUsed: '积分抵扣',
    pointsEarned: '本单积分',
    business: '企业',
    group: '团体',
    receiptId: '收据编号',
    training: '培训模式 · 非收据',
  },
  en: {
    receipt: 'Receipt',
    receiptNo: 'No.',
    date: 'Date',
    subtotal: 'Subtotal',
    savings: 'Savings',
    tax: 'Tax',
    total: 'Total',
    paid: 'Paid',
    trace: 'trace',
    auth: 'auth',
    member: 'Member',
    points: 'Points',
    pointsUsed: 'Points used',
    pointsEarned: 'Points earned',
    business: 'Business',
    group: 'Group',
    receiptId: 'Receipt ID',
    training: 'Training mode',
  },
} as const;

export type Labels = (typeof LABELS)[DocLocale];

/** What a training order's receipt says at its head and foot, in every locale (a real POS's training-mode banner). */
export const TRAINING_BANNER = 'TRAINING — NOT A RECEIPT';

const METHOD_LABELS: Record<DocLocale, Record<string, string>> = {
  'zh-CN': { card: '银行卡', cash: '现金', qr: '扫码支付', qr_merchant: '扫码支付' },
  en: { card: 'Card', cash: 'Cash', qr: 'QR pay', qr_merchant: 'QR pay' },
};

/** The wallet a QR payment went through (its approval reference's `channel`), as the shopper knows it. */
const WALLET_LABELS: Record<DocLocale, Record<string, string>> = {
  'zh-CN': { alipay: '支付宝', wechat: '微信支付', unionpay: '云闪付' },
  en: { alipay: 'Alipay', wechat: 'WeChat Pay', unionpay: 'UnionPay' },
};

export const methodLabel = (method: string, locale: DocLocale, channel?: unknown) =>
  (typeof channel === 'string' ? WALLET_LABELS[locale][channel] : undefined) ?? METHOD_LABELS[locale][method] ?? method;

export interface ReceiptModelLine {
  lineId: string;
  name: string;
  /** e.g. `2 × ¥3.50` or `0.750 kg × ¥12.00/kg`; null for a single counted unit. */
  detail: string | null;
  quantity: number;
  weightGrams: number | null;
  unitPrice: Minor;
  amount: Minor;
}

export interface ReceiptModelPayment {
  method: string;
  methodLabel: string;
  amount: Minor;
  /** Only masked / non-secret references: masked PAN, trace number, auth code. */
  maskedPan: string | null;
  traceNumber: string | null;
  authCode: string | null;
}

export interface ReceiptModelMember {
  /** Masked: every character but the last 4 is `*` (see {@link maskMemberId}). */
  id: string;
  customerType: CustomerType;
  /** 企业 / 团体, Business / Group; null for a personal member (the receipt does not say it). */
  customerTypeLabel: string | null;
  /** Points earned by this order. */
  points: number;
  pointsRedeemed: number;
  /** Minor units the redeemed points took off the total. */
  pointsValue: Minor;
}

export interface ReceiptModel {
  locale: DocLocale;
  labels: Labels;
  currency: string;
  minorUnits: number;
  storeName: string;
  storeId: string;
  deviceId: string;
  orderId: string;
  /** Zero-padded, 6 digits, as the printed receipt shows it; a training order's number is `T` + its own series. */
  receiptNo: string;
  /** A training-mode order: every document says {@link TRAINING_BANNER} at its head and foot. */
  training: boolean;
  /** `YYYY-MM-DD HH:MM:SS`, the store's local time (`header.timeZone`) of the order's last update, as the printed receipt shows it. */
  date: string;
  lines: ReceiptModelLine[];
  discounts: { label: string; amount: Minor }[];
  subtotal: Minor;
  savings: Minor;
  taxes: { taxClass: string; rate: number; label: string; base: Minor; tax: Minor }[];
  taxTotal: Minor;
  total: Minor;
  payments: ReceiptModelPayment[];
  /** The order's member: id masked but for its last 4 characters, customer type, points used (and their value) and earned. */
  member: ReceiptModelMember | null;
  /** What the QR code encodes (same as the printed receipt). */
  qrPayload: string;
  /** Human-readable receipt id (for when no QR can be drawn, and for the barcode). */
  receiptId: string;
}

const localized = (t: LocalizedText, locale: DocLocale) => t[locale] ?? t.en ?? Object.values(t)[0] ?? '?';

/**
 * A PAN that is properly masked keeps at most the first 6 and last 4 digits. Anything with more visible digits
 * (or without mask characters) is re-masked to the last 4 digits so no full card number can reach a document.
 */
export function safeMaskedPan(pan: string): string {
  const digits = pan.replace(/\D/g, '');
  const masked = /[*xX•]/.test(pan);
  if (masked && digits.length <= 10) return pan;
  return `****${digits.slice(-4)}`;
}

/** A member id on a document: every character but the last 4 becomes `*` (an id of 4 characters or fewer shows as is). */
export function maskMemberId(id: string): string {
  const chars = [...id];
  return chars.map((ch, i) => (i < chars.length - 4 ? '*' : ch)).join('');
}

function memberOf(order: ReceiptOrder, labels: Labels): ReceiptModelMember | null {
  if (!order.memberId) return null;
  const customerType = order.customerType ?? 'personal';
  return {
    id: maskMemberId(order.memberId),
    customerType,
    customerTypeLabel: customerType === 'personal' ? null : labels[customerType],
    points: order.pointsEarned,
    pointsRedeemed: Math.max(0, order.pointsRedeemed ?? 0),
    pointsValue: Math.max(0, order.pointsDiscount ?? 0),
  };
}

const refString = (v: string | number | undefined): string | null => (v === undefined || v === '' ? null : String(v));

export function formatRate(rate: number): string {
  return `${Number((rate * 100).toFixed(2))}%`;
}

/** The one receipt model behind the printed receipt, the e-receipt PDF and anything else that shows a receipt. Pure. */
export function receiptModel(order: ReceiptOrder, header: ReceiptHeader, locale: DocLocale): ReceiptModel {
  const labels = LABELS[locale];
  const m = (v: Minor) => formatMoney(v, header.currency, header.minorUnits);
  const training = order.training === true;
  // a training order never has a fiscal receipt number: it shows its own series, marked T
  const no = training ? `T${String(order.trainingNo ?? 0).padStart(6, '0')}` : String(order.receiptNo ?? 0).padStart(6, '0');
  const lines: ReceiptModelLine[] = order.priced.lines.map((l) => {
    const src = order.lines.find((x) => x.lineId === l.lineId);
    const detail =
      l.weightGrams !== null
        ? `${(l.weightGrams / 1000).toFixed(3)} kg × ${m(l.unitPrice)}/kg`
        : l.quantity > 1
          ? `${l.quantity} × ${m(l.unitPrice)}`
          : null;
    return {
      lineId: l.lineId,
      name: src ? localized(src.names, locale) : l.sku,
      detail,
      quantity: l.quantity,
      weightGrams: l.weightGrams,
      unitPrice: l.unitPrice,
      amount: l.gross,
    };
  });
  const payments: ReceiptModelPayment[] = order.payments
    .filter((p) => p.status === 'approved')
    .map((p) => {
      const ref = p.reference ?? {};
      return {
        method: p.method,
        methodLabel: methodLabel(p.method, locale, ref.channel),
        amount: p.approvedAmount,
        maskedPan: typeof ref.maskedPan === 'string' && ref.maskedPan !== '' ? safeMaskedPan(ref.maskedPan) : null,
        traceNumber: refString(ref.traceNumber),
        authCode: refString(ref.authCode),
      };
    });
  return {
    locale,
    labels,
    currency: header.currency,
    minorUnits: header.minorUnits,
    storeName: header.storeName,
    storeId: header.storeId,
    deviceId: header.deviceId,
    orderId: order.id,
    receiptNo: no,
    training,
    date: formatLocal(order.updatedAt, header.timeZone),
    lines,
    discounts: order.priced.discounts.map((d) => ({ label: localized(d.label, locale), amount: d.amount })),
    subtotal: order.priced.subtotal,
    savings: order.priced.discountTotal,
    taxes: order.priced.taxes.map((t) => ({
      taxClass: t.taxClass,
      rate: t.rate,
      label: `${labels.tax} ${t.taxClass} ${formatRate(t.rate)}`,
      base: t.base,
      tax: t.tax,
    })),
    taxTotal: order.priced.taxTotal,
    total: order.priced.total,
    payments,
    member: memberOf(order, labels),
    qrPayload: `kiosk:${header.storeId}:${header.deviceId}:${no}:${order.id}`,
    receiptId: `R${no}`,
  };
}

/** One displayable row of a receipt: shared by the printer blocks and the PDF so both show the same thing. */
export type ReceiptRow =
  | { kind: 'title'; text: string }
  | { kind: 'center'; text: string }
  | { kind: 'text'; text: string }
  | { kind: 'pair'; left: string; right: string; strong?: boolean }
  | { kind: 'rule' };

export const money = (model: Pick<ReceiptModel, 'currency' | 'minorUnits'>, v: Minor) => formatMoney(v, model.currency, model.minorUnits);

/** The member block: id (masked) and customer type when not personal, then points used (with their value) and earned. */
function memberRows(member: ReceiptModelMember, L: Labels, m: (v: Minor) => string): ReceiptRow[] {
  const type = member.customerTypeLabel ? ` (${member.customerTypeLabel})` : '';
  const rows: ReceiptRow[] = [{ kind: 'text', text: `${L.member} ${member.id}${type}` }];
  if (member.pointsRedeemed > 0) rows.push({ kind: 'text', text: `  ${L.pointsUsed} ${member.pointsRedeemed} (${m(-member.pointsValue)})` });
  rows.push({ kind: 'text', text: `  ${L.pointsEarned} +${member.points}` });
  return rows;
}

/** The receipt body as rows (everything between the header and the QR code). */
export function receiptRows(model: ReceiptModel): ReceiptRow[] {
  const L = model.labels;
  const m = (v: Minor) => money(model, v);
  const banner: ReceiptRow[] = model.training
    ? [
        { kind: 'title', text: TRAINING_BANNER },
        { kind: 'center', text: L.training },
      ]
    : [];
  const rows: ReceiptRow[] = [
    ...banner,
    { kind: 'title', text: model.storeName },
    { kind: 'center', text: `${model.storeId} / ${model.deviceId}` },
    { kind: 'text', text: `${L.receiptNo} ${model.receiptNo}  ${model.date}` },
    { kind: 'rule' },
  ];
  for (const l of model.lines) {
    rows.push({ kind: 'pair', left: l.name, right: m(l.amount) });
    if (l.detail) rows.push({ kind: 'text', text: `  ${l.detail}` });
  }
  for (const d of model.discounts) rows.push({ kind: 'pair', left: `  ${d.label}`, right: m(-d.amount) });
  rows.push({ kind: 'rule' }, { kind: 'pair', left: L.subtotal, right: m(model.subtotal) });
  if (model.savings) rows.push({ kind: 'pair', left: L.savings, right: m(-model.savings) });
  for (const t of model.taxes) rows.push({ kind: 'pair', left: t.label, right: m(t.tax) });
  rows.push({ kind: 'pair', left: L.total, right: m(model.total), strong: true });
  for (const p of model.payments) {
    rows.push({ kind: 'pair', left: `${L.paid} ${p.methodLabel}${p.maskedPan ? ` ${p.maskedPan}` : ''}`, right: m(p.amount) });
    if (p.traceNumber !== null || p.authCode !== null) {
      rows.push({ kind: 'text', text: `  ${L.trace} ${p.traceNumber ?? '-'}  ${L.auth} ${p.authCode ?? '-'}` });
    }
  }
  if (model.member) rows.push(...memberRows(model.member, L, m));
  if (model.training) rows.push({ kind: 'rule' }, ...banner);
  return rows;
}
