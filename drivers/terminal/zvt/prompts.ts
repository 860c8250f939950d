import type { PromptCode } from '../../../protocol/screen';

/**
 * What the shopper's screen says for each ZVT intermediate status code (04 FF "Intermediate Status-Information", its
 * first data byte: what the terminal is showing the customer now).
 *
 * Source: PA00P015 "ECR-Interface ZVT-Protocol", the table of intermediate status codes in the chapter on
 * Intermediate Status-Information (04 FF); the wording below in quotes is that table's, as transcribed in
 * Portalum/Portalum.Zvt src/Portalum.Zvt/Repositories/EnglishIntermediateStatusRepository.cs. Codes 0x41–0x5D and
 * 0x66–0x67 are the messages of 0x01–0x1D and 0x26–0x27 with "Please remove card!" added (0x4B is that alone): the
 * card is still in the reader, so the screen asks for it first — the transaction's outcome arrives with 06 0F / 06 1E.
 *
 * Codes the table does not list, and the ones only the merchant or a technician can act on (service mode, merchant
 * journal full, cleaning card, waiting for the cashier, mileage input, balance display, 0xFF "no appropriate ZVT
 * status code, see TLV tags 24 and 07"), are `other`: the screen then says "follow the terminal".
 */
export const ZVT_INTERMEDIATE_PROMPTS: ReadonlyMap<number, PromptCode> = new Map<number, PromptCode>([
  [0x00, 'follow_terminal'], // "PT is waiting for amount-confirmation"
  [0x01, 'enter_pin'], // "Please watch PIN-Pad"
  [0x02, 'enter_pin'], // "Please watch PIN-Pad"
  [0x03, 'card_not_accepted'], // "Not accepted"
  [0x04, 'processing'], // "PT is waiting for response from FEP"
  [0x05, 'processing'], // "PT is sending auto-reversal"
  [0x06, 'processing'], // "PT is sending post-bookings"
  [0x07, 'card_not_accepted'], // "Card not admitted"
  [0x08, 'card_not_accepted'], // "Card unknown / undefined"
  [0x09, 'card_not_accepted'], // "Expired card"
  [0x0a, 'insert_card'], // "Insert card"
  [0x0b, 'remove_card'], // "Please remove card!"
  [0x0c, 'try_again'], // "Card not readable"
  [0x0d, 'try_again'], // "Processing error"
  [0x0e, 'please_wait'], // "Please wait..."
  [0x0f, 'please_wait'], // "PT is commencing an automatic end-of-day batch"
  [0x10, 'card_not_accepted'], // "Invalid card"
  [0x12, 'try_again'], // "System malfunction"
  [0x13, 'card_not_accepted'], // "Payment not possible"
  [0x14, 'card_not_accepted'], // "Credit not sufficient"
  [0x15, 'pin_incorrect'], // "Incorrect PIN"
  [0x16, 'card_not_accepted'], // "Limit not sufficient"
  [0x17, 'please_wait'], // "Please wait..."
  [0x18, 'card_not_accepted'], // "PIN try limit exceeded"
  [0x19, 'card_not_accepted'], // "Card-data incorrect"
  [0x1b, 'processing'], // "Approved. Please fill-up" (the completion follows)
  [0x1c, 'processing'], // "Approved. Please take goods" (the completion follows)
  [0x1d, 'card_not_accepted'], // "Declined"
  [0x26, 'follow_terminal'], // "PT is waiting for input of the mobile-number"
  [0x27, 'follow_terminal'], // "PT is waiting for repeat of mobile number"
  [0x28, 'follow_terminal'], // "Currency selection, please wait..."
  [0x29, 'follow_terminal'], // "Language selection, please wait..."
  [0x2a, 'insert_card'], // "For loading please insert card"
  [0x2b, 'please_wait'], // "Emergency transaction, please wait"
  [0x2c, 'follow_terminal'], // "Application selection, please wait"
  [0x68, 'processing'], // "PT has detected customer card insertion"
  [0x69, 'follow_terminal'], // "Please select DCC"
  [0xc9, 'please_wait'], // "PT is commencing an automatic diagnosis"
  [0xca, 'please_wait'], // "PT is commencing an automatic initialisation"
  [0xcc, 'enter_pin'], // "Debit advice not possible, PIN required"
  [0xd2, 'processing'], // "Connecting dial-up"
  [0xd3, 'processing'], // "Dial-up connection made"
  [0xe0, 'follow_terminal'], // "PT is waiting for application-selection"
  [0xe1, 'follow_terminal'], // "PT is waiting for language-selection"
  [0xf1, 'processing'], // "Offline"
  [0xf2, 'processing'], // "Online"
  [0xf3, 'processing'], // "Offline transaction"
]);

/** The shopper's prompt for a ZVT intermediate status code (any byte; unknown ones are `other`). */
export function promptForIntermediateStatus(status: number): PromptCode {
  const direct = ZVT_INTERMEDIATE_PROMPTS.get(status);
  if (direct !== undefined) return direct;
  // 0x41–0x5D, 0x66–0x67: "<message of code − 0x40>\nPlease remove card!" — the card comes out first
  if ((status >= 0x41 && status <= 0x5d) || status === 0x66 || status === 0x67) return 'remove_card';
  return 'other';
}
