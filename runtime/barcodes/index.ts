/** Barcode reading: one scanner read → GTIN / in-store label / GS1 data / member card / payment code. */
export { parseScan, MAX_SCAN_LENGTH } from './parse-scan';
export { gtinCheckDigit, hasValidCheckDigit, isValidGtin, priceCheckDigit } from '../../kernel/gs1-check-digit';
export { expandUpcE, normalizeLookupKey } from './gtin';
export { parseAimPrefix, type AimId, type SymbologyFamily } from './aim';
export { GS, GS1_AIS, encodeGs1, formatGs1Hri, type AiDefinition } from './gs1';
export { parseDigitalLink, type DigitalLinkInfo } from './digital-link';
export { DICTIONARY_RELEASE } from './ai-dictionary.generated';
export { maskCredential } from './patterns';
export {
  defaultBarcodeRules,
  validateBarcodeRules,
  type BarcodeRules,
  type CurrencyRule,
  type InStorePattern,
  type InStoreValue,
  type MemberCardPattern,
  type PaymentCodePattern,
} from '../../config/barcode-rules';
export {
  redactScanResult,
  type GtinFormat,
  type Gs1Element,
  type Gs1Scan,
  type GtinScan,
  type InStoreScan,
  type MemberCardScan,
  type OtherScan,
  type PaymentCodeScan,
  type ScanError,
  type ScanErrorCode,
  type ScanFailure,
  type ScanKind,
  type ScanResult,
  type ScanSuccess,
  type SymbologyInfo,
} from './result';
