import type { HealthLevel, HealthResult } from '../contract';
import { isKioskError } from '../../kernel/errors';

export interface HealthChecks {
  internal(): HealthResult | Promise<HealthResult>;
  external(): Promise<HealthResult>;
  interactive(prompt?: (text: string) => Promise<boolean>): Promise<HealthResult>;
}

/** Runs the check for `level`; per the contract it never throws — a thrown error is a failed check with its code. */
export async function runHealthCheck(level: HealthLevel, checks: HealthChecks, prompt?: (text: string) => Promise<boolean>): Promise<HealthResult> {
  try {
    switch (level) {
      case 'internal':
        return await checks.internal();
      case 'external':
        return await checks.external();
      case 'interactive':
        return await checks.interactive(prompt);
      default:
        return { level, ok: false, reason: `unknown health level ${String(level)}` };
    }
  } catch (e) {
    const reason = e instanceof Error ? e.message : String(e);
    return { level, ok: false, reason, ...(isKioskError(e) ? { code: e.code } : {}) };
  }
}
