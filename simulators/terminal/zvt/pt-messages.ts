import { encodeApdu } from './apdu';
import { varLength } from './bcd';
import { concat } from './bytes';

/**
 * What the terminal sends (PA00P015 chapter 3 "PT → ECR"), as complete APDU bytes:
 * - `80 00 00` positive acknowledgement; `84 <code> 00` negative one.
 * - Intermediate status `04 FF 01 <status>`; status information `04 0F <BMPs>`.
 * - Completion `06 0F <data>`; abort `06 1E 01 <result code>`; print line `06 D1 <attribute> <text>`.
 * Byte examples: `06 D1 01 81` (an empty last line) and `06 D1 ... 00 <text>` from Portalum.Zvt
 * `PrintLineTest.cs`; `80 00 00` / `06 0F` / `06 1E` from Wireshark `packet-zvt.c`'s APDU table.
 */
export const ack = (): Uint8Array => encodeApdu(0x80, 0x00);

export const nack = (code: number, data: ArrayLike<number> = []): Uint8Array => encodeApdu(0x84, code, data);

export const intermediateStatus = (code: number): Uint8Array => encodeApdu(0x04, 0xff, [code]);

export const statusInformation = (bmps: Uint8Array[]): Uint8Array => encodeApdu(0x04, 0x0f, concat(bmps));

export const completion = (data: ArrayLike<number> = []): Uint8Array => encodeApdu(0x06, 0x0f, data);

/** `06 1E <result code> [<data>]`: e.g. `06 1E 01 05` declined; `06 1E 03 6F 09 78` wrong currency + the PT's currency. */
export const abort = (resultCode: number, data: ArrayLike<number> = []): Uint8Array => encodeApdu(0x06, 0x1e, concat([[resultCode], data]));

export function printLine(attribute: number, text: string): Uint8Array {
  // receipts carry plain ASCII here; anything else is replaced rather than mis-encoded
  const bytes = Uint8Array.from(text, (c) => (c.charCodeAt(0) < 0x80 ? c.charCodeAt(0) : 0x3f));
  return encodeApdu(0x06, 0xd1, concat([[attribute], bytes]));
}

/**
 * Status-enquiry completion: `06 0F <software version, LLLVAR> <terminal status code>` and nothing after the
 * status byte — e.g. `06 0F 0B F0 F0 F7 32 2E 31 34 2E 31 35 00` (wirelane/ecrterm tests/test_parsing.py
 * test_version_completion, a real terminal's answer).
 */
export function statusEnquiryCompletion(softwareVersion: string, terminalStatus: number): Uint8Array {
  const sw = Uint8Array.from(softwareVersion, (c) => c.charCodeAt(0) & 0x7f);
  return completion(concat([varLength(sw.length, 3), sw, [terminalStatus]]));
}
