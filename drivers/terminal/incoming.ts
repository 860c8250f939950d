import { KioskError, isKioskError } from '../../kernel/errors';
import { decodeApdu, apduName, type Apdu } from './zvt/apdu';
import { decodeTerminalMessage, type TerminalMessage } from './zvt/messages';

/** One APDU from the terminal, decoded; `garbled`: a 06 0F whose BMPs could not be read (it still ends the transaction). */
export interface Incoming {
  message: TerminalMessage;
  garbled: boolean;
  /** The APDU's name, for logs. */
  name: string;
}

/**
 * Decodes an APDU from the terminal. Bytes that are no APDU are reported and dropped (null); an APDU whose body is
 * garbled is reported and still classified by its class/instruction, so the terminal is kept going and a
 * transaction ends on its terminal messages (06 0F, 06 1E, 84 xx) even if their BMPs are garbled.
 */
export function decodeIncoming(bytes: Uint8Array, report: (e: KioskError) => void): Incoming | null {
  let a: Apdu;
  try {
    a = decodeApdu(bytes);
  } catch (e) {
    report(isKioskError(e) ? e : new KioskError('PROTOCOL', String(e)));
    return null;
  }
  try {
    return { message: decodeTerminalMessage(a), garbled: false, name: apduName(a) };
  } catch (e) {
    report(isKioskError(e) ? e : new KioskError('PROTOCOL', String(e)));
  }
  let m: TerminalMessage;
  let garbled = false;
  if (a.cls === 0x06 && a.instr === 0x0f) {
    m = { kind: 'completion', info: {} };
    garbled = true;
  } else if (a.cls === 0x06 && a.instr === 0x1e) m = { kind: 'abort', resultCode: a.data[0] ?? 0xff, info: {} };
  else if (a.cls === 0x84) m = a.data.length > 0 ? { kind: 'nack', code: a.instr, resultCode: a.data[0] } : { kind: 'nack', code: a.instr };
  else m = { kind: 'other', cls: a.cls, instr: a.instr, data: a.data };
  return { message: m, garbled, name: apduName(a) };
}
