import type { Clock } from '../clock';
import { verifyPin } from './pin';

export interface AttendantGateOptions {
  /** `attendant.pins` from config. */
  pins: readonly { attendantId: string; hash: string }[];
  /** Failed PINs in a row before the keypad locks (`attendant.maxPinAttempts`). */
  maxAttempts: number;
  /** How long it stays locked (`attendant.lockoutMs`). */
  lockoutMs: number;
  /** A badge barcode that also opens attendant mode (`attendant.badgePattern`); the badge text is the attendant id. */
  badgePattern?: string;
  clock: Clock;
}

export type GateResult =
  | { ok: true; attendantId: string }
  | { ok: false; reason: 'wrong_pin' | 'locked' | 'bad_input' | 'busy'; attemptsLeft: number; lockedUntil: number | null };

/**
 * Checks attendant PINs against scrypt hashes. Rules: PINs are 4-12 digits (anything else is refused without a
 * check); one check at a time (a second one while a check runs is refused as `busy`, so the keypad cannot be
 * hammered in parallel); `maxAttempts` wrong PINs in a row lock it for `lockoutMs` (by the injected clock); a
 * correct PIN resets the count. The PIN is never logged or kept.
 */
export class AttendantGate {
  private failures = 0;
  private lockedUntil: number | null = null;
  private checking = false;
  private readonly badge: RegExp | null;

  constructor(private readonly opts: AttendantGateOptions) {
    this.badge = opts.badgePattern ? new RegExp(opts.badgePattern) : null;
  }

  /** When the keypad opens again (epoch ms), or null. */
  locked(): number | null {
    if (this.lockedUntil !== null && this.opts.clock.now() >= this.lockedUntil) {
      this.lockedUntil = null;
      this.failures = 0;
    }
    return this.lockedUntil;
  }

  private refusal(reason: 'wrong_pin' | 'locked' | 'bad_input' | 'busy'): GateResult {
    return { ok: false, reason, attemptsLeft: Math.max(0, this.opts.maxAttempts - this.failures), lockedUntil: this.locked() };
  }

  async checkPin(pin: unknown): Promise<GateResult> {
    if (this.locked() !== null) return this.refusal('locked');
    if (typeof pin !== 'string' || !/^\d{4,12}$/.test(pin)) return this.refusal('bad_input');
    if (this.checking) return this.refusal('busy');
    this.checking = true;
    try {
      for (const p of this.opts.pins) {
        if (await verifyPin(pin, p.hash)) {
          this.failures = 0;
          return { ok: true, attendantId: p.attendantId };
        }
      }
      this.failures++;
      if (this.failures >= this.opts.maxAttempts) this.lockedUntil = this.opts.clock.now() + this.opts.lockoutMs;
      return this.refusal(this.lockedUntil !== null ? 'locked' : 'wrong_pin');
    } finally {
      this.checking = false;
    }
  }

  /** An attendant badge scanned at the lane: its text is the attendant id; null when it is not a badge. */
  badgeId(raw: string): string | null {
    return this.badge && this.badge.test(raw) ? raw : null;
  }
}
