/**
 * Result codes (BMP 27, the byte after 06 1E, the INSTR of an 84 xx negative acknowledgement). 0x00 is success;
 * 0x01–0x63 come from the authorisation host (ISO 8583 response codes, 0x05 "do not honour" is the usual decline).
 */
export const RESULT_CODE_TEXT: ReadonlyMap<number, string> = new Map([
  [0x00, 'approved'],
  [0x05, 'declined by the card issuer'],
  [0x64, 'card not readable'],
  [0x65, 'card data not present'],
  [0x66, 'processing error'],
  [0x67, 'function not permitted for debit cards'],
  [0x68, 'function not permitted for credit cards'],
  [0x6a, 'turnover file full'],
  [0x6b, 'function deactivated (terminal not registered)'],
  [0x6c, 'aborted (timeout or abort key)'],
  [0x6e, 'card blocked'],
  [0x6f, 'wrong currency'],
  [0x71, 'credit not sufficient'],
  [0x72, 'chip error'],
  [0x73, 'card data incorrect'],
  [0x77, 'end-of-day batch not possible'],
  [0x78, 'card expired'],
  [0x79, 'card not yet valid'],
  [0x7a, 'card unknown'],
  [0x7d, 'communication error'],
  [0x83, 'function not possible'],
  [0x85, 'key missing'],
  [0x89, 'PIN pad defective'],
  [0x9a, 'ZVT protocol error'],
  [0x9b, 'error from dial-up / communication fault'],
  [0x9c, 'please wait (terminal busy)'],
  [0xa0, 'receiver not ready'],
  [0xa1, 'remote station does not respond'],
  [0xa3, 'no connection'],
  [0xb1, 'memory full'],
  [0xb2, 'merchant journal full'],
  [0xb4, 'already reversed'],
  [0xb5, 'reversal not possible'],
  [0xb7, 'pre-authorisation incorrect'],
  [0xbf, 'voltage supply too low'],
  [0xc2, 'diagnosis required'],
  [0xc3, 'maximum amount exceeded'],
  [0xc5, 'payment method not supported'],
  [0xc6, 'currency not applicable'],
  [0xc8, 'amount too small'],
  [0xcc, 'printer not ready'],
  [0xdc, 'card inserted'],
  [0xe2, 'card reader does not answer'],
  [0xe4, 'terminal activation required'],
  [0xf0, 'open end-of-day batch present'],
  [0xfc, 'necessary device not present or defective'],
  [0xfe, 'register unknown'],
  [0xff, 'system error'],
]);

export function resultCodeText(code: number): string {
  const t = RESULT_CODE_TEXT.get(code);
  if (t !== undefined) return t;
  if (code >= 0x01 && code <= 0x63) return `declined by the authorisation host (code ${code})`;
  return `terminal error 0x${code.toString(16).padStart(2, '0')}`;
}

/**
 * Result codes with which a terminal answers Repeat Receipt (06 20) when it holds no receipt to repeat: 0x83
 * "function not possible" (nothing to repeat). Only this explicit answer, as 06 1E or 84 xx, means "nothing there";
 * a completion without status information does not. (No separate "no receipt stored" code is in the PA00P015 error
 * list as quoted by Portalum/Portalum.Zvt EnglishErrorMessageRepository.cs.)
 */
export const NO_RECEIPT_STORED_CODES: ReadonlySet<number> = new Set([0x83]);

export function isNoReceiptStored(code: number): boolean {
  return NO_RECEIPT_STORED_CODES.has(code);
}

/** Negative acknowledgements that mean "busy, try later": 9C "please wait", A0 "receiver not ready". */
export const TERMINAL_BUSY_CODES: ReadonlySet<number> = new Set([0x9c, 0xa0]);
