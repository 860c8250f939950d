/**
 * The HID usages the scanner simulator speaks, written from the USB-IF specifications (not from the driver):
 *
 * - "HID Usage Tables for USB" 1.12, section 4 (Generic Desktop Page 0x01: usage 0x06 Keyboard) and section 10
 *   (Keyboard/Keypad Page 0x07): usage 0x04 "Keyboard a and A" … 0x1D "z and Z", 0x1E "1 and !" … 0x27 "0 and )",
 *   0x28 Return (ENTER), 0x2B Tab, 0x2C Spacebar, 0x2D "- and _" … 0x38 "/ and ?", 0x32 "Non-US # and ~",
 *   0x64 "Non-US \ and |" (the ISO key next to left Shift), 0xE0–0xE7 the modifier keys.
 * - "Device Class Definition for HID" 1.11, Appendix B.1 (boot keyboard input report): byte 0 = modifier bits in the
 *   order of usages 0xE0–0xE7 (LeftControl, LeftShift, LeftAlt, LeftGUI, RightControl, RightShift, RightAlt,
 *   RightGUI), byte 1 reserved, bytes 2–7 up to six pressed key usages.
 * - "HID Point of Sale Usage Tables" 1.02, Bar Code Scanner Page (0x8C): 0x02 Bar Code Scanner (application
 *   collection), 0x12 Scanned Data Report, 0xFB–0xFD Symbology Identifier 1–3, 0xFE Decoded Data,
 *   0xFF Decode Data Continued.
 */

export const USAGE_PAGE = {
  GENERIC_DESKTOP: 0x01,
  KEYBOARD_KEYPAD: 0x07,
  BAR_CODE_SCANNER: 0x8c,
} as const;

/** Generic Desktop page usages. */
export const DESKTOP_USAGE = { KEYBOARD: 0x06 } as const;

/** Bar Code Scanner page (0x8C) usages. */
export const BCS_USAGE = {
  BAR_CODE_SCANNER: 0x02,
  SCANNED_DATA_REPORT: 0x12,
  SYMBOLOGY_IDENTIFIER_1: 0xfb,
  SYMBOLOGY_IDENTIFIER_2: 0xfc,
  SYMBOLOGY_IDENTIFIER_3: 0xfd,
  DECODED_DATA: 0xfe,
  DECODE_DATA_CONTINUED: 0xff,
} as const;

/** Keyboard/Keypad page (0x07) usages with a fixed meaning on every layout. */
export const KEY = {
  RETURN: 0x28,
  TAB: 0x2b,
  SPACEBAR: 0x2c,
  /** 0x31 "\ and |" (US position above Return). */
  BACKSLASH: 0x31,
  /** 0x32 "Non-US # and ~" (ISO position left of Return). */
  NON_US_HASH: 0x32,
  /** 0x64 "Non-US \ and |" (ISO position right of left Shift). */
  NON_US_BACKSLASH: 0x64,
} as const;

/** Boot keyboard report byte 0: one bit per modifier usage 0xE0 + n. */
export const MODIFIER_BIT = {
  LEFT_CONTROL: 1 << 0,
  LEFT_SHIFT: 1 << 1,
  LEFT_ALT: 1 << 2,
  LEFT_GUI: 1 << 3,
  RIGHT_CONTROL: 1 << 4,
  RIGHT_SHIFT: 1 << 5,
  /** Right Alt: "AltGr" on European layouts. */
  RIGHT_ALT: 1 << 6,
  RIGHT_GUI: 1 << 7,
} as const;
