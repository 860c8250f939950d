/**
 * Fail points for crash tests: named places where the process can be made to die on purpose, the way a power
 * cut would kill it there. `KIOSK_FAILPOINT=payment.before-send` (comma-separated names) makes the process SIGKILL
 * itself when it reaches that place — a real kill, no cleanup, no flush. Unset (always, in production) a fail point
 * costs one Set lookup.
 *
 * The names used by the payment flow, in order:
 * - `payment.started`        the attempt is committed (order `payment_pending`), not yet marked sent
 * - `payment.before-send`    the attempt is marked sent (with what recovery needs), nothing has reached the provider
 * - `payment.after-send`     the provider has the request (terminal prompting / gateway created the trade)
 * - `payment.after-approval` the provider approved; the approval is not committed yet
 * - `payment.after-commit`   the approval is committed (order `paid`); the receipt is not printed
 *
 * The names used by a refund (a return at the lane or from HQ, runtime/payments/refunds.ts), per part, in order:
 * - `refund.started`         the refund attempt is committed (`requested`), not yet marked sent
 * - `refund.before-send`     the refund attempt is marked sent (with what recovery needs), nothing reached the provider
 * - `refund.after-send`      the provider has the request (card: the terminal's first intermediate status of the
 *                            refund). Only a provider can reach it and none calls it yet (the card provider's `refund`
 *                            has no prompt hook; the wallet channels none between request and answer):
 *                            test/refund-crash.test.ts kills the kiosk from outside at this step
 * - `refund.after-refunded`  the provider answered refunded; the refund is not journaled yet
 * - `refund.after-commit`    `refund_issued` is committed; the caller has not answered yet
 */
export type FailpointName =
  | 'payment.started'
  | 'payment.before-send'
  | 'payment.after-send'
  | 'payment.after-approval'
  | 'payment.after-commit'
  | 'refund.started'
  | 'refund.before-send'
  | 'refund.after-send'
  | 'refund.after-refunded'
  | 'refund.after-commit'
  /** A signed config bundle is accepted and stored as pending; not applied yet. */
  | 'config.accepted'
  /** HQ sync has had 100 outbox rows PUBACKed by the broker in this run (acknowledged by HQ or not). */
  | 'sync.mid-publish';

let armed: ReadonlySet<string> | null = null;

function armedSet(): ReadonlySet<string> {
  armed ??= new Set(
    (process.env.KIOSK_FAILPOINT ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  );
  return armed;
}

/** Dies here (SIGKILL to itself) when this fail point is armed. */
export function failpoint(name: FailpointName): void {
  if (armedSet().size === 0 || !armedSet().has(name)) return;
  process.stderr.write(`failpoint ${name}: SIGKILL\n`);
  process.kill(process.pid, 'SIGKILL');
}
