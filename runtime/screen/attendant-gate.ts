import type { Clock } from '../../kernel/clock';
import { matchSecret } from './pin';

/** One enrolled credential: an attendant id and an scrypt hash (`attendant.pins`, `attendant.badges`). */
export interface AttendantCredential {
  attendantId: string;
  hash: string;
}

export interface AttendantGateOptions {
  /** `attendant.pins` from config (read at every check, so an HQ bundle applied later is in force at once). */
  pins: readonly AttendantCredential[];
  /** `attendant.badges` from config: scrypt hashes of enrolled badge codes. None by default: no badge opens anything. */
  badges?: readonly AttendantCredential[];
  /** Failed PINs (or badges) in a row before the keypad (or the badge reader) locks (`attendant.maxPinAttempts`). */
  maxAttempts: number;
  /** How long it stays locked (`attendant.lockoutMs`). */
  lockoutMs: number;
  /**
   * Which scans are *tried* as badges (`attendant.badgePattern`): a pre-filter only — a code that matches but is
   * not enrolled opens nothing and counts as a failure.
   */
  badgePattern?: string;
  clock: Clock;
}

export type GateRefusal = 'wrong_pin' | 'unknown_badge' | 'locked' | 'bad_input' | 'busy';

export type GateResult = { ok: true; attendantId: string } | { ok: false; reason: GateRefusal; attemptsLeft: number; lockedUntil: number | null };

/** The longest scan tried as a badge (a badge code is short; nothing longer is hashed). */
export const MAX_BADGE_CHARS = 64;

/** Failures in a row and the lockout they caused, for one kind of credential. */
class Lockout {
  failures = 0;
  until: number | null = null;
  checking = false;
  constructor(private readonly opts: { maxAttempts: number; lockoutMs: number; clock: Clock }) {}

  locked(): number | null {
    if (this.until !== null && this.opts.clock.now() >= this.until) {
      this.until = null;
      this.failures = 0;
    }
    return this.until;
  }

  fail(): void {
    this.failures++;
    if (this.failures >= this.opts.maxAttempts) this.until = this.opts.clock.now() + this.opts.lockoutMs;
  }

  refusal(reason: GateRefusal): GateResult {
    return { ok: false, reason, attemptsLeft: Math.max(0, this.opts.maxAttempts - this.failures), lockedUntil: this.locked() };
  }
}

/**
 * Checks attendant PINs and badges against scrypt hashes. Rules: PINs are 4-12 digits (anything else is refused
 * without a check); one check at a time per kind (a second one while a check runs is refused as `busy`, so the
 * keypad or the scanner cannot be hammered in parallel); `maxAttempts` failures in a row lock that kind for
 * `lockoutMs` (by the injected clock; PINs and badges count separately, so a shopper scanning fake badges cannot
 * lock the attendant's keypad); a success resets its count. A badge is a scan matching `badgePattern` whose code
 * verifies against an enrolled `badges` hash — the code is never the attendant id. Neither PIN nor badge code is
 * logged or kept.
 */
export class AttendantGate {
  private readonly pinLock: Lockout;
  private readonly badgeLock: Lockout;
  private pattern: { source: string; re: RegExp | null } | null = null;

  constructor(private readonly opts: AttendantGateOptions) {
    this.pinLock = new Lockout(opts);
    this.badgeLock = new Lockout(opts);
    this.badgeRe(); // a bad pattern fails at construction, not at the first scan
  }

  private badgeRe(): RegExp | null {
    const source = this.opts.badgePattern ?? '';
    if (this.pattern?.source !== source) this.pattern = { source, re: source ? new RegExp(source) : null };
    return this.pattern.re;
  }

  /** When the keypad opens again (epoch ms), or null. */
  locked(): number | null {
    return this.pinLock.locked();
  }

  /** When badges are tried again (epoch ms), or null. */
  badgeLocked(): number | null {
    return this.badgeLock.locked();
  }

  /**
   * Checks a PIN; with `attendantId` only that attendant's PIN counts (the second factor after a badge must be
   * the badge holder's own PIN).
   */
  async checkPin(pin: unknown, only?: { attendantId: string }): Promise<GateResult> {
    const lock = this.pinLock;
    if (lock.locked() !== null) return lock.refusal('locked');
    if (typeof pin !== 'string' || !/^\d{4,12}$/.test(pin)) return lock.refusal('bad_input');
    const pins = this.opts.pins.filter((p) => !only || p.attendantId === only.attendantId);
    return this.check(lock, pin, pins, 'wrong_pin');
  }

  /** Whether a scan is tried as a badge (matches `badgePattern`, at most MAX_BADGE_CHARS). */
  isBadge(raw: string): boolean {
    const re = this.badgeRe();
    return re !== null && raw.length > 0 && raw.length <= MAX_BADGE_CHARS && re.test(raw);
  }

  /** Checks a badge-shaped scan against the enrolled badges (`bad_input` when it is not badge-shaped at all). */
  async checkBadge(raw: string): Promise<GateResult> {
    const lock = this.badgeLock;
    if (lock.locked() !== null) return lock.refusal('locked');
    if (!this.isBadge(raw)) return lock.refusal('bad_input');
    return this.check(lock, raw, this.opts.badges ?? [], 'unknown_badge');
  }

  private async check(lock: Lockout, secret: string, creds: readonly AttendantCredential[], miss: GateRefusal): Promise<GateResult> {
    if (lock.checking) return lock.refusal('busy');
    lock.checking = true;
    try {
      const hit = await matchSecret(secret, creds);
      if (hit) {
        lock.failures = 0;
        return { ok: true, attendantId: hit.attendantId };
      }
      lock.fail();
      return lock.refusal(lock.until !== null ? 'locked' : miss);
    } finally {
      lock.checking = false;
    }
  }
}
