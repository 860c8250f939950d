import { LOCK_MS, MAX_FAILED_LOGINS } from './lockout-policy';

/**
 * Lockout for usernames that do not exist. A real username is locked after {@link MAX_FAILED_LOGINS} wrong passwords
 * (kept in the users table); if an unknown name were never "locked", the locked message would tell an attacker which
 * names are real. So unknown names count failures too, here in memory (they have no row), and lock the same way.
 * Bounded: the oldest names are forgotten beyond `max` (a forgotten name only starts counting again).
 */
export class UnknownNameLockout {
  private readonly names = new Map<string, { failures: number; lockedUntil: number | null }>();

  constructor(private readonly max = 10_000) {}

  /** When the name is locked at `now`, the instant it unlocks; otherwise null. */
  lockedUntil(name: string, now: number): number | null {
    const e = this.names.get(name);
    return e?.lockedUntil !== null && e?.lockedUntil !== undefined && e.lockedUntil > now ? e.lockedUntil : null;
  }

  /** Counts a failed login; true when it locked the name. */
  fail(name: string, now: number): boolean {
    const e = this.names.get(name) ?? { failures: 0, lockedUntil: null };
    this.names.delete(name); // re-inserted last: the map's order is the eviction order
    if (e.lockedUntil !== null && e.lockedUntil <= now) e.lockedUntil = null;
    e.failures++;
    let locked = false;
    if (e.failures >= MAX_FAILED_LOGINS) {
      e.failures = 0;
      e.lockedUntil = now + LOCK_MS;
      locked = true;
    }
    this.names.set(name, e);
    while (this.names.size > this.max) this.names.delete(this.names.keys().next().value as string);
    return locked;
  }

  get size(): number {
    return this.names.size;
  }
}
