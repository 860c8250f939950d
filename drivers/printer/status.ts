import type { DeviceFault } from '../contract/device';
import type { PrinterStatus } from '../contract/printer';
import { KioskError } from '../../kernel/errors';

/**
 * ESC/POS real-time status: `DLE EOT n` (10 04 n). The printer answers one byte at once, even while offline or
 * with a full buffer. Every reply has the same fixed bits — bit 0 = 0, bit 1 = 1, bit 4 = 1, bit 7 = 0, i.e.
 * `(b & 0x93) === 0x12` — which is how a status byte is told from garbage.
 *
 * | n | bit 2 | bit 3 | bit 5 | bit 6 |
 * |---|-------|-------|-------|-------|
 * | 1 printer | drawer pin 3 high | offline | waiting for online recovery | feed button pressed |
 * | 2 offline cause | cover open | paper being fed by the feed button | printing stopped: paper end | error |
 * | 3 error cause | mechanical error | autocutter error | unrecoverable error | auto-recoverable error |
 * | 4 roll paper sensor | paper near end (bits 2+3) | ″ | paper end (bits 5+6) | ″ |
 */
export type StatusQuery = 1 | 2 | 3 | 4;

export const FIXED_MASK = 0x93;
export const FIXED_BITS = 0x12;

export function dleEot(n: StatusQuery): Uint8Array {
  return Uint8Array.of(0x10, 0x04, n);
}

export type StatusReply =
  | { n: 1; drawerPin3High: boolean; offline: boolean; waitingForRecovery: boolean; feedButtonPressed: boolean }
  | { n: 2; coverOpen: boolean; feedingByButton: boolean; paperEndStop: boolean; error: boolean }
  | { n: 3; mechanicalError: boolean; autocutterError: boolean; unrecoverableError: boolean; autoRecoverableError: boolean }
  | { n: 4; paperNearEnd: boolean; paperEnd: boolean };

const hex = (b: number) => `0x${b.toString(16).padStart(2, '0')}`;

/** True when `b` has the fixed bits of a DLE EOT reply. */
export function isStatusByte(b: number): boolean {
  return Number.isInteger(b) && b >= 0 && b <= 0xff && (b & FIXED_MASK) === FIXED_BITS;
}

/**
 * Parses the reply to `DLE EOT n`. A byte without the fixed bits is a `PROTOCOL` error (a garbled line, a reply
 * to something else, or not an ESC/POS printer).
 */
export function parseStatusReply(n: StatusQuery, b: number): StatusReply {
  if (!isStatusByte(b)) {
    throw new KioskError('PROTOCOL', `reply ${Number.isInteger(b) ? hex(b) : String(b)} to DLE EOT ${n} is not a status byte (fixed bits ${hex(FIXED_BITS)} under mask ${hex(FIXED_MASK)})`, { n, byte: b });
  }
  const bit = (i: number) => (b & (1 << i)) !== 0;
  switch (n) {
    case 1:
      return { n, drawerPin3High: bit(2), offline: bit(3), waitingForRecovery: bit(5), feedButtonPressed: bit(6) };
    case 2:
      return { n, coverOpen: bit(2), feedingByButton: bit(3), paperEndStop: bit(5), error: bit(6) };
    case 3:
      return { n, mechanicalError: bit(2), autocutterError: bit(3), unrecoverableError: bit(5), autoRecoverableError: bit(6) };
    case 4:
      return { n, paperNearEnd: bit(2) || bit(3), paperEnd: bit(5) || bit(6) };
    default:
      throw new KioskError('PROTOCOL', `DLE EOT ${String(n)} is not a status query this driver makes`, { n });
  }
}

export interface ErrorCause {
  mechanical: boolean;
  autocutter: boolean;
  unrecoverable: boolean;
  autoRecoverable: boolean;
}

/**
 * The contract's `PrinterStatus` plus what ESC/POS adds. `online` is the printer's own online bit (a printer with
 * its cover open or out of paper is offline in this sense, but it answers); whether it answers at all is
 * `DeviceStatus.online`. `drawerOpen` is drawer-kick connector pin 3 being high — most drawers report "open" that
 * way, some the other way round.
 */
export interface EscPosStatus extends PrinterStatus {
  drawerOpen: boolean;
  /** DLE EOT 2 bit 6; the cause (DLE EOT 3) in `errorCause`. */
  error: boolean;
  errorCause?: ErrorCause;
  feedButtonPressed: boolean;
}

export function combineStatus(r1: StatusReply & { n: 1 }, r2: StatusReply & { n: 2 }, r4: StatusReply & { n: 4 }, r3?: StatusReply & { n: 3 }): EscPosStatus {
  const s: EscPosStatus = {
    online: !r1.offline,
    coverOpen: r2.coverOpen,
    paperNearEnd: r4.paperNearEnd,
    paperOut: r4.paperEnd || r2.paperEndStop,
    drawerOpen: r1.drawerPin3High,
    error: r2.error,
    feedButtonPressed: r1.feedButtonPressed,
  };
  if (r3) {
    s.errorCause = { mechanical: r3.mechanicalError, autocutter: r3.autocutterError, unrecoverable: r3.unrecoverableError, autoRecoverable: r3.autoRecoverableError };
  }
  return s;
}

const FAULT_ORDER: readonly DeviceFault[] = ['PAPER_OUT', 'PAPER_NEAR_END', 'COVER_OPEN', 'HARDWARE'];

/** The contract's faults for a status, always in the same order (so two lists compare with `sameFaults`). */
export function statusFaults(s: PrinterStatus & { error?: boolean }): DeviceFault[] {
  const f = new Set<DeviceFault>();
  if (s.paperOut) f.add('PAPER_OUT');
  if (s.paperNearEnd) f.add('PAPER_NEAR_END');
  if (s.coverOpen) f.add('COVER_OPEN');
  if (s.error) f.add('HARDWARE');
  return FAULT_ORDER.filter((x) => f.has(x));
}

export function sameFaults(a: readonly DeviceFault[], b: readonly DeviceFault[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

export function describeStatus(s: EscPosStatus): string {
  const parts: string[] = [];
  if (s.paperOut) parts.push('paper out');
  else if (s.paperNearEnd) parts.push('paper near end');
  if (s.coverOpen) parts.push('cover open');
  if (s.error) {
    const c = s.errorCause;
    const why = c ? Object.entries(c).filter(([, v]) => v).map(([k]) => k).join(', ') : '';
    parts.push(`error${why ? ` (${why})` : ''}`);
  }
  return parts.length ? parts.join(', ') : s.online ? 'ready' : 'offline (no cause reported)';
}
