/**
 * AIM symbology identifiers (ISO/IEC 15424): a scanner configured to send them prefixes every read with
 * `]` + symbology code character + modifier character, e.g. `]E0` (EAN-13/UPC-A/UPC-E) or `]C1` (GS1-128).
 * They are the only reliable way to tell a GS1-128 from a plain Code 128, or an EAN-8 from a UPC-E.
 */

export type SymbologyFamily =
  | 'ean-upc'
  | 'code128'
  | 'gs1-databar'
  | 'qr'
  | 'datamatrix'
  | 'code39'
  | 'itf'
  | 'codabar'
  | 'code93'
  | 'pdf417'
  | 'aztec'
  | 'dotcode'
  | 'other';

export interface AimId {
  /** The three characters as received, e.g. "]C1". */
  aim: string;
  code: string;
  modifier: string;
  /** Human-readable symbology name for technicians, e.g. "GS1-128". */
  name: string;
  family: SymbologyFamily;
  /** The symbol carries GS1 element strings (FNC1 in first position). */
  gs1: boolean;
  /** Two-dimensional symbology (may legitimately carry any text, including line breaks). */
  twoD: boolean;
}

interface FamilyDef {
  family: SymbologyFamily;
  name: string;
  twoD: boolean;
  /** Modifier → specific name; modifiers listed in `gs1` mark GS1 data. */
  modifiers?: Record<string, string>;
  gs1?: string[];
  /** Every modifier means GS1 data (GS1 DataBar). */
  allGs1?: boolean;
}

const FAMILIES: Record<string, FamilyDef> = {
  A: { family: 'code39', name: 'Code 39', twoD: false },
  C: {
    family: 'code128',
    name: 'Code 128',
    twoD: false,
    modifiers: { '0': 'Code 128', '1': 'GS1-128', '2': 'Code 128 (FNC1 in second position)', '4': 'Code 128 (ISBT concatenation)' },
    gs1: ['1'],
  },
  E: {
    family: 'ean-upc',
    name: 'EAN/UPC',
    twoD: false,
    modifiers: {
      '0': 'EAN-13/UPC-A/UPC-E',
      '1': 'EAN/UPC 2-digit add-on',
      '2': 'EAN/UPC 5-digit add-on',
      '3': 'EAN/UPC with add-on',
      '4': 'EAN-8',
    },
  },
  e: { family: 'gs1-databar', name: 'GS1 DataBar', twoD: false, modifiers: { '0': 'GS1 DataBar', '1': 'GS1 Composite' }, allGs1: true },
  F: { family: 'codabar', name: 'Codabar', twoD: false },
  G: { family: 'code93', name: 'Code 93', twoD: false },
  I: { family: 'itf', name: 'ITF (Interleaved 2 of 5)', twoD: false },
  L: { family: 'pdf417', name: 'PDF417', twoD: true },
  Q: {
    family: 'qr',
    name: 'QR Code',
    twoD: true,
    modifiers: {
      '0': 'QR Code model 1',
      '1': 'QR Code',
      '2': 'QR Code (ECI)',
      '3': 'GS1 QR Code',
      '4': 'GS1 QR Code (ECI)',
      '5': 'QR Code (FNC1 in second position)',
      '6': 'QR Code (ECI, FNC1 in second position)',
    },
    gs1: ['3', '4'],
  },
  d: {
    family: 'datamatrix',
    name: 'Data Matrix',
    twoD: true,
    modifiers: {
      '0': 'Data Matrix ECC 000-140',
      '1': 'Data Matrix',
      '2': 'GS1 DataMatrix',
      '3': 'Data Matrix (FNC1 in second position)',
      '4': 'Data Matrix (ECI)',
      '5': 'GS1 DataMatrix (ECI)',
      '6': 'Data Matrix (ECI, FNC1 in second position)',
    },
    gs1: ['2', '5'],
  },
  J: { family: 'dotcode', name: 'DotCode', twoD: true, modifiers: { '1': 'GS1 DotCode' }, gs1: ['1'] },
  z: { family: 'aztec', name: 'Aztec', twoD: true },
};

/**
 * Recognises an AIM identifier at the start of `s`: `]`, a letter, then a letter or digit.
 * Unknown code letters are still accepted (and named "AIM ]X0") so the prefix is not mistaken for data.
 * Returns null when `s` does not start with something shaped like an AIM identifier.
 */
export function parseAimPrefix(s: string): AimId | null {
  if (typeof s !== 'string' || s.length < 3 || s[0] !== ']') return null;
  const code = s[1];
  const modifier = s[2];
  if (!/^[A-Za-z]$/.test(code) || !/^[0-9A-Za-z]$/.test(modifier)) return null;
  const aim = s.slice(0, 3);
  const def = FAMILIES[code];
  if (!def) return { aim, code, modifier, name: `unrecognised symbology (AIM ${aim})`, family: 'other', gs1: false, twoD: false };
  const specific = def.modifiers?.[modifier];
  return {
    aim,
    code,
    modifier,
    name: specific ?? `${def.name} (AIM ${aim})`,
    family: def.family,
    gs1: def.allGs1 === true || (def.gs1?.includes(modifier) ?? false),
    twoD: def.twoD,
  };
}
