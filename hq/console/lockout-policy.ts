/** Login lockout: this many consecutive wrong passwords lock a username for LOCK_MS (HQ's clock). */
export const MAX_FAILED_LOGINS = 5;
export const LOCK_MS = 15 * 60_000;
