import { isLogOff, type SimCommand } from './zvt/ecr-commands';
import * as pt from './zvt/pt-messages';
import { RC } from './zvt/spec';
import type { JournalEntry } from './journal';
import type { SimCard, SimDelays, SimErrorRates, SimRegistration, SimStats, StatusInfoOnRepeat, TerminalSimulatorOptions } from './sim-options';
import { TransactionFlows } from './transaction-flows';

export type { JournalEntry, JournalKind, JournalResult } from './journal';
export type { SimCommand } from './zvt/ecr-commands';
export type { SerialLinkStats } from './zvt/serial-link';
export { DEFAULT_SIM_CARD } from './sim-options';
export type { SimCard, SimDelays, SimErrorRates, StatusInfoOnRepeat, TerminalSimulatorOptions, SimEvents, SimStats, SimRegistration } from './sim-options';
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
 * timeoutNext/loseCompletionNext, card handling, delays and line faults. Its journal is the truth tests compare the kiosk against.
 *
 * Layers: `EcrSession` (ecr-session.ts: endpoints, the link, answers, aborts) ← `TransactionFlows`
 * (transaction-flows.ts: what each command does) ← this class (control surface, which commands are served).
 */
export class ZvtTerminalSimulator extends TransactionFlows {
  private commandCount = 0;
  private busyCode: number | null;

  constructor(opts: TerminalSimulatorOptions = {}) {
    super(opts);
    this.busyCode = busyCodeOf(opts.busy ?? false);
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

  /**
   * The next payment/refund is carried out — approved and journaled, the money moved — but its status information
   * and completion never reach the ECR (it times out); an abort after that is acknowledged and changes nothing.
   * Repeat receipt then reports it as the last transaction.
   */
  loseCompletionNext(): this {
    this.behaviours.push({ type: 'silent' });
    return this;
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

  // ------------------------------------------------------------------ commands served

  protected onCommand(cmd: SimCommand): void {
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
}

function busyCodeOf(busy: boolean | number): number | null {
  if (busy === false) return null;
  if (busy === true) return RC.RECEIVER_NOT_READY;
  if (!Number.isInteger(busy) || busy < 1 || busy > 0xff) throw new RangeError('busy code is a result code 1..255');
  return busy;
}

