import type { RefundDecision, RefundDecisionResult } from '../../runtime/payments/refunds';
import { CliExit, configFrom, printJson, type CommonOptions } from '../cli-support';
import { callControl } from '../control-server';
import { bootLocked } from '../locked-boot';
import { listRefundsInDoubt, type RefundInDoubtView } from '../refunds-control';

/**
 * A kiosk running on this data dir owns the terminal and the database: it answers over the control endpoint
 * (device/refunds-control.ts). Null when none runs here (or one out of service that does not offer the route):
 * this process boots the lane itself, which asks the terminal about every card refund in doubt first.
 */
async function inRunningKiosk(dataDir: string, method: 'GET' | 'POST', route: string, body?: unknown): Promise<unknown> {
  const res = await callControl(dataDir, method, route, body);
  if (res === null || res.status === 404) return null;
  if (res.status === 200) return res.body;
  const err = (res.body ?? {}) as { error?: string; code?: string };
  throw new CliExit(1, `kiosk: ${err.code ?? 'FAILED'}: ${err.error ?? `HTTP ${res.status}`}`);
}

function printList(rows: RefundInDoubtView[]): void {
  for (const r of rows) {
    process.stdout.write(
      `${r.refundAttemptId}  order ${r.orderId}${r.receiptNo !== null ? ` (receipt ${r.receiptNo})` : ''}  ${r.method} ${r.amount}  ${r.state}` +
        `${r.returnId ? `  return ${r.returnId}` : ''}  by ${r.attendantId}${r.reason ? `  — ${r.reason}` : ''}\n`,
    );
  }
  process.stdout.write(rows.length ? `${rows.length} refund(s) in doubt: decide each with kiosk refunds decide ID --refunded|--not-refunded --attendant A\n` : 'no refund in doubt\n');
}

/** `kiosk refunds list-in-doubt [--json]`: the refunds whose outcome the terminal / channel never gave, oldest first. */
export async function refundsListInDoubt(opts: CommonOptions & { json?: boolean }): Promise<void> {
  const config = configFrom(opts);
  let rows = (await inRunningKiosk(config.dataDir, 'GET', '/refunds/in-doubt')) as RefundInDoubtView[] | null;
  if (rows === null) {
    const k = await bootLocked(config, { devices: true });
    try {
      rows = await listRefundsInDoubt(k.db);
    } finally {
      await k.close();
    }
  }
  if (opts.json) printJson({ inDoubt: rows });
  else printList(rows);
}

/**
 * `kiosk refunds decide ATTEMPT --refunded|--not-refunded --attendant A`: the attendant's decision on a refund the
 * terminal / channel could not settle (runtime/payments/refunds.ts `decide`; journaled with the attendant id).
 */
export async function refundsDecide(attemptId: string, opts: CommonOptions & { refunded?: boolean; notRefunded?: boolean; attendant?: string; json?: boolean }): Promise<void> {
  if (opts.refunded === opts.notRefunded) throw new CliExit(2, 'kiosk: give exactly one of --refunded (the shopper got the money) or --not-refunded');
  if (!opts.attendant || opts.attendant.trim() === '') throw new CliExit(2, 'kiosk: --attendant <id> is required (the decision is journaled with who made it)');
  const outcome: RefundDecision = opts.refunded ? 'refunded' : 'not_refunded';
  const config = configFrom(opts);
  let r = (await inRunningKiosk(config.dataDir, 'POST', '/refunds/decide', { refundAttemptId: attemptId, outcome, attendantId: opts.attendant })) as RefundDecisionResult | null;
  if (r === null) {
    // boot recovery asks the terminal first: only what it could not settle is still in doubt
    const k = await bootLocked(config, { devices: true });
    try {
      r = await k.refunds.decide(attemptId, outcome, opts.attendant);
    } finally {
      await k.close();
    }
  }
  if (opts.json) printJson(r);
  else {
    const who = r.by === 'attendant' ? `attendant ${r.attendantId ?? opts.attendant}` : 'the terminal';
    process.stdout.write(
      `refund ${r.refundAttemptId} (order ${r.orderId}, ${r.method} ${r.amount}): ${r.outcome === 'refunded' ? 'refunded' : 'not refunded'}` +
        `${r.replayed ? ' (decided before)' : ''}, by ${who}; order ${r.order.state}, ${r.order.refunded}/${r.order.paid} refunded\n`,
    );
  }
}
