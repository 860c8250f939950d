import type { Clock } from '../../kernel/clock';
import { MAX_REPEATS } from './framed-link';
import type { ZvtTransport } from './transport';
import type { SerialAccess } from '../common/serial-access';

/** How the ZVT terminal driver is configured: the line, the protocol timeouts, reconnect and logging. */
export type ZvtConnection =
  | { kind: 'serial'; path: string; baudRate?: number; stopBits?: 1 | 2; watchIntervalMs?: number; serial?: SerialAccess }
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

export const DEFAULT_TIMEOUTS: ZvtTimeouts = { ack: 5000, retries: MAX_REPEATS, commandAck: 5000, completion: 180_000, admin: 30_000, endOfDay: 600_000, connect: 5000, drain: 10_000 };
