import { EventEmitter } from 'node:events';
import { barcodeRules } from '../../config/load';
import type { KioskConfig } from '../../config/schema';
import { maskCredential, parseScan } from '../barcodes';
import type { ScanResult } from '../barcodes/result';
import type { Catalog } from '../pricebook/catalog';
import { isKioskError, KioskError } from '../../kernel/errors';
import { isStorageFailure } from '../../kernel/sqlite/storage-failure';
import type { OrderEngine } from '../orders/engine';
import { allowedEvents } from '../orders/machine';
import type { NewLine, OrderEvent } from '../orders/events';
import type { Order } from '../orders/order';
import { CLOSED_STATES } from '../orders/states';
import type { CartLine, LocalizedText, PriceItem } from '../pricing/types';
import { SHOPPER_MESSAGES, type ShopperMessageCode } from './messages';
import { expiryPolicyOf } from '../../config/expiry-policy';
import type { Clock } from '../../kernel/clock';
import type { RecallLookup } from '../recalls/lookup';
import { checkItem, stopDetail, type ItemCheckDeps, type ItemStop } from './item-checks';
import { NO_WALLET } from '../payments/channels/wallets';

/** The line a scan adds, with the item's customer-type prices when it has any. */
export type ScannedLine = NewLine & Pick<CartLine, 'typePrices'>;

export type ScanOutcome =
  | {
      ok: true;
      action: 'item_added';
      order: Order;
      item: PriceItem;
      needsAttendant: boolean;
      /** Added, but the attendant was called to look at it (a recall names a lot / serial the code does not carry). */
      notice?: { code: ShopperMessageCode; message: LocalizedText; detail: string };
    }
  | { ok: true; action: 'member_attached'; order: Order; memberId: string }
  /**
   * A wallet payment code: the payments module takes it from here (only `masked` is ever shown or logged). While a
   * QR payment waits for the shopper's code, a code no rule recognises comes here too, as channel `NO_WALLET` with
   * an empty `code` (the payment tells the shopper it is no payment code it knows; the digits go nowhere).
   */
  | { ok: true; action: 'payment_code'; channel: string; masked: string; code: string }
  | { ok: false; code: ShopperMessageCode; message: LocalizedText; detail: string; scan: ScanResult | null };

/** Where the lane reports what staff must know (a pino logger in the kiosk). */
export interface LaneLog {
  warn(obj: object, msg: string): void;
}

/** A bare price-look-up code: 4–5 digits (IFPS produce PLUs, the price book's weighed-item references). */
export const PLU_CODE = /^\d{4,5}$/;

/**
 * Turns one raw scan into what happens on the lane: an item added, a member attached, a payment code handed on,
 * or a typed refusal with the shopper's message. Never throws for bad input: a garbled scan must not stop the lane.
 */
export class Lane extends EventEmitter<{ closedChanged: [{ reason: string } | null] }> {
  private readonly rules;
  /** Closed by staff or HQ (`lock`): no new order starts; an order already open may finish. */
  private closedReason: string | null = null;
  /** Why the lane is out of service now (a required device down, ...), or null when it is in service. */
  private outOfService: () => readonly string[] | null = () => null;
  /** Recall list and date checks of trade items (runtime/lane/item-checks.ts); null: none (tools, unit tests). */
  private readonly checks: ItemCheckDeps | null;
  constructor(
    private readonly engine: OrderEngine,
    private readonly catalog: Catalog,
    config: KioskConfig,
    private readonly log?: LaneLog,
    checks?: { clock: Clock; recalls?: RecallLookup },
  ) {
    super();
    this.rules = barcodeRules(config);
    this.checks = checks ? { ...checks, timeZone: config.timezone, refuse: expiryPolicyOf(config).refuse } : null;
  }

  private fail(code: ShopperMessageCode, detail: string, scan: ScanResult | null): ScanOutcome {
    return { ok: false, code, message: SHOPPER_MESSAGES[code], detail, scan };
  }

  /** The order a scan goes to: the open one, or a new one (null). */
  private async target(): Promise<Order | null> {
    return this.engine.openOrder();
  }

  private async apply(event: OrderEvent, scan: ScanResult): Promise<{ order: Order } | ScanOutcome> {
    const open = await this.target();
    try {
      const order = await this.engine.dispatch(open && !CLOSED_STATES.includes(open.state) ? open.id : null, event);
      return { order };
    } catch (e) {
      if (event.type === 'item_added' && isKioskError(e, 'PRICEBOOK_INVALID')) return this.unpriceable(event.line, e, scan);
      if (isKioskError(e, 'PAYMENT_UNRESOLVED')) return this.fail('PAYMENT_UNRESOLVED', e.message, scan);
      if (isKioskError(e, 'EVENT_NOT_ALLOWED') || isKioskError(e, 'GUARD_REJECTED')) {
        const waiting = open?.state === 'needs_attendant';
        const doubt = open?.state === 'payment_pending' || open?.state === 'payment_unknown';
        return this.fail(waiting ? 'NEEDS_ATTENDANT' : doubt ? 'PAYMENT_UNRESOLVED' : 'LANE_BUSY', e.message, scan);
      }
      throw e;
    }
  }

  /**
   * An item the price book has but the lane cannot price (its tax class is not configured, its row fails the
   * pricing checks): nothing was added (the transition rolled back). It is logged with the SKU and the reason
   * (ITEM_UNPRICEABLE), the lane asks for an attendant the way a help call does (the order waits in
   * needs_attendant, the light blinks), and the shopper is told the item needs an attendant.
   */
  private async unpriceable(line: NewLine, cause: KioskError, scan: ScanResult): Promise<ScanOutcome> {
    const err = new KioskError('ITEM_UNPRICEABLE', `item ${line.sku} cannot be priced: ${cause.message}`, { sku: line.sku, reason: cause.message });
    const helpCalled = await this.callAttendant();
    this.log?.warn({ code: err.code, sku: line.sku, barcode: line.barcode, taxClass: line.taxClass, reason: cause.message, attendantCalled: helpCalled }, err.message);
    return this.fail('ITEM_UNPRICEABLE', err.message, scan);
  }

  /**
   * Asks for an attendant the way a help call does (the order waits in needs_attendant, the light blinks); `reason`
   * goes into the order's journal with the request. True when a help request is pending now.
   */
  private async callAttendant(reason?: string): Promise<boolean> {
    try {
      const o = await this.engine.openOrder();
      const already = o?.pending.some((p) => p.kind === 'help') ?? false;
      if (!already && (o ? allowedEvents(o.state).includes('help_requested') : this.closedReason === null)) {
        await this.engine.dispatch(o ? o.id : null, reason ? { type: 'help_requested', reason } : { type: 'help_requested' });
        return true;
      }
      return already;
    } catch (e) {
      if (!isKioskError(e)) throw e; // refused (the order moved on): the shopper's message still says to wait for staff
      return false;
    }
  }

  /**
   * A recalled item, or one whose date (AI 15/16/17, as configured) passed: not added, the attendant is called with
   * the reason in the journal, logged (ITEM_RECALLED with the recall id and reason / ITEM_EXPIRED with the AI, date
   * and GTIN). The attendant's approve or reject only answers the call: the lane never adds such an item (a recall
   * is never sold; a dated item an attendant judges sellable goes through a staffed till).
   */
  private async refuse(stop: Exclude<ItemStop, { kind: 'recall_check' }>, scan: ScanResult): Promise<ScanOutcome> {
    const code = stop.kind === 'recalled' ? 'ITEM_RECALLED' : 'ITEM_EXPIRED';
    const detail = stopDetail(stop);
    const attendantCalled = await this.callAttendant(detail);
    this.log?.warn({ code, ...stop, barcode: scan.data, attendantCalled }, detail);
    return this.fail(code, detail, scan);
  }

  /** Resolves a scan to a price-book item and the line it would add (no order is touched). */
  async resolve(raw: string): Promise<{ scan: ScanResult; item: PriceItem | null; line: ScannedLine | null; problem?: ScanOutcome }> {
    const scan = parseScan(raw, this.rules);
    if (!scan.ok) return { scan, item: null, line: null, problem: this.fail('BAD_BARCODE', scan.error.message, scan) };
    if (scan.kind === 'other' && PLU_CODE.test(scan.data)) {
      // a produce code (PLU) read on its own — the shelf sticker, not the scale label: a weighed item says "weigh it"
      const item = await this.catalog.byBarcode(scan.data);
      if (item?.soldByWeight) return { scan, item, line: null, problem: this.fail('WEIGHT_REQUIRED', `${scan.data} is the PLU of ${item.sku}, sold by weight; scan its scale label`, scan) };
    }
    if (scan.kind !== 'gtin' && scan.kind !== 'in_store' && scan.kind !== 'gs1') return { scan, item: null, line: null };
    const keys =
      scan.kind === 'in_store' ? [scan.lookupKey, scan.itemRef] : scan.lookupKey ? [scan.lookupKey, ...(scan.gtin14 ? [scan.gtin14] : [])] : [];
    let item: PriceItem | null = null;
    for (const k of keys) {
      item = await this.catalog.byBarcode(k);
      if (item) break;
    }
    if (!item) {
      return { scan, item: null, line: null, problem: this.fail('ITEM_NOT_FOUND', `no price-book item for ${keys.join(' / ') || scan.data}`, scan) };
    }
    const weightGrams = scan.kind === 'in_store' || scan.kind === 'gs1' ? (scan.weightGrams ?? null) : null;
    const embeddedPrice = scan.kind === 'in_store' || scan.kind === 'gs1' ? (scan.embeddedPrice ?? null) : null;
    if (item.soldByWeight && weightGrams === null && embeddedPrice === null) {
      return { scan, item, line: null, problem: this.fail('WEIGHT_REQUIRED', `${item.sku} is sold by weight; scan its scale label`, scan) };
    }
    // the item's customer-type prices ride on the line (and its journaled item_added), so the price follows a member
    // attached later (runtime/pricing/price-cart.ts lineForCustomerType)
    const line: ScannedLine = {
      sku: item.sku,
      names: item.names,
      barcode: scan.data,
      quantity: 1,
      weightGrams: item.soldByWeight ? weightGrams : null,
      unitPrice: item.unitPrice,
      embeddedPrice,
      taxClass: item.taxClass,
      ageLimit: item.ageLimit,
      ...(item.typePrices ? { typePrices: item.typePrices } : {}),
    };
    return { scan, item, line };
  }

  /** Closes the lane for new shoppers (an open order may still finish). */
  lock(reason: string): void {
    this.closedReason = reason;
    this.emit('closedChanged', this.closed);
  }

  unlock(): void {
    const was = this.closedReason;
    this.closedReason = null;
    if (was !== null) this.emit('closedChanged', null);
  }

  /**
   * Where the lane learns whether it is in service (the device supervisor's condition). Out of service, a scan
   * opens no new order (`OUT_OF_SERVICE`, with the reasons in `detail`); an order already open may finish. The
   * lane is back in service as soon as the check says so — nothing to reset.
   */
  setServiceCheck(check: () => readonly string[] | null): void {
    this.outOfService = check;
  }

  get closed(): { reason: string } | null {
    return this.closedReason === null ? null : { reason: this.closedReason };
  }

  /**
   * What the lane makes of one scan. A storage failure on the way (disk full, read-only, corrupt) has put the lane
   * out of service by the time it reaches here (the database reports it first): the shopper is told the lane is out
   * of service — not "please try again" — and `detail` carries the storage reason for staff.
   */
  async scan(raw: string): Promise<ScanOutcome> {
    try {
      return await this.scanNow(raw);
    } catch (e) {
      if (!isStorageFailure(e)) throw e;
      const reasons = this.outOfService() ?? [(e as Error).message];
      return this.fail('OUT_OF_SERVICE', `lane out of service: ${reasons.join('; ')}`, null);
    }
  }

  private async scanNow(raw: string): Promise<ScanOutcome> {
    if (this.closedReason !== null && !(await this.engine.openOrder())) return this.fail('LANE_CLOSED', `lane closed: ${this.closedReason}`, null);
    const outOfService = this.outOfService();
    if (outOfService !== null && !(await this.engine.openOrder())) return this.fail('OUT_OF_SERVICE', `lane out of service: ${outOfService.join('; ')}`, null);
    const r = await this.resolve(raw);
    const stop = this.checks ? await checkItem(r.scan, this.checks) : null;
    if (stop && stop.kind !== 'recall_check') return this.refuse(stop, r.scan);
    if (r.problem) return r.problem;
    const scan = r.scan;
    if (!scan.ok) return this.fail('BAD_BARCODE', scan.error.message, scan);
    if (scan.kind === 'member_card') {
      const res = await this.apply({ type: 'member_attached', memberId: scan.memberId }, scan);
      return 'order' in res ? { ok: true, action: 'member_attached', order: res.order, memberId: scan.memberId } : res;
    }
    if (scan.kind === 'payment_code') {
      return { ok: true, action: 'payment_code', channel: scan.paymentChannel, masked: scan.masked, code: scan.paymentCode };
    }
    if (scan.kind === 'other' && (await this.awaitingPaymentCode())) {
      // the shopper was asked for their payment code and showed one no wallet's rule matches (another wallet, an old
      // or a mistyped one): the QR payment says so on the screen and waits for another. It may be a bearer token of
      // a wallet we do not know: it is handed on masked, without the code, and written nowhere.
      return { ok: true, action: 'payment_code', channel: NO_WALLET, masked: maskCredential(scan.data), code: '' };
    }
    if (scan.kind === 'other' || !r.line || !r.item) return this.fail('BAD_BARCODE', `not a product code: ${shownData(scan.data)}`, scan);
    const res = await this.apply({ type: 'item_added', line: r.line }, scan);
    if (!('order' in res)) return res;
    if (stop) {
      // a recall names a lot / serial this code does not show: sold only after the attendant read it on the pack
      // (a recalled one: they void the line); checkout waits for their answer
      const detail = stopDetail(stop);
      const attendantCalled = await this.callAttendant(detail);
      this.log?.warn({ code: 'ITEM_LOT_CHECK', ...stop, sku: r.item.sku, barcode: scan.data, attendantCalled }, detail);
      const order = (await this.engine.openOrder()) ?? res.order;
      const notice = { code: 'ITEM_LOT_CHECK' as const, message: SHOPPER_MESSAGES.ITEM_LOT_CHECK, detail };
      return { ok: true, action: 'item_added', order, item: r.item, needsAttendant: order.state === 'needs_attendant', notice };
    }
    return { ok: true, action: 'item_added', order: res.order, item: r.item, needsAttendant: res.order.state === 'needs_attendant' };
  }

  /** True while the open order's QR payment (`qr`: the shopper shows their code) waits for the code (not sent yet). */
  private async awaitingPaymentCode(): Promise<boolean> {
    const o = await this.engine.openOrder();
    return o?.state === 'payment_pending' && o.payments.some((p) => p.status === 'pending' && p.method === 'qr' && p.sent === false);
  }

  /** The attendant's answer to whatever the lane is waiting for. */
  async attendant(decision: 'approve' | 'reject', attendantId: string): Promise<Order> {
    const open = await this.engine.openOrder();
    if (!open) throw new KioskError('ORDER_NOT_FOUND', 'no open order');
    return this.engine.dispatch(open.id, { type: decision === 'approve' ? 'attendant_approved' : 'attendant_rejected', attendantId });
  }
}

/**
 * A scan's data for a technician's `detail`: a long run of digits (16 or more: the shape of a wallet's payment code,
 * a bearer token, even of a wallet no rule knows) is masked like a payment code; anything else is cut at 40 characters.
 */
function shownData(data: string): string {
  return /^\d{16,}$/.test(data) ? maskCredential(data) : data.slice(0, 40);
}
