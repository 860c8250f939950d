import type { Clock, TimerHandle } from '../../kernel/clock';
import { KioskError, isKioskError } from '../../kernel/errors';
import { encodeApdu } from './zvt/apdu';
import { encodeEcrCommand, type EcrCommand } from './zvt/commands';
import { ACK_APDU, type TerminalMessage } from './zvt/messages';
import type { StatusInfo } from './zvt/status-info';
import type { ZvtLogger, ZvtTimeouts } from './zvt-options';
import type { ZvtTransport } from './transport';

export type TxnKind = 'register' | 'authorize' | 'refund' | 'reverse' | 'end-of-day' | 'status-enquiry' | 'repeat-receipt';

/**
 * How a command ended. `statusInfo`: a 04 0F status information arrived during it. `garbled`: the terminal's
 * final message could not be decoded (the transaction ended, what it said is unknown).
 */
export type Outcome =
  | { type: 'completion'; msg: Extract<TerminalMessage, { kind: 'completion' }>; info: StatusInfo; statusInfo: boolean; garbled: boolean }
  | { type: 'abort'; resultCode: number; currency?: number; info: StatusInfo; statusInfo: boolean }
  | { type: 'refused'; code: number; resultCode: number; currency?: number; info: StatusInfo };

interface Txn {
  kind: TxnKind;
  acknowledged: boolean;
  info: StatusInfo;
  statusInfo: boolean;
  silenceMs: number;
  timer: TimerHandle | null;
  done: boolean;
  resolve: (o: Outcome) => void;
  reject: (e: KioskError) => void;
}

/** Commands that move money: a timed-out one is aborted (06 B0) and the line drained. */
export const MONEY: ReadonlySet<TxnKind> = new Set(['authorize', 'refund']);

export interface TransactionHost {
  readonly id: string;
  readonly clock: Clock;
  readonly timeouts: ZvtTimeouts;
  readonly logger?: ZvtLogger;
  /** The line right now (null once closed). */
  transport(): ZvtTransport | null;
  /** 04 FF intermediate status during a command. */
  onIntermediate(code: number): void;
  /** 06 D1 print line during a command. */
  onPrintLine(text: string): void;
}

/**
 * The ZVT transaction runner: one command at a time on the line (`DEVICE_BUSY` otherwise), followed until the
 * terminal ends it (06 0F / 06 1E / 84 xx) or the silence timeout passes; every terminal message is acknowledged
 * (80 00 00). After a timed-out payment it sends an abort (06 B0) and stays busy (`drain`) until the terminal has
 * wound down or `drain` passes, so a late 06 1E is not mistaken for the next command's answer. `settle()` lets the
 * answers leave before the line closes.
 */
export class TransactionRunner {
  private txn: Txn | null = null;
  private busyWith: string | null = null;
  private drainTimer: TimerHandle | null = null;
  /** Answers and aborts still on their way to the terminal; settle() lets them leave first. */
  private readonly outgoing = new Set<Promise<void>>();
  /** Called when a transaction or a drain ends (settle() waits for that). */
  private settledWaiters: (() => void)[] = [];

  constructor(private readonly host: TransactionHost) {}

  /** What the line is busy with (a command, `drain`, `reconnect`), or null. */
  get busy(): string | null {
    return this.busyWith;
  }

  /** A transaction is running. */
  get running(): boolean {
    return this.txn !== null;
  }

  /** Runs `fn` as the only command; `DEVICE_BUSY` if another runs. */
  async exclusive<T>(what: string, fn: () => Promise<T>): Promise<T> {
    if (this.busyWith) throw new KioskError('DEVICE_BUSY', `terminal is busy (${this.busyWith})`, { busy: this.busyWith });
    this.busyWith = what;
    try {
      return await fn();
    } finally {
      if (this.busyWith === what) this.busyWith = null;
    }
  }

  /** Sends `command` and follows the terminal until 06 0F / 06 1E / 84 xx. Caller holds the line (`exclusive`). */
  transact(kind: TxnKind, command: EcrCommand, silenceMs: number): Promise<Outcome> {
    const t = this.host.transport();
    if (!t || !t.connected) return Promise.reject(new KioskError('DEVICE_OFFLINE', 'terminal line is down'));
    const { timeouts } = this.host;
    return new Promise<Outcome>((resolve, reject) => {
      const txn: Txn = { kind, acknowledged: false, info: {}, statusInfo: false, silenceMs, timer: null, done: false, resolve, reject };
      this.txn = txn;
      this.host.logger?.debug({ device: this.host.id, kind }, 'to terminal');
      // Until the command left (serial: was link-ACKed, possibly after retransmissions) the link's own T3 × retries
      // governs; this outer bound only guards against a transport that never calls back.
      this.arm(txn, timeouts.commandAck + (timeouts.retries + 1) * timeouts.ack);
      t.send(encodeApdu(encodeEcrCommand(command))).then(
        () => {
          if (!txn.done && !txn.acknowledged) this.arm(txn, timeouts.commandAck);
        },
        (e: unknown) => {
          const err = isKioskError(e) ? e : new KioskError('DEVICE_OFFLINE', String(e));
          if (err.code === 'TIMEOUT' && MONEY.has(kind)) err.details.unknownOutcome = true;
          this.fail(err, txn);
        },
      );
    });
  }

  /** Sends the abort (06 B0) for the running transaction; a no-op when none runs. */
  async abort(): Promise<void> {
    const t = this.host.transport();
    if (!this.txn || !t) return;
    await t.send(encodeApdu(encodeEcrCommand({ kind: 'abort' })));
  }

  /** A decoded terminal message: it belongs to the running transaction, or is acknowledged as unsolicited. */
  handle(m: TerminalMessage, garbled: boolean): void {
    const txn = this.txn;
    if (!txn) {
      this.onUnsolicited(m);
      return;
    }
    switch (m.kind) {
      case 'ack':
        if (!txn.acknowledged) {
          txn.acknowledged = true;
          this.arm(txn, txn.silenceMs);
        }
        return;
      case 'nack':
        if (!txn.acknowledged) this.finish(txn, { type: 'refused', code: m.code, resultCode: m.resultCode ?? m.code, currency: m.currency, info: { ...txn.info, ...m.info } });
        return;
      case 'intermediate':
        txn.acknowledged = true;
        this.reply(txn);
        this.arm(txn, txn.silenceMs);
        this.host.onIntermediate(m.code);
        return;
      case 'status-info':
        txn.acknowledged = true;
        txn.statusInfo = true;
        Object.assign(txn.info, m.info);
        this.reply(txn);
        this.arm(txn, txn.silenceMs);
        return;
      case 'print-line':
        txn.acknowledged = true;
        this.reply(txn);
        this.arm(txn, txn.silenceMs);
        this.host.onPrintLine(m.text);
        return;
      case 'completion':
        this.reply(txn);
        this.finish(txn, { type: 'completion', msg: m, info: { ...txn.info, ...m.info }, statusInfo: txn.statusInfo, garbled });
        return;
      case 'abort':
        this.reply(txn);
        this.finish(txn, { type: 'abort', resultCode: m.resultCode, currency: m.currency, info: { ...txn.info, ...m.info }, statusInfo: txn.statusInfo });
        return;
      case 'other':
        txn.acknowledged = true;
        this.reply(txn);
        this.arm(txn, txn.silenceMs);
        return;
    }
  }

  /** Fails the running transaction (only `only`, when given) for its caller. */
  fail(e: KioskError, only?: Txn): void {
    const txn = this.txn;
    if (!txn || (only && txn !== only) || txn.done) return;
    txn.done = true;
    if (txn.timer) this.host.clock.clearTimeout(txn.timer);
    this.txn = null;
    txn.reject(e);
    this.notifySettled();
  }

  /** The line is gone: the running command fails with `reason`, a drain ends, the line is free. */
  reset(reason: KioskError): void {
    this.fail(reason);
    this.clearDrain();
    this.busyWith = null;
  }

  /** Holds the line while a reconnect re-registers (`reconnect`), so no command slips in. */
  async holdFor<T>(what: string, fn: () => Promise<T>): Promise<T> {
    this.busyWith = what;
    try {
      return await fn();
    } finally {
      if (this.busyWith === what) this.busyWith = null;
    }
  }

  /**
   * Before the port closes, the terminal gets its answers: a command still running is failed for the caller
   * (DEVICE_OFFLINE, outcome unknown) and aborted (06 B0); what the terminal sends until it has wound down (its
   * 04 0F, 06 1E / 06 0F) is acknowledged and answered (80 00 00); then every answer is let out (serial: ACKed).
   * Bounded by the `drain` timeout on the injected clock.
   */
  async settle(): Promise<void> {
    const txn = this.txn;
    if (txn && !txn.done) {
      this.fail(new KioskError('DEVICE_OFFLINE', `terminal closed during ${txn.kind}; outcome unknown, ask statusEnquiry()`, { unknownOutcome: true, kind: txn.kind }), txn);
      // a payment or refund is aborted; anything else is let finish (its 06 0F / 06 1E ends the wait just the same)
      this.startDrain(MONEY.has(txn.kind));
    }
    if (this.busyWith === 'drain') await this.untilSettled(() => this.busyWith !== 'drain');
    if (this.outgoing.size > 0) await this.bounded(Promise.all([...this.outgoing]).then(() => undefined), this.host.timeouts.drain);
  }

  private arm(txn: Txn, ms: number): void {
    const { clock } = this.host;
    if (txn.timer) clock.clearTimeout(txn.timer);
    txn.timer = clock.setTimeout(() => {
      txn.timer = null;
      if (txn.done) return;
      const what = txn.acknowledged ? `no answer for ${ms} ms` : `the terminal did not acknowledge the command within ${ms} ms`;
      this.fail(new KioskError('TIMEOUT', `ZVT ${txn.kind}: ${what}; outcome unknown, ask statusEnquiry()`, { unknownOutcome: true, kind: txn.kind }), txn);
      if (MONEY.has(txn.kind)) this.startDrain();
    }, ms);
  }

  private finish(txn: Txn, o: Outcome): void {
    if (txn.done) return;
    txn.done = true;
    if (txn.timer) this.host.clock.clearTimeout(txn.timer);
    if (this.txn === txn) this.txn = null;
    txn.resolve(o);
    this.notifySettled();
  }

  private reply(txn: Txn): void {
    if (!this.host.transport()) return;
    this.sendTracked(encodeApdu(ACK_APDU)).catch((e: unknown) => {
      const err = isKioskError(e) ? e : new KioskError('DEVICE_OFFLINE', String(e));
      this.fail(
        err.code === 'DEVICE_OFFLINE' ? err : new KioskError('TIMEOUT', `could not acknowledge the terminal: ${err.message}; outcome unknown`, { unknownOutcome: true }),
        txn,
      );
    });
  }

  /** A message outside any command: acknowledge so the terminal is not left waiting; a 06 1E / 06 0F ends a drain. */
  private onUnsolicited(m: TerminalMessage): void {
    if (m.kind === 'ack' || m.kind === 'nack') return;
    if (this.host.transport()) this.sendTracked(encodeApdu(ACK_APDU)).catch(() => undefined);
    if ((m.kind === 'abort' || m.kind === 'completion') && this.busyWith === 'drain') this.endDrain();
  }

  private startDrain(abort = true): void {
    this.busyWith = 'drain';
    if (abort && this.host.transport()) this.sendTracked(encodeApdu(encodeEcrCommand({ kind: 'abort' }))).catch(() => undefined);
    if (this.drainTimer) this.host.clock.clearTimeout(this.drainTimer);
    this.drainTimer = this.host.clock.setTimeout(() => this.endDrain(), this.host.timeouts.drain);
  }

  private endDrain(): void {
    this.clearDrain();
    if (this.busyWith === 'drain') this.busyWith = null;
    this.notifySettled();
  }

  private clearDrain(): void {
    if (this.drainTimer) this.host.clock.clearTimeout(this.drainTimer);
    this.drainTimer = null;
  }

  /** Sends an answer / abort without making the caller wait; settle() waits for it. */
  private sendTracked(bytes: Uint8Array): Promise<void> {
    const t = this.host.transport();
    if (!t) return Promise.reject(new KioskError('DEVICE_OFFLINE', 'terminal closed'));
    const p = t.send(bytes);
    const settled = p.then(
      () => undefined,
      () => undefined,
    );
    this.outgoing.add(settled);
    void settled.then(() => this.outgoing.delete(settled));
    return p;
  }

  private untilSettled(done: () => boolean): Promise<void> {
    if (done()) return Promise.resolve();
    return this.bounded(
      new Promise<void>((resolve) => {
        const check = () => {
          if (done()) resolve();
          else this.settledWaiters.push(check);
        };
        this.settledWaiters.push(check);
      }),
      this.host.timeouts.drain,
    );
  }

  private bounded(p: Promise<void>, ms: number): Promise<void> {
    const { clock } = this.host;
    return new Promise<void>((resolve) => {
      const timer = clock.setTimeout(resolve, ms);
      void p.then(() => {
        clock.clearTimeout(timer);
        resolve();
      });
    });
  }

  private notifySettled(): void {
    const waiters = this.settledWaiters;
    this.settledWaiters = [];
    for (const w of waiters) w();
  }
}
