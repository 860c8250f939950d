/** Serial transport control bytes (ZVT spec, transport protocol chapter). */
export const DLE = 0x10;
export const STX = 0x02;
export const ETX = 0x03;
export const ACK = 0x06;
export const NAK = 0x15;

/** LAN terminals listen on this port by default. */
export const ZVT_DEFAULT_TCP_PORT = 20007;

/** ISO 4217 numeric currency codes as ZVT carries them (2-byte BCD, e.g. 09 78). */
export const CURRENCY_EUR = 978;
export const CURRENCY_CNY = 156;

/** APDU control fields (CLASS, INSTR) used by this codec. */
export const CMD = {
  /** ECR → PT */
  REGISTRATION: [0x06, 0x00],
  AUTHORIZATION: [0x06, 0x01],
  REPEAT_RECEIPT: [0x06, 0x20],
  REVERSAL: [0x06, 0x30],
  REFUND: [0x06, 0x31],
  END_OF_DAY: [0x06, 0x50],
  ABORT: [0x06, 0xb0],
  STATUS_ENQUIRY: [0x05, 0x01],
  /** PT → ECR */
  STATUS_INFO: [0x04, 0x0f],
  INTERMEDIATE_STATUS: [0x04, 0xff],
  COMPLETION: [0x06, 0x0f],
  ABORT_FROM_PT: [0x06, 0x1e],
  PRINT_LINE: [0x06, 0xd1],
  /** both directions */
  ACK: [0x80, 0x00],
  /** negative acknowledgement: CLASS 84, INSTR = error code, no data */
  NACK_CLASS: [0x84],
} as const;

/** Registration config byte bits (06 00). */
export const CONFIG = {
  /** The ECR prints the payment receipt (the PT sends it as print lines). */
  ECR_PRINTS_PAYMENT_RECEIPT: 0x02,
  /** The ECR prints administration receipts. */
  ECR_PRINTS_ADMIN_RECEIPT: 0x04,
  /** The PT sends intermediate status information (04 FF). */
  INTERMEDIATE_STATUS: 0x08,
  /** The ECR controls payment (the PT's own payment keys are locked). */
  ECR_CONTROLS_PAYMENT: 0x10,
  /** The ECR controls administration functions. */
  ECR_CONTROLS_ADMIN: 0x20,
  /**
   * ECR print-type: 1 = the receipts the ECR prints (bits 0x02 / 0x04) come as 06 D1 print lines; 0 = the ECR
   * compiles them itself from the status information and the PT sends no print lines. (PA00P015 §2.1 config-byte
   * table, as reproduced in Philipp3107/PLAT_GUI_ENTWURF .../orga/TERMINAL_CODES.md: "1xxx x11x receipt-printout on
   * the ECR using 06 D1".)
   */
  ECR_PRINT_LINES: 0x80,
} as const;
