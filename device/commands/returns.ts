import { randomUUID } from 'node:crypto';
import { isKioskError } from '../../kernel/errors';
import { CliExit, configFrom, printJson, type CommonOptions } from '../cli-support';
import { bootLocked } from '../locked-boot';

/**
 * `kiosk orders return ID --reason R --attendant A [--lines a,b | --amount N] [--return-id RID]`: an after-sales
 * return under the store's returns policy (config `returns`), paid back through the methods the order used and
 * journaled as `refund_issued` with `reason` and `returnId`. The same `--return-id` again prints the first result.
 */
export async function ordersReturn(
  orderId: string,
  opts: CommonOptions & { amount?: string; lines?: string; attendant?: string; reason?: string; returnId?: string; json?: boolean },
): Promise<void> {
  if (!opts.attendant) throw new CliExit(2, 'kiosk: --attendant <id> is required (every return is journaled with who approved it)');
  if (!opts.reason) throw new CliExit(2, 'kiosk: --reason <id> is required (one of the reasons in config returns.reasons)');
  const amount = opts.amount === undefined ? undefined : Number(opts.amount);
  if (amount !== undefined && (!Number.isSafeInteger(amount) || amount <= 0)) throw new CliExit(2, `kiosk: --amount must be positive minor units, got "${opts.amount}"`);
  const returnId = opts.returnId ?? `lane-${randomUUID()}`;
  const k = await bootLocked(configFrom(opts), { devices: true });
  try {
    const r = await k.returns.run(orderId, {
      returnId,
      reason: opts.reason,
      attendantId: opts.attendant,
      by: 'lane',
      ...(amount !== undefined ? { amount } : {}),
      ...(opts.lines ? { lineIds: opts.lines.split(',') } : {}),
    });
    if (opts.json) printJson(r);
    else {
      process.stdout.write(
        `${r.replayed ? 'return already done' : 'returned'} ${r.refund.amount} (return ${r.returnId}, reason ${r.refund.reason ?? '-'}; ${(r.refund.allocations ?? []).map((a) => `${a.method} ${a.via} ${a.amount}`).join(', ')}); order ${r.state}\n`,
      );
    }
  } catch (e) {
    if (isKioskError(e) && e.code === 'RETURN_REFUSED') {
      const text = e.details.text as { 'zh-CN': string; en: string };
      throw new CliExit(1, `kiosk: RETURN_REFUSED (${String(e.details.rule)}): ${text.en} / ${text['zh-CN']}`);
    }
    throw e;
  } finally {
    await k.close();
  }
}
