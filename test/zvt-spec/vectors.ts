/**
 * ZVT byte sequences quoted from the specification (PA00P015 "ECR-Interface ZVT-Protocol", PA00P016 transport
 * protocol) or from public implementations that quote captures of real terminals, each with its source.
 *
 * Two independent codecs run this same list: the driver's (`driver-codec.test.ts`) and the simulator's own
 * (`simulator-codec.test.ts`). Each test file has a small adapter mapping its codec's decoding to `ZvtExpect`;
 * only the fields a vector lists are compared, so a codec may decode more.
 *
 * Conventions for `expect.fields` (codec-neutral, plain JSON):
 * - numbers for BCD numbers (amount in minor units, currency as ISO 4217 numeric 978, trace/receipt/turnover
 *   numbers, card sequence number); strings for digit strings whose leading zeros matter (password "000000",
 *   terminal id "52001233", time "hhmmss", date "MMDD", expiry "YYMM").
 * - `resultCode`: BMP 27 in 04 0F / 06 0F; the byte after `06 1E`; for a negative acknowledgement `84 xx` the
 *   result code in its data when it carries one (`84 1E 03 6F 09 78` → 0x6F), else its INSTR (`84 9C 00` → 0x9C).
 * - `currency`: BMP 49, or the bare 2-byte BCD currency code that registration / its refusal carry without a tag.
 * - `tlvTags`: the top-level tags of the BMP 06 TLV container as upper-case hex ("26", "1F04"), in order.
 * - `bmpTags`: the BMP tags present, upper-case hex, in order (only where a vector wants to pin them).
 * - texts (card name, additional text, print line) as sent, latin1, trailing NULs removed.
 */

/** What a message is, independent of any codec's own type names. */
export type ZvtKind =
  // both directions
  | 'ack' // 80 00 00
  | 'nack' // 84 xx …
  // ECR → PT
  | 'registration' // 06 00
  | 'authorization' // 06 01
  | 'repeat-receipt' // 06 20
  | 'reversal' // 06 30
  | 'refund' // 06 31
  | 'end-of-day' // 06 50
  | 'abort-command' // 06 B0
  | 'status-enquiry' // 05 01
  // PT → ECR
  | 'status-info' // 04 0F
  | 'intermediate' // 04 FF
  | 'completion' // 06 0F
  | 'abort' // 06 1E
  | 'print-line'; // 06 D1

export interface ZvtFields {
  password?: string;
  configByte?: number;
  serviceByte?: number;
  currency?: number;
  amount?: number;
  resultCode?: number;
  /** Terminal status byte of a completion after status enquiry (alone or after the software version). */
  terminalStatus?: number;
  swVersion?: string;
  traceNumber?: number;
  /** BMP 37: trace number of the original transaction (reversal). */
  originalTraceNumber?: number;
  receiptNumber?: number;
  turnoverNumber?: number;
  terminalId?: string;
  time?: string;
  date?: string;
  expiry?: string;
  cardSequenceNumber?: number;
  /** BMP 19 (payment type in authorization / 04 0F; status byte in the completion of a registration). */
  paymentType?: number;
  cardType?: number;
  cardName?: string;
  additionalText?: string;
  maxStatusInfos?: number;
  /** 04 FF: intermediate status code and timeout. */
  statusCode?: number;
  timeout?: number;
  /** 06 D1 */
  attribute?: number;
  text?: string;
  tlvTags?: string[];
  bmpTags?: string[];
}

export interface ZvtExpect {
  kind: ZvtKind;
  /** CLASS and INSTR, upper-case hex: "06 0F", "84 1E". */
  control: string;
  fields?: ZvtFields;
}

export interface ZvtVector {
  name: string;
  /** Spec document + section, or repository + path of a public implementation quoting a capture. */
  source: string;
  from: 'ecr' | 'pt';
  /** The full APDU (CLASS INSTR LEN DATA), hex, spaces allowed. */
  hex: string;
  expect: ZvtExpect;
}

/** A serial frame (PA00P016): DLE STX, APDU with 10 doubled, DLE ETX, CRC-16/KERMIT low byte first. */
export interface ZvtFrameVector {
  name: string;
  source: string;
  frame: string;
  /** The APDU inside (un-stuffed). */
  apdu: string;
}

const ECRTERM_ENCODING = 'wirelane/ecrterm ecrterm/tests/test_data_encoding.py (serial captures from real terminals)';
const ECRTERM_PARSING = 'wirelane/ecrterm ecrterm/tests/test_parsing.py PACKET_LIST (APDUs real terminals sent)';
const PORTALUM_CLIENT = 'Portalum/Portalum.Zvt src/Portalum.Zvt.UnitTest/ZvtClientTest.cs';
const PORTALUM_STATUS = 'Portalum/Portalum.Zvt src/Portalum.Zvt.UnitTest/StatusInformationParserTest.cs';

export const ZVT_VECTORS: ZvtVector[] = [
  // ------------------------------------------------------------------ acknowledgements
  { name: 'positive acknowledgement', source: 'PA00P015 §4 "80-00-00"; ' + ECRTERM_ENCODING + ' test_packet_received', from: 'pt', hex: '80 00 00', expect: { kind: 'ack', control: '80 00' } },
  {
    name: 'negative acknowledgement "please wait" 84 9C 00',
    source: 'PA00P015 §4 "84-9C-00"; ' + ECRTERM_ENCODING + ' test_packet_received_error',
    from: 'pt',
    hex: '84 9C 00',
    expect: { kind: 'nack', control: '84 9C', fields: { resultCode: 0x9c } },
  },
  {
    name: 'registration refused for the wrong currency: 84 1E with result code 6F and the PT currency 0978',
    source:
      'PA00P015 §2.1 Registration: if the currency code is incorrect the PT answers with a negative acknowledgement carrying result code 6F and its own currency code ("the PT only sends a currency-code to the ECR if the ECR had also sent one", summarised in Philipp3107/PLAT_GUI_ENTWURF .../orga/TERMINAL_CODES.md); capture quoted in issue 10 point 5',
    from: 'pt',
    hex: '84 1E 03 6F 09 78',
    expect: { kind: 'nack', control: '84 1E', fields: { resultCode: 0x6f, currency: 978 } },
  },
  {
    name: 'ECR answers a status information with a changed amount: 84 9D with BMP 04 (22.00)',
    source: PORTALUM_CLIENT + ' PaymentAsync_IssueOfGoods_DelayedSuccess_Successful ("the PT is informed about the changed amount")',
    from: 'ecr',
    hex: '84 9D 07 04 00 00 00 00 22 00',
    expect: { kind: 'nack', control: '84 9D', fields: { resultCode: 0x9d, amount: 2200 } },
  },
  {
    name: 'ECR refuses a status information: 84 66 00',
    source: PORTALUM_CLIENT + ' PaymentAsync_IssueOfGoods_DelayedFailure_Successful',
    from: 'ecr',
    hex: '84 66 00',
    expect: { kind: 'nack', control: '84 66', fields: { resultCode: 0x66 } },
  },

  // ------------------------------------------------------------------ ECR → PT
  {
    name: 'registration, password 123456, config BA, EUR',
    source: ECRTERM_ENCODING + ' test_Anmeldung (frame 10 02 06 00 06 12 34 56 BA 09 78 10 03 24 C3)',
    from: 'ecr',
    hex: '06 00 06 12 34 56 BA 09 78',
    expect: { kind: 'registration', control: '06 00', fields: { password: '123456', configByte: 0xba, currency: 978 } },
  },
  {
    name: 'registration with currency, service byte and a TLV container (tags 10, 1A, 26, 27, 28, 40, 1F04, 1F05)',
    source: ECRTERM_PARSING,
    from: 'ecr',
    hex: '06 00 63 00 00 00 FE 09 78 03 00 06 59 10 02 16 02 12 01 40 1A 02 10 00 26 28 0A 02 04 0F 0A 02 06 0F 0A 02 06 1E 0A 02 04 FF 0A 02 06 D8 0A 02 06 DB 0A 02 06 D9 0A 02 06 DA 0A 02 06 DD 0A 02 06 D3 27 03 14 01 FF 28 10 15 02 44 45 15 02 45 4E 15 02 46 52 15 02 49 54 40 02 C0 00 1F 04 02 F1 00 1F 05 01 00',
    expect: {
      kind: 'registration',
      control: '06 00',
      fields: { password: '000000', configByte: 0xfe, currency: 978, serviceByte: 0, tlvTags: ['10', '12', '1A', '26', '27', '28', '40', '1F04', '1F05'] },
    },
  },
  {
    name: 'authorization of 110.00 EUR with currency',
    source: ECRTERM_ENCODING + ' test_Zahlung_eccash (frame 10 02 06 01 0A 04 00 00 00 01 10 10 00 49 09 78 10 03 F2 FF)',
    from: 'ecr',
    hex: '06 01 0A 04 00 00 00 01 10 00 49 09 78',
    expect: { kind: 'authorization', control: '06 01', fields: { amount: 11000, currency: 978 } },
  },
  {
    name: 'authorization of 10.00 (amount only)',
    source: PORTALUM_CLIENT + ' PaymentAsync_SuccessfulPayment_Successful',
    from: 'ecr',
    hex: '06 01 07 04 00 00 00 00 10 00',
    expect: { kind: 'authorization', control: '06 01', fields: { amount: 1000 } },
  },
  {
    name: 'authorization with max status infos and payment type',
    source: ECRTERM_PARSING,
    from: 'ecr',
    hex: '06 01 0E 02 01 04 00 00 00 00 10 00 19 44 49 09 78',
    expect: { kind: 'authorization', control: '06 01', fields: { amount: 1000, maxStatusInfos: 1, paymentType: 0x44, currency: 978 } },
  },
  {
    name: 'status enquiry, password 123456',
    source: ECRTERM_ENCODING + ' test_packet_statusenquiry (frame 10 02 05 01 03 12 34 56 10 03 E0 43)',
    from: 'ecr',
    hex: '05 01 03 12 34 56',
    expect: { kind: 'status-enquiry', control: '05 01', fields: { password: '123456' } },
  },
  {
    name: 'repeat receipt without service byte',
    source: 'PA00P015 §2 Repeat Receipt (06 20): <password> [03 <service-byte>]; the form the kiosk sent before issue 10',
    from: 'ecr',
    hex: '06 20 03 00 00 00',
    expect: { kind: 'repeat-receipt', control: '06 20', fields: { password: '000000' } },
  },
  {
    name: 'repeat receipt with service byte 01 (send the status information of the last transaction)',
    source: 'PA00P015 §2 Repeat Receipt (06 20): <password> [03 <service-byte>] ("Service-byte inserted", revision history 04)',
    from: 'ecr',
    hex: '06 20 05 00 00 00 03 01',
    expect: { kind: 'repeat-receipt', control: '06 20', fields: { password: '000000', serviceByte: 0x01 } },
  },
  {
    name: 'reversal by receipt number 0012',
    source: 'PA00P015 §2 Reversal (06 30): <password> [87 <receipt-no>]; kaplanerkan/kotlin-zvt-library ZvtCommandBuilder.buildReversal',
    from: 'ecr',
    hex: '06 30 06 00 00 00 87 00 12',
    expect: { kind: 'reversal', control: '06 30', fields: { password: '000000', receiptNumber: 12 } },
  },
  {
    name: 'reversal with an amount, receipt number and currency',
    source: 'PA00P015 §2 Reversal (06 30): <password> [04 <amount>] [87 <receipt-no>] [49 <CC>] …',
    from: 'ecr',
    hex: '06 30 10 00 00 00 04 00 00 00 00 12 34 87 00 07 49 09 78',
    expect: { kind: 'reversal', control: '06 30', fields: { password: '000000', amount: 1234, receiptNumber: 7, currency: 978 } },
  },
  {
    name: 'refund of 5.00 EUR',
    source: 'PA00P015 §2 Refund (06 31): <password> 04 <amount> [49 <CC>]; kaplanerkan/kotlin-zvt-library ZvtCommandBuilder.buildRefund',
    from: 'ecr',
    hex: '06 31 0D 00 00 00 04 00 00 00 00 05 00 49 09 78',
    expect: { kind: 'refund', control: '06 31', fields: { password: '000000', amount: 500, currency: 978 } },
  },
  {
    name: 'end-of-day, password only',
    source: 'PA00P015 §2 End-of-Day (06 50): <password>; kaplanerkan/kotlin-zvt-library ZvtCommandBuilder.buildEndOfDay',
    from: 'ecr',
    hex: '06 50 03 00 00 00',
    expect: { kind: 'end-of-day', control: '06 50', fields: { password: '000000' } },
  },
  {
    name: 'end-of-day with a TLV container',
    source: 'PA00P015 §2 End-of-Day (06 50): <password> [06 <TLV-container>]',
    from: 'ecr',
    hex: '06 50 08 00 00 00 06 03 1F 04 00',
    expect: { kind: 'end-of-day', control: '06 50', fields: { password: '000000', tlvTags: ['1F04'] } },
  },
  { name: 'abort command', source: 'PA00P015 §2 Abort (06 B0), no data', from: 'ecr', hex: '06 B0 00', expect: { kind: 'abort-command', control: '06 B0' } },

  // ------------------------------------------------------------------ PT → ECR
  {
    name: 'status information "approved" with only the result code',
    source: PORTALUM_CLIENT + ' PaymentAsync_SuccessfulPayment_Successful',
    from: 'pt',
    hex: '04 0F 02 27 00',
    expect: { kind: 'status-info', control: '04 0F', fields: { resultCode: 0 } },
  },
  {
    name: 'status information of an approved Debit Mastercard payment of 20.40',
    source: PORTALUM_STATUS + ' Parse_PaymentGood1_Successful',
    from: 'pt',
    hex: '04 0F 77 27 00 04 00 00 00 00 20 40 0B 00 04 70 0C 22 39 53 0D 10 06 0E 25 12 17 00 01 19 70 22 F0 F8 EE EE EE EE EE EE 47 71 29 28 00 48 69 2A 31 30 30 34 36 31 37 36 33 20 20 20 20 20 20 3B 36 31 31 38 30 34 00 00 3C F0 F1 F4 47 45 4E 2E 4E 52 2E 3A 36 31 31 38 30 34 49 09 78 87 04 70 88 00 04 70 8A 2E 8B F1 F7 44 65 62 69 74 20 4D 61 73 74 65 72 63 61 72 64 00',
    expect: {
      kind: 'status-info',
      control: '04 0F',
      fields: {
        resultCode: 0,
        amount: 2040,
        traceNumber: 470,
        time: '223953',
        date: '1006',
        expiry: '2512',
        cardSequenceNumber: 1,
        paymentType: 0x70,
        terminalId: '28004869',
        additionalText: 'GEN.NR.:611804',
        currency: 978,
        receiptNumber: 470,
        turnoverNumber: 470,
        cardType: 0x2e,
        cardName: 'Debit Mastercard',
      },
    },
  },
  {
    name: 'status information "abort via timeout or abort key" with additional text',
    source: PORTALUM_STATUS + ' Parse_AbortByKey_Successful',
    from: 'pt',
    hex: '04 0F 1E 27 6C 29 28 00 48 69 3C F0 F1 F9 41 62 62 72 75 63 68 20 64 75 72 63 68 20 4B 75 6E 64 65',
    expect: { kind: 'status-info', control: '04 0F', fields: { resultCode: 0x6c, terminalId: '28004869', additionalText: 'Abbruch durch Kunde' } },
  },
  {
    name: 'status information of a VISA payment (masked PAN, VU number, additional text)',
    source: ECRTERM_PARSING,
    from: 'pt',
    hex: '040fa12700040000000000014909780c1223060d062922f0f8474843eeeeee77438700023b38383931353000000b000732196029420030360e18018a0a8c038bf0f556495341002a3435353630303030303539392020203cf0f7f341532d544944203d2031334630303031330d41532d50726f632d436f6465203d203230203930332030300d436170742e2d5265662e3d20303030300d41494435393a20383039323538',
    expect: {
      kind: 'status-info',
      control: '04 0F',
      fields: { resultCode: 0, amount: 1, currency: 978, receiptNumber: 2, traceNumber: 732, terminalId: '42003036', expiry: '1801', cardType: 10, cardName: 'VISA' },
    },
  },
  {
    name: 'status information of a reversal: BMP 37 carries the original trace number',
    source: 'constructed from PA00P015 §3.1 Status-Information (04 0F) BMP definitions (27, 04, 49, 0B, 37 = trace number of the original transaction, 87, 29); BMP lengths as in wireshark epan/dissectors/packet-zvt.c',
    from: 'pt',
    hex: '04 0F 1C 27 00 04 00 00 00 00 12 34 49 09 78 0B 00 00 43 37 00 00 42 87 00 19 29 52 00 12 33',
    expect: {
      kind: 'status-info',
      control: '04 0F',
      fields: { resultCode: 0, amount: 1234, currency: 978, traceNumber: 43, originalTraceNumber: 42, receiptNumber: 19, terminalId: '52001233' },
    },
  },
  {
    name: 'intermediate status "insert card" with display text TLV',
    source: ECRTERM_PARSING,
    from: 'pt',
    hex: '04 FF 1E 0A 01 06 1A 24 18 07 16 42 69 74 74 65 20 4B 61 72 74 65 20 65 69 6E 73 74 65 63 6B 65 6E',
    expect: { kind: 'intermediate', control: '04 FF', fields: { statusCode: 0x0a, timeout: 1, tlvTags: ['24'] } },
  },
  { name: 'completion without data', source: PORTALUM_CLIENT + ' EndOfDayAsync_AcknowledgeReceivedWithCompletionReceived_Successful', from: 'pt', hex: '06 0F 00', expect: { kind: 'completion', control: '06 0F' } },
  {
    name: 'completion after registration: status byte, terminal id, currency, TLV',
    source: ECRTERM_PARSING + '; PA00P015 §2.1 "06 0F xx [19 <status-byte>] [29 <TID>] [49 <CC>] [06 <TLV>]"',
    from: 'pt',
    hex: '06 0F 11 19 00 29 52 00 12 33 49 09 78 06 05 27 03 14 01 FF',
    expect: { kind: 'completion', control: '06 0F', fields: { paymentType: 0, terminalId: '52001233', currency: 978, tlvTags: ['27'] } },
  },
  {
    name: 'completion after status enquiry: software version and terminal status ready',
    source: 'wirelane/ecrterm ecrterm/tests/test_parsing.py test_version_completion',
    from: 'pt',
    hex: '06 0F 0B F0 F0 F7 32 2E 31 34 2E 31 35 00',
    expect: { kind: 'completion', control: '06 0F', fields: { swVersion: '2.14.15', terminalStatus: 0 } },
  },
  {
    name: 'completion after status enquiry with the terminal status only: DC "card inserted"',
    source: 'PA00P015 §2 Status-Enquiry (05 01): completion 06 0F with <terminal-status> (software version optional); capture quoted in issue 10 point 6',
    from: 'pt',
    hex: '06 0F 01 DC',
    expect: { kind: 'completion', control: '06 0F', fields: { terminalStatus: 0xdc } },
  },
  { name: 'abort from the PT without a result code', source: PORTALUM_CLIENT + ' EndOfDayAsync_AcknowledgeReceivedWithAbortReceived1_Successful', from: 'pt', hex: '06 1E 00', expect: { kind: 'abort', control: '06 1E' } },
  {
    name: 'abort from the PT: card not readable',
    source: PORTALUM_CLIENT + ' EndOfDayAsync_AcknowledgeReceivedWithAbortReceived2_Successful',
    from: 'pt',
    hex: '06 1E 01 64',
    expect: { kind: 'abort', control: '06 1E', fields: { resultCode: 0x64 } },
  },
  {
    name: 'abort from the PT: declined (05)',
    source: PORTALUM_CLIENT + ' PaymentAsync_CardRejected_Successful',
    from: 'pt',
    hex: '06 1E 01 05',
    expect: { kind: 'abort', control: '06 1E', fields: { resultCode: 0x05 } },
  },
  {
    name: 'abort from the PT for the wrong currency with the PT currency 0978',
    source: 'PA00P015 §2 Abort (06 1E): <result-code> [<data>]; wrong currency (6F) is followed by the PT currency code; capture quoted in issue 10 point 6',
    from: 'pt',
    hex: '06 1E 03 6F 09 78',
    expect: { kind: 'abort', control: '06 1E', fields: { resultCode: 0x6f, currency: 978 } },
  },
  {
    name: 'print line "Gesamt      0       0,00"',
    source: ECRTERM_ENCODING + ' test_packet_printline',
    from: 'pt',
    hex: '06 D1 19 00 47 65 73 61 6D 74 20 20 20 20 20 20 30 20 20 20 20 20 20 20 30 2C 30 30',
    expect: { kind: 'print-line', control: '06 D1', fields: { attribute: 0, text: 'Gesamt      0       0,00' } },
  },
  {
    name: 'print line: the empty last line of a receipt, attribute 81',
    source: 'Portalum/Portalum.Zvt src/Portalum.Zvt.UnitTest/PrintLineTest.cs ProcessData_LineReceived1_Successful (a real terminal ends its receipt with 06-D1-01-81; PrintLineParser: "1xxx xxxx (not equal to 80h) this is the last line")',
    from: 'pt',
    hex: '06 D1 01 81',
    expect: { kind: 'print-line', control: '06 D1', fields: { attribute: 0x81, text: '' } },
  },
];

/** Serial frames (PA00P016 transport protocol) as published captures show them. */
export const ZVT_FRAME_VECTORS: ZvtFrameVector[] = [
  { name: 'registration', source: ECRTERM_ENCODING + ' test_Anmeldung', frame: '10 02 06 00 06 12 34 56 BA 09 78 10 03 24 C3', apdu: '06 00 06 12 34 56 BA 09 78' },
  {
    name: 'authorization of 110.00 (the 10 in the amount is doubled)',
    source: ECRTERM_ENCODING + ' test_Zahlung_eccash',
    frame: '10 02 06 01 0A 04 00 00 00 01 10 10 00 49 09 78 10 03 F2 FF',
    apdu: '06 01 0A 04 00 00 00 01 10 00 49 09 78',
  },
  { name: 'positive acknowledgement', source: ECRTERM_ENCODING + ' test_packet_received', frame: '10 02 80 00 00 10 03 F5 1F', apdu: '80 00 00' },
  { name: 'negative acknowledgement 84 9C 00', source: ECRTERM_ENCODING + ' test_packet_received_error', frame: '10 02 84 9C 00 10 03 C3 41', apdu: '84 9C 00' },
  { name: 'status enquiry', source: ECRTERM_ENCODING + ' test_packet_statusenquiry', frame: '10 02 05 01 03 12 34 56 10 03 E0 43', apdu: '05 01 03 12 34 56' },
  {
    name: 'completion with software version',
    source: 'wirelane/ecrterm ecrterm/tests/test_parsing.py test_version_completion',
    frame: '10 02 06 0F 0B F0 F0 F7 32 2E 31 34 2E 31 35 00 10 03 B1 11',
    apdu: '06 0F 0B F0 F0 F7 32 2E 31 34 2E 31 35 00',
  },
];

/** "06 0F" → [0x06, 0x0F] etc. */
export function hexBytes(s: string): Uint8Array {
  const clean = s.replace(/\s+/g, '');
  if (clean.length % 2 !== 0 || /[^0-9a-fA-F]/.test(clean)) throw new Error(`bad hex: ${s}`);
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** Upper-case hex of a TLV tag number as its bytes spell it: 0x1f04 → "1F04". */
export function tagHex(tag: number): string {
  const s = tag.toString(16).toUpperCase();
  return s.length % 2 ? `0${s}` : s;
}
