import { EventEmitter } from 'node:events';
import { SystemClock, type Clock, type TimerHandle } from '../../kernel/clock';
import { KioskError, isKioskError } from '../../kernel/errors';
import type { Minor } from '../../kernel/money';
import type { DeviceInfo, DeviceStatus, HealthLevel, HealthResult, LifecycleState } from '../contract/device';
import type { PaymentTerminal, TerminalEvents, TerminalResult } from '../contract/terminal';
import { decodeApdu, encodeApdu, apduName, type Apdu } from './zvt/apdu';
import { encodeEcrCommand, REPEAT_RECEIPT_SEND_STATUS_INFO, type EcrCommand } from './zvt/commands';
import { CONFIG, CURRENCY_EUR } from './zvt/constants';
import { ACK_APDU, decodeTerminalMessage, type TerminalMessage } from './zvt/messages';
import { maskPan, panForLog } from './zvt/pan';
import { isNoReceiptStored, resultCodeText, TERMINAL_BUSY_CODES } from './zvt/result-codes';
import { intermediateStatusText } from './zvt/status-codes';
import type { StatusInfo } from './zvt/status-info';
import { MAX_REPEATS } from './framed-link';
import { SerialTransport } from './serial-transport';
import { TcpTransport } from './tcp-transport';
import type { ZvtTransport } from './transport';
import { zvtCodecSelfTest } from './self-test';

export type ZvtConnection =
  | { kind: 'serial'; path: string; baudRate?: number; stopBits?: 1 | 2; watchIntervalMs?: number }
  | { kind: 'tcp'; host: string; port?: number };

export interface ZvtTimeouts {
  /** T3: serial link ACK wait per frame. Default 5000. */
  ack: number;
  /** Serial repeats of a frame on NAK / T3. Default 2 (PA00P016: 1 transmission + at most 2 repeats). */
  retries: number;
  /** Wait for the terminal's 80 00 00 after a command. Default 5000. */
  commandAck: number;
  /** Longest silence from the terminal while a payment or refund runs before the outcome counts as unknown. Default 180000. */
  completion: number;
  /** Same for registration, status enquiry, repeat receipt, reversal. Default 30000. */
  admin: number;
  /** Same for end-of-day. Default 600000. */
  endOfDay: number;
  /** Opening the port / TCP connection. Default 5000. */
  connect: number;
  /** After a timed-out payment the driver sends abort (06 B0) and waits this long for the terminal to wind down before accepting new commands. Default 10000. */
  drain: number;
}

/** Structured logger (pino-compatible subset). Never receives card data beyond the last four PAN digits. */
export interface ZvtLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

export interface ZvtTerminalOptions {
  connection: ZvtConnection;
  clock?: Clock;
  /** Device id; default `zvt:<path or host:port>`. */
  id?: string;
  /** Terminal password, 6 digits. Default "000000". */
  password?: string;
  /** ISO 4217 numeric. Default 978 (EUR); 156 = CNY. */
  currency?: number;
  /** Registration config byte. Default: ECR prints receipts as 06 D1 print lines, intermediate status on, ECR controls payment and admin (0xBE). */
  configByte?: number;
  /** Registration service byte (BMP 03), sent only when set. */
  serviceByte?: number;
  timeouts?: Partial<ZvtTimeouts>;
  /** Reconnect backoff after the line drops. Default 500 ms doubling to 10 s. */
  reconnect?: { initialMs?: number; maxMs?: number; factor?: number };
  /** A line that is back within this time is never reported offline. Default 1000 ms. */
  offlineDebounceMs?: number;
  logger?: ZvtLogger;
  /** Replace the transport (tests, exotic links). Default: SerialTransport or TcpTransport from `connection`. */
  transportFactory?: (connection: ZvtConnection, clock: Clock, timeouts: ZvtTimeouts) => ZvtTransport;
}

export interface TerminalStatusReport {
  /** 0x00 = ready; anything else names a lock state (see resultCodeText); undefined = the terminal did not say. */
  terminalStatus?: number;
  swVersion?: string;
  terminalId?: string;
}

type TxnKind = 'register' | 'authorize' | 'refund' | 'reverse' | 'end-of-day' | 'status-enquiry' | 'repeat-receipt';

/**
 * How a command ended. `statusInfo`: a 04 0F status information arrived during it. `garbled`: the terminal's
 * final message could not be decoded (the transaction ended, what it said is unknown).
 */
type Outcome =
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

const DEFAULT_TIMEOUTS: ZvtTimeouts = { ack: 5000, retries: MAX_REPEATS, commandAck: 5000, completion: 180_000, admin: 30_000, endOfDay: 600_000, connect: 5000, drain: 10_000 };

const MONEY: ReadonlySet<TxnKind> = new Set(['authorize', 'refund']);

const ORDER: Record<LifecycleState, number> = { closed: 0, opened: 1, claimed: 2, enabled: 3 };

const INTERACTIVE_QUESTION = 'Look at the payment terminal: does it show its idle screen (e.g. "Karte bitte" / "insert card") and react to its keys?';

function withDefined<T extends object>(o: T): T {
  for (const k of Object.keys(o) as (keyof T)[]) if (o[k] === undefined) delete o[k];
  return o;
}

function trimText(s: string | undefined): string | undefined {
  if (s === undefined) return undefined;
  const t = s.replace(/\0/g, '').trim();
  return t === '' ? undefined : t;
}

/**
 * A ZVT payment terminal (German ECR interface, spec rev. 13) over a serial line or TCP.
 *
 * Lifecycle: `open()` builds the transport, `claim()` connects (serial: exclusive lock), `enable()` registers
 * (06 00). Money commands need `enabled`. One command at a time (`DEVICE_BUSY`). Every terminal message is
 * acknowledged (80 00 00); 04 FF becomes a `prompt` event, 06 D1 a `printLine` event, 04 0F fills the result,
 * 06 0F / 06 1E end the transaction.
 *
 * Unknown outcome — no answer before the timeout, or the line drops mid-transaction — rejects with `TIMEOUT` /
 * `DEVICE_OFFLINE`; the driver never repeats a payment. After a timed-out payment it sends an abort (06 B0) and
 * stays busy until the terminal has wound down (or `drain` passes), so a late 06 1E is not mistaken for the next
 * command's answer. `statusEnquiry()` then tells what the terminal last did (05 01 + repeat receipt 06 20).
 *
 * Line loss: in-flight commands reject `DEVICE_OFFLINE`, `status` goes `online: false` after `offlineDebounceMs`,
 * the driver reconnects with backoff (injected clock) and re-registers if it was enabled, then reports online.
 *
 * A refused registration (`84 1E 03 6F 09 78`: wrong currency, the terminal runs 978) rejects `enable()` with the
 * decoded reason, which then shows in `status().detail`, in the DEVICE_STATE error of every money command and in
 * `checkHealth` (not ok). `close()` / `release()` answer the terminal first: a running payment is aborted, what
 * the terminal sends until it wound down is acknowledged and answered, and every answer leaves (serial: is ACKed)
 * before the port closes — bounded by `drain`.
 */
export class ZvtTerminal extends EventEmitter<TerminalEvents> implements PaymentTerminal {
  readonly info: DeviceInfo;
  private readonly clock: Clock;
  private readonly timeouts: ZvtTimeouts;
  private readonly password: string;
  private readonly currency: number;
  private readonly configByte: number;
  private transport: ZvtTransport | null = null;
  private lifecycle: LifecycleState = 'closed';
  private linkUp = false;
  private online = false;
  private since: number;
  private detail: string | undefined;
  private busy: string | null = null;
  private txn: Txn | null = null;
  private drainTimer: TimerHandle | null = null;
  private reconnectTimer: TimerHandle | null = null;
  private debounceTimer: TimerHandle | null = null;
  private backoffMs: number;
  private generation = 0;
  private terminalId: string | undefined;
  /** Why the terminal refused the last registration (cleared by a successful one). */
  private refusal: string | undefined;
  /** Answers and aborts still on their way to the terminal; close() lets them leave first. */
  private readonly outgoing = new Set<Promise<void>>();
  /** Called when a transaction or a drain ends (close() waits for that). */
  private settledWaiters: (() => void)[] = [];

  constructor(private readonly opts: ZvtTerminalOptions) {
    super();
    this.clock = opts.clock ?? new SystemClock();
    this.timeouts = { ...DEFAULT_TIMEOUTS, ...opts.timeouts };
    this.password = opts.password ?? '000000';
    if (!/^\d{6}$/.test(this.password)) throw new RangeError('ZVT password must be 6 digits');
    this.currency = opts.currency ?? CURRENCY_EUR;
    this.configByte =
      opts.configByte ??
      CONFIG.ECR_PRINTS_PAYMENT_RECEIPT | CONFIG.ECR_PRINTS_ADMIN_RECEIPT | CONFIG.INTERMEDIATE_STATUS | CONFIG.ECR_CONTROLS_PAYMENT | CONFIG.ECR_CONTROLS_ADMIN | CONFIG.ECR_PRINT_LINES;
    this.backoffMs = opts.reconnect?.initialMs ?? 500;
    this.since = this.clock.now();
    const c = opts.connection;
    const target = c.kind === 'serial' ? c.path : `${c.host}:${c.port ?? 20007}`;
    this.info = { id: opts.id ?? `zvt:${target}`, deviceClass: 'terminal', driver: 'zvt', path: target };
  }

  // ------------------------------------------------------------------ lifecycle

  status(): DeviceStatus {
    return withDefined({
      online: this.online,
      lifecycle: this.lifecycle,
      faults: this.busy ? ['TERMINAL_BUSY' as const] : [],
      detail: this.detail ?? (this.lifecycle === 'claimed' ? this.refusal : undefined),
      since: this.since,
    });
  }

  async open(): Promise<void> {
    if (this.lifecycle !== 'closed') return;
    this.transport = this.makeTransport();
    this.setLifecycle('opened');
  }

  async claim(timeoutMs?: number): Promise<void> {
    if (this.lifecycle === 'claimed' || this.lifecycle === 'enabled') return;
    if (this.lifecycle !== 'opened' || !this.transport) throw this.stateError('claim', 'opened');
    const gen = this.generation;
    await this.transport.connect(timeoutMs ?? this.timeouts.connect);
    if (gen !== this.generation) {
      await this.transport.close();
      throw new KioskError('DEVICE_STATE', 'terminal was closed while claiming');
    }
    this.linkUp = true;
    this.online = true;
    this.detail = undefined;
    this.setLifecycle('claimed');
  }

  async enable(): Promise<void> {
    if (this.lifecycle === 'enabled') return;
    if (this.lifecycle !== 'claimed') throw this.stateError('enable', 'claimed');
    await this.register();
    this.setLifecycle('enabled');
  }

  async disable(): Promise<void> {
    if (this.lifecycle === 'claimed') return;
    if (this.lifecycle !== 'enabled') throw this.stateError('disable', 'enabled');
    this.setLifecycle('claimed');
  }

  async release(): Promise<void> {
    if (this.lifecycle === 'opened') return;
    if (this.lifecycle === 'closed') throw this.stateError('release', 'claimed');
    await this.settleLine();
    this.stopLink(new KioskError('DEVICE_OFFLINE', 'terminal released'));
    await this.transport?.close();
    this.setLifecycle('opened');
  }

  async close(): Promise<void> {
    if (this.lifecycle === 'closed') return;
    await this.settleLine();
    this.stopLink(new KioskError('DEVICE_OFFLINE', 'terminal closed'));
    try {
      await this.transport?.close();
    } catch {
      // close always succeeds
    }
    this.transport?.removeAllListeners();
    this.transport = null;
    this.setLifecycle('closed');
  }

  private stateError(call: string, needs: LifecycleState): KioskError {
    if (needs === 'enabled' && this.lifecycle === 'claimed' && this.refusal) {
      return new KioskError('DEVICE_STATE', `${call}() needs the terminal enabled, it is claimed: ${this.refusal}`, { lifecycle: this.lifecycle, call, reason: this.refusal });
    }
    return new KioskError('DEVICE_STATE', `${call}() needs the terminal ${needs}, it is ${this.lifecycle}`, { lifecycle: this.lifecycle, call });
  }

  /**
   * Before the port closes, the terminal gets its answers: a command still running is failed for the caller
   * (DEVICE_OFFLINE, outcome unknown) and aborted (06 B0); what the terminal sends until it has wound down (its
   * 04 0F, 06 1E / 06 0F) is acknowledged and answered (80 00 00); then every answer is let out (serial: ACKed).
   * Bounded by the `drain` timeout on the injected clock.
   */
  private async settleLine(): Promise<void> {
    if (!this.transport?.connected || !this.linkUp) return;
    const txn = this.txn;
    if (txn && !txn.done) {
      this.failTxn(new KioskError('DEVICE_OFFLINE', `terminal closed during ${txn.kind}; outcome unknown, ask statusEnquiry()`, { unknownOutcome: true, kind: txn.kind }), txn);
      // a payment or refund is aborted; anything else is let finish (its 06 0F / 06 1E ends the wait just the same)
      this.startDrain(MONEY.has(txn.kind));
    }
    if (this.busy === 'drain') await this.untilSettled(() => this.busy !== 'drain');
    if (this.outgoing.size > 0) await this.bounded(Promise.all([...this.outgoing]).then(() => undefined), this.timeouts.drain);
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
      this.timeouts.drain,
    );
  }

  private bounded(p: Promise<void>, ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = this.clock.setTimeout(resolve, ms);
      void p.then(() => {
        this.clock.clearTimeout(timer);
        resolve();
      });
    });
  }

  private notifySettled(): void {
    const waiters = this.settledWaiters;
    this.settledWaiters = [];
    for (const w of waiters) w();
  }

  /** Sends an answer / abort without making the caller wait; close() waits for it. */
  private sendTracked(bytes: Uint8Array): Promise<void> {
    const t = this.transport;
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

  private setLifecycle(l: LifecycleState): void {
    if (l === this.lifecycle) return;
    this.lifecycle = l;
    if (l === 'closed' || l === 'opened') this.online = false;
    this.since = this.clock.now();
    this.opts.logger?.info({ device: this.info.id, lifecycle: l }, 'terminal lifecycle');
    this.emit('status', this.status());
  }

  /** Cancels timers, rejects the in-flight command, forgets the link. */
  private stopLink(reason: KioskError): void {
    this.generation++;
    for (const t of [this.reconnectTimer, this.debounceTimer, this.drainTimer]) if (t) this.clock.clearTimeout(t);
    this.reconnectTimer = this.debounceTimer = this.drainTimer = null;
    this.failTxn(reason);
    this.busy = null;
    this.linkUp = false;
    this.online = false;
    this.backoffMs = this.opts.reconnect?.initialMs ?? 500;
  }

  private makeTransport(): ZvtTransport {
    const c = this.opts.connection;
    const t =
      this.opts.transportFactory?.(c, this.clock, this.timeouts) ??
      (c.kind === 'serial'
        ? new SerialTransport({
            path: c.path,
            baudRate: c.baudRate,
            stopBits: c.stopBits,
            watchIntervalMs: c.watchIntervalMs,
            clock: this.clock,
            ackTimeoutMs: this.timeouts.ack,
            maxRetries: this.timeouts.retries,
          })
        : new TcpTransport({ host: c.host, port: c.port, clock: this.clock }));
    t.on('apdu', (bytes) => this.onApdu(bytes));
    t.on('error', (e) => this.reportError(e));
    t.on('close', (e) => this.onLineLost(e));
    return t;
  }

  // ------------------------------------------------------------------ connection loss

  private onLineLost(e: KioskError): void {
    if (ORDER[this.lifecycle] < ORDER.claimed) return;
    this.opts.logger?.warn({ device: this.info.id, reason: e.message }, 'terminal line lost');
    this.linkUp = false;
    this.failTxn(new KioskError('DEVICE_OFFLINE', `line to the terminal dropped: ${e.message}; outcome unknown, ask statusEnquiry()`, { unknownOutcome: true }));
    if (this.drainTimer) this.clock.clearTimeout(this.drainTimer);
    this.drainTimer = null;
    this.busy = null;
    this.detail = e.message;
    if (!this.debounceTimer && this.online) {
      this.debounceTimer = this.clock.setTimeout(() => {
        this.debounceTimer = null;
        if (this.linkUp || !this.online) return;
        this.online = false;
        this.since = this.clock.now();
        this.emit('status', this.status());
      }, this.opts.offlineDebounceMs ?? 1000);
    }
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.reconnectTimer) return;
    const gen = this.generation;
    const delay = this.backoffMs;
    this.backoffMs = Math.min(this.backoffMs * (this.opts.reconnect?.factor ?? 2), this.opts.reconnect?.maxMs ?? 10_000);
    this.reconnectTimer = this.clock.setTimeout(() => {
      this.reconnectTimer = null;
      if (gen === this.generation) void this.tryReconnect(gen);
    }, delay);
  }

  private async tryReconnect(gen: number): Promise<void> {
    const t = this.transport;
    if (!t) return;
    try {
      await t.connect(this.timeouts.connect);
      if (gen !== this.generation) {
        // closed or released meanwhile: do not leave the port/socket open behind the caller's back
        if (this.transport !== t || ORDER[this.lifecycle] < ORDER.claimed) await t.close().catch(() => undefined);
        return;
      }
      if (this.lifecycle === 'enabled') {
        // back to the lifecycle state we had: a terminal that restarted needs the registration again
        this.busy = 'reconnect';
        try {
          await this.registerTxn();
        } finally {
          if (this.busy === 'reconnect') this.busy = null;
        }
      }
      if (gen !== this.generation) return;
      this.linkUp = true;
      this.backoffMs = this.opts.reconnect?.initialMs ?? 500;
      if (this.debounceTimer) this.clock.clearTimeout(this.debounceTimer);
      this.debounceTimer = null;
      this.detail = undefined;
      this.opts.logger?.info({ device: this.info.id }, 'terminal line back');
      if (!this.online) {
        this.online = true;
        this.since = this.clock.now();
        this.emit('status', this.status());
      }
    } catch (e) {
      if (gen !== this.generation) return;
      this.detail = `reconnect failed: ${(e as Error).message}`;
      if (t.connected) await t.close().catch(() => undefined);
      this.scheduleReconnect();
    }
  }

  // ------------------------------------------------------------------ incoming

  private reportError(e: KioskError): void {
    this.opts.logger?.debug({ device: this.info.id, err: e.message }, 'terminal line error');
    if (this.listenerCount('error') > 0) this.emit('error', e);
  }

  private onApdu(bytes: Uint8Array): void {
    let a: Apdu;
    try {
      a = decodeApdu(bytes);
    } catch (e) {
      this.reportError(e as KioskError);
      return;
    }
    let m: TerminalMessage;
    let garbled = false;
    try {
      m = decodeTerminalMessage(a);
    } catch (e) {
      this.reportError(isKioskError(e) ? e : new KioskError('PROTOCOL', String(e)));
      // keep the terminal going; end the transaction on its terminal messages even if their BMPs are garbled
      if (a.cls === 0x06 && a.instr === 0x0f) {
        m = { kind: 'completion', info: {} };
        garbled = true;
      } else if (a.cls === 0x06 && a.instr === 0x1e) m = { kind: 'abort', resultCode: a.data[0] ?? 0xff, info: {} };
      else if (a.cls === 0x84) m = a.data.length > 0 ? { kind: 'nack', code: a.instr, resultCode: a.data[0] } : { kind: 'nack', code: a.instr };
      else m = { kind: 'other', cls: a.cls, instr: a.instr, data: a.data };
    }
    this.opts.logger?.debug({ device: this.info.id, apdu: apduName(a), kind: m.kind }, 'from terminal');
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
        if (!txn.acknowledged) this.finishTxn(txn, { type: 'refused', code: m.code, resultCode: m.resultCode ?? m.code, currency: m.currency, info: { ...txn.info, ...m.info } });
        return;
      case 'intermediate':
        txn.acknowledged = true;
        this.reply(txn);
        this.arm(txn, txn.silenceMs);
        this.emit('prompt', { code: m.code, text: intermediateStatusText(m.code) });
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
        this.emit('printLine', m.text);
        return;
      case 'completion':
        this.reply(txn);
        this.finishTxn(txn, { type: 'completion', msg: m, info: { ...txn.info, ...m.info }, statusInfo: txn.statusInfo, garbled });
        return;
      case 'abort':
        this.reply(txn);
        this.finishTxn(txn, { type: 'abort', resultCode: m.resultCode, currency: m.currency, info: { ...txn.info, ...m.info }, statusInfo: txn.statusInfo });
        return;
      case 'other':
        txn.acknowledged = true;
        this.reply(txn);
        this.arm(txn, txn.silenceMs);
        return;
    }
  }

  /** A message outside any command: acknowledge so the terminal is not left waiting; a 06 1E / 06 0F ends a drain. */
  private onUnsolicited(m: TerminalMessage): void {
    if (m.kind === 'ack' || m.kind === 'nack') return;
    if (this.transport) this.sendTracked(encodeApdu(ACK_APDU)).catch(() => undefined);
    if ((m.kind === 'abort' || m.kind === 'completion') && this.busy === 'drain') this.endDrain();
  }

  private reply(txn: Txn): void {
    if (!this.transport) return;
    this.sendTracked(encodeApdu(ACK_APDU)).catch((e: unknown) => {
      const err = isKioskError(e) ? e : new KioskError('DEVICE_OFFLINE', String(e));
      this.failTxn(
        err.code === 'DEVICE_OFFLINE' ? err : new KioskError('TIMEOUT', `could not acknowledge the terminal: ${err.message}; outcome unknown`, { unknownOutcome: true }),
        txn,
      );
    });
  }

  // ------------------------------------------------------------------ transactions

  private arm(txn: Txn, ms: number): void {
    if (txn.timer) this.clock.clearTimeout(txn.timer);
    txn.timer = this.clock.setTimeout(() => {
      txn.timer = null;
      if (txn.done) return;
      const what = txn.acknowledged ? `no answer for ${ms} ms` : `the terminal did not acknowledge the command within ${ms} ms`;
      this.failTxn(new KioskError('TIMEOUT', `ZVT ${txn.kind}: ${what}; outcome unknown, ask statusEnquiry()`, { unknownOutcome: true, kind: txn.kind }), txn);
      if (MONEY.has(txn.kind)) this.startDrain();
    }, ms);
  }

  private finishTxn(txn: Txn, o: Outcome): void {
    if (txn.done) return;
    txn.done = true;
    if (txn.timer) this.clock.clearTimeout(txn.timer);
    if (this.txn === txn) this.txn = null;
    txn.resolve(o);
    this.notifySettled();
  }

  private failTxn(e: KioskError, only?: Txn): void {
    const txn = this.txn;
    if (!txn || (only && txn !== only) || txn.done) return;
    txn.done = true;
    if (txn.timer) this.clock.clearTimeout(txn.timer);
    this.txn = null;
    txn.reject(e);
    this.notifySettled();
  }

  /** Sends `command` and follows the terminal until 06 0F / 06 1E / 84 xx. Caller holds `busy`. */
  private transact(kind: TxnKind, command: EcrCommand, silenceMs: number): Promise<Outcome> {
    const t = this.transport;
    if (!t || !t.connected) return Promise.reject(new KioskError('DEVICE_OFFLINE', 'terminal line is down'));
    return new Promise<Outcome>((resolve, reject) => {
      const txn: Txn = { kind, acknowledged: false, info: {}, statusInfo: false, silenceMs, timer: null, done: false, resolve, reject };
      this.txn = txn;
      this.opts.logger?.debug({ device: this.info.id, kind }, 'to terminal');
      // Until the command left (serial: was link-ACKed, possibly after retransmissions) the link's own T3 × retries
      // governs; this outer bound only guards against a transport that never calls back.
      this.arm(txn, this.timeouts.commandAck + (this.timeouts.retries + 1) * this.timeouts.ack);
      t.send(encodeApdu(encodeEcrCommand(command))).then(
        () => {
          if (!txn.done && !txn.acknowledged) this.arm(txn, this.timeouts.commandAck);
        },
        (e: unknown) => {
          const err = isKioskError(e) ? e : new KioskError('DEVICE_OFFLINE', String(e));
          if (err.code === 'TIMEOUT' && MONEY.has(kind)) err.details.unknownOutcome = true;
          this.failTxn(err, txn);
        },
      );
    });
  }

  /** Runs `fn` as the only command; `DEVICE_BUSY` if another runs, `DEVICE_OFFLINE` if the line is down. */
  private async exclusive<T>(what: string, needs: LifecycleState, fn: () => Promise<T>): Promise<T> {
    if (ORDER[this.lifecycle] < ORDER[needs]) throw this.stateError(what, needs);
    if (!this.linkUp) throw new KioskError('DEVICE_OFFLINE', `terminal is offline${this.detail ? `: ${this.detail}` : ''}`);
    if (this.busy) throw new KioskError('DEVICE_BUSY', `terminal is busy (${this.busy})`, { busy: this.busy });
    this.busy = what;
    try {
      return await fn();
    } finally {
      if (this.busy === what) this.busy = null;
    }
  }

  private startDrain(abort = true): void {
    this.busy = 'drain';
    if (abort && this.transport) this.sendTracked(encodeApdu(encodeEcrCommand({ kind: 'abort' }))).catch(() => undefined);
    if (this.drainTimer) this.clock.clearTimeout(this.drainTimer);
    this.drainTimer = this.clock.setTimeout(() => this.endDrain(), this.timeouts.drain);
  }

  private endDrain(): void {
    if (this.drainTimer) this.clock.clearTimeout(this.drainTimer);
    this.drainTimer = null;
    if (this.busy === 'drain') this.busy = null;
    this.notifySettled();
  }

  private toResult(o: Outcome): TerminalResult {
    const info = o.info;
    let resultCode: number;
    let approved = false;
    let text: string | undefined;
    if (o.type === 'completion') {
      resultCode = info.resultCode ?? 0;
      approved = resultCode === 0;
      if (!approved) text = resultCodeText(resultCode);
    } else if (o.type === 'abort') {
      resultCode = o.resultCode;
      text = this.reasonText(resultCode, o.currency);
    } else {
      resultCode = o.resultCode;
      text = `terminal refused the command: ${this.reasonText(o.resultCode, o.currency)}`;
    }
    return withDefined<TerminalResult>({
      resultCode,
      approved,
      amount: info.amount,
      traceNumber: info.traceNumber,
      originalTraceNumber: info.originalTraceNumber,
      receiptNumber: info.receiptNumber,
      cardType: trimText(info.cardName) ?? (info.cardType !== undefined ? `ZVT card type ${info.cardType}` : undefined),
      maskedPan: info.maskedPan !== undefined && info.maskedPan !== '' ? maskPan(info.maskedPan) : undefined,
      authCode: trimText(info.authCode),
      terminalId: info.terminalId ?? this.terminalId,
      text,
    });
  }

  /** A result code in words; with the currency the terminal named (wrong currency 6F carries its own). */
  private reasonText(code: number, currency?: number): string {
    const text = resultCodeText(code);
    return currency === undefined ? text : `${text}: the terminal runs currency ${currency}, the kiosk is set to ${this.currency}`;
  }

  private logResult(kind: string, r: TerminalResult): void {
    this.opts.logger?.info(
      { device: this.info.id, kind, approved: r.approved, resultCode: r.resultCode, amount: r.amount, trace: r.traceNumber, receipt: r.receiptNumber, pan: panForLog(r.maskedPan) },
      'terminal result',
    );
  }

  private async money(kind: TxnKind, command: EcrCommand, silenceMs: number, signal?: AbortSignal): Promise<TerminalResult> {
    return this.exclusive(kind, 'enabled', async () => {
      if (signal?.aborted) return { resultCode: 0x6c, approved: false, text: 'aborted before it was sent to the terminal' };
      const onAbort = () => void this.abort().catch(() => undefined);
      signal?.addEventListener('abort', onAbort, { once: true });
      try {
        const r = this.toResult(await this.transact(kind, command, silenceMs));
        this.logResult(kind, r);
        return r;
      } finally {
        signal?.removeEventListener('abort', onAbort);
      }
    });
  }

  // ------------------------------------------------------------------ commands

  async register(): Promise<void> {
    await this.exclusive('register', 'claimed', () => this.registerTxn());
  }

  private async registerTxn(): Promise<void> {
    const o = await this.transact(
      'register',
      { kind: 'registration', password: this.password, config: this.configByte, currency: this.currency, serviceByte: this.opts.serviceByte },
      this.timeouts.admin,
    );
    if (o.type !== 'completion') {
      const code = o.resultCode;
      const message = `terminal refused registration: ${this.reasonText(code, o.currency)}`;
      this.refusal = message;
      this.opts.logger?.warn({ device: this.info.id, resultCode: code, terminalCurrency: o.currency, currency: this.currency }, 'terminal refused registration');
      this.emit('status', this.status());
      throw new KioskError('PROTOCOL', message, withDefined({ resultCode: code, terminalCurrency: o.currency, currency: this.currency }));
    }
    this.refusal = undefined;
    if (o.info.terminalId) this.terminalId = o.info.terminalId;
  }

  authorize(amount: Minor, opts?: { signal?: AbortSignal }): Promise<TerminalResult> {
    if (!Number.isSafeInteger(amount) || amount <= 0) return Promise.reject(new RangeError(`amount must be a positive integer of minor units, got ${amount}`));
    return this.money('authorize', { kind: 'authorization', amount, currency: this.currency }, this.timeouts.completion, opts?.signal);
  }

  refund(amount: Minor): Promise<TerminalResult> {
    if (!Number.isSafeInteger(amount) || amount <= 0) return Promise.reject(new RangeError(`amount must be a positive integer of minor units, got ${amount}`));
    return this.money('refund', { kind: 'refund', password: this.password, amount, currency: this.currency }, this.timeouts.completion);
  }

  reverse(receiptNumber: number): Promise<TerminalResult> {
    if (!Number.isInteger(receiptNumber) || receiptNumber < 0 || receiptNumber > 9999) return Promise.reject(new RangeError(`receipt number must be 0..9999, got ${receiptNumber}`));
    return this.money('reverse', { kind: 'reversal', password: this.password, receiptNumber }, this.timeouts.admin);
  }

  endOfDay(): Promise<TerminalResult> {
    return this.money('end-of-day', { kind: 'end-of-day', password: this.password }, this.timeouts.endOfDay);
  }

  /** Asks the terminal to abort the running transaction (06 B0); a no-op when none runs. */
  async abort(): Promise<void> {
    if (ORDER[this.lifecycle] < ORDER.claimed) throw this.stateError('abort', 'claimed');
    if (!this.txn) return;
    if (!this.linkUp || !this.transport) throw new KioskError('DEVICE_OFFLINE', 'terminal is offline');
    await this.transport.send(encodeApdu(encodeEcrCommand({ kind: 'abort' })));
  }

  /** Status enquiry (05 01) alone: is the terminal there and ready? */
  terminalStatus(): Promise<TerminalStatusReport> {
    return this.exclusive('status-enquiry', 'claimed', () => this.statusTxn());
  }

  private async statusTxn(): Promise<TerminalStatusReport> {
    const o = await this.transact('status-enquiry', { kind: 'status-enquiry', password: this.password }, this.timeouts.admin);
    if (o.type === 'refused' && TERMINAL_BUSY_CODES.has(o.resultCode)) throw new KioskError('DEVICE_BUSY', `terminal is busy: ${resultCodeText(o.resultCode)}`, { resultCode: o.resultCode });
    if (o.type !== 'completion') {
      const code = o.resultCode;
      throw new KioskError('PROTOCOL', `status enquiry failed: ${this.reasonText(code, o.currency)}`, { resultCode: code });
    }
    if (o.info.terminalId) this.terminalId = o.info.terminalId;
    // a completion that says nothing (or could not be read) is no "ready"
    return withDefined({ terminalStatus: o.garbled ? undefined : o.msg.terminalStatus, swVersion: o.msg.swVersion, terminalId: o.info.terminalId ?? this.terminalId });
  }

  /**
   * What the terminal last did: a status enquiry (05 01), then repeat receipt (06 20) with service byte bit 0 set,
   * which asks the terminal for the last transaction's status information (04 0F). Use it to settle an unknown
   * outcome. `lastTransaction` says what came back:
   * - `found`: the status information, with its result code — `resultCode`/`approved` describe that transaction;
   * - `none`: the terminal's explicit "no receipt stored" result (see isNoReceiptStored) — nothing is there;
   * - `unknown`: anything else — a completion without status information (or without its result code), another
   *   error. Never read as "declined".
   */
  statusEnquiry(): Promise<TerminalResult> {
    return this.exclusive('status-enquiry', 'claimed', async () => {
      const status = await this.statusTxn();
      const o = await this.transact('repeat-receipt', { kind: 'repeat-receipt', password: this.password, serviceByte: REPEAT_RECEIPT_SEND_STATUS_INFO }, this.timeouts.admin);
      let r: TerminalResult;
      if (o.type !== 'refused' && o.statusInfo && o.info.resultCode !== undefined) {
        r = { ...this.toResult({ type: 'completion', msg: { kind: 'completion', info: o.info }, info: o.info, statusInfo: true, garbled: false }), lastTransaction: 'found' };
      } else if (o.type === 'completion') {
        r = {
          resultCode: o.info.resultCode ?? 0xff,
          approved: false,
          lastTransaction: 'unknown',
          text: o.statusInfo
            ? 'the status information of the last transaction carried no result code: its outcome is unknown'
            : 'the terminal ended the repeat receipt without status information: its last transaction is unknown',
        };
      } else if (isNoReceiptStored(o.resultCode)) {
        r = { resultCode: o.resultCode, approved: false, lastTransaction: 'none', text: `no receipt stored on the terminal: ${resultCodeText(o.resultCode)}` };
      } else {
        r = { resultCode: o.resultCode, approved: false, lastTransaction: 'unknown', text: `repeat receipt failed: ${this.reasonText(o.resultCode, o.currency)}` };
      }
      if (status.terminalStatus !== 0) {
        const st = status.terminalStatus === undefined ? 'not reported' : resultCodeText(status.terminalStatus);
        r.text = `${r.text ? `${r.text}; ` : ''}terminal status: ${st}`;
      }
      this.logResult('status-enquiry', r);
      return r;
    });
  }

  // ------------------------------------------------------------------ health

  async checkHealth(level: HealthLevel, opts?: { prompt?: (text: string) => Promise<boolean> }): Promise<HealthResult> {
    try {
      if (level === 'internal') {
        const problem = zvtCodecSelfTest();
        const state = `${this.lifecycle}, ${this.online ? 'online' : 'offline'}${this.busy ? `, busy (${this.busy})` : ''}${this.refusal && this.lifecycle === 'claimed' ? `; ${this.refusal}` : ''}`;
        return problem ? { level, ok: false, reason: `codec self-test failed: ${problem}`, code: 'PROTOCOL' } : { level, ok: true, reason: `codec self-test passed; ${state}` };
      }
      if (this.refusal && this.lifecycle !== 'enabled') return { level, ok: false, reason: this.refusal, code: 'PROTOCOL' };
      const s = await this.terminalStatus();
      const ok = s.terminalStatus === 0;
      const reason = ok
        ? `status enquiry answered: ready${s.terminalId ? `, terminal ${s.terminalId}` : ''}${s.swVersion ? `, software ${s.swVersion}` : ''}`
        : s.terminalStatus === undefined
          ? 'status enquiry answered without a terminal status'
          : `status enquiry answered: ${resultCodeText(s.terminalStatus)}`;
      if (level === 'external' || !ok) return { level, ok, reason };
      if (!opts?.prompt) return { level, ok: true, reason: `${reason}; no prompt given, nobody was asked` };
      const yes = await opts.prompt(INTERACTIVE_QUESTION);
      return { level, ok: yes, reason: yes ? `${reason}; a person confirmed the terminal display` : `${reason}; a person reported the terminal display is not right` };
    } catch (e) {
      const err = e as Error;
      return withDefined({ level, ok: false, reason: err.message, code: isKioskError(e) ? e.code : undefined });
    }
  }
}
