import { ConnectedDevice, type HealthOptions, type HealthOutcome, type StatusPolicy } from '../common/connected-device';
import { atLeast } from '../common/lifecycle';
import type { DeviceInfo, HealthLevel, HealthResult, LifecycleState } from '../contract/device';
import type { PrinterEvents, PrintJob, PrintJobResult, ReceiptPrinter } from '../contract/printer';
import type { Clock } from '../../kernel/clock';
import { KioskError, assert, isKioskError } from '../../kernel/errors';
import { SerialQueue, withTimeout } from '../../kernel/async';
import { encodeReceipt, type ReceiptColumns } from './encode-receipt';
import type { PrintJobLedger } from './job-ledger';
import { describeStatus, type EscPosStatus } from './status';
import { StatusPoller } from './status-poller';
import { queryRealtimeStatus } from './status-query';
import { encoderSelfTest, testPage, testPageQuestion } from './test-page';
import { runPrintJob } from './print-job';
import type { PrinterTransport } from './transport';

export { testPage } from './test-page';
export { copyBanner } from './print-job';

export interface EscPosPrinterOptions {
  transport: PrinterTransport;
  /** Durable job states (the runtime's SQLite table); see job-ledger.ts for the rules. */
  ledger: PrintJobLedger;
  clock?: Clock;
  /** Device id; default the USB serial number, else the port path. */
  id?: string;
  /** Characters per line, default 48. */
  columns?: ReceiptColumns;
  /** GB18030 for CJK text (the printer needs a Chinese font), default true. */
  cjk?: boolean;
  feedBeforeCut?: number;
  cutType?: 'full' | 'partial';
  /** Status poll period while enabled, default 2000 ms. */
  pollIntervalMs?: number;
  /** Consecutive missed polls before `online: false`, default 3 (one missed poll is not offline). */
  offlineAfterMissedPolls?: number;
  /** Consecutive polls a changed fault set must be seen in before it is reported, default 2. */
  faultConfirmPolls?: number;
  /** Wait per status read, default 500 ms. */
  statusTimeoutMs?: number;
  /** Reads per status query; default the transport's (USB 5, serial 1). */
  statusReadAttempts?: number;
  /** Default 5000 ms; `claim(timeoutMs)` overrides. */
  claimTimeoutMs?: number;
  /** Reconnect backoff after the link drops: first try after initialMs, times factor, at most maxMs. */
  reconnect?: { initialMs?: number; factor?: number; maxMs?: number };
}

/** What the driver resolves with (the contract's result). */
export type EscPosPrintResult = PrintJobResult;

/**
 * An ESC/POS receipt printer over a `PrinterTransport` (USB bulk endpoints or a serial port).
 *
 * - `print(job)`: a confirmed job id never prints again (see `PrintJobLedger` for states and the retry rule).
 *   Before sending it reads the real-time status and refuses paper out / cover open (`PAPER_OUT` /
 *   `COVER_OPEN`, job `failed`, nothing sent); it marks `sending`, sends, reads the status again to confirm,
 *   marks `printed` — or `in_doubt` when the confirmation does not come (a retry sends it again, marked COPY).
 * - `realtimeStatus()`: DLE EOT 1, 2 and 4 (and 3 when the printer reports an error), each retried over the
 *   transport's read attempts (USB printers often need several reads).
 * - While enabled, a status poll every `pollIntervalMs`: only `offlineAfterMissedPolls` consecutive misses turn
 *   `online` false, and a new set of faults must hold for `faultConfirmPolls` polls — so a flapping printer or
 *   sensor produces no event storm. One `status` event per reported change.
 * - A link that drops is reopened with exponential backoff (on the injected clock), back to the lifecycle state
 *   it had. Commands while it is down reject `DEVICE_OFFLINE` at once. The lifecycle and the reconnect loop are
 *   ConnectedDevice's; online/offline is the status poll's (no debounce timer on a lost link).
 */
export class EscPosPrinter extends ConnectedDevice<PrinterEvents> implements ReceiptPrinter {
  private readonly transport: PrinterTransport;
  private readonly ledger: PrintJobLedger;
  private readonly cfg: {
    id?: string;
    columns: ReceiptColumns;
    cjk: boolean;
    feedBeforeCut?: number;
    cutType: 'full' | 'partial';
    pollIntervalMs: number;
    offlineAfterMissedPolls: number;
    faultConfirmPolls: number;
    statusTimeoutMs: number;
    statusReadAttempts: number;
    claimTimeoutMs: number;
    backoff: { initialMs: number; factor: number; maxMs: number };
  };

  private lastStatus: EscPosStatus | null = null;
  /** Bumped by disable/release/close: polls started under an older session are dropped. */
  private session = 0;
  private readonly poller: StatusPoller;
  /** Everything that talks to the printer runs here, one at a time (a poll never interleaves with a job). */
  private readonly io = new SerialQueue();

  constructor(opts: EscPosPrinterOptions) {
    const backoff = { initialMs: 250, factor: 2, maxMs: 10_000, ...opts.reconnect };
    super({ clock: opts.clock, reconnectInitialMs: backoff.initialMs, reconnectFactor: backoff.factor, reconnectMaxMs: backoff.maxMs, presencePollMs: 0 });
    this.transport = opts.transport;
    this.ledger = opts.ledger;
    this.cfg = {
      id: opts.id,
      columns: opts.columns ?? 48,
      cjk: opts.cjk ?? true,
      feedBeforeCut: opts.feedBeforeCut,
      cutType: opts.cutType ?? 'full',
      pollIntervalMs: opts.pollIntervalMs ?? 2000,
      offlineAfterMissedPolls: Math.max(1, opts.offlineAfterMissedPolls ?? 3),
      faultConfirmPolls: Math.max(1, opts.faultConfirmPolls ?? 2),
      statusTimeoutMs: opts.statusTimeoutMs ?? 500,
      statusReadAttempts: Math.max(1, opts.statusReadAttempts ?? opts.transport.statusReadAttempts),
      claimTimeoutMs: opts.claimTimeoutMs ?? 5000,
      backoff,
    };
    this.poller = new StatusPoller(
      {
        clock: this.clock,
        session: () => this.session,
        enabled: () => this.lifecycle === 'enabled',
        read: () => this.io.run(() => this.readStatus()),
        reported: () => {
          const { online, faults } = this.status();
          return { online, faults };
        },
        report: (change, initial) => this.report(change.online, change.faults, change.detail, !initial),
        protocolError: (e) => this.reportError(e),
      },
      { intervalMs: this.cfg.pollIntervalMs, offlineAfterMissedPolls: this.cfg.offlineAfterMissedPolls, faultConfirmPolls: this.cfg.faultConfirmPolls },
    );
    this.transport.onDisconnect((e) => this.onLinkLost(e));
  }

  override get info(): DeviceInfo {
    const t = this.transport.identity();
    return {
      id: this.cfg.id ?? t.serialNumber ?? t.path ?? `${this.transport.kind}:unidentified`,
      deviceClass: 'printer',
      driver: `escpos-${this.transport.kind}`,
      ...(t.vendor ? { vendor: t.vendor } : {}),
      ...(t.model ? { model: t.model } : {}),
      ...(t.serialNumber ? { serialNumber: t.serialNumber } : {}),
      ...(t.path ? { path: t.path } : {}),
    };
  }

  /** The last status a poll, a job or `realtimeStatus()` read (null before the first). */
  lastRealtimeStatus(): EscPosStatus | null {
    return this.lastStatus ? { ...this.lastStatus } : null;
  }

  // ---- lifecycle hooks (the lifecycle itself is ConnectedDevice's) ----

  /** Online once claimed; offline only by missed status polls; status events while enabled. */
  protected override statusPolicy(): StatusPolicy {
    return { onlineWhenOpened: false, debounceOffline: false, statusEvents: 'enabled' };
  }

  protected override async probe(): Promise<void> {
    await this.transport.open();
  }

  /** Claims the transport within `timeoutMs` (default `claimTimeoutMs`); after a lost link, reopens it first. */
  protected override async connect(reconnect: boolean, timeoutMs?: number): Promise<void> {
    const ms = timeoutMs ?? this.cfg.claimTimeoutMs;
    if (reconnect) await this.transport.open();
    const attempt = this.transport.claim();
    try {
      await withTimeout(this.clock, attempt, ms, () => new KioskError('TIMEOUT', `printer ${this.info.id}: claim did not complete within ${ms} ms`));
    } catch (e) {
      // a claim that completes after we gave up is handed back
      if (isKioskError(e, 'TIMEOUT')) attempt.then(() => this.transport.release(), () => undefined).catch(() => undefined);
      if (reconnect) await this.transport.close().catch(() => undefined);
      throw e;
    }
    if (!reconnect) this.poller.resetMisses();
  }

  protected override async disconnect(): Promise<void> {
    try {
      await this.transport.release();
    } catch {
      // released or gone: either way not ours any more
    }
  }

  protected override async onClosed(): Promise<void> {
    await this.transport.close().catch(() => undefined);
  }

  protected override onClosing(): void {
    this.session++;
    this.poller.stop();
  }

  /** The first poll establishes the faults at once (changes after it are debounced); then one status event. */
  protected override async onEnabled(): Promise<void> {
    this.poller.resetFaults();
    await this.poller.pollNow(true);
    this.emitStatus();
  }

  protected override async onDisabled(): Promise<void> {
    this.session++;
    this.poller.stop();
  }

  protected override onLifecycle(to: LifecycleState, from: LifecycleState): void {
    if (to === 'opened' || to === 'closed') {
      this.session++;
      this.poller.stop();
    }
    const what = to === 'opened' ? (from === 'closed' ? 'opened' : 'released') : to === 'claimed' ? (from === 'enabled' ? 'disabled' : 'claimed') : to;
    if (to !== 'enabled') this.note(what);
  }

  /** Back on the line: poll now; a successful poll reports online again (if it had gone offline). */
  protected override reconnectedDetail(): string {
    return 'reconnected';
  }

  protected override onReconnected(): void {
    if (this.lifecycle !== 'enabled') return;
    this.poller.stop();
    void this.poller.pollNow(false);
  }

  // ---- commands ----

  async realtimeStatus(): Promise<EscPosStatus> {
    if (!atLeast(this.lifecycle, 'claimed')) throw this.stateError('realtimeStatus', 'claimed');
    return this.io.run(() => this.readStatus());
  }

  print(job: PrintJob): Promise<EscPosPrintResult> {
    if (this.lifecycle !== 'enabled') return Promise.reject(this.stateError('print', 'enabled'));
    try {
      assert(!!job && typeof job.id === 'string' && job.id.length > 0, 'a print job needs a non-empty id');
      this.encode(job); // a job that cannot be encoded is refused here, before it touches the ledger
    } catch (e) {
      return Promise.reject(e);
    }
    return this.io.run(() =>
      runPrintJob(job, {
        id: this.info.id,
        ledger: this.ledger,
        cjk: this.cfg.cjk,
        encode: (j) => this.encode(j),
        readStatus: () => this.readStatus(),
        write: (bytes) => this.transport.write(bytes),
        emitJob: (r) => this.emit('job', r),
      }),
    );
  }

  private encode(job: PrintJob): Uint8Array {
    return encodeReceipt(job, { columns: this.cfg.columns, cjk: this.cfg.cjk, feedBeforeCut: this.cfg.feedBeforeCut, cutType: this.cfg.cutType });
  }

  // ---- status ----

  private async readStatus(): Promise<EscPosStatus> {
    if (!this.isConnected) throw new KioskError('DEVICE_OFFLINE', `printer ${this.info.id} is offline (${this.status().detail ?? 'reconnecting'})`);
    const st = await queryRealtimeStatus(this.transport, { attempts: this.cfg.statusReadAttempts, timeoutMs: this.cfg.statusTimeoutMs });
    this.lastStatus = st;
    return st;
  }

  // ---- connection ----

  private onLinkLost(e: Error): void {
    if (!this.isConnected || !atLeast(this.lifecycle, 'claimed')) return;
    this.connectionLost(`link lost: ${e.message}`, { exactDetail: true });
    void this.transport.close().catch(() => undefined);
  }

  // ---- health ----

  protected override async health(level: HealthLevel, opts: HealthOptions): Promise<HealthOutcome> {
    if (level === 'internal') return this.checkInternal();
    if (level === 'external') return this.checkExternal();
    return this.checkInteractive(opts.prompt);
  }

  /** Encoder self-test (test-page.ts) and the link as the driver sees it. */
  private checkInternal(): HealthResult {
    const { problems, bytes } = encoderSelfTest(this.cfg.columns, this.cfg.cjk, this.cfg.cutType);
    if (problems.length) return { level: 'internal', ok: false, reason: `encoder self-test: ${problems.join('; ')}` };
    const link = this.isConnected ? 'link up' : atLeast(this.lifecycle, 'claimed') ? 'link down (reconnecting)' : 'not claimed';
    return { level: 'internal', ok: true, reason: `encoder self-test ok (${bytes} bytes); ${this.lifecycle}, ${link}` };
  }

  private async checkExternal(): Promise<HealthResult> {
    if (!atLeast(this.lifecycle, 'claimed')) {
      return { level: 'external', ok: false, reason: `printer is ${this.lifecycle}; claim it first`, code: 'DEVICE_STATE' };
    }
    const st = await this.realtimeStatus();
    const what = describeStatus(st);
    if (st.paperOut) return { level: 'external', ok: false, reason: `DLE EOT answered: ${what}`, code: 'PAPER_OUT' };
    if (st.coverOpen) return { level: 'external', ok: false, reason: `DLE EOT answered: ${what}`, code: 'COVER_OPEN' };
    if (st.error) return { level: 'external', ok: false, reason: `DLE EOT answered: ${what}`, code: 'DEVICE_OFFLINE' };
    return { level: 'external', ok: true, reason: `DLE EOT answered: ${what}` };
  }

  private async checkInteractive(prompt?: (text: string) => Promise<boolean>): Promise<HealthResult> {
    if (!prompt) return { level: 'interactive', ok: false, reason: 'the interactive check needs a prompt to ask whether the test page printed' };
    if (this.lifecycle !== 'enabled') return { level: 'interactive', ok: false, reason: `printer is ${this.lifecycle}; enable it first`, code: 'DEVICE_STATE' };
    const id = `health:${this.info.id}:${this.clock.now()}`;
    await this.print(testPage(id, this.cfg.columns, this.cfg.cjk));
    const yes = await prompt(testPageQuestion(this.cfg.cjk));
    return { level: 'interactive', ok: yes, reason: yes ? 'technician confirmed the test page' : 'technician reported the test page as wrong or missing' };
  }

  // ---- helpers ----

  private stateError(call: string, needs: LifecycleState): KioskError {
    return new KioskError('DEVICE_STATE', `printer ${this.info.id}: ${call}() needs the device ${needs}, it is ${this.lifecycle}`, { call, lifecycle: this.lifecycle, needs });
  }
}
