/**
 * Telling the kiosk about a refund HQ made at the channel (hq/refunds/hq-refund.ts), so that the lane cannot pay the
 * same money back again: once an HQ refund is `refunded`, HQ sends the order's kiosk the signed command `hq_refund`
 * (protocol/control/commands.ts; hq/fleet/commands.ts sendCommand: a `commands` row, audited `command.send`, QoS 1 on
 * the kiosk's `cmd` topic), which the kiosk journals on the order without paying anything (runtime/payments/
 * hq-refund-record.ts), idempotent on the HQ refund id.
 *
 * An outbox: the HQ refunds rows are the truth, this module works out which refunds the kiosk does not have yet and
 * sends (again) those. A refund is **recorded** at the kiosk when HQ has ingested its `hq_refund_recorded` journal
 * entry, or the kiosk answered a command for it `ok`. Otherwise it is sent:
 * - right after the refund (the console's POST), and by {@link hqRefundNoticeService} (every 30 s in `hq serve`;
 *   also what delivers the refunds `hq refund` made from the command line, which has no broker);
 * - again when the last command for it got no answer (`timeout`) or was refused (`rejected`, e.g. `expired`: the
 *   kiosk came back after the command's 10-minute validity): after 10 min × 2^(copies − 1), at most every 6 h, so a
 *   kiosk that stays away does not collect a queue of copies (its MQTT session keeps QoS 1 commands for it:
 *   device/hq-link.ts `clean: false`, but each copy expires after 10 minutes);
 * - never again after `failed` (the kiosk refused it, e.g. more than it has left to refund): shown on the order page.
 */
import { COMMAND_TTL_MS } from '../signing';
import { tryParseJson } from '../../kernel/json/bounded-json';
import type { TimerHandle } from '../../kernel/clock';
import type { CommandArgs } from '../../protocol/control/commands';
import type { Tx } from '../../kernel/sqlite/database';
import type { ConsoleContext, ConsoleService } from '../console/types';
import { sendCommand, type SendOutcome } from '../fleet/commands';
import { hqRefunds, refundedHqRefunds, type HqRefundRow } from './refund-rows';

export const HQ_REFUND_COMMAND = 'hq_refund';
/** The longest wait between two copies of one notice to a kiosk that does not answer. */
const MAX_BACKOFF_MS = 6 * 3_600_000;

/** The `hq_refund` command's args for a refunded HQ refund. */
export function hqRefundCommandArgs(r: HqRefundRow): CommandArgs<'hq_refund'> {
  const a = r.allocation;
  return {
    orderId: r.orderId,
    refundId: a.hqRefundId,
    amount: r.amount,
    channel: a.channel as CommandArgs<'hq_refund'>['channel'],
    attemptId: a.attemptId,
    channelRefundNo: a.refundNo,
    ...(a.refundId ? { channelRefundId: a.refundId.slice(0, 128) } : {}),
    ...(a.lineIds?.length ? { lineIds: a.lineIds } : {}),
    reason: a.reason,
    requestedBy: a.requestedBy.slice(0, 64),
  };
}

/** Where the kiosk is with one HQ refund. */
export type KioskNotice =
  | { state: 'recorded' }
  | { state: 'sent'; at: number; copies: number }
  | { state: 'failed'; error: string; copies: number }
  /** No answer / refused (`detail`); the next copy is due at `dueAt`. */
  | { state: 'waiting'; detail: string; copies: number; dueAt: number }
  | { state: 'not_sent' };

interface CommandRow {
  id: string;
  args: string;
  sent_at: number;
  status: string;
  result: string | null;
}

const parse = (text: string | null): Record<string, unknown> => {
  const r = tryParseJson(text ?? '', { maxBytes: 300_000 });
  return r.ok && typeof r.value === 'object' && r.value !== null && !Array.isArray(r.value) ? (r.value as Record<string, unknown>) : {};
};

/** The kiosk's state for each given HQ refund (by HQ refund id). */
export async function kioskNotices(db: Pick<Tx, 'all'>, rows: readonly HqRefundRow[], now: number): Promise<Map<string, KioskNotice>> {
  const out = new Map<string, KioskNotice>();
  if (rows.length === 0) return out;
  // what the kiosk journaled (ingested at HQ)
  const journaled = new Set<string>();
  const devices = new Map<string, [string, string]>();
  for (const r of rows) devices.set(`${r.storeId}\n${r.deviceId}`, [r.storeId, r.deviceId]);
  const commands = new Map<string, CommandRow[]>();
  for (const [store, device] of devices.values()) {
    const events = await db.all<{ order_id: string; payload: string }>(
      "SELECT order_id, payload FROM sales_events WHERE store_id = ? AND device_id = ? AND type = 'hq_refund_recorded'",
      [store, device],
    );
    for (const e of events) {
      const id = (parse(e.payload).event as { refundId?: unknown } | undefined)?.refundId;
      if (typeof id === 'string') journaled.add(`${store}\n${device}\n${e.order_id}\n${id}`);
    }
    const sent = await db.all<CommandRow>('SELECT id, args, sent_at, status, result FROM commands WHERE store_id = ? AND device_id = ? AND name = ? ORDER BY sent_at', [
      store,
      device,
      HQ_REFUND_COMMAND,
    ]);
    for (const c of sent) {
      const args = parse(c.args);
      const key = `${store}\n${device}\n${String(args.orderId)}\n${String(args.refundId)}`;
      commands.set(key, [...(commands.get(key) ?? []), c]);
    }
  }
  for (const r of rows) {
    const key = `${r.storeId}\n${r.deviceId}\n${r.orderId}\n${r.allocation.hqRefundId}`;
    const cs = commands.get(key) ?? [];
    const last = cs.at(-1);
    if (journaled.has(key) || cs.some((c) => c.status === 'ok')) out.set(r.allocation.hqRefundId, { state: 'recorded' });
    else if (!last) out.set(r.allocation.hqRefundId, { state: 'not_sent' });
    else if (last.status === 'sent' && now - Number(last.sent_at) < COMMAND_TTL_MS) out.set(r.allocation.hqRefundId, { state: 'sent', at: Number(last.sent_at), copies: cs.length });
    else if (last.status === 'failed') {
      const res = parse(last.result);
      out.set(r.allocation.hqRefundId, { state: 'failed', error: typeof res.error === 'string' ? res.error.slice(0, 300) : 'failed', copies: cs.length });
    } else {
      const res = parse(last.result);
      const detail = last.status === 'rejected' ? `rejected: ${typeof res.reason === 'string' ? res.reason : ''}` : last.status === 'sent' ? 'no answer' : last.status;
      // a kiosk that answered "expired" is back: the next copy goes now; one that does not answer is given time
      const back = last.status === 'rejected' && (res.reason === 'expired' || res.reason === 'not_yet_valid');
      const wait = back ? 0 : Math.min(COMMAND_TTL_MS * 2 ** (cs.length - 1), MAX_BACKOFF_MS);
      out.set(r.allocation.hqRefundId, { state: 'waiting', detail, copies: cs.length, dueAt: Number(last.sent_at) + wait });
    }
  }
  return out;
}

export interface NoticeSent {
  storeId: string;
  deviceId: string;
  orderId: string;
  refundId: string;
  outcome: SendOutcome;
}

/**
 * Sends `hq_refund` for every refunded HQ refund the kiosk does not have and is due a (new) copy — of one order
 * (`only`), or across the chain. Returns what was sent.
 */
export async function sendHqRefundNotices(ctx: ConsoleContext, user: string, only?: readonly [string, string, string]): Promise<NoticeSent[]> {
  const rows = only ? (await hqRefunds(ctx.store.db.read, only)).filter((r) => r.allocation.state === 'refunded') : await refundedHqRefunds(ctx.store.db.read);
  const now = ctx.clock.now();
  const states = await kioskNotices(ctx.store.db.read, rows, now);
  const out: NoticeSent[] = [];
  for (const r of rows) {
    const s = states.get(r.allocation.hqRefundId);
    const due = s?.state === 'not_sent' || (s?.state === 'waiting' && s.dueAt <= now);
    if (!due) continue;
    const outcome = await sendCommand(ctx, user, r.storeId, r.deviceId, HQ_REFUND_COMMAND, hqRefundCommandArgs(r));
    out.push({ storeId: r.storeId, deviceId: r.deviceId, orderId: r.orderId, refundId: r.allocation.hqRefundId, outcome });
    if (!outcome.ok) break; // no broker / key: the next pass tries again
  }
  return out;
}

/** Sends the notices due every `sweepMs` (default 30 s) while `hq serve` runs with a broker and a key. */
export function hqRefundNoticeService(opts: { sweepMs?: number } = {}): ConsoleService {
  return (ctx) => {
    let stopped = false;
    let timer: TimerHandle | null = null;
    let running: Promise<unknown> = Promise.resolve();
    const sweep = (): void => {
      if (stopped) return;
      if (ctx.mqtt?.connected && ctx.hqKey) {
        running = running.then(() => sendHqRefundNotices(ctx, 'hq')).catch((e: unknown) => console.error(`hq console: HQ refund notices: ${(e as Error).message}`));
      }
      timer = ctx.clock.setTimeout(sweep, opts.sweepMs ?? 30_000);
    };
    sweep();
    return {
      async stop() {
        stopped = true;
        if (timer) ctx.clock.clearTimeout(timer);
        await running;
      },
    };
  };
}

export const HQ_REFUND_NOTICE_SERVICE: ConsoleService = hqRefundNoticeService();
