import { EventEmitter } from 'node:events';
import { runHealthCheck } from '../common/health';
import type { DeviceFault, DeviceInfo, DeviceStatus, HealthLevel, HealthResult, LifecycleState } from '../contract/device';
import type { PrinterEvents, PrintJob, PrintJobResult, PrintJobState, ReceiptBlock, ReceiptPrinter } from '../contract/printer';
import { SystemClock, type Clock, type TimerHandle } from '../../kernel/clock';
import { KioskError, assert, isKioskError } from '../../kernel/errors';
import { SerialQueue, errorMessage, withTimeout } from '../../kernel/async';
import { encodeReceipt, type ReceiptColumns } from './encode-receipt';
import { encodeGb18030 } from './gb18030';
import type { PrintJobLedger } from './job-ledger';
import { combineStatus, describeStatus, dleEot, parseStatusReply, sameFaults, statusFaults, type EscPosStatus, type StatusQuery, type StatusReply } from './status';
import type { PrinterTransport } from './transport';

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
 * The lines printed at the top of a job sent again after an in-doubt print: part (or all) of the first send may
 * be on paper, so this one says it is a copy — the shopper never holds two unmarked originals.
 */
export function copyBanner(cjk: boolean): ReceiptBlock[] {
  return [
    { kind: 'text', text: cjk ? '*** 副本 COPY ***' : '*** COPY ***', align: 'center', bold: true },
    { kind: 'text', text: 'previous print interrupted', align: 'center' },
  ];
}

const ORDER: Record<LifecycleState, number> = { closed: 0, opened: 1, claimed: 2, enabled: 3 };

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
  private candidateFaults: DeviceFault[] | null = null;
  private candidateCount = 0;
  private missedPolls = 0;
  private since: number;
  private detail: string | undefined;
  private lastStatus: EscPosStatus | null = null;
  /** Bumped by disable/release/close: work started under an older session is dropped. */
  private session = 0;
  private claiming: Promise<void> | null = null;
  /** Session of the poll in flight, if any. */
  private pollInFlight: number | null = null;
  private pollTimer: TimerHandle | null = null;
  private reconnectTimer: TimerHandle | null = null;
  private reconnectDelay: number;
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
    this.reconnectDelay = this.cfg.backoff.initialMs;
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
    if (ORDER[this.lifecycle] >= ORDER.opened) return;
    await this.transport.open();
    this.lifecycle = 'opened';
    this.touch('opened');
  }

  async claim(timeoutMs?: number): Promise<void> {
    if (ORDER[this.lifecycle] >= ORDER.claimed) return;
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
      this.missedPolls = 0;
      this.touch('claimed');
    })();
    return this.claiming;
  }

  async enable(): Promise<void> {
    if (this.lifecycle === 'enabled') return;
    if (this.lifecycle !== 'claimed') throw this.stateError('enable', 'claimed');
    this.lifecycle = 'enabled';
    this.candidateFaults = null;
    this.candidateCount = 0;
    // the first poll establishes the faults at once; changes after it are debounced
    await this.pollOnce(true);
    this.since = this.clock.now();
    this.emitStatus();
  }

  async disable(): Promise<void> {
    if (this.lifecycle === 'claimed') return;
    if (this.lifecycle !== 'enabled') throw this.stateError('disable', 'enabled');
    this.session++;
    this.stopPolling();
    this.lifecycle = 'claimed';
    this.touch('disabled');
  }

  async release(): Promise<void> {
    if (this.lifecycle === 'opened') return;
    if (this.lifecycle !== 'claimed') throw this.stateError('release', 'claimed');
    this.session++;
    this.stopReconnect();
    this.connected = false;
    this.online = false;
    await this.transport.release().catch(() => undefined);
    this.lifecycle = 'opened';
    this.touch('released');
  }

  async close(): Promise<void> {
    this.session++;
    this.stopPolling();
    this.stopReconnect();
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
    if (ORDER[this.lifecycle] < ORDER.claimed) throw this.stateError('realtimeStatus', 'claimed');
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
    return this.queue.run(() => this.runJob(job));
  }

  private encode(job: PrintJob): Uint8Array {
    return encodeReceipt(job, { columns: this.cfg.columns, cjk: this.cfg.cjk, feedBeforeCut: this.cfg.feedBeforeCut, cutType: this.cfg.cutType });
  }

  private async runJob(job: PrintJob): Promise<EscPosPrintResult> {
    const id = job.id;
    const prior = await this.ledger.get(id);
    if (prior === 'printed') return this.finish({ id, state: 'printed', duplicate: true });
    // sent before and never confirmed (or the kiosk stopped while sending): part or all of it may be on paper,
    // so it is sent again in full, marked COPY (see PrintJobLedger)
    const copy = prior === 'in_doubt' || prior === 'sending';
    const bytes = this.encode(copy ? { ...job, blocks: [...copyBanner(this.cfg.cjk), ...job.blocks] } : job);

    // 1. is the printer ready? (nothing is sent on a refusal: a new job is `failed`, one in doubt stays in doubt)
    let before: EscPosStatus;
    try {
      if (!this.connected) throw new KioskError('DEVICE_OFFLINE', `printer ${this.info.id} is offline (${this.detail ?? 'reconnecting'})`);
      before = await this.readStatus();
      this.refuseFaults(before, 'before sending');
    } catch (e) {
      if (!copy) await this.ledger.mark(id, 'failed');
      throw this.fail(id, copy ? 'in_doubt' : 'failed', e);
    }

    // 2. send: `sending` is durable before the first byte leaves (a crash from here on leaves the job in doubt)
    await this.ledger.mark(id, 'sending');
    try {
      await this.transport.write(bytes);
      // 3. confirm: the printer answers after the whole job arrived, with no fault
      const after = await this.readStatus();
      this.refuseFaults(after, 'after sending (the job is in doubt: a retry sends it again, marked COPY)');
    } catch (e) {
      // the bytes may be (partly) on paper: never `printed` without a confirmation
      await this.ledger.mark(id, 'in_doubt').catch(() => undefined);
      throw this.fail(id, 'in_doubt', e);
    }
    await this.ledger.mark(id, 'printed');
    return this.finish({ id, state: 'printed', duplicate: false, ...(copy ? { copy: true } : {}) });
  }

  private refuseFaults(st: EscPosStatus, when: string): void {
    if (st.paperOut) throw new KioskError('PAPER_OUT', `printer ${this.info.id} is out of paper ${when}`, { status: st });
    if (st.coverOpen) throw new KioskError('COVER_OPEN', `printer ${this.info.id} has its cover open ${when}`, { status: st });
    if (st.error) throw new KioskError('DEVICE_OFFLINE', `printer ${this.info.id} reports an error ${when}: ${describeStatus(st)}`, { status: st });
  }

  private finish(r: EscPosPrintResult): EscPosPrintResult {
    this.emit('job', r);
    return r;
  }

  private fail(id: string, state: PrintJobState, e: unknown): Error {
    const err = e instanceof Error ? e : new Error(String(e));
    this.emit('job', { id, state, duplicate: false, error: err.message });
    return err;
  }

  // ---- status ----

  private async readStatus(): Promise<EscPosStatus> {
    if (!this.connected) throw new KioskError('DEVICE_OFFLINE', `printer ${this.info.id} is offline (${this.detail ?? 'reconnecting'})`);
    const r1 = (await this.query(1)) as StatusReply & { n: 1 };
    const r2 = (await this.query(2)) as StatusReply & { n: 2 };
    const r4 = (await this.query(4)) as StatusReply & { n: 4 };
    const r3 = r2.error ? ((await this.query(3)) as StatusReply & { n: 3 }) : undefined;
    const st = combineStatus(r1, r2, r4, r3);
    this.lastStatus = st;
    return st;
  }

  /** DLE EOT n, then up to `statusReadAttempts` reads for the one reply byte. */
  private async query(n: StatusQuery): Promise<StatusReply> {
    this.transport.discardInput();
    await this.transport.write(dleEot(n));
    for (let attempt = 1; attempt <= this.cfg.statusReadAttempts; attempt++) {
      const data = await this.transport.read(this.cfg.statusTimeoutMs);
      if (data.length === 0) continue;
      if (data.length !== 1) {
        throw new KioskError('PROTOCOL', `expected one status byte for DLE EOT ${n}, got ${data.length}: ${[...data].map((b) => b.toString(16).padStart(2, '0')).join(' ')}`, { n });
      }
      return parseStatusReply(n, data[0]);
    }
    throw new KioskError('TIMEOUT', `no reply to DLE EOT ${n} (${this.cfg.statusReadAttempts} read${this.cfg.statusReadAttempts > 1 ? 's' : ''} of ${this.cfg.statusTimeoutMs} ms)`, { n });
  }

  private schedulePoll(delay: number): void {
    if (this.pollTimer) this.clock.clearTimeout(this.pollTimer);
    this.pollTimer = this.clock.setTimeout(() => {
      this.pollTimer = null;
      void this.pollOnce(false);
    }, delay);
  }

  private stopPolling(): void {
    if (this.pollTimer) this.clock.clearTimeout(this.pollTimer);
    this.pollTimer = null;
  }

  private async pollOnce(initial: boolean): Promise<void> {
    const session = this.session;
    // one poll at a time per session (a poll left over from before a disable/enable does not count)
    if (this.lifecycle !== 'enabled' || this.pollInFlight === session) return;
    this.pollInFlight = session;
    try {
      const st = await this.queue.run(() => this.readStatus());
      if (session === this.session) this.pollSucceeded(st, initial);
    } catch (e) {
      if (session === this.session) this.pollMissed(e);
    } finally {
      if (this.pollInFlight === session) this.pollInFlight = null;
      if (session === this.session && this.lifecycle === 'enabled') this.schedulePoll(this.cfg.pollIntervalMs);
    }
  }

  private pollSucceeded(st: EscPosStatus, initial: boolean): void {
    this.missedPolls = 0;
    let changed = false;
    if (!this.online) {
      this.online = true;
      changed = true;
    }
    const faults = statusFaults(st);
    if (initial) {
      changed = changed || !sameFaults(faults, this.faults);
      this.faults = faults;
      this.candidateFaults = null;
    } else if (sameFaults(faults, this.faults)) {
      this.candidateFaults = null;
      this.candidateCount = 0;
    } else {
      if (this.candidateFaults && sameFaults(faults, this.candidateFaults)) this.candidateCount++;
      else {
        this.candidateFaults = faults;
        this.candidateCount = 1;
      }
      if (this.candidateCount >= this.cfg.faultConfirmPolls) {
        this.faults = faults;
        this.candidateFaults = null;
        this.candidateCount = 0;
        changed = true;
      }
    }
    if (changed) {
      this.since = this.clock.now();
      this.detail = describeStatus(st);
      if (!initial) this.emitStatus();
    }
  }

  private pollMissed(e: unknown): void {
    this.missedPolls++;
    if (isKioskError(e, 'PROTOCOL')) this.emitError(e);
    if (this.online && this.missedPolls >= this.cfg.offlineAfterMissedPolls) {
      this.online = false;
      this.since = this.clock.now();
      this.detail = `no status for ${this.missedPolls} polls: ${errorMessage(e)}`;
      this.emitStatus();
    }
  }

  // ---- reconnect ----

  private onLinkLost(e: Error): void {
    if (!this.connected || ORDER[this.lifecycle] < ORDER.claimed) return;
    this.connected = false;
    this.detail = `link lost: ${e.message}`;
    void this.transport.close().catch(() => undefined);
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.reconnectTimer) return;
    const delay = this.reconnectDelay;
    this.reconnectDelay = Math.min(this.cfg.backoff.maxMs, Math.max(1, this.reconnectDelay * this.cfg.backoff.factor));
    const session = this.session;
    this.reconnectTimer = this.clock.setTimeout(() => {
      this.reconnectTimer = null;
      void this.tryReconnect(session);
    }, delay);
  }

  private stopReconnect(): void {
    if (this.reconnectTimer) this.clock.clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    this.reconnectDelay = this.cfg.backoff.initialMs;
  }

  private async tryReconnect(session: number): Promise<void> {
    if (session !== this.session || ORDER[this.lifecycle] < ORDER.claimed || this.connected) return;
    try {
      await this.transport.open();
      await withTimeout(this.clock, this.transport.claim(), this.cfg.claimTimeoutMs, () => new KioskError('TIMEOUT', 'claim timed out'));
    } catch (e) {
      this.detail = `reconnecting: ${errorMessage(e)}`;
      await this.transport.close().catch(() => undefined);
      if (session === this.session) this.scheduleReconnect();
      return;
    }
    if (session !== this.session) {
      await this.transport.close().catch(() => undefined);
      return;
    }
    this.connected = true;
    this.reconnectDelay = this.cfg.backoff.initialMs;
    this.detail = 'reconnected';
    // poll now: a successful poll reports online again (if it had gone offline)
    if (this.lifecycle === 'enabled') {
      this.stopPolling();
      void this.pollOnce(false);
    }
  }

  // ---- health ----

  checkHealth(level: HealthLevel, opts: { prompt?: (text: string) => Promise<boolean> } = {}): Promise<HealthResult> {
    return runHealthCheck(
      level,
      { internal: () => this.checkInternal(), external: () => this.checkExternal(), interactive: (prompt) => this.checkInteractive(prompt) },
      opts.prompt,
    );
  }


  /** Encoder self-test: a sample receipt must come out framed and with its CJK text as GB18030. */
  private checkInternal(): HealthResult {
    const sample = testPage(`health:internal`, this.cfg.columns, this.cfg.cjk);
    const bytes = encodeReceipt(sample, { columns: this.cfg.columns, cjk: this.cfg.cjk, cutType: this.cfg.cutType });
    const problems: string[] = [];
    if (bytes[0] !== 0x1b || bytes[1] !== 0x40) problems.push('does not start with ESC @');
    if (!contains(bytes, [0x1d, 0x56])) problems.push('has no cut');
    if (!contains(bytes, [0x1d, 0x28, 0x6b])) problems.push('has no QR code');
    if (this.cfg.cjk && !contains(bytes, [0x1c, 0x26, ...encodeGb18030('收据')])) problems.push('CJK text is not GB18030 in Chinese mode');
    if (problems.length) return { level: 'internal', ok: false, reason: `encoder self-test: ${problems.join('; ')}` };
    const link = this.connected ? 'link up' : ORDER[this.lifecycle] >= ORDER.claimed ? 'link down (reconnecting)' : 'not claimed';
    return { level: 'internal', ok: true, reason: `encoder self-test ok (${bytes.length} bytes); ${this.lifecycle}, ${link}` };
  }

  private async checkExternal(): Promise<HealthResult> {
    if (ORDER[this.lifecycle] < ORDER.claimed) {
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
    const yes = await prompt(`Did a test page print${this.cfg.cjk ? ' (including the Chinese line "收据 测试")' : ''} with a QR code and a barcode, and was it cut?`);
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

/** The page the interactive health check prints (and the internal one encodes). */
export function testPage(id: string, columns: number, cjk: boolean): PrintJob {
  return {
    id,
    blocks: [
      { kind: 'text', text: 'PRINTER TEST', align: 'center', bold: true, size: 2 },
      { kind: 'text', text: '1234567890'.repeat(Math.ceil(columns / 10)).slice(0, columns) },
      { kind: 'line', left: 'Left column', right: 'right 1.00' },
      ...(cjk ? [{ kind: 'text' as const, text: '收据 测试', align: 'center' as const }] : []),
      { kind: 'rule' },
      { kind: 'qr', data: 'https://example.invalid/printer-test' },
      { kind: 'barcode', data: 'TEST-128', symbology: 'code128' },
    ],
    cut: true,
  };
}

function contains(hay: Uint8Array, needle: readonly number[]): boolean {
  outer: for (let i = 0; i + needle.length <= hay.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return true;
  }
  return false;
}
