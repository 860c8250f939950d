import type { Clock } from '../../kernel/clock';
import type { KioskError } from '../../kernel/errors';
import type { JournalEntry } from './journal';
import type { SimCommand } from './zvt/ecr-commands';
import type { SerialLinkStats } from './zvt/serial-link';

/** The simulator's public option and event types (the class is in zvt-simulator.ts). */

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

/**
 * When the terminal sends the status information (04 0F) of the repeated transaction on Repeat Receipt (06 20):
 * - `service-byte` (default): only when the ECR asks for it with the service byte (03 <bit 0>);
 * - `always`: whatever the ECR sent; `never`: a terminal that gives no status information (only the print-out).
 */
export type StatusInfoOnRepeat = 'service-byte' | 'always' | 'never';

export interface TerminalSimulatorOptions {
  clock?: Clock;
  /** 8 digits. Default "52001233". */
  terminalId?: string;
  swVersion?: string;
  /** ISO 4217 numeric the terminal works in (default 978). A registration or payment in another currency is refused. */
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
  /** The terminal has receipts to hand out as 06 D1 print lines (sent only when the registration's config byte asks). Default true. */
  printReceipt?: boolean;
  firstTraceNumber?: number;
  firstReceiptNumber?: number;
  /** Keep the journal in this file, so it outlives the process (trace and receipt numbers continue from it). */
  journalPath?: string;
  /** Serial: how often the device path is checked for unplug/replug. Default 100 ms. */
  serialWatchMs?: number;
  /** See StatusInfoOnRepeat. Default 'service-byte'. */
  statusInfoOnRepeat?: StatusInfoOnRepeat;
  /** Busy with something of its own: every command is answered `84 <code> 00` (true = A0 "receiver not ready"). Default false. */
  busy?: boolean | number;
  /** How often the terminal repeats a status information the ECR answered `84 9C 00` ("please repeat"). Default 3. */
  maxStatusInfoRepeats?: number;
  /**
   * The end-of-day status information carries BMP 60 (individual totals per card group). Default true; false
   * leaves it out, as terminals may (the BMP is optional data).
   */
  eodIndividualTotals?: boolean;
}

export type SimEvents = {
  /** Every command the ECR sent, decoded (log-off is `other` 06 02). */
  command: [SimCommand];
  /** A journal entry reached its final state. */
  transaction: [JournalEntry];
  /** An ECR link came up or went away. */
  connection: [{ connected: boolean; via: 'serial' | 'tcp' }];
  /** Garbled input from the ECR. */
  error: [KioskError];
};

export interface SimStats {
  commands: number;
  /** Link-level counters of the serial side (retransmissions, NAKs received, corrupted, swallowed). */
  serial: SerialLinkStats | null;
}

/** What the last registration (06 00) set up; null before one and after log-off (06 02). */
export interface SimRegistration {
  config: number;
  currency?: number;
  serviceByte?: number;
}
