import type { Clock } from '../../kernel/clock';
import { sleepOn } from './token-bucket';

/**
 * The health check of a release on probation: named checks (e.g. ready, devices, journal, hq), each answering null
 * (passes) or what is wrong. They are tried every `intervalMs` until each has passed once, or until `deadline`: then
 * the first check that never passed fails the release, with its last problem. A check that throws fails that round.
 */
export type HealthChecks = Record<string, () => Promise<string | null>>;

export type HealthOutcome = { ok: true } | { ok: false; check: string; detail: string };

export async function awaitHealthy(checks: HealthChecks, o: { clock: Clock; deadline: number; intervalMs?: number; signal?: AbortSignal }): Promise<HealthOutcome> {
  const pending = new Map<string, string>(Object.keys(checks).map((n) => [n, 'not checked yet']));
  for (;;) {
    for (const name of [...pending.keys()]) {
      let problem: string | null;
      try {
        problem = await checks[name]();
      } catch (e) {
        problem = `the check failed: ${(e as Error).message}`;
      }
      if (problem === null) pending.delete(name);
      else pending.set(name, problem);
    }
    if (pending.size === 0) return { ok: true };
    const left = o.deadline - o.clock.now();
    if (left <= 0) {
      const [check, detail] = [...pending.entries()][0];
      return { ok: false, check, detail: `${detail} (health window over)` };
    }
    await sleepOn(o.clock, Math.min(left, o.intervalMs ?? 1000), o.signal);
  }
}
