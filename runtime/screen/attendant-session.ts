import type { ScreenCommand, ViewAttendant } from '../../protocol/screen';
import type { Clock, TimerHandle } from '../../kernel/clock';
import type { AttendantGate, GateResult } from './attendant-gate';

/** The connection of an in-process caller (tests, tools): used when a command names no screen connection. */
export const LOCAL_CONNECTION = 'local';

/** Why an attendant credential or command was refused (journaled as `attendant_refused` with the cause). */
export type AttendantRefusalCause =
  | 'unknown_badge'
  | 'badge_locked'
  | 'badge_busy'
  | 'badge_ambiguous'
  | 'wrong_pin'
  | 'pin_locked'
  | 'pin_busy'
  | 'not_authorised'
  | 'pin_required';

/** One refusal, as journaled: never the PIN or the badge code. */
export interface AttendantRefusal {
  cause: AttendantRefusalCause;
  /** The attendant concerned (the badge holder, the session's attendant), when known. */
  attendantId: string | null;
  /** The command refused (`attendant_refund`, …) or `badge` / `pin`. */
  command: string;
  /** Refusals of the same window that were not reported one by one (flood bound). */
  suppressed: number;
}

/** Why a session ended. */
export type AttendantEnd = 'done' | 'idle' | 'disconnected' | 'replaced';

/**
 * Attendant commands that move money: with a badge alone they are refused until the badge holder's own PIN is
 * entered (second factor). A cancel only counts when something was paid already.
 */
export const MONEY_COMMANDS: ReadonlySet<ScreenCommand['kind']> = new Set(['attendant_refund', 'attendant_return', 'attendant_resolve', 'attendant_refund_decide']);

/** At most this many refusals are reported per minute (the rest are counted into the next report). */
const MAX_REPORTS_PER_MINUTE = 30;

export interface AttendantSessionOptions {
  gate: AttendantGate;
  clock: Clock;
  /** No attendant command for this long closes the session (`attendant.idleTimeoutMs`). */
  idleMs: number;
  /** The session ended by itself or by a rule (idle, connection gone, done): the screen resets attendant mode. */
  onEnded: (why: AttendantEnd) => void;
  onRefused?: (r: AttendantRefusal) => void;
}

interface Holder {
  conn: string;
  attendantId: string;
  via: 'pin' | 'badge';
  /** The badge holder entered their own PIN in this session. */
  pinConfirmed: boolean;
  /** A money command waiting for the PIN (runs once the PIN is right). */
  pending: ScreenCommand | null;
  pinPad: boolean;
  error: string | null;
}

export type PinOutcome = { ok: true; opened: boolean; pending: ScreenCommand | null } | { ok: false; reason: GateResult & { ok: false } };
export type BadgeOutcome = { ok: true; attendantId: string } | { ok: false; cause: AttendantRefusalCause };

/**
 * Who may act as the attendant, per screen connection. Rules:
 * - One attendant session per lane, bound to the connection that authenticated (a PIN typed on that page, or a
 *   badge scanned while that page had the keypad open — or while it was the only screen connected). Commands
 *   from any other connection are refused (`not_authorised`) and other pages never see attendant controls.
 * - The session ends on an explicit close, when its connection closes, after a task-ending action (the caller
 *   calls `end('done')`), and after `idleMs` with no attendant command (injected clock).
 * - A badge alone opens the session for non-money work; money commands (MONEY_COMMANDS, or a cancel with money
 *   paid) need the badge holder's own PIN first (`requirePin`).
 * - Every refusal is reported (bounded to MAX_REPORTS_PER_MINUTE; the rest are counted) without the secret.
 */
export class AttendantSession {
  private readonly connections: string[] = [];
  /** Connections with the keypad open (not signed in), with the last error shown there. */
  private readonly pads = new Map<string, string | null>();
  private holder: Holder | null = null;
  private timer: TimerHandle | null = null;
  private window = { start: 0, count: 0, suppressed: 0 };

  constructor(private readonly opts: AttendantSessionOptions) {}

  connect(conn: string): void {
    if (!this.connections.includes(conn)) this.connections.push(conn);
  }

  disconnect(conn: string): void {
    const i = this.connections.indexOf(conn);
    if (i >= 0) this.connections.splice(i, 1);
    this.pads.delete(conn);
    if (this.holder?.conn === conn) this.end('disconnected');
  }

  /** Whether an attendant session is open on any connection. */
  active(): boolean {
    return this.holder !== null;
  }

  /** The attendant acting on `conn`, or null (then the command is not authorised). */
  attendantOn(conn: string): string | null {
    return this.holder?.conn === conn ? this.holder.attendantId : null;
  }

  /** The Staff button: the keypad opens on that page only. */
  openPad(conn: string): void {
    if (this.holder?.conn !== conn) this.pads.set(conn, null);
  }

  /** The close button: a second-factor keypad closes (its pending action dropped), else the session ends. */
  close(conn: string): void {
    this.pads.delete(conn);
    const h = this.holder;
    if (h?.conn !== conn) return;
    if (h.pinPad) {
      h.pinPad = false;
      h.pending = null;
      h.error = null;
      this.touch();
    } else this.end('done');
  }

  /**
   * An attendant command arrives on `conn`: allowed only on the session's own connection (which counts as
   * activity); otherwise reported as `not_authorised` and refused.
   */
  authorise(conn: string, command: string): boolean {
    if (this.holder?.conn === conn) {
      this.touch();
      return true;
    }
    this.report('not_authorised', this.holder?.attendantId ?? null, command);
    return false;
  }

  /**
   * A money command on a badge-only session: kept pending, the keypad asks for the holder's PIN, reported as
   * `pin_required`; returns true when the command must wait.
   */
  requirePin(conn: string, c: ScreenCommand): boolean {
    const h = this.holder;
    if (!h || h.conn !== conn || h.via === 'pin' || h.pinConfirmed) return false;
    h.pending = c;
    h.pinPad = true;
    h.error = 'pin_required';
    this.report('pin_required', h.attendantId, c.kind);
    return true;
  }

  /**
   * A PIN typed on `conn`. On the badge session's own page it is the second factor (only the badge holder's PIN
   * counts) and returns the command that was waiting for it; elsewhere a right PIN opens a session for that page
   * (ending any other).
   */
  async pin(conn: string, pin: string): Promise<PinOutcome> {
    const h = this.holder;
    if (h && h.conn === conn && h.via === 'badge' && !h.pinConfirmed) {
      const r = await this.opts.gate.checkPin(pin, { attendantId: h.attendantId });
      if (this.holder !== h) return { ok: false, reason: { ok: false, reason: 'busy', attemptsLeft: 0, lockedUntil: this.opts.gate.locked() } };
      if (!r.ok) {
        h.pinPad = true;
        h.error = r.reason;
        this.report(pinCause(r.reason), h.attendantId, 'pin');
        return { ok: false, reason: r };
      }
      const pending = h.pending;
      Object.assign(h, { pinConfirmed: true, pending: null, pinPad: false, error: null });
      this.touch();
      return { ok: true, opened: false, pending };
    }
    const r = await this.opts.gate.checkPin(pin);
    if (!r.ok) {
      if (this.connections.includes(conn) || conn === LOCAL_CONNECTION) this.pads.set(conn, r.reason);
      this.report(pinCause(r.reason), null, 'pin');
      return { ok: false, reason: r };
    }
    this.start(conn, r.attendantId, 'pin');
    return { ok: true, opened: true, pending: null };
  }

  /**
   * A badge-shaped scan: opens a session only for an enrolled badge, bound to the one page that has the keypad
   * open (or the only page connected); anything else is reported and refused.
   */
  async badge(raw: string): Promise<BadgeOutcome> {
    const r = await this.opts.gate.checkBadge(raw);
    if (!r.ok) {
      const cause: AttendantRefusalCause = r.reason === 'locked' ? 'badge_locked' : r.reason === 'busy' ? 'badge_busy' : 'unknown_badge';
      for (const conn of this.pads.keys()) this.pads.set(conn, cause);
      this.report(cause, null, 'badge');
      return { ok: false, cause };
    }
    const candidates = this.pads.size > 0 ? [...this.pads.keys()] : this.connections.length > 0 ? this.connections : [LOCAL_CONNECTION];
    if (candidates.length !== 1) {
      for (const conn of this.pads.keys()) this.pads.set(conn, 'badge_ambiguous');
      this.report('badge_ambiguous', r.attendantId, 'badge');
      return { ok: false, cause: 'badge_ambiguous' };
    }
    this.start(candidates[0], r.attendantId, 'badge');
    return { ok: true, attendantId: r.attendantId };
  }

  /** Ends the session (if any). */
  end(why: AttendantEnd): void {
    if (!this.holder) return;
    this.holder = null;
    if (this.timer) this.opts.clock.clearTimeout(this.timer);
    this.timer = null;
    this.opts.onEnded(why);
  }

  /** What `conn` sees of attendant mode: the session's panel on its own page, at most a keypad elsewhere. */
  view(conn: string, panel: ViewAttendant, closed: ViewAttendant): ViewAttendant {
    const h = this.holder;
    const lockedUntil = this.opts.gate.locked();
    if (h && h.conn === conn) {
      return { ...panel, active: true, attendantId: h.attendantId, pinPad: h.pinPad, error: h.error, lockedUntil, via: h.via, pinFor: h.pending?.kind ?? null };
    }
    return { ...closed, pinPad: this.pads.has(conn), error: this.pads.get(conn) ?? null, lockedUntil };
  }

  private start(conn: string, attendantId: string, via: 'pin' | 'badge'): void {
    if (this.holder) this.end('replaced');
    this.pads.delete(conn);
    this.holder = { conn, attendantId, via, pinConfirmed: via === 'pin', pending: null, pinPad: false, error: null };
    this.touch();
  }

  private touch(): void {
    if (this.timer) this.opts.clock.clearTimeout(this.timer);
    const h = this.holder;
    this.timer = this.opts.clock.setTimeout(() => {
      this.timer = null;
      if (this.holder === h) this.end('idle');
    }, this.opts.idleMs);
  }

  private report(cause: AttendantRefusalCause, attendantId: string | null, command: string): void {
    const now = this.opts.clock.now();
    if (now - this.window.start >= 60_000) this.window = { start: now, count: 0, suppressed: this.window.suppressed };
    if (this.window.count >= MAX_REPORTS_PER_MINUTE) {
      this.window.suppressed++;
      return;
    }
    this.window.count++;
    const suppressed = this.window.suppressed;
    this.window.suppressed = 0;
    this.opts.onRefused?.({ cause, attendantId, command, suppressed });
  }
}

function pinCause(reason: string): AttendantRefusalCause {
  return reason === 'locked' ? 'pin_locked' : reason === 'busy' ? 'pin_busy' : 'wrong_pin';
}

/** What the screen tells everyone when a badge scan opens nothing (the cause is journaled, never the code). */
export const BADGE_MESSAGES = {
  BADGE_REFUSED: { 'zh-CN': '工作人员卡无效', en: 'Staff badge not accepted' },
  BADGE_AMBIGUOUS: { 'zh-CN': '请先在屏幕上点“工作人员”，再刷工作人员卡', en: 'Tap Staff on the screen first, then scan the badge' },
} as const;
