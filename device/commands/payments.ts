import { attemptsOf, unsettledAttempts } from '../../runtime/payments/attempts';
import { runTerminalEndOfDay } from '../../runtime/payments/terminal-eod';
import type { Order } from '../../runtime/orders/order';
import { CliExit, configFrom, printJson, type CommonOptions } from '../cli-support';
import type { Kiosk } from '../kiosk';
import { bootLocked } from '../locked-boot';
import { listRefundsInDoubt } from '../refunds-control';

const PRE_PAYMENT = new Set(['idle', 'shopping', 'needs_attendant', 'idle_prompt', 'awaiting_payment']);

/**
 * Closes the lane's open order the way staff would after a restart: a paid order is completed (its receipt
 * printed once), an unpaid one cancelled. An order whose payment is still in doubt is left alone — that needs the
 * payment provider back, or an attendant's decision.
 */
export async function closeOpenOrder(k: Kiosk, attendantId: string): Promise<Order | null> {
  let open = await k.engine.openOrder();
  if (!open) return null;
  if (open.state === 'paid') {
    open = await k.engine.dispatch(open.id, { type: 'order_completed' });
    if (k.hardware?.devices.printer) await k.hardware.printReceipt(open.id).catch(() => undefined);
    return open;
  }
  if (open.state === 'idle_prompt') open = await k.engine.dispatch(open.id, { type: 'shopper_active' });
  if (PRE_PAYMENT.has(open.state)) {
    return k.engine.dispatch(open.id, { type: 'order_cancelled', reason: 'closed after a restart', attendantId });
  }
  return open;
}

/**
 * `kiosk payments recover [--close]`: boots with the lane's devices, which settles every payment left in doubt by
 * asking the terminal / gateway (never by paying again) and every card refund in doubt by asking the terminal (never
 * by sending it again); with `--close`, also completes or cancels the open order. Exit 3 when a payment or a refund
 * is still in doubt afterwards (a refund: `kiosk refunds decide`).
 */
export async function paymentsRecover(opts: CommonOptions & { json?: boolean; close?: boolean; attendant?: string }): Promise<void> {
  const config = configFrom(opts);
  const k = await bootLocked(config, { devices: true });
  try {
    const closed = opts.close ? await closeOpenOrder(k, opts.attendant ?? 'recovery') : null;
    const unsettled = await unsettledAttempts(k.db);
    // boot asked already; once more here, so a terminal that came up late still gets asked
    await k.refunds.settleCardInDoubt();
    const refunds = await listRefundsInDoubt(k.db);
    const recent = await k.engine.list(5);
    const orders = await Promise.all(
      recent.map(async (o) => ({
        orderId: o.id,
        state: o.state,
        total: o.priced.total,
        paid: o.paid,
        attempts: (await attemptsOf(k.db, o.id)).map((a) => ({ id: a.id, method: a.method, amount: a.amount, state: a.state, reason: a.reason, reference: a.reference })),
      })),
    );
    if (opts.json) printJson({ closed: closed ? { orderId: closed.id, state: closed.state } : null, unsettled: unsettled.length, orders, refundsInDoubt: refunds });
    else {
      for (const o of orders) process.stdout.write(`${o.orderId}  ${o.state.padEnd(18)} paid ${o.paid}/${o.total}\n`);
      process.stdout.write(unsettled.length ? `${unsettled.length} payment(s) still in doubt\n` : 'no payment in doubt\n');
      for (const r of refunds) process.stdout.write(`refund ${r.refundAttemptId}  order ${r.orderId}  ${r.method} ${r.amount}  ${r.state}\n`);
      process.stdout.write(refunds.length ? `${refunds.length} refund(s) still in doubt: kiosk refunds decide ID --refunded|--not-refunded --attendant A\n` : 'no refund in doubt\n');
    }
    if (unsettled.length || refunds.length) throw new CliExit(3, '');
  } finally {
    await k.close();
  }
}

/** `kiosk orders refund ID [--amount N | --lines a,b] --attendant ID`: pays back through the methods the order used. */
export async function ordersRefund(orderId: string, opts: CommonOptions & { amount?: string; lines?: string; attendant?: string; json?: boolean }): Promise<void> {
  if (!opts.attendant) throw new CliExit(2, 'kiosk: --attendant <id> is required (every refund is journaled with who did it)');
  const amount = opts.amount === undefined ? undefined : Number(opts.amount);
  if (amount !== undefined && (!Number.isSafeInteger(amount) || amount <= 0)) throw new CliExit(2, `kiosk: --amount must be positive minor units, got "${opts.amount}"`);
  const k = await bootLocked(configFrom(opts), { devices: true });
  try {
    const o = await k.refunds.refund(orderId, { attendantId: opts.attendant, ...(amount !== undefined ? { amount } : {}), ...(opts.lines ? { lineIds: opts.lines.split(',') } : {}) });
    const last = o.refunds[o.refunds.length - 1];
    if (opts.json) printJson({ orderId: o.id, state: o.state, paid: o.paid, refunded: o.refunded, refund: last });
    else process.stdout.write(`refunded ${last.amount} (${(last.allocations ?? []).map((a) => `${a.method} ${a.via} ${a.amount}`).join(', ')}); order ${o.state}, ${o.refunded}/${o.paid} refunded\n`);
  } finally {
    await k.close();
  }
}

/** `kiosk terminal eod`: the card terminal's end-of-day; its totals go into the journal and the Z report. */
export async function terminalEod(opts: CommonOptions & { json?: boolean }): Promise<void> {
  const config = configFrom(opts);
  const k = await bootLocked(config, { devices: true });
  try {
    const terminal = k.hardware?.devices.terminal;
    if (!terminal) throw new CliExit(1, 'kiosk: no card terminal configured');
    const r = await runTerminalEndOfDay(k.db, terminal, { clock: k.clock, deviceId: config.device.deviceId });
    if (opts.json) printJson(r);
    else process.stdout.write(`terminal end-of-day: ${r.amount} settled, ${r.captured} card payment(s) captured, journal seq ${r.seq}\n`);
  } finally {
    await k.close();
  }
}

/** `kiosk payments decide ORDER approved|declined --attendant ID`: the attendant settles a payment nobody else could. */
export async function paymentsDecide(orderId: string, outcome: string, opts: CommonOptions & { attendant?: string; json?: boolean }): Promise<void> {
  if (outcome !== 'approved' && outcome !== 'declined') throw new CliExit(2, `kiosk: outcome must be approved or declined, got "${outcome}"`);
  if (!opts.attendant) throw new CliExit(2, 'kiosk: --attendant <id> is required (the decision is journaled with who made it)');
  const k = await bootLocked(configFrom(opts), { devices: true });
  try {
    // boot recovery ran first: only what the terminal / gateway could not settle is still in doubt
    const o = await k.checkout.decide(orderId, outcome, opts.attendant);
    if (opts.json) printJson({ orderId: o.id, state: o.state, paid: o.paid });
    else process.stdout.write(`order ${o.id}: payment ${outcome} by ${opts.attendant}; order ${o.state}\n`);
  } finally {
    await k.close();
  }
}
