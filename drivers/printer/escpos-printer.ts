import { EventEmitter } from 'node:events';
import { runHealthCheck } from '../common/health';
import { atLeast } from '../common/lifecycle';
import { ReconnectLoop, type AttemptResult } from '../common/reconnect';
import type { DeviceFault, DeviceInfo, DeviceStatus, HealthLevel, HealthResult, LifecycleState } from '../contract/device';
import type { PrinterEvents, PrintJob, PrintJobResult, ReceiptPrinter } from '../contract/printer';
import { SystemClock, type Clock } from '../../kernel/clock';
import { KioskError, assert, isKioskError } from '../../kernel/errors';
import { SerialQueue, errorMessage, withTimeout } from '../../kernel/async';
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
 *   it had. Commands while it is down reject `DEVICE_OFFLINE` at once.
 */
export class EscPosPrinter extends EventEmitter<PrinterEvents> implements ReceiptPrinter {
  private readonly transport: PrinterTransport;
  private readonly ledger: PrintJobLedger;
  private readonly clock: Clock;
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

  private lifecycle: LifecycleState = 'closed';
  /** The transport is claimed and not lost. */
  private connected = false;
  /** Debounced: what `status().online` says. */
  private online = false;
  private faults: DeviceFault[] = [];
  private since: number;
  private detail: string | undefined;
  private lastStatus: EscPosStatus | null = null;
  /** Bumped by disable/release/close: work started under an older session is dropped. */
  private session = 0;
  private claiming: Promise<void> | null = null;
  private readonly poller: StatusPoller;
  private readonly reconnect: ReconnectLoop;
  /** Everything that talks to the printer runs here, one at a time (a poll never interleaves with a job). */
  private readonly queue = new SerialQueue();

  constructor(opts: EscPosPrinterOptions) {
    super();
    this.transport = opts.transport;
    this.ledger = opts.ledger;
    this.clock = opts.clock ?? new SystemClock();
    this.since = this.clock.now();
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
      backoff: { initialMs: 250, factor: 2, maxMs: 10_000, ...opts.reconnect },
    };
    this.reconnect = new ReconnectLoop(this.clock, this.cfg.backoff, () => this.tryReconnect());
    this.poller = new StatusPoller(
      {
        clock: this.clock,
        session: () => this.session,
        enabled: () => this.lifecycle === 'enabled',
        read: () => this.queue.run(() => this.readStatus()),
        reported: () => ({ online: this.online, faults: this.faults }),
        report: (change, initial) => {
          this.online = change.online;
          this.faults = change.faults;
          this.since = this.clock.now();
          this.detail = change.detail;
          if (!initial) this.emitStatus();
        },
        protocolError: (e) => this.emitError(e),
      },
      { intervalMs: this.cfg.pollIntervalMs, offlineAfterMissedPolls: this.cfg.offlineAfterMissedPolls, faultConfirmPolls: this.cfg.faultConfirmPolls },
    );
    this.transport.onDisconnect((e) => this.onLinkLost(e));
  }

  get info(): DeviceInfo {
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

  status(): DeviceStatus {
    return { online: this.online, lifecycle: this.lifecycle, faults: [...this.faults], ...(this.detail ? { detail: this.detail } : {}), since: this.since };
  }

  /** The last status a poll, a job or `realtimeStatus()` read (null before the first). */
  lastRealtimeStatus(): EscPosStatus | null {
    return this.lastStatus ? { ...this.lastStatus } : null;
  }

  // ---- lifecycle ----

  async open(): Promise<void> {
    if (atLeast(this.lifecycle, 'opened')) return;
    await this.transport.open();
    this.lifecycle = 'opened';
    this.touch('opened');
  }

  async claim(timeoutMs?: number): Promise<void> {
    if (atLeast(this.lifecycle, 'claimed')) return;
    if (this.lifecycle !== 'opened') throw this.stateError('claim', 'opened');
    if (this.claiming) return this.claiming;
    const session = this.session;
    const ms = timeoutMs ?? this.cfg.claimTimeoutMs;
    this.claiming = (async () => {
      const attempt = this.transport.claim();
      try {
        await withTimeout(this.clock, attempt, ms, () => new KioskError('TIMEOUT', `printer ${this.info.id}: claim did not complete within ${ms} ms`));
      } catch (e) {
        // a claim that completes after we gave up is handed back
        if (isKioskError(e, 'TIMEOUT')) attempt.then(() => this.transport.release(), () => undefined).catch(() => undefined);
        throw e;
      } finally {
        this.claiming = null;
      }
      if (session !== this.session) {
        await this.transport.release().catch(() => undefined);
        throw new KioskError('DEVICE_OFFLINE', `printer ${this.info.id} was closed while claiming`);
      }
      this.lifecycle = 'claimed';
      this.connected = true;
      this.online = true;
      this.poller.resetMisses();
      this.touch('claimed');
    })();
    return this.claiming;
  }

  async enable(): Promise<void> {
    if (this.lifecycle === 'enabled') return;
    if (this.lifecycle !== 'claimed') throw this.stateError('enable', 'claimed');
    this.lifecycle = 'enabled';
    this.poller.resetFaults();
    // the first poll establishes the faults at once; changes after it are debounced
    await this.poller.pollNow(true);
    this.since = this.clock.now();
    this.emitStatus();
  }

  /** Going down: the rule in drivers/contract/device.ts. */
  async disable(): Promise<void> {
    if (this.lifecycle !== 'enabled') return;
    this.session++;
    this.poller.stop();
    this.lifecycle = 'claimed';
    this.touch('disabled');
  }

  /** Going down: the rule in drivers/contract/device.ts. */
  async release(): Promise<void> {
    if (!atLeast(this.lifecycle, 'claimed')) return;
    await this.disable();
    this.session++;
    this.reconnect.stop();
    this.connected = false;
    this.online = false;
    await this.transport.release().catch(() => undefined);
    this.lifecycle = 'opened';
    this.touch('released');
  }

  async close(): Promise<void> {
    this.session++;
    this.poller.stop();
    this.reconnect.stop();
    this.connected = false;
    this.online = false;
    await this.transport.close().catch(() => undefined);
    if (this.lifecycle !== 'closed') {
      this.lifecycle = 'closed';
      this.touch('closed');
    }
  }

  // ---- commands ----

  async realtimeStatus(): Promise<EscPosStatus> {
    if (!atLeast(this.lifecycle, 'claimed')) throw this.stateError('realtimeStatus', 'claimed');
    return this.queue.run(() => this.readStatus());
  }

  print(job: PrintJob): Promise<EscPosPrintResult> {
    if (this.lifecycle !== 'enabled') return Promise.reject(this.stateError('print', 'enabled'));
    try {
      assert(!!job && typeof job.id === 'string' && job.id.length > 0, 'a print job needs a non-empty id');
      this.encode(job); // a job that cannot be encoded is refused here, before it touches the ledger
    } catch (e) {
      return Promise.reject(e);
    }
    return this.queue.run(() =>
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
    if (!this.connected) throw new KioskError('DEVICE_OFFLINE', `printer ${this.info.id} is offline (${this.detail ?? 'reconnecting'})`);
    const st = await queryRealtimeStatus(this.transport, { attempts: this.cfg.statusReadAttempts, timeoutMs: this.cfg.statusTimeoutMs });
    this.lastStatus = st;
    return st;
  }

  // ---- reconnect ----

  private onLinkLost(e: Error): void {
    if (!this.connected || !atLeast(this.lifecycle, 'claimed')) return;
    this.connected = false;
    this.detail = `link lost: ${e.message}`;
    void this.transport.close().catch(() => undefined);
    this.reconnect.start();
  }

  /** One attempt of the reconnect loop: reopen and claim the transport; the next poll reports online. */
  private async tryReconnect(): Promise<AttemptResult> {
    const session = this.session;
    if (!atLeast(this.lifecycle, 'claimed') || this.connected) return 'back';
    try {
      await this.transport.open();
      await withTimeout(this.clock, this.transport.claim(), this.cfg.claimTimeoutMs, () => new KioskError('TIMEOUT', 'claim timed out'));
    } catch (e) {
      this.detail = `reconnecting: ${errorMessage(e)}`;
      await this.transport.close().catch(() => undefined);
      return session === this.session ? 'retry' : 'back';
    }
    if (session !== this.session) {
      await this.transport.close().catch(() => undefined);
      return 'back';
    }
    this.connected = true;
    this.detail = 'reconnected';
    // poll now: a successful poll reports online again (if it had gone offline)
    if (this.lifecycle === 'enabled') {
      this.poller.stop();
      void this.poller.pollNow(false);
    }
    return 'back';
  }

  // ---- health ----

  checkHealth(level: HealthLevel, opts: { prompt?: (text: string) => Promise<boolean> } = {}): Promise<HealthResult> {
    return runHealthCheck(
      level,
      { internal: () => this.checkInternal(), external: () => this.checkExternal(), interactive: (prompt) => this.checkInteractive(prompt) },
      opts.prompt,
    );
  }

  /** Encoder self-test (test-page.ts) and the link as the driver sees it. */
  private checkInternal(): HealthResult {
    const { problems, bytes } = encoderSelfTest(this.cfg.columns, this.cfg.cjk, this.cfg.cutType);
    if (problems.length) return { level: 'internal', ok: false, reason: `encoder self-test: ${problems.join('; ')}` };
    const link = this.connected ? 'link up' : atLeast(this.lifecycle, 'claimed') ? 'link down (reconnecting)' : 'not claimed';
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

  private touch(what: string): void {
    this.since = this.clock.now();
    this.detail = what;
  }

  private emitStatus(): void {
    if (this.lifecycle === 'enabled') this.emit('status', this.status());
  }

  private emitError(e: KioskError): void {
    // an 'error' event without a listener would throw
    if (this.listenerCount('error') > 0) this.emit('error', e);
  }

  private stateError(call: string, needs: LifecycleState): KioskError {
    return new KioskError('DEVICE_STATE', `printer ${this.info.id}: ${call}() needs the device ${needs}, it is ${this.lifecycle}`, { call, lifecycle: this.lifecycle, needs });
  }
}
