/**
 * Intermediate status codes (04 FF, first data byte): what the terminal is showing the customer. English texts for
 * the kiosk screen; codes 0x41–0x5D are the same messages plus "please remove card".
 */
export const INTERMEDIATE_STATUS_TEXT: ReadonlyMap<number, string> = new Map([
  [0x00, 'Waiting for amount confirmation'],
  [0x01, 'Please follow the instructions on the PIN pad'],
  [0x02, 'Please follow the instructions on the PIN pad'],
  [0x03, 'Not accepted'],
  [0x04, 'Waiting for the payment host'],
  [0x05, 'Sending automatic reversal'],
  [0x06, 'Sending post-bookings'],
  [0x07, 'Card not accepted'],
  [0x08, 'Card unknown'],
  [0x09, 'Card expired'],
  [0x0a, 'Insert card'],
  [0x0b, 'Please remove card'],
  [0x0c, 'Card not readable'],
  [0x0d, 'Processing error'],
  [0x0e, 'Please wait'],
  [0x0f, 'Starting automatic end-of-day batch'],
  [0x10, 'Invalid card'],
  [0x11, 'Balance display'],
  [0x12, 'System malfunction'],
  [0x13, 'Payment not possible'],
  [0x14, 'Credit not sufficient'],
  [0x15, 'Incorrect PIN'],
  [0x16, 'Limit not sufficient'],
  [0x17, 'Please wait'],
  [0x18, 'PIN try limit exceeded'],
  [0x19, 'Card data incorrect'],
  [0x1a, 'Service mode'],
  [0x1b, 'Approved, please fill up'],
  [0x1c, 'Approved, please take goods'],
  [0x1d, 'Declined'],
  [0x26, 'Waiting for mobile number'],
  [0x27, 'Waiting for repeated mobile number'],
  [0x28, 'Currency selection, please wait'],
  [0x29, 'Language selection, please wait'],
  [0x2a, 'For loading please insert card'],
  [0x2b, 'Emergency transaction, please wait'],
  [0x2c, 'Application selection, please wait'],
  [0x68, 'Card inserted'],
  [0x69, 'Please select DCC'],
  [0xc7, 'Waiting for mileage input'],
  [0xc8, 'Waiting for cashier'],
  [0xc9, 'Starting automatic diagnosis'],
  [0xca, 'Starting automatic initialisation'],
  [0xcb, 'Merchant journal full'],
  [0xcc, 'Debit advice not possible, PIN required'],
  [0xd2, 'Connecting dial-up'],
  [0xd3, 'Dial-up connection made'],
  [0xe0, 'Waiting for application selection'],
  [0xe1, 'Waiting for language selection'],
  [0xe2, 'Please use the cleaning card'],
  [0xf1, 'Offline'],
  [0xf2, 'Online'],
  [0xf3, 'Offline transaction'],
  [0xff, 'Please wait'],
]);

export function intermediateStatusText(code: number): string {
  const direct = INTERMEDIATE_STATUS_TEXT.get(code);
  if (direct !== undefined) return direct;
  if (code >= 0x41 && code <= 0x5d) {
    const base = INTERMEDIATE_STATUS_TEXT.get(code - 0x40);
    if (base && code !== 0x4b) return `${base}; please remove card`;
    return 'Please remove card';
  }
  if (code === 0x66 || code === 0x67) return `${INTERMEDIATE_STATUS_TEXT.get(code - 0x40)}; please remove card`;
  return `Terminal status 0x${code.toString(16).padStart(2, '0')}`;
}
