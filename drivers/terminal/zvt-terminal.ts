import { KioskError } from '../../kernel/errors';
import type { Minor } from '../../kernel/money';
import type { DeviceInfo, DeviceStatus, HealthLevel, HealthResult, LifecycleState } from '../contract/device';
import { ConnectedDevice, type HealthOptions, type HealthOutcome, type StatusPolicy } from '../common/connected-device';
import { atLeast } from '../common/lifecycle';
import type { PaymentTerminal, TerminalEvents, TerminalResult } from '../contract/terminal';
import { REPEAT_RECEIPT_SEND_STATUS_INFO, type EcrCommand } from './zvt/commands';
import { CONFIG, CURRENCY_EUR } from './zvt/constants';
import { panForLog } from './zvt/pan';
import { intermediateStatusText } from './zvt/status-codes';
import { promptForIntermediateStatus } from './zvt/prompts';
import type { ZvtTransport } from './transport';
import { zvtCodecSelfTest } from './self-test';
import { decodeIncoming } from './incoming';
import { openZvtTransport } from './open-transport';
import { TransactionRunner, type TxnKind } from './transaction-runner';
import { DEFAULT_TIMEOUTS, type TerminalStatusReport, type ZvtTerminalOptions, type ZvtTimeouts } from './zvt-options';
import { reasonText, toResult, withDefined } from './zvt-result';
import { lastTransactionOf, remoteHealth, terminalStatusOf } from './status-enquiry';

export type { TerminalStatusReport, ZvtConnection, ZvtLogger, ZvtTerminalOptions, ZvtTimeouts } from './zvt-options';

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
 * before the port closes — bounded by `drain`. The lifecycle and the reconnect loop are ConnectedDevice's; the
 * registration is this class's `beforeEnable` (and part of `connect` after a lost line).
 */
export class ZvtTerminal extends ConnectedDevice<TerminalEvents> implements PaymentTerminal {
  override readonly info: DeviceInfo;
  private readonly timeouts: ZvtTimeouts;
  private readonly password: string;
  private readonly currency: number;
  private readonly configByte: number;
  private transport: ZvtTransport | null = null;
  private readonly runner: TransactionRunner;
  private terminalId: string | undefined;
  /** Why the terminal refused the last registration (cleared by a successful one). */
  private refusal: string | undefined;

  constructor(private readonly opts: ZvtTerminalOptions) {
    const r = opts.reconnect;
    super({
      clock: opts.clock,
      offlineDebounceMs: opts.offlineDebounceMs ?? 1000,
      reconnectInitialMs: r?.initialMs ?? 500,
      reconnectFactor: r?.factor ?? 2,
      reconnectMaxMs: r?.maxMs ?? 10_000,
      presencePollMs: 0,
    });
    this.timeouts = { ...DEFAULT_TIMEOUTS, ...opts.timeouts };
    this.password = opts.password ?? '000000';
    if (!/^\d{6}$/.test(this.password)) throw new RangeError('ZVT password must be 6 digits');
    this.currency = opts.currency ?? CURRENCY_EUR;
    this.configByte =
      opts.configByte ??
      CONFIG.ECR_PRINTS_PAYMENT_RECEIPT | CONFIG.ECR_PRINTS_ADMIN_RECEIPT | CONFIG.INTERMEDIATE_STATUS | CONFIG.ECR_CONTROLS_PAYMENT | CONFIG.ECR_CONTROLS_ADMIN | CONFIG.ECR_PRINT_LINES;
    const c = opts.connection;
    const target = c.kind === 'serial' ? c.path : `${c.host}:${c.port ?? 20007}`;
    this.info = { id: opts.id ?? `zvt:${target}`, deviceClass: 'terminal', driver: 'zvt', path: target };
    this.runner = new TransactionRunner({
      id: this.info.id,
      clock: this.clock,
      timeouts: this.timeouts,
      logger: opts.logger,
      transport: () => this.transport,
      // the shopper's prompt as a code (the status number stays in the driver); the terminal's text for logs
      onIntermediate: (code) => this.emit('prompt', { code: promptForIntermediateStatus(code), text: intermediateStatusText(code) }),
      onPrintLine: (text) => this.emit('printLine', text),
    });
  }

  override status(): DeviceStatus {
    const s = super.status();
    return withDefined({
      online: s.online,
      lifecycle: s.lifecycle,
      faults: this.runner.busy ? ['TERMINAL_BUSY' as const] : [],
      detail: s.detail ?? (s.lifecycle === 'claimed' ? this.refusal : undefined),
      since: s.since,
    });
  }

  // ------------------------------------------------------------------ lifecycle hooks (the lifecycle is ConnectedDevice's)

  /** Online once claimed; a status event for every lifecycle change too. */
  protected override statusPolicy(): StatusPolicy {
    return { onlineWhenOpened: false, debounceOffline: true, statusEvents: 'lifecycle' };
  }

  /** open(): builds the transport (claim() connects it). */
  protected override async probe(): Promise<void> {
    this.transport = this.makeTransport();
  }

  /** Connects (serial: exclusive lock); after a lost line, back to the state it had: an enabled terminal registers again. */
  protected override async connect(reconnect: boolean, timeoutMs?: number): Promise<void> {
    const t = this.transport;
    if (!t) throw new KioskError('DEVICE_STATE', 'terminal is not opened');
    await t.connect(timeoutMs ?? this.timeouts.connect);
    // a terminal that restarted needs the registration again
    if (reconnect && this.lifecycle === 'enabled') await this.runner.holdFor('reconnect', () => this.registerTxn());
  }

  protected override async disconnect(): Promise<void> {
    try {
      await this.transport?.close();
    } catch {
      // close always succeeds
    }
  }

  /** enable() registers (06 00); a refusal rejects enable() and the terminal stays claimed. */
  protected override async beforeEnable(): Promise<void> {
    await this.register();
  }

  /** Before the port closes the terminal gets its answers (see TransactionRunner.settle). */
  protected override async beforeDisconnect(): Promise<void> {
    if (this.transport?.connected) await this.runner.settle();
    this.runner.reset(new KioskError('DEVICE_OFFLINE', `terminal ${this.lifecycle === 'closed' ? 'closed' : 'released'}`));
  }

  /** close() while the line is down: a re-registration in flight is given up at once. */
  protected override onClosing(): void {
    if (!this.isConnected) this.runner.reset(new KioskError('DEVICE_OFFLINE', 'terminal closed'));
  }

  protected override async onClosed(): Promise<void> {
    this.transport?.removeAllListeners();
    this.transport = null;
  }

  protected override onLifecycle(l: LifecycleState): void {
    if (l === 'opened' || l === 'closed') this.runner.reset(new KioskError('DEVICE_OFFLINE', `terminal ${l === 'closed' ? 'closed' : 'released'}`));
    this.opts.logger?.info({ device: this.info.id, lifecycle: l }, 'terminal lifecycle');
  }

  protected override reconnectedDetail(): undefined {
    return undefined;
  }

  protected override onReconnected(): void {
    this.opts.logger?.info({ device: this.info.id }, 'terminal line back');
  }

  private stateError(call: string, needs: LifecycleState): KioskError {
    if (needs === 'enabled' && this.lifecycle === 'claimed' && this.refusal) {
      return new KioskError('DEVICE_STATE', `${call}() needs the terminal enabled, it is claimed: ${this.refusal}`, { lifecycle: this.lifecycle, call, reason: this.refusal });
    }
    return new KioskError('DEVICE_STATE', `${call}() needs the terminal ${needs}, it is ${this.lifecycle}`, { lifecycle: this.lifecycle, call });
  }

  private makeTransport(): ZvtTransport {
    const t = openZvtTransport(this.opts, this.clock, this.timeouts);
    t.on('apdu', (bytes) => this.onApdu(bytes));
    t.on('error', (e) => this.reportError(e));
    t.on('close', (e) => this.onLineLost(e));
    return t;
  }

  // ------------------------------------------------------------------ connection loss

  private onLineLost(e: KioskError): void {
    if (!atLeast(this.lifecycle, 'claimed')) return;
    this.opts.logger?.warn({ device: this.info.id, reason: e.message }, 'terminal line lost');
    this.runner.reset(new KioskError('DEVICE_OFFLINE', `line to the terminal dropped: ${e.message}; outcome unknown, ask statusEnquiry()`, { unknownOutcome: true }));
    this.connectionLost(e.message, { exactDetail: true });
  }

  // ------------------------------------------------------------------ incoming

  protected override reportError(e: KioskError): void {
    this.opts.logger?.debug({ device: this.info.id, err: e.message }, 'terminal line error');
    super.reportError(e);
  }

  private onApdu(bytes: Uint8Array): void {
    const incoming = decodeIncoming(bytes, (e) => this.reportError(e));
    if (!incoming) return;
    this.opts.logger?.debug({ device: this.info.id, apdu: incoming.name, kind: incoming.message.kind }, 'from terminal');
    this.runner.handle(incoming.message, incoming.garbled);
  }

  // ------------------------------------------------------------------ transactions

  /** Runs `fn` as the only command; `DEVICE_STATE` below `needs`, `DEVICE_OFFLINE` if the line is down, `DEVICE_BUSY` if another runs. */
  private async exclusive<T>(what: string, needs: LifecycleState, fn: () => Promise<T>): Promise<T> {
    if (!atLeast(this.lifecycle, needs)) throw this.stateError(what, needs);
    const detail = this.status().detail;
    if (!this.isConnected) throw new KioskError('DEVICE_OFFLINE', `terminal is offline${detail ? `: ${detail}` : ''}`);
    return this.runner.exclusive(what, fn);
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
        const r = toResult(await this.runner.transact(kind, command, silenceMs), this.currency, this.terminalId);
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
    const o = await this.runner.transact(
      'register',
      { kind: 'registration', password: this.password, config: this.configByte, currency: this.currency, serviceByte: this.opts.serviceByte },
      this.timeouts.admin,
    );
    if (o.type !== 'completion') {
      const code = o.resultCode;
      const message = `terminal refused registration: ${reasonText(code, this.currency, o.currency)}`;
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
    if (!atLeast(this.lifecycle, 'claimed')) throw this.stateError('abort', 'claimed');
    if (!this.runner.running) return;
    if (!this.isConnected || !this.transport) throw new KioskError('DEVICE_OFFLINE', 'terminal is offline');
    await this.runner.abort();
  }

  /** Status enquiry (05 01) alone: is the terminal there and ready? */
  terminalStatus(): Promise<TerminalStatusReport> {
    return this.exclusive('status-enquiry', 'claimed', () => this.statusTxn());
  }

  private async statusTxn(): Promise<TerminalStatusReport> {
    const o = await this.runner.transact('status-enquiry', { kind: 'status-enquiry', password: this.password }, this.timeouts.admin);
    const report = terminalStatusOf(o, this.currency, this.terminalId);
    if (o.info.terminalId) this.terminalId = o.info.terminalId;
    return report;
  }

  /**
   * What the terminal last did: a status enquiry (05 01), then repeat receipt (06 20) with service byte bit 0 set,
   * which asks the terminal for the last transaction's status information (04 0F). Use it to settle an unknown
   * outcome; `lastTransaction` says what came back (found / none / unknown: see lastTransactionOf).
   */
  statusEnquiry(): Promise<TerminalResult> {
    return this.exclusive('status-enquiry', 'claimed', async () => {
      const status = await this.statusTxn();
      const o = await this.runner.transact('repeat-receipt', { kind: 'repeat-receipt', password: this.password, serviceByte: REPEAT_RECEIPT_SEND_STATUS_INFO }, this.timeouts.admin);
      const r = lastTransactionOf(o, status, this.currency, this.terminalId);
      this.logResult('status-enquiry', r);
      return r;
    });
  }

  // ------------------------------------------------------------------ health

  protected override async health(level: HealthLevel, opts: HealthOptions): Promise<HealthOutcome> {
    if (level === 'internal') return this.checkInternal();
    return this.checkRemote(level === 'interactive' ? (opts.prompt ?? null) : undefined);
  }

  private checkInternal(): HealthResult {
    const problem = zvtCodecSelfTest();
    const state = `${this.lifecycle}, ${this.status().online ? 'online' : 'offline'}${this.runner.busy ? `, busy (${this.runner.busy})` : ''}${this.refusal && this.lifecycle === 'claimed' ? `; ${this.refusal}` : ''}`;
    return problem ? { level: 'internal', ok: false, reason: `codec self-test failed: ${problem}`, code: 'PROTOCOL' } : { level: 'internal', ok: true, reason: `codec self-test passed; ${state}` };
  }

  /** external: a status enquiry; interactive (`prompt` given, null when none was): that, then a person looks. */
  private async checkRemote(prompt?: ((text: string) => Promise<boolean>) | null): Promise<Omit<HealthResult, 'level'>> {
    if (this.refusal && this.lifecycle !== 'enabled') return { ok: false, reason: this.refusal, code: 'PROTOCOL' };
    return remoteHealth(() => this.terminalStatus(), prompt);
  }
}
