import type { TerminalResult } from '../contract/terminal';
import { tryDecodeIndividualTotals } from './zvt/individual-totals';
import { maskPan } from './zvt/pan';
import { resultCodeText } from './zvt/result-codes';
import type { Outcome } from './transaction-runner';

/** Drops the keys whose value is undefined (results and statuses carry only what the terminal said). */
export function withDefined<T extends object>(o: T): T {
  for (const k of Object.keys(o) as (keyof T)[]) if (o[k] === undefined) delete o[k];
  return o;
}

function trimText(s: string | undefined): string | undefined {
  if (s === undefined) return undefined;
  const t = s.replace(/\0/g, '').trim();
  return t === '' ? undefined : t;
}

/** A result code in words; with the currency the terminal named (wrong currency 6F carries its own). */
export function reasonText(code: number, kioskCurrency: number, currency?: number): string {
  const text = resultCodeText(code);
  return currency === undefined ? text : `${text}: the terminal runs currency ${currency}, the kiosk is set to ${kioskCurrency}`;
}

/** How a transaction ended, as the contract's result (the PAN masked, the card name trimmed). */
export function toResult(o: Outcome, kioskCurrency: number, terminalId: string | undefined): TerminalResult {
  const info = o.info;
  let resultCode: number;
  let approved = false;
  let text: string | undefined;
  if (o.type === 'completion') {
    resultCode = info.resultCode ?? 0;
    approved = resultCode === 0;
    if (!approved) text = resultCodeText(resultCode);
  } else if (o.type === 'abort') {
    resultCode = o.resultCode;
    text = reasonText(resultCode, kioskCurrency, o.currency);
  } else {
    resultCode = o.resultCode;
    text = `terminal refused the command: ${reasonText(o.resultCode, kioskCurrency, o.currency)}`;
  }
  // BMP 60 (end-of-day individual totals) stays raw in the status info; read here, contained
  const bmp60 = info.other?.find((b) => b.tag === 0x60);
  const totals = bmp60 ? tryDecodeIndividualTotals(bmp60.value) : undefined;
  return withDefined<TerminalResult>({
    resultCode,
    approved,
    amount: info.amount,
    traceNumber: info.traceNumber,
    originalTraceNumber: info.originalTraceNumber,
    receiptNumber: info.receiptNumber,
    cardType: trimText(info.cardName) ?? (info.cardType !== undefined ? `ZVT card type ${info.cardType}` : undefined),
    maskedPan: info.maskedPan !== undefined && info.maskedPan !== '' ? maskPan(info.maskedPan) : undefined,
    authCode: trimText(info.authCode),
    terminalId: info.terminalId ?? terminalId,
    text,
    totals: totals?.ok ? totals.value.totals : undefined,
    totalsError: totals && !totals.ok ? totals.error : undefined,
  });
}
