import { EventEmitter } from 'node:events';
import { SystemClock, type Clock, type TimerHandle } from '../../kernel/clock';
import { KioskError } from '../../kernel/errors';
import { decodeApdu } from './zvt/apdu';
import { bcd } from './zvt/bcd';
import { isLogOff, MalformedCommand, readIncoming, type SimCommand } from './zvt/ecr-commands';
import { SerialEndpoint, TcpEndpoint, type EcrLink, type EndpointEvents } from './zvt/endpoints';
import * as pt from './zvt/pt-messages';
import { CONFIG, EUR, INTERMEDIATE, PRINT_ATTR_LAST_LINE, PRINT_ATTR_NORMAL, RC, REPEAT_RECEIPT_SEND_STATUS_INFO } from './zvt/spec';
import { individualTotals, statusInfoBmps, type InfoFields } from './zvt/status-info';
import { SimJournal, type JournalEntry, type JournalKind } from './journal';
import { DEFAULT_SIM_CARD, type SimCard, type SimDelays, type SimErrorRates, type SimEvents, type SimRegistration, type SimStats, type StatusInfoOnRepeat, type TerminalSimulatorOptions } from './sim-options';
import { currencyLabel, receiptLines } from './zvt/receipt';

export type { JournalEntry, JournalKind, JournalResult } from './journal';
export type { SimCommand } from './zvt/ecr-commands';
export type { SerialLinkStats } from './zvt/serial-link';
export { DEFAULT_SIM_CARD } from './sim-options';
export type { SimCard, SimDelays, SimErrorRates, StatusInfoOnRepeat, TerminalSimulatorOptions, SimEvents, SimStats, SimRegistration } from './sim-options';

type Behaviour = { type: 'approve'; card?: Partial<SimCard>; authCode?: string } | { type: 'decline'; code: number } | { type: 'hang' };

interface Active {
  aborted: boolean;
  linkLost: boolean;
  wakers: Set<() => void>;
}

class FlowBroken extends Error {
  constructor(readonly why: 'aborted' | 'link' | 'no-ack') {
    super(why);
  }
}

type Answer = { ok: true } | { ok: false; code: number };

/**
 * A ZVT payment terminal written from the specification (PA00P015 application layer, PA00P016 serial
 * transport) on its own code: it imports nothing from `drivers/`. Serial (DLE STX frames, CRC, ACK/NAK,
 * T3 + 2 repeats) on the device end of a pty pair, or bare APDUs on a TCP server on 127.0.0.1.
 *
 * It honours the registration: the config byte decides whether it sends intermediate status (04 FF, bit 0x08)
 * and print lines (06 D1, print-type bit 0x80 plus 0x02 payment / 0x04 administration receipts); a currency
 * other than its own is refused. Repeat receipt sends the last completed transaction's status information only
 * when the service byte asks (or per `statusInfoOnRepeat`); the ECR may answer a status information with
 * `84 9C 00` to have it repeated; any other negative answer reverses the payment. Switches for behaviours real
 * terminals show: `statusInfoOnRepeat`, `busy`, `currency`, `printReceipt`, plus approveNext/declineNext/
 * timeoutNext, card handling, delays and line faults. Its journal is the truth tests compare the kiosk against.
 */
export class ZvtTerminalSimulator extends EventEmitter<SimEvents> {
  readonly journal: SimJournal;
  private readonly clock: Clock;
  private readonly terminalId: string;
  private readonly swVersion: string;
  private readonly currency: number;
  private delays: Required<SimDelays>;
  private rates: Required<SimErrorRates>;
  private readonly random: () => number;
  private readonly autoCard: boolean;
  private readonly defaultCard: SimCard;
  private behaviours: Behaviour[] = [];
  private card: SimCard | null = null;
  private cardWaiters = new Set<() => void>();
  private active: Active | null = null;
  private pendingAnswer: { resolve: (a: Answer) => void; reject: (e: FlowBroken) => void; timer: TimerHandle; final: boolean } | null = null;
  private link: EcrLink | null = null;
  private nextTrace: number;
  private nextReceipt: number;
  private termStatus = 0;
  private forced = { corruptFrames: 0, dropFrames: 0 };
  private commandCount = 0;
  private reg: SimRegistration | null = null;
  private repeatMode: StatusInfoOnRepeat;
  private busyCode: number | null;
  private readonly tcp: TcpEndpoint;
  private serial: SerialEndpoint | null = null;
  private powered = true;

  constructor(private readonly opts: TerminalSimulatorOptions = {}) {
    super();
    this.clock = opts.clock ?? new SystemClock();
    this.terminalId = opts.terminalId ?? '52001233';
    if (!/^\d{8}$/.test(this.terminalId)) throw new RangeError('terminalId is 8 digits');
    this.swVersion = opts.swVersion ?? 'KIOSK-SIM 1.0';
    this.currency = opts.currency ?? EUR;
    this.delays = { stepMs: opts.delays?.stepMs ?? 0, cardMs: opts.delays?.cardMs ?? opts.delays?.stepMs ?? 0 };
    this.rates = { corruptCrc: opts.errorRates?.corruptCrc ?? 0, dropAck: opts.errorRates?.dropAck ?? 0 };
    this.random = opts.random ?? Math.random;
    this.autoCard = opts.autoCard ?? true;
    this.defaultCard = { ...DEFAULT_SIM_CARD, ...opts.card };
    this.repeatMode = opts.statusInfoOnRepeat ?? 'service-byte';
    this.busyCode = busyCodeOf(opts.busy ?? false);
    this.journal = new SimJournal(opts.journalPath);
    const last = this.journal.last();
    this.nextTrace = last ? (last.traceNumber % 999_999) + 1 : (opts.firstTraceNumber ?? 1);
    const receipts = this.journal.entries().map((e) => e.receiptNumber);
    this.nextReceipt = receipts.length > 0 ? (Math.max(...receipts) % 9999) + 1 : (opts.firstReceiptNumber ?? 1);
    this.tcp = new TcpEndpoint(this.endpointEvents());
  }

  // ------------------------------------------------------------------ control surface

  /** The next payment/refund is approved (the default when nothing is queued). */
  approveNext(opts: { card?: Partial<SimCard>; authCode?: string } = {}): this {
    this.behaviours.push({ type: 'approve', ...opts });
    return this;
  }

  /** The next payment/refund is declined with `resultCode` (default 0x05, declined by the issuer). */
  declineNext(resultCode: number = RC.DECLINED_BY_ISSUER): this {
    if (resultCode === 0) throw new RangeError('0 means approved');
    this.behaviours.push({ type: 'decline', code: resultCode });
    return this;
  }

  /** The next payment/refund is acknowledged, asks for a card, then never answers (until aborted or the line drops). */
  timeoutNext(): this {
    this.behaviours.push({ type: 'hang' });
    return this;
  }

  insertCard(card: Partial<SimCard> = {}): void {
    this.card = { ...this.defaultCard, ...card };
    for (const w of [...this.cardWaiters]) w();
  }

  removeCard(): void {
    this.card = null;
  }

  get cardInserted(): boolean {
    return this.card !== null;
  }

  /** Terminal status byte reported by status enquiry (0 = ready). */
  setTerminalStatus(code: number): void {
    this.termStatus = code;
  }

  /** Busy with something of its own (true = 84 A0 00, a number = 84 <code> 00); false = serving again. */
  setBusy(busy: boolean | number): void {
    this.busyCode = busyCodeOf(busy);
  }

  setStatusInfoOnRepeat(mode: StatusInfoOnRepeat): void {
    this.repeatMode = mode;
  }

  /** The registration in force (config byte, currency, service byte), or null when not logged on. */
  get registration(): SimRegistration | null {
    return this.reg ? { ...this.reg } : null;
  }

  setDelays(d: SimDelays): void {
    this.delays = { stepMs: d.stepMs ?? this.delays.stepMs, cardMs: d.cardMs ?? d.stepMs ?? this.delays.cardMs };
  }

  setErrorRates(r: SimErrorRates): void {
    this.rates = { corruptCrc: r.corruptCrc ?? this.rates.corruptCrc, dropAck: r.dropAck ?? this.rates.dropAck };
  }

  /** Deterministic faults (serial): corrupt the CRC of the next `corruptFrames` frames sent; swallow the next `dropFrames` frames received. */
  injectFaults(f: { corruptFrames?: number; dropFrames?: number }): void {
    this.forced.corruptFrames += f.corruptFrames ?? 0;
    this.forced.dropFrames += f.dropFrames ?? 0;
  }

  get stats(): SimStats {
    return { commands: this.commandCount, serial: this.serial?.stats ?? null };
  }

  /** True while no transaction runs. */
  get idle(): boolean {
    return this.active === null;
  }

  get connected(): boolean {
    return this.link !== null;
  }

  lookupByTrace(traceNumber: number): JournalEntry | undefined {
    return this.journal.lookupByTrace(traceNumber);
  }

  lookupByReceipt(receiptNumber: number): JournalEntry | undefined {
    return this.journal.lookupByReceipt(receiptNumber);
  }

  last(): JournalEntry | undefined {
    return this.journal.last();
  }

  /** Powers the terminal's interface off: TCP stops listening and drops the ECR; serial closes the port. */
  async disconnect(): Promise<void> {
    this.powered = false;
    await this.tcp.stop();
    await this.serial?.powerOff();
  }

  /** Back on: TCP listens on the same port again; serial reopens the device path. */
  async reconnect(): Promise<void> {
    this.powered = true;
    if (this.tcp.address) await this.tcp.listen(this.tcp.address.port, this.tcp.address.host);
    await this.serial?.powerOn();
  }

  async close(): Promise<void> {
    this.powered = false;
    await this.tcp.stop();
    await this.serial?.close();
    if (this.active) this.breakActive('link');
  }

  // ------------------------------------------------------------------ endpoints

  /** Serves ZVT over TCP on host (default 127.0.0.1) and port (default 0 = ephemeral). */
  async listenTcp(opts: { port?: number; host?: string } = {}): Promise<{ host: string; port: number }> {
    this.powered = true;
    return this.tcp.listen(opts.port ?? 0, opts.host ?? '127.0.0.1');
  }

  /** Serves ZVT on a serial device path (the device end of a PtyPair), reopening it after unplug/replug. */
  async attachSerial(path: string, opts: { baudRate?: number; stopBits?: 1 | 2 } = {}): Promise<void> {
    this.serial = new SerialEndpoint(
      {
        clock: this.clock,
        path,
        baudRate: opts.baudRate ?? 9600,
        stopBits: opts.stopBits ?? 2,
        linkAckTimeoutMs: this.opts.linkAckTimeoutMs ?? 5000,
        watchMs: this.opts.serialWatchMs ?? 100,
        faults: {
          corruptOutgoing: () => this.fault('corruptFrames', this.rates.corruptCrc),
          swallowIncoming: () => this.fault('dropFrames', this.rates.dropAck),
        },
      },
      this.endpointEvents(),
    );
    await this.serial.start();
  }

  private fault(kind: 'corruptFrames' | 'dropFrames', rate: number): boolean {
    if (this.forced[kind] > 0) {
      this.forced[kind]--;
      return true;
    }
    return rate > 0 && this.random() < rate;
  }

  private endpointEvents(): EndpointEvents {
    return {
      up: (link) => {
        if (!this.powered) {
          link.drop();
          return;
        }
        const old = this.link;
        this.link = link;
        if (old && old !== link) {
          old.drop();
          this.linkLostEffects();
        }
        this.emit('connection', { connected: true, via: link.via });
      },
      down: (link) => {
        if (this.link !== link) return;
        this.link = null;
        this.linkLostEffects();
        this.emit('connection', { connected: false, via: link.via });
      },
      apdu: (link, apdu) => this.onApdu(link, apdu),
      noise: (_link, what) => this.report(new KioskError('PROTOCOL', `ZVT simulator: ${what}`)),
    };
  }

  private linkLostEffects(): void {
    const p = this.pendingAnswer;
    if (p) {
      this.pendingAnswer = null;
      this.clock.clearTimeout(p.timer);
      p.reject(new FlowBroken('link'));
    }
    if (this.active) this.breakActive('link');
  }

  private report(e: KioskError): void {
    if (this.listenerCount('error') > 0) this.emit('error', e);
  }

  // ------------------------------------------------------------------ incoming

  private onApdu(link: EcrLink, bytes: Uint8Array): void {
    if (link !== this.link) return;
    let incoming;
    try {
      incoming = readIncoming(decodeApdu(bytes));
    } catch (e) {
      this.report(new KioskError('PROTOCOL', `ZVT simulator: ${(e as Error).message}`));
      if (e instanceof MalformedCommand) this.sendRaw(pt.nack(RC.PROTOCOL_ERROR)).catch(() => undefined);
      return;
    }
    if (incoming.type !== 'command') {
      const p = this.pendingAnswer;
      if (!p) return;
      this.pendingAnswer = null;
      this.clock.clearTimeout(p.timer);
      // the ECR confirmed the last message (06 0F / 06 1E): the terminal is idle now, before any byte that follows
      if (p.final && incoming.type === 'ack') this.active = null;
      p.resolve(incoming.type === 'ack' ? { ok: true } : { ok: false, code: incoming.code });
      return;
    }
    const cmd = incoming.command;
    this.commandCount++;
    this.emit('command', cmd);
    if (cmd.kind === 'abort') {
      this.sendRaw(pt.ack()).catch(() => undefined);
      if (this.active) this.breakActive('aborted');
      return;
    }
    if (this.busyCode !== null) {
      this.sendRaw(pt.nack(this.busyCode)).catch(() => undefined);
      return;
    }
    if (this.active) {
      this.sendRaw(pt.nack(RC.PLEASE_WAIT)).catch(() => undefined); // busy with a transaction
      return;
    }
    if (isLogOff(cmd)) {
      // 06 02 log-off: acknowledged with 80 00 00, nothing else; the terminal is no longer registered
      this.reg = null;
      this.sendRaw(pt.ack()).catch(() => undefined);
      return;
    }
    if (cmd.kind === 'other') {
      this.sendRaw(pt.nack(RC.FUNCTION_NOT_POSSIBLE)).catch(() => undefined);
      return;
    }
    void this.run(cmd);
  }

  private breakActive(why: 'aborted' | 'link'): void {
    const a = this.active;
    if (!a) return;
    if (why === 'aborted') a.aborted = true;
    else a.linkLost = true;
    for (const w of [...a.wakers]) w();
  }

  // ------------------------------------------------------------------ outgoing helpers

  private async sendRaw(apdu: Uint8Array): Promise<void> {
    const link = this.link;
    if (!link) throw new FlowBroken('link');
    await link.send(apdu).catch(() => Promise.reject(new FlowBroken('link')));
  }

  /** Sends a message and waits for the ECR's answer: 80 00 00 (ok) or 84 <code> (not ok). */
  private async tell(apdu: Uint8Array, final = false): Promise<Answer> {
    this.check();
    const link = this.link;
    if (!link) throw new FlowBroken('link');
    const answered = new Promise<Answer>((resolve, reject) => {
      const timer = this.clock.setTimeout(() => {
        if (this.pendingAnswer?.timer === timer) this.pendingAnswer = null;
        reject(new FlowBroken('no-ack'));
      }, this.opts.ecrAckTimeoutMs ?? 5000);
      this.pendingAnswer = { resolve, reject, timer, final };
    });
    answered.catch(() => undefined);
    try {
      await link.send(apdu);
    } catch {
      const p = this.pendingAnswer;
      if (p) {
        this.pendingAnswer = null;
        this.clock.clearTimeout(p.timer);
      }
      throw new FlowBroken('link');
    }
    return answered;
  }

  /** Status information: repeated while the ECR answers 84 9C 00 ("please repeat"), at most maxStatusInfoRepeats times. */
  private async tellStatusInfo(f: InfoFields): Promise<Answer> {
    const bytes = pt.statusInformation(statusInfoBmps(f));
    let answer = await this.tell(bytes);
    for (let n = 0; !answer.ok && answer.code === RC.PLEASE_WAIT && n < (this.opts.maxStatusInfoRepeats ?? 3); n++) answer = await this.tell(bytes);
    return answer;
  }

  private async intermediate(code: number): Promise<void> {
    if (this.config() & CONFIG.INTERMEDIATE_STATUS) await this.tell(pt.intermediateStatus(code));
  }

  private config(): number {
    return this.reg?.config ?? 0;
  }

  /** Print lines go to the ECR only with print-type 06 D1 (0x80) and the ECR printing that kind of receipt. */
  private printsVia06D1(kind: 'payment' | 'admin'): boolean {
    if (this.opts.printReceipt === false) return false;
    const c = this.config();
    return (c & CONFIG.PRINT_LINES) !== 0 && (c & (kind === 'payment' ? CONFIG.ECR_PRINTS_PAYMENT_RECEIPT : CONFIG.ECR_PRINTS_ADMIN_RECEIPT)) !== 0;
  }

  private async print(kind: 'payment' | 'admin', lines: string[]): Promise<void> {
    if (!this.printsVia06D1(kind)) return;
    for (const text of lines) await this.tell(pt.printLine(PRINT_ATTR_NORMAL, text));
    await this.tell(pt.printLine(PRINT_ATTR_LAST_LINE, '')); // as real terminals end a receipt: 06 D1 01 81
  }

  private check(): void {
    const a = this.active;
    if (a?.linkLost) throw new FlowBroken('link');
    if (a?.aborted) throw new FlowBroken('aborted');
  }

  /** Waits `ms` on the injected clock; an abort or line loss cuts it short. */
  private pause(ms: number): Promise<void> {
    this.check();
    const a = this.active;
    if (ms <= 0) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const done = () => {
        a?.wakers.delete(done);
        this.clock.clearTimeout(timer);
        resolve();
      };
      const timer = this.clock.setTimeout(done, ms);
      a?.wakers.add(done);
    }).then(() => this.check());
  }

  private untilBroken(): Promise<never> {
    const a = this.active;
    return new Promise<never>((_resolve, reject) => {
      const done = () => {
        try {
          this.check();
        } catch (e) {
          a?.wakers.delete(done);
          reject(e);
        }
      };
      a?.wakers.add(done);
      done();
    });
  }

  private async waitForCard(): Promise<{ card: SimCard; auto: boolean }> {
    this.check();
    if (this.card) return { card: this.card, auto: false };
    if (this.autoCard) {
      await this.pause(this.delays.cardMs);
      this.insertCard();
      return { card: this.card!, auto: true };
    }
    const a = this.active;
    await new Promise<void>((resolve) => {
      const done = () => {
        this.cardWaiters.delete(done);
        a?.wakers.delete(done);
        resolve();
      };
      this.cardWaiters.add(done);
      a?.wakers.add(done);
    });
    this.check();
    return { card: this.card!, auto: false };
  }

  private takeTrace(): number {
    const t = this.nextTrace;
    this.nextTrace = (t % 999_999) + 1;
    return t;
  }

  private takeReceipt(): number {
    const r = this.nextReceipt;
    this.nextReceipt = (r % 9999) + 1;
    return r;
  }

  private infoOf(e: JournalEntry): InfoFields {
    const f: InfoFields = { resultCode: e.resultCode ?? 0, amount: e.amount, traceNumber: e.traceNumber, at: e.at, terminalId: this.terminalId, currency: e.currency };
    if (e.kind !== 'end-of-day') f.receiptNumber = e.receiptNumber;
    if (e.maskedPan !== undefined) f.maskedPan = e.maskedPan;
    if (e.authCode !== undefined) f.authCode = e.authCode;
    if (e.originalTraceNumber !== undefined) f.originalTraceNumber = e.originalTraceNumber;
    if (e.cardName !== undefined) f.cardName = e.cardName;
    return f;
  }

  private finish(e: JournalEntry, result: 'approved' | 'declined' | 'aborted', code: number, note?: string): void {
    if (e.result !== 'pending') return;
    e.result = result;
    e.resultCode = code;
    if (note) e.note = note;
    this.journal.save();
    this.emit('transaction', { ...e });
  }

  // ------------------------------------------------------------------ commands

  private async run(cmd: Exclude<SimCommand, { kind: 'abort' | 'other' }>): Promise<void> {
    const active: Active = { aborted: false, linkLost: false, wakers: new Set() };
    this.active = active;
    try {
      if (cmd.kind === 'registration' && cmd.currency !== undefined && cmd.currency !== this.currency) {
        // refused: 84 1E 03 6F <our CC> — "wrong currency" with the currency the terminal works in
        await this.sendRaw(pt.nack(0x1e, [RC.WRONG_CURRENCY, ...bcd(this.currency, 2)]));
        return;
      }
      await this.sendRaw(pt.ack());
      switch (cmd.kind) {
        case 'registration':
          await this.register(cmd);
          break;
        case 'status-enquiry':
          await this.tell(pt.statusEnquiryCompletion(this.swVersion, this.termStatus), true);
          break;
        case 'repeat-receipt':
          await this.repeatReceipt(cmd.serviceByte);
          break;
        case 'authorization':
          await this.payment('payment', cmd.amount, cmd.currency);
          break;
        case 'refund':
          await this.payment('refund', cmd.amount, cmd.currency);
          break;
        case 'reversal':
          await this.reversal(cmd.receiptNumber, cmd.amount);
          break;
        case 'end-of-day':
          await this.endOfDay();
          break;
      }
    } catch (e) {
      if (!(e instanceof FlowBroken)) this.report(new KioskError('PROTOCOL', `simulator: ${(e as Error).message}`));
    } finally {
      if (this.active === active) this.active = null;
    }
  }

  private async register(cmd: Extract<SimCommand, { kind: 'registration' }>): Promise<void> {
    this.reg = { config: cmd.config };
    if (cmd.currency !== undefined) this.reg.currency = cmd.currency;
    if (cmd.serviceByte !== undefined) this.reg.serviceByte = cmd.serviceByte;
    // 06 0F: 19 <status byte> 29 <TID> [49 <CC>] — the CC only when the ECR sent one (PA00P015 Registration)
    const data: number[] = [0x19, 0x00, 0x29, ...bcd(this.terminalId, 4)];
    if (cmd.currency !== undefined) data.push(0x49, ...bcd(this.currency, 2));
    await this.tell(pt.completion(data), true);
  }

  private async payment(kind: JournalKind, amount: number, currency: number | undefined): Promise<void> {
    if (currency !== undefined && currency !== this.currency) {
      await this.tell(pt.abort(RC.WRONG_CURRENCY, bcd(this.currency, 2)), true); // 06 1E 03 6F <our CC>
      return;
    }
    const behaviour = this.behaviours.shift() ?? { type: 'approve' };
    const entry = this.journal.begin({ kind, traceNumber: this.takeTrace(), receiptNumber: this.takeReceipt(), amount, currency: this.currency, at: this.clock.now() });
    let autoCard = false;
    try {
      if (behaviour.type === 'hang') {
        await this.intermediate(INTERMEDIATE.INSERT_CARD);
        await this.untilBroken();
      }
      if (!this.card) await this.intermediate(INTERMEDIATE.INSERT_CARD);
      const got = await this.waitForCard();
      autoCard = got.auto;
      const card = { ...got.card, ...(behaviour.type === 'approve' ? behaviour.card : {}) };
      entry.maskedPan = card.maskedPan;
      entry.cardName = card.cardName;
      await this.pause(this.delays.stepMs);
      await this.intermediate(INTERMEDIATE.PIN_PAD);
      await this.pause(this.delays.stepMs);
      await this.intermediate(INTERMEDIATE.WAITING_FOR_HOST);
      await this.pause(this.delays.stepMs);
      this.check();
      const cardFields: Partial<InfoFields> = { cardSequenceNumber: card.sequenceNumber, expiry: card.expiry, cardType: card.cardType };
      if (behaviour.type === 'decline') {
        this.finish(entry, 'declined', behaviour.code);
        await this.tellStatusInfo({ ...this.infoOf(entry), ...cardFields });
        await this.tell(pt.abort(behaviour.code), true);
        return;
      }
      entry.authCode = behaviour.type === 'approve' && behaviour.authCode !== undefined ? behaviour.authCode : String(100000 + entry.traceNumber);
      entry.resultCode = 0;
      const answer = await this.tellStatusInfo({ ...this.infoOf(entry), ...cardFields });
      if (!answer.ok) {
        this.finish(entry, 'aborted', RC.ABORTED, 'ECR refused the status information; reversed');
        await this.tell(pt.abort(RC.ABORTED), true);
        return;
      }
      this.finish(entry, 'approved', 0);
      await this.print('payment', receiptLines(this.terminalId, entry, kind === 'refund' ? 'Gutschrift' : 'Kartenzahlung'));
      await this.tell(pt.completion(), true);
    } catch (e) {
      if (!(e instanceof FlowBroken)) throw e;
      const note = e.why === 'aborted' ? 'aborted by the ECR' : e.why === 'link' ? 'line to the ECR lost; reversed' : 'ECR did not answer; reversed';
      this.finish(entry, 'aborted', RC.ABORTED, note);
      if (e.why === 'aborted' && this.link) {
        if (this.active) this.active.aborted = false; // let the abort message out
        await this.tell(pt.abort(RC.ABORTED), true).catch(() => undefined);
      }
    } finally {
      if (autoCard) this.removeCard();
    }
  }

  private async reversal(receiptNumber: number | undefined, amount: number | undefined): Promise<void> {
    const original = receiptNumber === undefined ? undefined : this.journal.live((e) => e.receiptNumber === receiptNumber && e.kind === 'payment');
    if (!original || original.result !== 'approved' || (amount !== undefined && amount !== original.amount)) {
      await this.tell(pt.abort(RC.REVERSAL_NOT_POSSIBLE), true);
      return;
    }
    if (original.reversed) {
      await this.tell(pt.abort(RC.ALREADY_REVERSED), true);
      return;
    }
    const entry = this.journal.begin({
      kind: 'reversal',
      traceNumber: this.takeTrace(),
      receiptNumber: this.takeReceipt(),
      amount: original.amount,
      currency: original.currency,
      at: this.clock.now(),
      originalTraceNumber: original.traceNumber,
      maskedPan: original.maskedPan,
      cardName: original.cardName,
    });
    entry.resultCode = 0;
    try {
      const answer = await this.tellStatusInfo(this.infoOf(entry));
      if (!answer.ok) {
        this.finish(entry, 'aborted', RC.ABORTED, 'ECR refused the status information');
        await this.tell(pt.abort(RC.ABORTED), true);
        return;
      }
      original.reversed = true;
      this.finish(entry, 'approved', 0);
      await this.print('payment', receiptLines(this.terminalId, entry, 'Storno'));
      await this.tell(pt.completion(), true);
    } catch (e) {
      if (!(e instanceof FlowBroken)) throw e;
      this.finish(entry, 'aborted', RC.ABORTED, 'line to the ECR lost');
    }
  }

  private async endOfDay(): Promise<void> {
    const all = this.journal.entries();
    let lastEod = 0;
    for (const e of all) if (e.kind === 'end-of-day' && e.result === 'approved') lastEod = e.seq;
    let total = 0;
    let count = 0;
    let firstReceipt = 0;
    let lastReceipt = 0;
    for (const e of all) {
      if (e.seq <= lastEod || e.result !== 'approved' || e.kind === 'end-of-day') continue;
      if (firstReceipt === 0) firstReceipt = e.receiptNumber;
      lastReceipt = e.receiptNumber;
      if (e.kind === 'payment' && !e.reversed) {
        total += e.amount;
        count++;
      }
      if (e.kind === 'refund') total -= e.amount;
    }
    const entry = this.journal.begin({ kind: 'end-of-day', traceNumber: this.takeTrace(), receiptNumber: 0, amount: Math.max(0, total), currency: this.currency, at: this.clock.now() });
    entry.resultCode = 0;
    try {
      await this.intermediate(INTERMEDIATE.PLEASE_WAIT);
      await this.pause(this.delays.stepMs);
      await this.tellStatusInfo({ ...this.infoOf(entry), individualTotals: individualTotals({ firstReceipt, lastReceipt, count, total: entry.amount }) });
      this.finish(entry, 'approved', 0);
      await this.print('admin', [`Kassenschnitt ${currencyLabel(this.currency)} ${(entry.amount / 100).toFixed(2)}`, `Belege ${firstReceipt}-${lastReceipt}`]);
      await this.tell(pt.completion(), true);
    } catch (e) {
      if (!(e instanceof FlowBroken)) throw e;
      this.finish(entry, 'aborted', RC.ABORTED, 'line to the ECR lost');
    }
  }

  /** The last transaction with a receipt: approved or declined payments, refunds, reversals — never an aborted one. */
  private lastReceipted(): JournalEntry | undefined {
    const list = this.journal.entries();
    for (let i = list.length - 1; i >= 0; i--) {
      const e = list[i];
      if (e.kind !== 'end-of-day' && (e.result === 'approved' || e.result === 'declined')) return e;
    }
    return undefined;
  }

  private async repeatReceipt(serviceByte: number | undefined): Promise<void> {
    const last = this.lastReceipted();
    if (!last) {
      await this.tell(pt.abort(RC.FUNCTION_NOT_POSSIBLE), true); // no receipt to repeat
      return;
    }
    const wantsInfo = this.repeatMode === 'always' || (this.repeatMode === 'service-byte' && serviceByte !== undefined && (serviceByte & REPEAT_RECEIPT_SEND_STATUS_INFO) !== 0);
    if (wantsInfo) await this.tellStatusInfo(this.infoOf(last));
    const title = last.kind === 'reversal' ? 'Storno' : last.kind === 'refund' ? 'Gutschrift' : 'Kartenzahlung';
    await this.print('payment', receiptLines(this.terminalId, last, `Belegkopie ${title}`));
    await this.tell(pt.completion(), true);
  }
}

function busyCodeOf(busy: boolean | number): number | null {
  if (busy === false) return null;
  if (busy === true) return RC.RECEIVER_NOT_READY;
  if (!Number.isInteger(busy) || busy < 1 || busy > 0xff) throw new RangeError('busy code is a result code 1..255');
  return busy;
}

