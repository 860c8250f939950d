import type { HealthLevel, HealthResult } from '../contract';
import { isKioskError } from '../../kernel/errors';

/** What a check found; the dispatcher adds the level it was asked for. */
export type HealthOutcome = Omit<HealthResult, 'level'> & { level?: HealthLevel };

export interface HealthChecks {
  internal(): HealthOutcome | Promise<HealthOutcome>;
  external(): Promise<HealthOutcome>;
  interactive(prompt?: (text: string) => Promise<boolean>): Promise<HealthOutcome>;
}

/**
 * The one health dispatcher of drivers/: runs the check for `level` and reports that level. Per the contract it
 * never throws — a thrown error (or a rejected check) is a failed check with its code.
 */
export async function runHealthCheck(level: HealthLevel, checks: HealthChecks, prompt?: (text: string) => Promise<boolean>): Promise<HealthResult> {
  try {
    let outcome: HealthOutcome;
    switch (level) {
      case 'internal':
        outcome = await checks.internal();
        break;
      case 'external':
        outcome = await checks.external();
        break;
      case 'interactive':
        outcome = await checks.interactive(prompt);
        break;
      default:
        return { level, ok: false, reason: `unknown health level ${String(level)}` };
    }
    return { ...outcome, level };
  } catch (e) {
    const reason = e instanceof Error ? e.message : String(e);
    return { level, ok: false, reason, ...(isKioskError(e) ? { code: e.code } : {}) };
  }
}
