import { KioskError } from '../../kernel/errors';
import type { HealthResult } from '../contract/device';
import type { TerminalResult } from '../contract/terminal';
import { isNoReceiptStored, resultCodeText, TERMINAL_BUSY_CODES } from './zvt/result-codes';
import type { Outcome } from './transaction-runner';
import type { TerminalStatusReport } from './zvt-options';
import { reasonText, toResult, withDefined } from './zvt-result';

/**
 * What a status enquiry (05 01) answered. A busy terminal rejects `DEVICE_BUSY`, any other refusal `PROTOCOL`; a
 * completion that says nothing (or could not be read) is no "ready".
 */
export function terminalStatusOf(o: Outcome, kioskCurrency: number, knownTerminalId: string | undefined): TerminalStatusReport {
  if (o.type === 'refused' && TERMINAL_BUSY_CODES.has(o.resultCode)) throw new KioskError('DEVICE_BUSY', `terminal is busy: ${resultCodeText(o.resultCode)}`, { resultCode: o.resultCode });
  if (o.type !== 'completion') {
    const code = o.resultCode;
    throw new KioskError('PROTOCOL', `status enquiry failed: ${reasonText(code, kioskCurrency, o.currency)}`, { resultCode: code });
  }
  return withDefined({ terminalStatus: o.garbled ? undefined : o.msg.terminalStatus, swVersion: o.msg.swVersion, terminalId: o.info.terminalId ?? knownTerminalId });
}

/**
 * The last transaction, from the repeat receipt (06 20, service byte bit 0: send the status information) that
 * follows the status enquiry. `lastTransaction`:
 * - `found`: the status information, with its result code — `resultCode`/`approved` describe that transaction;
 * - `none`: the terminal's explicit "no receipt stored" result (see isNoReceiptStored) — nothing is there;
 * - `unknown`: anything else — a completion without status information (or without its result code), another
 *   error. Never read as "declined".
 */
export function lastTransactionOf(o: Outcome, status: TerminalStatusReport, kioskCurrency: number, terminalId: string | undefined): TerminalResult {
  let r: TerminalResult;
  if (o.type !== 'refused' && o.statusInfo && o.info.resultCode !== undefined) {
    r = { ...toResult({ type: 'completion', msg: { kind: 'completion', info: o.info }, info: o.info, statusInfo: true, garbled: false }, kioskCurrency, terminalId), lastTransaction: 'found' };
  } else if (o.type === 'completion') {
    r = {
      resultCode: o.info.resultCode ?? 0xff,
      approved: false,
      lastTransaction: 'unknown',
      text: o.statusInfo
        ? 'the status information of the last transaction carried no result code: its outcome is unknown'
        : 'the terminal ended the repeat receipt without status information: its last transaction is unknown',
    };
  } else if (isNoReceiptStored(o.resultCode)) {
    r = { resultCode: o.resultCode, approved: false, lastTransaction: 'none', text: `no receipt stored on the terminal: ${resultCodeText(o.resultCode)}` };
  } else {
    r = { resultCode: o.resultCode, approved: false, lastTransaction: 'unknown', text: `repeat receipt failed: ${reasonText(o.resultCode, kioskCurrency, o.currency)}` };
  }
  if (status.terminalStatus !== 0) {
    const st = status.terminalStatus === undefined ? 'not reported' : resultCodeText(status.terminalStatus);
    r.text = `${r.text ? `${r.text}; ` : ''}terminal status: ${st}`;
  }
  return r;
}

const INTERACTIVE_QUESTION = 'Look at the payment terminal: does it show its idle screen (e.g. "Karte bitte" / "insert card") and react to its keys?';

/**
 * The terminal's external and interactive health checks: a status enquiry (`enquire`), then — interactive, with a
 * `prompt` (null: none was given) — a person looks at the terminal.
 */
export async function remoteHealth(
  enquire: () => Promise<TerminalStatusReport>,
  prompt?: ((text: string) => Promise<boolean>) | null,
): Promise<Omit<HealthResult, 'level'>> {
  const s = await enquire();
  const ok = s.terminalStatus === 0;
  const reason = ok
    ? `status enquiry answered: ready${s.terminalId ? `, terminal ${s.terminalId}` : ''}${s.swVersion ? `, software ${s.swVersion}` : ''}`
    : s.terminalStatus === undefined
      ? 'status enquiry answered without a terminal status'
      : `status enquiry answered: ${resultCodeText(s.terminalStatus)}`;
  if (prompt === undefined || !ok) return { ok, reason };
  if (prompt === null) return { ok: true, reason: `${reason}; no prompt given, nobody was asked` };
  const yes = await prompt(INTERACTIVE_QUESTION);
  return { ok: yes, reason: yes ? `${reason}; a person confirmed the terminal display` : `${reason}; a person reported the terminal display is not right` };
}
