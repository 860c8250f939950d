import { EventEmitter } from 'node:events';
import * as fs from 'node:fs';
import * as net from 'node:net';
import { SerialPort } from 'serialport';
import { SystemClock, type Clock, type TimerHandle } from '../../runtime/clock';
import { KioskError, isKioskError } from '../../runtime/errors';
import { FramedLink, type LinkStats } from '../../drivers/terminal/framed-link';
import { decodeApdu, encodeApdu } from '../../drivers/terminal/zvt/apdu';
import { ApduDecoder } from '../../drivers/terminal/zvt/apdu-stream';
import { decodeEcrCommand, type EcrCommand } from '../../drivers/terminal/zvt/commands';
import { CURRENCY_EUR } from '../../drivers/terminal/zvt/constants';
import { encodeTerminalMessage, type TerminalMessage } from '../../drivers/terminal/zvt/messages';
import type { StatusInfo } from '../../drivers/terminal/zvt/status-info';
import { SimJournal, type JournalEntry, type JournalKind } from './journal';

export type { JournalEntry, JournalKind, JournalResult } from './journal';

/** The card the simulator "reads". Only masked data: the simulator never has a full card number. */
export interface SimCard {
  maskedPan: string;
  cardName: string;
  /** ZVT card type (BMP 8A). */
  cardType: number;
  /** YYMM */
  expiry: string;
  sequenceNumber: number;
}

export const DEFAULT_SIM_CARD: SimCard = { maskedPan: '6799********0016', cardName: 'girocard', cardType: 5, expiry: '2812', sequenceNumber: 1 };

export interface SimDelays {
  /** Pause before each step of a transaction (prompts, host answer). Default 0. */
  stepMs?: number;
  /** With `autoCard`, how long until the "customer" presents the card. Default = stepMs. */
  cardMs?: number;
}

export interface SimErrorRates {
  /** Probability an outgoing frame carries a wrong CRC (serial only): the driver must NAK it, we retransmit. */
  corruptCrc?: number;
  /** Probability an incoming frame is "lost on the line" — no ACK, not acted on (serial only): the driver must retransmit after T3. */
  dropAck?: number;
}

export interface TerminalSimulatorOptions {
  clock?: Clock;
  /** 8 digits. Default "52001233". */
  terminalId?: string;
  swVersion?: string;
  /** ISO 4217 numeric reported after registration. Default 978. */
  currency?: number;
  delays?: SimDelays;
  /** Present the default card by itself when a payment needs one. Default true; false waits for `insertCard()`. */
  autoCard?: boolean;
  card?: Partial<SimCard>;
  errorRates?: SimErrorRates;
  /** Random source for error rates (seedable in tests). Default Math.random. */
  random?: () => number;
  /** How long the terminal waits for the ECR's 80 00 00 to each message. Default 5000 ms. */
  ecrAckTimeoutMs?: number;
  /** Serial link T3 on the terminal's side. Default 5000 ms. */
  linkAckTimeoutMs?: number;
  /** Send receipt lines (06 D1) with each payment. Default true. */
  printReceipt?: boolean;
  firstTraceNumber?: number;
  firstReceiptNumber?: number;
  /** Keep the journal in this file, so it outlives the process (trace and receipt numbers continue from it). */
  journalPath?: string;
  /** Serial: how often the device path is checked for unplug/replug. Default 100 ms. */
  serialWatchMs?: number;
}

export type SimEvents = {
  /** Every command the ECR sent, decoded. */
  command: [EcrCommand];
  /** A journal entry reached its final state. */
  transaction: [JournalEntry];
  /** An ECR link came up or went away. */
  connection: [{ connected: boolean; via: 'serial' | 'tcp' }];
  /** Garbled input from the ECR. */
  error: [KioskError];
};

type Behaviour = { type: 'approve'; card?: Partial<SimCard>; authCode?: string } | { type: 'decline'; code: number } | { type: 'hang' };

interface SimLink {
  readonly via: 'serial' | 'tcp';
  send(apdu: Uint8Array): Promise<void>;
  drop(): void;
}

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

export interface SimStats {
  commands: number;
  /** Link-level counters of the serial side (retransmissions, NAKs received, corrupted, swallowed). */
  serial: LinkStats | null;
}

/**
 * A ZVT payment terminal that speaks the real bytes: serial (DLE/STX frames, CRC, ACK/NAK) on the device end of a
 * pty pair, or bare APDUs on a TCP server on 127.0.0.1. Control it from tests (`approveNext`, `declineNext`,
 * `timeoutNext`, `insertCard`, `disconnect`, error rates) and ask its journal what happened (`lookupByTrace`).
 *
 * Behaviour: registration → 06 0F with terminal id; authorization / refund → 80 00 00, intermediate statuses
 * (insert card 0A, PIN pad 01, host 04), status information 04 0F, receipt lines 06 D1, then 06 0F (approved) or
 * 06 1E <code> (declined / aborted). An abort (06 B0) ends the running transaction with 06 1E 6C. If the ECR does
 * not confirm the status information (line lost, no 80 00 00), the payment counts as reversed (aborted) — the
 * journal says so. Status enquiry → 06 0F with software version and terminal status; repeat receipt → the last
 * finished transaction's 04 0F, then 06 0F (or 06 1E 83 when there is none). Passwords are not checked.
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
  private pendingAck: { resolve: (positive: boolean) => void; reject: (e: FlowBroken) => void; timer: TimerHandle; final: boolean } | null = null;
  private link: SimLink | null = null;
  private nextTrace: number;
  private nextReceipt: number;
  private termStatus = 0;
  private forced = { corruptFrames: 0, dropFrames: 0 };
  private commandCount = 0;
  private disconnected = false;
  // serial endpoint
  private serialPath: string | null = null;
  private serialOpts: { baudRate?: number; stopBits?: 1 | 2 } = {};
  private serialPort: SerialPort | null = null;
  private serialLink: FramedLink | null = null;
  private serialWatch: TimerHandle | null = null;
  private serialOpening = false;
  private lastSerialStats: LinkStats | null = null;
  // tcp endpoint
  private server: net.Server | null = null;
  private tcpAddress: { host: string; port: number } | null = null;
  private sockets = new Set<net.Socket>();
  private closedForGood = false;

  constructor(private readonly opts: TerminalSimulatorOptions = {}) {
    super();
    this.clock = opts.clock ?? new SystemClock();
    this.terminalId = opts.terminalId ?? '52001233';
    this.swVersion = opts.swVersion ?? 'KIOSK-SIM 1.0';
    this.currency = opts.currency ?? CURRENCY_EUR;
    this.delays = { stepMs: opts.delays?.stepMs ?? 0, cardMs: opts.delays?.cardMs ?? opts.delays?.stepMs ?? 0 };
    this.rates = { corruptCrc: opts.errorRates?.corruptCrc ?? 0, dropAck: opts.errorRates?.dropAck ?? 0 };
    this.random = opts.random ?? Math.random;
    this.autoCard = opts.autoCard ?? true;
    this.defaultCard = { ...DEFAULT_SIM_CARD, ...opts.card };
    this.journal = new SimJournal(opts.journalPath);
    const last = this.journal.last();
    this.nextTrace = last ? (last.traceNumber % 999_999) + 1 : (opts.firstTraceNumber ?? 1);
    this.nextReceipt = last ? Math.max(...this.journal.entries().map((e) => e.receiptNumber)) % 9999 + 1 : (opts.firstReceiptNumber ?? 1);
  }

  // ------------------------------------------------------------------ control surface

  /** The next payment/refund is approved (the default when nothing is queued). */
  approveNext(opts: { card?: Partial<SimCard>; authCode?: string } = {}): this {
    this.behaviours.push({ type: 'approve', ...opts });
    return this;
  }

  /** The next payment/refund is declined with `resultCode` (default 0x05, declined by the issuer). */
  declineNext(resultCode = 0x05): this {
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
    return { commands: this.commandCount, serial: this.serialLink ? { ...this.serialLink.stats } : this.lastSerialStats };
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
    this.disconnected = true;
    await this.stopTcp();
    await this.closeSerialPort();
  }

  /** Back on: TCP listens on the same port again; serial reopens the device path. */
  async reconnect(): Promise<void> {
    this.disconnected = false;
    if (this.tcpAddress) await this.startTcp(this.tcpAddress.port, this.tcpAddress.host);
    if (this.serialPath) await this.openSerialPort();
  }

  async close(): Promise<void> {
    this.closedForGood = true;
    this.disconnected = true;
    if (this.serialWatch) this.clock.clearTimeout(this.serialWatch);
    this.serialWatch = null;
    await this.stopTcp();
    await this.closeSerialPort();
    if (this.active) this.breakActive('link');
  }

  // ------------------------------------------------------------------ endpoints

  /** Serves ZVT over TCP on host (default 127.0.0.1) and port (default 0 = ephemeral). */
  async listenTcp(opts: { port?: number; host?: string } = {}): Promise<{ host: string; port: number }> {
    const addr = await this.startTcp(opts.port ?? 0, opts.host ?? '127.0.0.1');
    this.tcpAddress = addr;
    return addr;
  }

  private startTcp(port: number, host: string): Promise<{ host: string; port: number }> {
    if (this.server) return Promise.resolve(this.tcpAddress!);
    const server = net.createServer((socket) => this.onTcpConnection(socket));
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.removeListener('error', reject);
        const a = server.address() as net.AddressInfo;
        resolve({ host, port: a.port });
      });
    });
  }

  private async stopTcp(): Promise<void> {
    const server = this.server;
    this.server = null;
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    if (server) await new Promise<void>((r) => server.close(() => r()));
  }

  private onTcpConnection(socket: net.Socket): void {
    if (this.disconnected) {
      socket.destroy();
      return;
    }
    socket.setNoDelay(true);
    this.sockets.add(socket);
    const decoder = new ApduDecoder();
    const link: SimLink = {
      via: 'tcp',
      send: (apdu) =>
        new Promise<void>((resolve, reject) => {
          if (socket.destroyed) return reject(new FlowBroken('link'));
          socket.write(apdu, (err) => (err ? reject(new FlowBroken('link')) : resolve()));
        }),
      drop: () => socket.destroy(),
    };
    this.setLink(link);
    socket.on('data', (d: Buffer) => {
      for (const ev of decoder.push(d)) {
        if (ev.type === 'apdu') this.onApdu(link, ev.apdu);
        else {
          this.report(ev.error);
          socket.destroy();
        }
      }
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      this.sockets.delete(socket);
      this.linkLost(link);
    });
  }

  /** Serves ZVT on a serial device path (the device end of a PtyPair), reopening it after unplug/replug. */
  async attachSerial(path: string, opts: { baudRate?: number; stopBits?: 1 | 2 } = {}): Promise<void> {
    this.serialPath = path;
    this.serialOpts = opts;
    await this.openSerialPort();
    this.scheduleSerialWatch();
  }

  private scheduleSerialWatch(): void {
    if (this.closedForGood) return;
    this.serialWatch = this.clock.setTimeout(() => {
      this.serialWatch = null;
      const path = this.serialPath;
      if (!path || this.closedForGood) return;
      const present = fs.existsSync(path);
      if (this.serialPort && !present) void this.closeSerialPort();
      else if (!this.serialPort && present && !this.disconnected) void this.openSerialPort().catch(() => undefined);
      this.scheduleSerialWatch();
    }, this.opts.serialWatchMs ?? 100);
  }

  private async openSerialPort(): Promise<void> {
    const path = this.serialPath;
    if (!path || this.serialPort || this.serialOpening || this.disconnected) return;
    this.serialOpening = true;
    try {
      const port = new SerialPort({ path, baudRate: this.serialOpts.baudRate ?? 9600, stopBits: this.serialOpts.stopBits ?? 2, lock: false, autoOpen: false });
      await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
      if (this.disconnected) {
        await new Promise<void>((r) => port.close(() => r()));
        return;
      }
      this.serialPort = port;
      const framed = new FramedLink((bytes) => port.write(Buffer.from(bytes)), {
        clock: this.clock,
        ackTimeoutMs: this.opts.linkAckTimeoutMs ?? 5000,
        faults: {
          corruptOutgoing: () => {
            if (this.forced.corruptFrames > 0) {
              this.forced.corruptFrames--;
              return true;
            }
            return this.rates.corruptCrc > 0 && this.random() < this.rates.corruptCrc;
          },
          swallowIncoming: () => {
            if (this.forced.dropFrames > 0) {
              this.forced.dropFrames--;
              return true;
            }
            return this.rates.dropAck > 0 && this.random() < this.rates.dropAck;
          },
        },
      });
      this.serialLink = framed;
      const link: SimLink = {
        via: 'serial',
        send: (apdu) => framed.send(apdu).catch(() => Promise.reject(new FlowBroken('link'))),
        drop: () => undefined,
      };
      framed.on('apdu', (a) => this.onApdu(link, a));
      framed.on('error', (e) => this.report(e));
      port.on('data', (d: Buffer) => framed.receive(d));
      port.on('error', () => undefined);
      port.on('close', () => {
        if (this.serialPort === port) {
          this.serialPort = null;
          this.lastSerialStats = { ...framed.stats };
          this.serialLink = null;
          framed.close(new KioskError('DEVICE_OFFLINE', 'serial port closed'));
          this.linkLost(link);
        }
      });
      this.setLink(link);
    } finally {
      this.serialOpening = false;
    }
  }

  private async closeSerialPort(): Promise<void> {
    const port = this.serialPort;
    if (!port) return;
    // the 'close' handler tears the link down
    await new Promise<void>((r) => (port.isOpen ? port.close(() => r()) : r()));
    if (this.serialPort === port) port.emit('close');
  }

  private setLink(link: SimLink): void {
    const old = this.link;
    this.link = link;
    if (old && old !== link) {
      old.drop();
      this.linkLostEffects();
    }
    this.emit('connection', { connected: true, via: link.via });
  }

  private linkLost(link: SimLink): void {
    if (this.link !== link) return;
    this.link = null;
    this.linkLostEffects();
    this.emit('connection', { connected: false, via: link.via });
  }

  private linkLostEffects(): void {
    if (this.pendingAck) {
      const p = this.pendingAck;
      this.pendingAck = null;
      this.clock.clearTimeout(p.timer);
      p.reject(new FlowBroken('link'));
    }
    if (this.active) this.breakActive('link');
  }

  private report(e: KioskError): void {
    if (this.listenerCount('error') > 0) this.emit('error', e);
  }

  // ------------------------------------------------------------------ incoming

  private onApdu(link: SimLink, bytes: Uint8Array): void {
    if (link !== this.link) return;
    let cmd: EcrCommand;
    try {
      cmd = decodeEcrCommand(decodeApdu(bytes));
    } catch (e) {
      this.report(isKioskError(e) ? e : new KioskError('PROTOCOL', String(e)));
      this.sendRaw({ kind: 'nack', code: 0x9a }).catch(() => undefined);
      return;
    }
    if (cmd.kind === 'ack' || cmd.kind === 'nack') {
      const p = this.pendingAck;
      if (p) {
        this.pendingAck = null;
        this.clock.clearTimeout(p.timer);
        // the ECR confirmed the last message (06 0F / 06 1E): the terminal is idle now, before any byte that follows
        if (p.final) this.active = null;
        p.resolve(cmd.kind === 'ack');
      }
      return;
    }
    this.commandCount++;
    this.emit('command', cmd);
    if (cmd.kind === 'abort') {
      this.sendRaw({ kind: 'ack' }).catch(() => undefined);
      if (this.active) this.breakActive('aborted');
      return;
    }
    if (cmd.kind === 'other') {
      this.sendRaw({ kind: 'nack', code: 0x83 }).catch(() => undefined); // function not possible
      return;
    }
    if (this.active) {
      this.sendRaw({ kind: 'nack', code: 0x9c }).catch(() => undefined); // please wait: busy with a transaction
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

  private async sendRaw(m: TerminalMessage): Promise<void> {
    const link = this.link;
    if (!link) throw new FlowBroken('link');
    await link.send(encodeApdu(encodeTerminalMessage(m)));
  }

  /** Sends a message and waits for the ECR's 80 00 00 (true) or 84 xx (false). */
  private async tell(m: TerminalMessage): Promise<boolean> {
    this.check();
    const link = this.link;
    if (!link) throw new FlowBroken('link');
    const answered = new Promise<boolean>((resolve, reject) => {
      const timer = this.clock.setTimeout(() => {
        if (this.pendingAck?.timer === timer) this.pendingAck = null;
        reject(new FlowBroken('no-ack'));
      }, this.opts.ecrAckTimeoutMs ?? 5000);
      this.pendingAck = { resolve, reject, timer, final: m.kind === 'completion' || m.kind === 'abort' };
    });
    answered.catch(() => undefined);
    try {
      await link.send(encodeApdu(encodeTerminalMessage(m)));
    } catch (e) {
      const p = this.pendingAck;
      if (p) {
        this.pendingAck = null;
        this.clock.clearTimeout(p.timer);
      }
      throw e instanceof FlowBroken ? e : new FlowBroken('link');
    }
    return answered;
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

  private now(): { date: string; time: string } {
    const d = new Date(this.clock.now());
    const p = (n: number) => n.toString().padStart(2, '0');
    return { date: p(d.getUTCMonth() + 1) + p(d.getUTCDate()), time: p(d.getUTCHours()) + p(d.getUTCMinutes()) + p(d.getUTCSeconds()) };
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

  private infoOf(e: JournalEntry): StatusInfo {
    const { date, time } = this.now();
    const info: StatusInfo = {
      resultCode: e.resultCode ?? 0,
      amount: e.amount,
      currency: e.currency,
      time,
      date,
      traceNumber: e.traceNumber,
      terminalId: this.terminalId,
    };
    if (e.kind !== 'end-of-day') info.receiptNumber = e.receiptNumber;
    if (e.maskedPan !== undefined) info.maskedPan = e.maskedPan;
    if (e.authCode !== undefined) info.authCode = e.authCode;
    if (e.originalTraceNumber !== undefined) info.originalTraceNumber = e.originalTraceNumber;
    if (e.cardName !== undefined) info.cardName = e.cardName;
    return info;
  }

  private finish(e: JournalEntry, result: 'approved' | 'declined' | 'aborted', code: number, note?: string): void {
    if (e.result !== 'pending') return;
    e.result = result;
    e.resultCode = code;
    if (note) e.note = note;
    this.journal.save();
    this.emit('transaction', { ...e });
  }

  private async printReceipt(e: JournalEntry, title: string): Promise<void> {
    if (this.opts.printReceipt === false) return;
    const eur = `${Math.floor(e.amount / 100)},${(e.amount % 100).toString().padStart(2, '0')}`;
    const lines = [title, `Terminal-ID ${this.terminalId}`, `Trace ${e.traceNumber}  Beleg ${e.receiptNumber}`, `Betrag EUR ${eur}`];
    if (e.maskedPan) lines.push(`${e.cardName ?? 'Karte'} ${e.maskedPan}`);
    for (const text of lines) await this.tell({ kind: 'print-line', attribute: 0, text });
  }

  // ------------------------------------------------------------------ commands

  private async run(cmd: EcrCommand): Promise<void> {
    const active: Active = { aborted: false, linkLost: false, wakers: new Set() };
    this.active = active;
    try {
      await this.sendRaw({ kind: 'ack' });
      switch (cmd.kind) {
        case 'registration':
          await this.tell({ kind: 'completion', info: { paymentType: 0, terminalId: this.terminalId, currency: this.currency } });
          break;
        case 'status-enquiry':
          await this.tell({ kind: 'completion', swVersion: this.swVersion, terminalStatus: this.termStatus, info: { terminalId: this.terminalId } });
          break;
        case 'repeat-receipt':
          await this.repeatReceipt();
          break;
        case 'authorization':
          await this.payment('payment', cmd.amount, cmd.currency ?? this.currency);
          break;
        case 'refund':
          await this.payment('refund', cmd.amount, cmd.currency ?? this.currency);
          break;
        case 'reversal':
          await this.reversal(cmd.receiptNumber);
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

  private async payment(kind: JournalKind, amount: number, currency: number): Promise<void> {
    const behaviour = this.behaviours.shift() ?? { type: 'approve' };
    const entry = this.journal.begin({ kind, traceNumber: this.takeTrace(), receiptNumber: this.takeReceipt(), amount, currency, at: this.clock.now() });
    let autoCard = false;
    try {
      if (behaviour.type === 'hang') {
        await this.tell({ kind: 'intermediate', code: 0x0a });
        await this.untilBroken();
      }
      if (!this.card) await this.tell({ kind: 'intermediate', code: 0x0a });
      const got = await this.waitForCard();
      autoCard = got.auto;
      const card = { ...got.card, ...(behaviour.type === 'approve' ? behaviour.card : {}) };
      entry.maskedPan = card.maskedPan;
      entry.cardName = card.cardName;
      await this.pause(this.delays.stepMs);
      await this.tell({ kind: 'intermediate', code: 0x01 });
      await this.pause(this.delays.stepMs);
      await this.tell({ kind: 'intermediate', code: 0x04 });
      await this.pause(this.delays.stepMs);
      this.check();
      const extra: StatusInfo = { cardSequenceNumber: card.sequenceNumber, expiry: card.expiry, cardType: card.cardType };
      if (behaviour.type === 'decline') {
        entry.resultCode = behaviour.code;
        this.finish(entry, 'declined', behaviour.code);
        await this.tell({ kind: 'status-info', info: { ...this.infoOf(entry), ...extra } });
        await this.tell({ kind: 'abort', resultCode: behaviour.code, info: {} });
        return;
      }
      entry.authCode = behaviour.type === 'approve' && behaviour.authCode !== undefined ? behaviour.authCode : String(100000 + entry.traceNumber);
      entry.resultCode = 0;
      const confirmed = await this.tell({ kind: 'status-info', info: { ...this.infoOf(entry), ...extra } });
      if (!confirmed) {
        this.finish(entry, 'aborted', 0x6c, 'ECR refused the status information; reversed');
        await this.tell({ kind: 'abort', resultCode: 0x6c, info: {} });
        return;
      }
      this.finish(entry, 'approved', 0);
      await this.printReceipt(entry, kind === 'refund' ? 'Gutschrift' : 'Kartenzahlung');
      await this.tell({ kind: 'completion', info: {} });
    } catch (e) {
      if (!(e instanceof FlowBroken)) throw e;
      const note = e.why === 'aborted' ? 'aborted by the ECR' : e.why === 'link' ? 'line to the ECR lost; reversed' : 'ECR did not answer; reversed';
      this.finish(entry, 'aborted', 0x6c, note);
      if (e.why === 'aborted' && this.link) {
        if (this.active) this.active.aborted = false; // let the abort message out
        await this.tell({ kind: 'abort', resultCode: 0x6c, info: {} }).catch(() => undefined);
      }
    } finally {
      if (autoCard) this.removeCard();
    }
  }

  private async reversal(receiptNumber: number | undefined): Promise<void> {
    const original = receiptNumber === undefined ? undefined : this.journal.live((e) => e.receiptNumber === receiptNumber && e.kind === 'payment');
    if (!original || original.result !== 'approved') {
      await this.tell({ kind: 'abort', resultCode: 0xb5, info: {} });
      return;
    }
    if (original.reversed) {
      await this.tell({ kind: 'abort', resultCode: 0xb4, info: {} });
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
      const confirmed = await this.tell({ kind: 'status-info', info: this.infoOf(entry) });
      if (!confirmed) {
        this.finish(entry, 'aborted', 0x6c, 'ECR refused the status information');
        return;
      }
      original.reversed = true;
      this.finish(entry, 'approved', 0);
      await this.printReceipt(entry, 'Storno');
      await this.tell({ kind: 'completion', info: {} });
    } catch (e) {
      if (!(e instanceof FlowBroken)) throw e;
      this.finish(entry, 'aborted', 0x6c, 'line to the ECR lost');
    }
  }

  private async endOfDay(): Promise<void> {
    const all = this.journal.entries();
    let lastEod = 0;
    for (const e of all) if (e.kind === 'end-of-day' && e.result === 'approved') lastEod = e.seq;
    let total = 0;
    for (const e of all) {
      if (e.seq <= lastEod || e.result !== 'approved') continue;
      if (e.kind === 'payment' && !e.reversed) total += e.amount;
      if (e.kind === 'refund') total -= e.amount;
    }
    const entry = this.journal.begin({ kind: 'end-of-day', traceNumber: this.takeTrace(), receiptNumber: 0, amount: Math.max(0, total), currency: this.currency, at: this.clock.now() });
    entry.resultCode = 0;
    try {
      await this.tell({ kind: 'intermediate', code: 0x0e });
      await this.pause(this.delays.stepMs);
      await this.tell({ kind: 'status-info', info: this.infoOf(entry) });
      this.finish(entry, 'approved', 0);
      if (this.opts.printReceipt !== false) await this.tell({ kind: 'print-line', attribute: 0, text: `Kassenschnitt EUR ${(entry.amount / 100).toFixed(2)}` });
      await this.tell({ kind: 'completion', info: {} });
    } catch (e) {
      if (!(e instanceof FlowBroken)) throw e;
      this.finish(entry, 'aborted', 0x6c, 'line to the ECR lost');
    }
  }

  private async repeatReceipt(): Promise<void> {
    const last = this.journal.lastFinished();
    if (!last || last.kind === 'end-of-day') {
      await this.tell({ kind: 'abort', resultCode: 0x83, info: {} });
      return;
    }
    await this.tell({ kind: 'status-info', info: this.infoOf(last) });
    if (last.result === 'approved') await this.printReceipt(last, 'Belegkopie');
    await this.tell({ kind: 'completion', info: {} });
  }
}

