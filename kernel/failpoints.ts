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
 */
export type FailpointName =
  | 'payment.started'
  | 'payment.before-send'
  | 'payment.after-send'
  | 'payment.after-approval'
  | 'payment.after-commit'
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
