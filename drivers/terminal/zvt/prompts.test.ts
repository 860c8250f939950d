import type { PromptCode } from '../../../protocol/screen';
import { promptForIntermediateStatus, ZVT_INTERMEDIATE_PROMPTS } from './prompts';
import { INTERMEDIATE_STATUS_TEXT } from './status-codes';

/**
 * The ZVT intermediate status codes (04 FF, first data byte) as the specification's table lists them (PA00P015,
 * Intermediate Status-Information; wording as transcribed in Portalum/Portalum.Zvt
 * EnglishIntermediateStatusRepository.cs), and what the shopper's screen must be told for each.
 */
const SPEC: [status: number, specText: string, prompt: PromptCode][] = [
  [0x00, 'PT is waiting for amount-confirmation', 'follow_terminal'],
  [0x01, 'Please watch PIN-Pad', 'enter_pin'],
  [0x02, 'Please watch PIN-Pad', 'enter_pin'],
  [0x03, 'Not accepted', 'card_not_accepted'],
  [0x04, 'PT is waiting for response from FEP', 'processing'],
  [0x05, 'PT is sending auto-reversal', 'processing'],
  [0x06, 'PT is sending post-bookings', 'processing'],
  [0x07, 'Card not admitted', 'card_not_accepted'],
  [0x08, 'Card unknown / undefined', 'card_not_accepted'],
  [0x09, 'Expired card', 'card_not_accepted'],
  [0x0a, 'Insert card', 'insert_card'],
  [0x0b, 'Please remove card!', 'remove_card'],
  [0x0c, 'Card not readable', 'try_again'],
  [0x0d, 'Processing error', 'try_again'],
  [0x0e, 'Please wait...', 'please_wait'],
  [0x0f, 'PT is commencing an automatic end-of-day batch', 'please_wait'],
  [0x10, 'Invalid card', 'card_not_accepted'],
  [0x11, 'Balance display', 'other'],
  [0x12, 'System malfunction', 'try_again'],
  [0x13, 'Payment not possible', 'card_not_accepted'],
  [0x14, 'Credit not sufficient', 'card_not_accepted'],
  [0x15, 'Incorrect PIN', 'pin_incorrect'],
  [0x16, 'Limit not sufficient', 'card_not_accepted'],
  [0x17, 'Please wait...', 'please_wait'],
  [0x18, 'PIN try limit exceeded', 'card_not_accepted'],
  [0x19, 'Card-data incorrect', 'card_not_accepted'],
  [0x1a, 'Service-mode', 'other'],
  [0x1b, 'Approved. Please fill-up', 'processing'],
  [0x1c, 'Approved. Please take goods', 'processing'],
  [0x1d, 'Declined', 'card_not_accepted'],
  [0x26, 'PT is waiting for input of the mobile-number', 'follow_terminal'],
  [0x27, 'PT is waiting for repeat of mobile number', 'follow_terminal'],
  [0x28, 'Currency selection, please wait...', 'follow_terminal'],
  [0x29, 'Language selection, please wait...', 'follow_terminal'],
  [0x2a, 'For loading please insert card', 'insert_card'],
  [0x2b, 'Emergency transaction, please wait', 'please_wait'],
  [0x2c, 'Application selection, please wait', 'follow_terminal'],
  [0x41, 'Please watch PIN-Pad / Please remove card!', 'remove_card'],
  [0x43, 'Not accepted / Please remove card!', 'remove_card'],
  [0x4b, 'Please remove card!', 'remove_card'],
  [0x55, 'Incorrect PIN / Please remove card!', 'remove_card'],
  [0x5d, 'Declined / Please remove card!', 'remove_card'],
  [0x66, 'PT is waiting for input of the mobile-number / Please remove card!', 'remove_card'],
  [0x67, 'PT is waiting for repeat of the mobile number / Please remove card!', 'remove_card'],
  [0x68, 'PT has detected customer card insertion', 'processing'],
  [0x69, 'Please select DCC', 'follow_terminal'],
  [0xc7, 'PT is waiting for input of the mileage', 'other'],
  [0xc8, 'PT is waiting for cashier', 'other'],
  [0xc9, 'PT is commencing an automatic diagnosis', 'please_wait'],
  [0xca, 'PT is commencing an automatic initialisation', 'please_wait'],
  [0xcb, 'Merchant-journal full', 'other'],
  [0xcc, 'Debit advice not possible, PIN required', 'enter_pin'],
  [0xd2, 'Connecting dial-up', 'processing'],
  [0xd3, 'Dial-up connection made', 'processing'],
  [0xe0, 'PT is waiting for application-selection', 'follow_terminal'],
  [0xe1, 'PT is waiting for language-selection', 'follow_terminal'],
  [0xe2, 'PT requests to use the cleaning card', 'other'],
  [0xf1, 'Offline', 'processing'],
  [0xf2, 'Online', 'processing'],
  [0xf3, 'Offline transaction', 'processing'],
  [0xff, 'no appropriate ZVT status code matches the status. See TLV tags 24 and 07', 'other'],
];

describe('ZVT intermediate status → shopper prompt code', () => {
  const rows = SPEC.map(([status, text, prompt]) => [`0x${status.toString(16).padStart(2, '0')}`, text, prompt, status] as const);
  it.each(rows)('%s "%s" → %s', (_hex, _text, prompt, status) => {
    expect(promptForIntermediateStatus(status)).toBe(prompt);
  });

  it('codes the table does not list, and bytes out of range, are `other` (never a guess)', () => {
    for (const status of [0x1e, 0x25, 0x2d, 0x40, 0x5e, 0x65, 0x6a, 0xc6, 0xf0, 0xfe, -1, 256, Number.NaN]) {
      expect(promptForIntermediateStatus(status)).toBe('other');
    }
  });

  it('maps only codes the driver knows from the spec table (its technician text table), and no known code is left unplaced by accident', () => {
    for (const status of ZVT_INTERMEDIATE_PROMPTS.keys()) expect(INTERMEDIATE_STATUS_TEXT.has(status)).toBe(true);
    // the spec codes deliberately left `other`: only the merchant or a technician can act on them
    const staffOnly = new Set([0x11, 0x1a, 0xc7, 0xc8, 0xcb, 0xe2, 0xff]);
    const unplaced = [...INTERMEDIATE_STATUS_TEXT.keys()].filter((s) => promptForIntermediateStatus(s) === 'other' && !staffOnly.has(s));
    expect(unplaced).toEqual([]);
  });
});
