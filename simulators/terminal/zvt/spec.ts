/**
 * Numbers from the ZVT specification (PA00P015) that drive the simulator's behaviour. Sources: the config-byte
 * and status-byte tables as reproduced in Philipp3107/PLAT_GUI_ENTWURF `.../orga/TERMINAL_CODES.md`; result codes
 * as listed in kaplanerkan/kotlin-zvt-library `ZvtConstants.kt` (spec v13.13 pp. 200-201); print-line attributes
 * as Portalum.Zvt `PrintLineParser.cs` documents them.
 */

/** Registration config byte (06 00 <password> <config-byte>). */
export const CONFIG = {
  /** 0000 0010: the ECR prints the payment receipts. */
  ECR_PRINTS_PAYMENT_RECEIPT: 0x02,
  /** 0000 0100: the ECR prints the administration receipts (end-of-day). */
  ECR_PRINTS_ADMIN_RECEIPT: 0x04,
  /** 0000 1000: the ECR wants intermediate status information (04 FF); none is sent when not logged on. */
  INTERMEDIATE_STATUS: 0x08,
  ECR_CONTROLS_PAYMENT: 0x10,
  ECR_CONTROLS_ADMIN: 0x20,
  /**
   * 1000 0000, "ECR print-type": 0 = the ECR compiles the receipt itself from the status information (the PT
   * sends no print lines); 1 = receipt printout via the ECR using 06 D1 print lines. With bits 1/2, so
   * `1xxx x11x` = both receipts as 06 D1, `0xxx x11x` = the ECR builds both itself, the PT prints nothing.
   */
  PRINT_LINES: 0x80,
} as const;

/**
 * Service byte of Repeat Receipt `06 20 <password> [03 <service-byte>]`: the bit by which the ECR asks the PT to
 * send the receipt's data as status information (04 0F) before the print-out. Without it a terminal may repeat
 * the receipt print only. (Bit value chosen from the issue's description; not quoted from a public copy of
 * PA00P015.)
 */
export const REPEAT_RECEIPT_SEND_STATUS_INFO = 0x01;

/** Result codes (BMP 27 / 06 1E <code> / 84 <code>). */
export const RC = {
  SUCCESS: 0x00,
  DECLINED_BY_ISSUER: 0x05,
  ABORTED: 0x6c,
  WRONG_CURRENCY: 0x6f,
  FUNCTION_NOT_POSSIBLE: 0x83,
  PROTOCOL_ERROR: 0x9a,
  /** "please wait": the PT is busy with the running transaction; also the ECR's "repeat status information". */
  PLEASE_WAIT: 0x9c,
  RECEIVER_NOT_READY: 0xa0,
  ALREADY_REVERSED: 0xb4,
  REVERSAL_NOT_POSSIBLE: 0xb5,
} as const;

/** Intermediate status codes (04 FF <code>). */
export const INTERMEDIATE = {
  PIN_PAD: 0x01,
  WAITING_FOR_HOST: 0x04,
  INSERT_CARD: 0x0a,
  PLEASE_WAIT: 0x0e,
} as const;

/** 06 D1 attribute: normal text; the last line of a receipt has bit 7 set (not 0x80 itself, which is RFU). */
export const PRINT_ATTR_NORMAL = 0x00;
export const PRINT_ATTR_LAST_LINE = 0x81;

/** ISO 4217 numeric euro. */
export const EUR = 978;
