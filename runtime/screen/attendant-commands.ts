import type { ScreenCommand, ViewPastOrder, ViewRefundInDoubt } from '../../protocol/screen';
import { MONEY_COMMANDS } from './attendant-session';
import { returnsPolicyView, runLaneReturn } from './lane-return';
import { need, openOrder, ScreenCommandError } from './screen-command-error';
import { NOTICES, SCREEN_MESSAGES } from './screen-messages';
import { closedAttendant, type ScreenContext } from './screen-state';

/** The commands of attendant mode (opening it with the PIN pad, and everything it then allows). */
export type AttendantCommand = Extract<ScreenCommand, { kind: `attendant_${string}` }>;

/** The attendant acting on `conn` (the command was authorised for it already). */
function attendantId(ctx: ScreenContext, conn: string): string {
  const id = ctx.staff.attendantOn(conn);
  need(id !== null, 'not_authorised: attendant mode is not open on this screen');
  return id;
}

/** A money action on a badge-only session waits for the badge holder's PIN (shown as the keypad). */
function secondFactor(ctx: ScreenContext, conn: string, c: ScreenCommand): void {
  if (!ctx.staff.requirePin(conn, c)) return;
  ctx.changed();
  throw new ScreenCommandError('pin_required: enter your PIN for this action');
}

/**
 * Runs one attendant command from screen connection `conn`. Everything but opening, closing and the PIN needs the
 * attendant session open on that connection (`not_authorised` otherwise); money actions on a badge-only session
 * need the badge holder's PIN first. The attendant id goes into the journal with every action. Returns whether
 * the view must be sent now.
 */
export async function runAttendantCommand(ctx: ScreenContext, c: AttendantCommand, conn: string): Promise<boolean> {
  const { deps, state, staff } = ctx;
  const { engine, lane, checkout } = deps;
  if (c.kind !== 'attendant_open' && c.kind !== 'attendant_close' && c.kind !== 'attendant_pin') {
    need(staff.authorise(conn, c.kind), 'not_authorised: attendant mode is not open on this screen');
    if (MONEY_COMMANDS.has(c.kind)) secondFactor(ctx, conn, c);
  }
  switch (c.kind) {
    case 'attendant_open':
      staff.openPad(conn);
      return true;
    case 'attendant_close':
      // ends the session (an open second-factor keypad only closes itself) — ending resets the panel
      staff.close(conn);
      return true;
    case 'attendant_pin': {
      const r = await staff.pin(conn, c.pin);
      if (r.ok && r.opened) state.attendant = closedAttendant();
      ctx.changed();
      if (!r.ok) throw new ScreenCommandError(r.reason.reason === 'locked' ? 'keypad locked' : 'wrong PIN');
      // the money action that asked for this PIN runs now
      if (r.pending) await ctx.command(r.pending, conn);
      return false;
    }
    // approving, rejecting, cancelling or settling ends the attendant's task: back to the shopper's screen
    case 'attendant_approve':
    case 'attendant_reject':
      await lane.attendant(c.kind === 'attendant_approve' ? 'approve' : 'reject', attendantId(ctx, conn));
      staff.end('done');
      return false;
    case 'attendant_cancel_order': {
      const id = attendantId(ctx, conn);
      const o = await openOrder(engine);
      if (o.paid > 0) secondFactor(ctx, conn, c); // money was taken: the badge holder's PIN first
      await engine.dispatch(o.id, { type: 'order_cancelled', reason: 'cancelled by the attendant', attendantId: id });
      staff.end('done');
      return false;
    }
    case 'attendant_resolve': {
      const id = attendantId(ctx, conn);
      const o = await openOrder(engine);
      await checkout.decide(o.id, c.outcome, id);
      staff.end('done');
      return false;
    }
    case 'attendant_tab': {
      const id = attendantId(ctx, conn);
      state.attendant = { ...state.attendant, tab: c.tab, notice: null };
      if (c.tab === 'orders') {
        await rereadRefunds(ctx);
        state.attendant.returns = deps.returns ? returnsPolicyView(deps.returns.policy(), id) : null;
      }
      if (c.tab === 'lane' && state.attendant.health === null) await runHealth(ctx);
      return true;
    }
    case 'attendant_void_line': {
      const id = attendantId(ctx, conn);
      const o = await openOrder(engine);
      need(o.lines.some((l) => l.lineId === c.lineId), `no line ${c.lineId}`);
      need(o.state === 'shopping' || o.state === 'needs_attendant', `cannot remove a line in state ${o.state}`);
      // removing a line approves what is pending: an age check on another line needs its own decision first
      need(!o.pending.some((p) => p.kind === 'age_check' && p.lineId !== c.lineId), 'approve or reject the age check first');
      // the attendant's removal is the shopper's request approved at once: both journaled, the approval with the id
      if (!o.pending.some((p) => p.kind === 'void' && p.lineId === c.lineId)) await engine.dispatch(o.id, { type: 'void_requested', lineId: c.lineId });
      await engine.dispatch(o.id, { type: 'attendant_approved', attendantId: id });
      return false;
    }
    case 'attendant_lane': {
      const id = attendantId(ctx, conn);
      need(deps.setLane !== undefined, 'the lane cannot be opened or closed here');
      await deps.setLane(c.open, id);
      return true;
    }
    case 'attendant_health':
      attendantId(ctx, conn);
      await runHealth(ctx);
      return true;
    case 'attendant_reprint': {
      const id = attendantId(ctx, conn);
      state.attendant = { ...state.attendant, notice: null };
      const reprint = deps.reprint;
      need(reprint !== undefined, 'no receipt printer on this lane');
      const r = await reprint(c.orderId, id).catch((e: unknown) => {
        state.attendant = { ...state.attendant, notice: { action: 'reprint', ok: false, text: NOTICES.failed(e instanceof Error ? e.message : String(e)) } };
        ctx.changed();
        throw e;
      });
      state.attendant = { ...state.attendant, notice: { action: 'reprint', ...(r.state === 'printed' ? { ok: true, text: NOTICES.reprinted(r.reprint) } : { ok: false, text: NOTICES.reprintFailed }) } };
      return true;
    }
    case 'attendant_refund': {
      const id = attendantId(ctx, conn);
      state.attendant = { ...state.attendant, notice: null };
      const refund = deps.refund;
      need(refund !== undefined, 'refunds are not available here');
      const before = await engine.get(c.orderId);
      try {
        const after = await refund(c.orderId, { attendantId: id, ...(c.lineIds ? { lineIds: c.lineIds } : {}) });
        state.attendant = { ...state.attendant, notice: { action: 'refund', ok: true, text: NOTICES.refunded(money(ctx, after.refunded - before.refunded)) } };
      } catch (e) {
        return refundFailed(ctx, e);
      }
      await rereadRefunds(ctx);
      return true;
    }
    case 'attendant_return': {
      const id = attendantId(ctx, conn);
      state.attendant = { ...state.attendant, notice: null };
      try {
        await runLaneReturn(ctx, c, id);
      } finally {
        await rereadRefunds(ctx);
      }
      return true;
    }
    case 'attendant_refund_recheck': {
      attendantId(ctx, conn);
      const doubt = deps.refundsInDoubt;
      need(doubt !== undefined, 'refunds are not available here');
      state.attendant = { ...state.attendant, notice: null };
      const open = await doubt.recheck();
      await rereadRefunds(ctx);
      state.attendant.notice = { action: 'refund', ok: open === 0, text: open === 0 ? NOTICES.refundDoubtSettled : NOTICES.refundStillInDoubt(open) };
      return true;
    }
    case 'attendant_refund_decide': {
      const id = attendantId(ctx, conn);
      const doubt = deps.refundsInDoubt;
      need(doubt !== undefined, 'refunds are not available here');
      state.attendant = { ...state.attendant, notice: null };
      try {
        // the terminal is asked first (Refunds.decide): its answer, when it has one, wins
        const r = await doubt.decide(c.refundAttemptId, c.outcome, id);
        const amount = money(ctx, r.amount);
        state.attendant.notice = {
          action: 'refund',
          ok: true,
          text: r.by === 'attendant' ? NOTICES.refundDecided(amount, r.outcome === 'refunded') : NOTICES.refundTerminalAnswered(amount, r.outcome === 'refunded'),
        };
      } catch (e) {
        return refundFailed(ctx, e);
      }
      await rereadRefunds(ctx);
      return true;
    }
    case 'attendant_recheck': {
      attendantId(ctx, conn);
      const o = await openOrder(engine);
      const after = await checkout.recover(o.id);
      if (after.state !== 'payment_unknown') return false;
      state.message = { code: 'STILL_IN_DOUBT', text: SCREEN_MESSAGES.STILL_IN_DOUBT };
      return true;
    }
  }
}

function money(ctx: ScreenContext, amount: number): string {
  const { code, minorUnits } = ctx.deps.currency;
  return `${code} ${(amount / 10 ** minorUnits).toFixed(minorUnits)}`;
}

/** The device health check (`kiosk doctor`), kept on the attendant's lane tab with when it ran. */
async function runHealth(ctx: ScreenContext): Promise<void> {
  const doctor = ctx.deps.doctor;
  need(doctor !== undefined, 'no devices to check on this lane');
  const r = await doctor();
  ctx.state.attendant = { ...ctx.state.attendant, health: { at: ctx.deps.clock.now(), ok: r.ok, rows: r.rows } };
}

/** Reads tab `orders`' lists again after a refund, a return or a decision: the past orders and the refunds in doubt. */
async function rereadRefunds(ctx: ScreenContext): Promise<void> {
  ctx.state.attendant.orders = await pastOrders(ctx);
  ctx.state.attendant.refundsInDoubt = await refundsInDoubt(ctx);
}

/**
 * A refund or a decision about one failed: the notice says why, the lists are read again (part of the money may
 * have gone back, or be in doubt, before the fault) and sent at once, and the fault goes on to the screen.
 */
async function refundFailed(ctx: ScreenContext, e: unknown): Promise<never> {
  ctx.state.attendant = { ...ctx.state.attendant, notice: { action: 'refund', ok: false, text: NOTICES.failed(e instanceof Error ? e.message : String(e)) } };
  await rereadRefunds(ctx);
  ctx.changed();
  throw e;
}

/** The refunds in doubt for tab `orders` (null when this lane has no refunds). */
async function refundsInDoubt(ctx: ScreenContext): Promise<ViewRefundInDoubt[] | null> {
  return ctx.deps.refundsInDoubt ? ctx.deps.refundsInDoubt.list() : null;
}

/** The last completed (or refunded) orders, newest first, for reprints and refunds. */
async function pastOrders(ctx: ScreenContext): Promise<ViewPastOrder[]> {
  const { deps } = ctx;
  const done = (await deps.engine.list(30)).filter((o) => o.receiptNo !== null).slice(0, 10);
  const unprinted = new Map((await (deps.unprintedReceipts?.() ?? Promise.resolve([]))).map((u) => [u.orderId, u.state]));
  return done.map((o) => {
    const refundedLines = new Set(o.refunds.flatMap((r) => r.lineIds ?? []));
    return {
      id: o.id,
      receiptNo: o.receiptNo,
      state: o.state,
      completedAt: o.updatedAt,
      total: o.priced.total,
      refunded: o.refunded,
      methods: [...new Set(o.payments.filter((p) => p.status === 'approved').map((p) => p.method))],
      receiptPrint: unprinted.get(o.id) ?? null,
      lines: o.lines.map((l) => ({
        lineId: l.lineId,
        name: l.names,
        quantity: l.quantity,
        weightGrams: l.weightGrams,
        net: o.priced.lines.find((p) => p.lineId === l.lineId)?.net ?? 0,
        refunded: refundedLines.has(l.lineId),
      })),
    };
  });
}
