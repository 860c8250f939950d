import { gtinCheckDigit } from '../../runtime/barcodes';
import type { Order } from '../../runtime/orders/order';
import type { PriceItem } from '../../runtime/pricing/types';
import { textReceipt } from '../../protocol/receipts/text-receipt';
import { CliExit, configFrom, printJson, type CommonOptions } from '../cli-support';
import type { ScanData } from '../../drivers/contract';
import type { ScanOutcome } from '../../runtime/lane/lane';
import { receiptHeader, type Kiosk } from '../kiosk';
import { bootLocked } from '../locked-boot';
import { demoMode, trainingConfig } from './demo-training';

const ATTENDANT = 'demo-attendant';

/** Finishes whatever an earlier (perhaps killed) run left open, the way staff would. */
async function settleLeftover(k: Kiosk): Promise<void> {
  let open = await k.engine.openOrder();
  if (!open) return;
  if (open.state === 'payment_pending' || open.state === 'payment_unknown') {
    open = await k.checkout.recover(open.id);
    // cash can't be looked up: the attendant says whether the cash was taken (here: it was not)
    if (open.state === 'payment_unknown') open = await k.checkout.decide(open.id, 'declined', ATTENDANT);
  }
  if (open.state === 'paid') {
    await k.engine.dispatch(open.id, { type: 'order_completed' });
    return;
  }
  if (open.state === 'idle_prompt') open = await k.engine.dispatch(open.id, { type: 'shopper_active' });
  await k.engine.dispatch(open.id, { type: 'order_cancelled', reason: 'left open by an earlier run', attendantId: ATTENDANT });
}

/** A scan through the simulated scanner's bytes and the real serial driver when there is one; else straight into the lane. */
async function scanThroughDevice(k: Kiosk, code: string): Promise<ScanOutcome> {
  const feed = k.hardware?.scanFeed;
  const sim = k.hardware?.sim.scanner;
  if (!feed || !sim) return k.lane.scan(code);
  const outcome = new Promise<ScanOutcome>((resolve) => {
    const on = (o: ScanOutcome, d: ScanData) => {
      if (d.raw !== code) return;
      feed.off('outcome', on);
      resolve(o);
    };
    feed.on('outcome', on);
  });
  await sim.scan(code);
  return outcome;
}

async function scanOk(k: Kiosk, code: string): Promise<Order> {
  const r = await scanThroughDevice(k, code);
  if (!r.ok) throw new CliExit(1, `demo: scan ${code} failed: ${r.code}: ${r.detail}`);
  if (r.action === 'payment_code') throw new CliExit(1, `demo: ${code} is a payment code`);
  return r.order;
}

/** An in-store scale label for a weighed item: "22" + 5-digit item reference + weight in grams + check digit. */
function weightLabel(item: PriceItem, grams: number): string {
  const ref = item.barcodes.map((b) => (/^\d{5}$/.test(b) ? b : /^22\d{5}$/.test(b) ? b.slice(2) : null)).find((b) => b !== null);
  if (!ref) throw new CliExit(1, `demo: weighed item ${item.sku} has no 5-digit item reference`);
  const body = `22${ref}${String(grams).padStart(5, '0')}`;
  return body + String(gtinCheckDigit(body));
}

async function pick(k: Kiosk, where: 'weighed' | 'age' | 'plain'): Promise<PriceItem> {
  const [item] = await k.catalog.sample(where, 1);
  if (!item) throw new CliExit(1, `demo: the price book has no ${where} item`);
  return item;
}

/**
 * The shopper's wallet codes for the demo's QR payments, one per wallet, shaped as each channel documents its
 * payment codes (the barcode rules tell them apart by prefix and length): Alipay 18 digits starting 28, WeChat Pay
 * 18 digits starting 13, UnionPay 19 digits starting 62.
 */
export const DEMO_PAYMENT_CODES = { alipay: '281234567890123456', wechat: '134567890123456789', unionpay: '6223456789012345678' } as const;
type Wallet = keyof typeof DEMO_PAYMENT_CODES;
const isWallet = (p: string): p is Wallet => p in DEMO_PAYMENT_CODES;

async function payQr(k: Kiosk, orderId: string, wallet: Wallet): Promise<Order> {
  const paying = k.checkout.pay(orderId, 'qr');
  // the shopper shows the payment code to the scanner once the kiosk asks for it
  for (let i = 0; i < 200 && !k.hardware!.paymentCodes.waiting; i++) await new Promise((r) => setTimeout(r, 10));
  await k.hardware!.sim.scanner!.scan(DEMO_PAYMENT_CODES[wallet]);
  return paying;
}

/** How the demo shopper pays: `qr` is Alipay's code (as before wallets were told apart). */
const DEMO_PAYS = ['card', 'cash', 'qr', 'alipay', 'wechat', 'unionpay'] as const;
type DemoPay = (typeof DEMO_PAYS)[number];

/** One scripted shopper: member card, a multi-buy promotion, a plain item, a weighed item, an age check, payment. */
async function shopper(k: Kiosk, pay: DemoPay): Promise<Order> {
  const multi = k.config.promotions.find((p) => (p.kind === 'x_for_price' || p.kind === 'buy_x_pay_y') && !p.memberOnly);
  let promoItem: PriceItem | null = null;
  for (const sku of multi?.skus ?? []) {
    promoItem = await k.catalog.bySku(sku);
    if (promoItem && !promoItem.soldByWeight && promoItem.ageLimit === null) break;
  }
  let order = await scanOk(k, 'M0000000001');
  if (promoItem && multi) {
    const n = multi.kind === 'x_for_price' ? multi.quantity : multi.kind === 'buy_x_pay_y' ? multi.buy : 1;
    for (let i = 0; i < n; i++) order = await scanOk(k, promoItem.barcodes[0]);
  }
  order = await scanOk(k, (await pick(k, 'plain')).barcodes[0]);
  order = await scanOk(k, weightLabel(await pick(k, 'weighed'), 347));
  order = await scanOk(k, (await pick(k, 'age')).barcodes[0]);
  if (order.state === 'needs_attendant') order = await k.lane.attendant('approve', ATTENDANT);
  order = await k.engine.dispatch(order.id, { type: 'checkout_started' });
  const method = pay === 'qr' || isWallet(pay) ? 'qr' : pay;
  if (!k.checkout.methods().includes(method)) throw new CliExit(1, `demo: payment method ${method} is not available (have: ${k.checkout.methods().join(', ')})`);
  order = method === 'qr' ? await payQr(k, order.id, pay === 'qr' ? 'alipay' : (pay as Wallet)) : await k.checkout.pay(order.id, method);
  if (order.state !== 'paid') throw new CliExit(1, `demo: payment did not complete (order is ${order.state})`);
  return k.engine.dispatch(order.id, { type: 'order_completed' });
}

async function asJson(k: Kiosk, o: Order) {
  const range = await k.db.read.get<{ first: number; last: number }>('SELECT MIN(seq) AS first, MAX(seq) AS last FROM journal WHERE order_id = ?', [o.id]);
  return {
    orderId: o.id,
    state: o.state,
    receiptNo: o.receiptNo,
    training: o.training === true,
    trainingNo: o.trainingNo ?? null,
    currency: k.config.currency.code,
    lines: o.priced.lines.map((l) => ({
      lineId: l.lineId,
      sku: l.sku,
      name: o.lines.find((x) => x.lineId === l.lineId)?.names,
      quantity: l.quantity,
      weightGrams: l.weightGrams,
      unitPrice: l.unitPrice,
      gross: l.gross,
      discount: l.discount,
      net: l.net,
      taxClass: l.taxClass,
      tax: l.tax,
    })),
    discounts: o.priced.discounts,
    taxes: o.priced.taxes,
    subtotal: o.priced.subtotal,
    discountTotal: o.priced.discountTotal,
    taxTotal: o.priced.taxTotal,
    total: o.priced.total,
    paid: o.paid,
    payments: o.payments,
    memberId: o.memberId,
    pointsEarned: o.pointsEarned,
    journal: { firstSeq: range?.first ?? null, lastSeq: range?.last ?? null },
  };
}

/**
 * The demo sells only on a lane in service: it waits up to `waitMs` for the devices to settle (a printer
 * answering its first polls), then refuses with the reasons (exit 1) — nothing is sold on a lane out of service.
 */
async function inService(k: Kiosk, waitMs = 10_000): Promise<void> {
  const sup = k.hardware?.supervisor;
  if (!sup) return;
  for (let waited = 0; !sup.condition().inService && waited < waitMs; waited += 100) await new Promise((r) => setTimeout(r, 100));
  const c = sup.condition();
  if (!c.inService) throw new CliExit(1, `demo: the lane is out of service (${c.reasons.join('; ')}); no sale started`);
}

/** `kiosk demo`: a scripted shopper session end to end; exit 0 only if every order completed (receipt printed). */
export async function demo(opts: CommonOptions & { json?: boolean; count?: string; trace?: boolean; pay?: string; training?: boolean }): Promise<void> {
  const loaded = configFrom(opts);
  const count = Number(opts.count ?? 1);
  if (!Number.isInteger(count) || count < 1) throw new CliExit(2, `kiosk: --count must be a positive integer, got ${opts.count}`);
  const pay = opts.pay ?? 'card';
  if (!DEMO_PAYS.includes(pay as DemoPay)) throw new CliExit(2, `kiosk: --pay must be one of ${DEMO_PAYS.join(', ')}, got "${pay}"`);
  // a provisioned lane sells for real: the demo refuses there unless --training (exit 2, nothing opened or written)
  const mode = demoMode(loaded.dataDir, opts.training === true);
  // training never charges a real card: the terminal and QR gateway are the simulated ones whatever the config binds
  const config = mode.training ? trainingConfig(loaded) : loaded;
  const k = await bootLocked(config, { confirmCash: async () => true, devices: true });
  try {
    k.engine.setTraining(mode.training);
    if (opts.trace) k.engine.on('committed', (c) => process.stdout.write(`commit ${c.entry.seq} ${c.order.id} ${c.order.state}\n`));
    await settleLeftover(k);
    for (let i = 0; i < count; i++) {
      await inService(k);
      const o = await shopper(k, pay as DemoPay);
      if (o.state !== 'completed') throw new CliExit(1, `demo: order ${o.id} ended ${o.state}`);
      // a paid order is completed whatever happens to its receipt; one that does not print stays pending (it prints
      // when the printer is back, and the attendant sees it) — and the demo says so and fails
      const printed = k.hardware?.devices.printer
        ? await k.hardware.printReceipt(o.id).catch((e: unknown) => {
            throw new CliExit(1, `demo: order ${o.id} is paid but its receipt did not print (${e instanceof Error ? e.message : String(e)}); it stays pending and prints when the printer is back`);
          })
        : null;
      // what the printer simulator decoded from the ESC/POS bytes it received, when the printer is simulated
      const paper = k.hardware?.sim.printer?.last() ?? null;
      if (opts.json) {
        printJson({
          ...(await asJson(k, o)),
          printed: printed ? { jobId: printed.id, state: printed.state, duplicate: printed.duplicate } : null,
          receiptText: paper?.text ?? null,
          receiptQr: paper?.qr ?? [],
          display: k.hardware?.sim.display?.lines() ?? null,
          light: k.hardware?.sim.light?.state() ?? null,
        });
      } else if (!opts.trace) {
        process.stdout.write(`${paper ? paper.text : textReceipt(o, receiptHeader(config))}\n`);
      }
    }
  } finally {
    await k.close();
  }
}
