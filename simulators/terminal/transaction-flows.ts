import { KioskError } from '../../kernel/errors';
import { bcd } from './zvt/bcd';
import type { SimCommand } from './zvt/ecr-commands';
import { FlowBroken, type Active, type Answer } from './zvt/flow-control';
import * as pt from './zvt/pt-messages';
import { currencyLabel, receiptLines } from './zvt/receipt';
import { CONFIG, EUR, INTERMEDIATE, PRINT_ATTR_LAST_LINE, PRINT_ATTR_NORMAL, RC, REPEAT_RECEIPT_SEND_STATUS_INFO } from './zvt/spec';
import { TOTALS_GROUPS, individualTotals, statusInfoBmps, totalsGroupOf, type InfoFields, type TotalsGroup } from './zvt/status-info';
import { EcrSession } from './ecr-session';
import { SimJournal, type JournalEntry, type JournalKind } from './journal';
import { DEFAULT_SIM_CARD, type SimCard, type SimDelays, type SimRegistration, type StatusInfoOnRepeat, type TerminalSimulatorOptions } from './sim-options';

/**
 * What the next payment/refund does (queued by approveNext / declineNext / timeoutNext / loseCompletionNext).
 * `silent`: carried out (approved, journaled) but the ECR hears nothing more of it.
 */
export type Behaviour = { type: 'approve'; card?: Partial<SimCard>; authCode?: string } | { type: 'decline'; code: number } | { type: 'hang' } | { type: 'silent' };

/**
 * The terminal's transaction flows per PA00P015: registration, status enquiry, payment and refund (card, PIN,
 * host, status information, receipt, completion), reversal, end of day and repeat receipt, each journaled. The
 * line itself (endpoints, answers, aborts) is `EcrSession`'s.
 */
export abstract class TransactionFlows extends EcrSession {
  readonly journal: SimJournal;
  protected readonly terminalId: string;
  protected readonly swVersion: string;
  protected readonly currency: number;
  protected delays: Required<SimDelays>;
  protected readonly autoCard: boolean;
  /** The end-of-day status information carries BMP 60 (see TerminalSimulatorOptions.eodIndividualTotals). */
  eodIndividualTotals: boolean;
  protected readonly defaultCard: SimCard;
  protected behaviours: Behaviour[] = [];
  protected card: SimCard | null = null;
  protected cardWaiters = new Set<() => void>();
  protected nextTrace: number;
  protected nextReceipt: number;
  protected termStatus = 0;
  protected reg: SimRegistration | null = null;
  protected repeatMode: StatusInfoOnRepeat;

  constructor(opts: TerminalSimulatorOptions) {
    super(opts);
    this.terminalId = opts.terminalId ?? '52001233';
    if (!/^\d{8}$/.test(this.terminalId)) throw new RangeError('terminalId is 8 digits');
    this.swVersion = opts.swVersion ?? 'KIOSK-SIM 1.0';
    this.currency = opts.currency ?? EUR;
    this.delays = { stepMs: opts.delays?.stepMs ?? 0, cardMs: opts.delays?.cardMs ?? opts.delays?.stepMs ?? 0 };
    this.autoCard = opts.autoCard ?? true;
    this.eodIndividualTotals = opts.eodIndividualTotals ?? true;
    this.defaultCard = { ...DEFAULT_SIM_CARD, ...opts.card };
    this.repeatMode = opts.statusInfoOnRepeat ?? 'service-byte';
    this.journal = new SimJournal(opts.journalPath);
    const last = this.journal.last();
    this.nextTrace = last ? (last.traceNumber % 999_999) + 1 : (opts.firstTraceNumber ?? 1);
    const receipts = this.journal.entries().map((e) => e.receiptNumber);
    this.nextReceipt = receipts.length > 0 ? (Math.max(...receipts) % 9999) + 1 : (opts.firstReceiptNumber ?? 1);
  }

  insertCard(card: Partial<SimCard> = {}): void {
    this.card = { ...this.defaultCard, ...card };
    for (const w of [...this.cardWaiters]) w();
  }

  removeCard(): void {
    this.card = null;
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

  protected async run(cmd: Exclude<SimCommand, { kind: 'abort' | 'other' }>): Promise<void> {
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
      entry.cardType = card.cardType;
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
      if (behaviour.type === 'silent') {
        // the host approved and the terminal booked it; its status information and completion never leave (a
        // line fault after the money moved): the ECR's abort or a dropped line changes nothing any more
        this.finish(entry, 'approved', 0, 'completion withheld from the ECR');
        await this.untilBroken().catch(() => undefined);
        return;
      }
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
    let firstReceipt = 0;
    let lastReceipt = 0;
    // per card group since the last end-of-day: the number of payments, and payments − refunds (never below 0)
    const groups = Object.fromEntries(TOTALS_GROUPS.map((g) => [g, { count: 0, total: 0 }])) as Record<TotalsGroup, { count: number; total: number }>;
    for (const e of all) {
      if (e.seq <= lastEod || e.result !== 'approved' || e.kind === 'end-of-day') continue;
      if (firstReceipt === 0) firstReceipt = e.receiptNumber;
      lastReceipt = e.receiptNumber;
      const group = groups[totalsGroupOf(e.cardType, e.cardName)];
      if (e.kind === 'payment' && !e.reversed) {
        total += e.amount;
        group.count++;
        group.total += e.amount;
      }
      if (e.kind === 'refund') {
        total -= e.amount;
        group.total -= e.amount;
      }
    }
    for (const g of TOTALS_GROUPS) groups[g].total = Math.max(0, groups[g].total);
    const entry = this.journal.begin({ kind: 'end-of-day', traceNumber: this.takeTrace(), receiptNumber: 0, amount: Math.max(0, total), currency: this.currency, at: this.clock.now() });
    entry.resultCode = 0;
    try {
      await this.intermediate(INTERMEDIATE.PLEASE_WAIT);
      await this.pause(this.delays.stepMs);
      const info = this.infoOf(entry);
      if (this.eodIndividualTotals) info.individualTotals = individualTotals({ firstReceipt, lastReceipt, groups });
      await this.tellStatusInfo(info);
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
