import type { EventEmitter } from 'node:events';
import type { KioskError } from '../../kernel/errors';

export type TransportEvents = {
  /** One complete APDU from the terminal (serial: already link-ACKed). */
  apdu: [Uint8Array];
  /** Garbled bytes on the line; the transport has resynchronised. */
  error: [KioskError];
  /** The line went away without `close()` being called (cable pulled, socket reset). */
  close: [KioskError];
};

/**
 * How APDUs reach the terminal: `SerialTransport` (framed, ACK/NAK, retries) or `TcpTransport` (bare APDUs).
 * `connect()` may be called again after a `close` event to reconnect.
 */
export interface ZvtTransport extends EventEmitter<TransportEvents> {
  readonly kind: 'serial' | 'tcp';
  /** Port path or host:port, for device info and logs. */
  readonly target: string;
  readonly connected: boolean;
  /** Rejects DEVICE_OFFLINE (cannot reach), DEVICE_BUSY (port locked by another owner) or TIMEOUT. */
  connect(timeoutMs: number): Promise<void>;
  /** Resolves once the APDU left (serial: once ACKed). Rejects DEVICE_OFFLINE, TIMEOUT (serial: no ACK), PROTOCOL (serial: NAKed). */
  send(apdu: Uint8Array): Promise<void>;
  /** Deliberate close: no `close` event. */
  close(): Promise<void>;
}
