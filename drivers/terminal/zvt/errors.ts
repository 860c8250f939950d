import { KioskError } from '../../../kernel/errors';
import { hex } from './hex';

/** Malformed bytes from the other side: always a `PROTOCOL` KioskError, never a bare exception. */
export function protocolError(message: string, bytes?: Uint8Array, details: Record<string, unknown> = {}): KioskError {
  const d = { ...details };
  // Only the first bytes, and only of framing/control data: callers never pass card data here.
  if (bytes) d.bytes = hex(bytes.subarray(0, 16)) + (bytes.length > 16 ? ' …' : '');
  return new KioskError('PROTOCOL', `ZVT: ${message}`, d);
}
