import { KioskError } from '../../kernel/errors';

/**
 * Keyboard layouts for keyboard-wedge scanners: HID keyboard usage (page 0x07) → character, per modifier level.
 *
 * A keyboard-wedge scanner does not send characters, it sends key positions: it "types" each character with the
 * key that produces it on the layout the scanner is configured for. The host must translate the key positions with
 * that same layout, or the data is wrong — a US-configured scanner read by a Belgian host turns `0013748911` into
 * `àà&"è'!ç&&` (digits need Shift on AZERTY). Configure the layout the scanner uses; better, put the scanner in HID
 * POS mode, where there is no translation at all.
 *
 * Tables follow the X.Org xkb symbols `us`, `de` (basic) and `be` (basic), levels 1–3 (level 3 = AltGr). Keypad keys
 * assume Num Lock on (a scanner never sends keypad keys as navigation keys). Usages 0x31 (Backslash) and 0x32
 * (Non-US #) are the same key position, as in the Linux HID mapping; 0x64 is the ISO key between left Shift and Z.
 */

/** A dead key: produces nothing itself, combines with the next character (`^` + `e` → `ê`, `^` + space → `^`). */
export interface DeadKey {
  readonly dead: string;
}

export type KeySym = string | DeadKey;

/** What a key produces at level [plain, Shift, AltGr, Shift+AltGr]; `undefined` = nothing. */
export type KeyLevels = readonly (KeySym | undefined)[];

export interface KeyboardLayout {
  readonly name: string;
  readonly description: string;
  readonly keys: ReadonlyMap<number, KeyLevels>;
}

export type LayoutName = 'us' | 'de' | 'be';

/** Modifier bits of byte 0 of a boot keyboard report. */
export const MOD = {
  LCTRL: 0x01,
  LSHIFT: 0x02,
  LALT: 0x04,
  LGUI: 0x08,
  RCTRL: 0x10,
  RSHIFT: 0x20,
  /** Right Alt = AltGr on European layouts. */
  RALT: 0x40,
  RGUI: 0x80,
} as const;

/** Keyboard usages with a meaning of their own. */
export const USAGE = {
  ENTER: 0x28,
  ESCAPE: 0x29,
  BACKSPACE: 0x2a,
  TAB: 0x2b,
  SPACE: 0x2c,
  KEYPAD_ENTER: 0x58,
  KEYPAD_1: 0x59,
  KEYPAD_0: 0x62,
} as const;

const dead = (accent: string): DeadKey => ({ dead: accent });

/** Combining mark for each spacing accent a dead key may carry. */
export const COMBINING: Readonly<Record<string, string>> = {
  '^': '\u0302',
  '¨': '\u0308',
  '´': '\u0301',
  '`': '\u0300',
  '~': '\u0303',
  '¸': '\u0327',
};

function build(name: string, description: string, overrides: Record<number, KeyLevels>): KeyboardLayout {
  const keys = new Map<number, KeyLevels>();
  for (let i = 0; i < 26; i++) {
    const c = String.fromCharCode(0x61 + i);
    keys.set(0x04 + i, [c, c.toUpperCase()]);
  }
  '1234567890'.split('').forEach((d, i) => keys.set(0x1e + i, [d]));
  keys.set(USAGE.TAB, ['\t', '\t']);
  keys.set(USAGE.SPACE, [' ', ' ', ' ', ' ']);
  // keypad, Num Lock on
  const keypad: Record<number, string> = { 0x54: '/', 0x55: '*', 0x56: '-', 0x57: '+', 0x62: '0', 0x63: '.', 0x67: '=' };
  for (let i = 0; i < 9; i++) keypad[USAGE.KEYPAD_1 + i] = String(i + 1);
  for (const [u, c] of Object.entries(keypad)) keys.set(Number(u), [c, c]);
  for (const [u, levels] of Object.entries(overrides)) keys.set(Number(u), levels);
  return Object.freeze({ name, description, keys });
}

const us = build('us', 'US English (QWERTY)', {
  0x1e: ['1', '!'],
  0x1f: ['2', '@'],
  0x20: ['3', '#'],
  0x21: ['4', '$'],
  0x22: ['5', '%'],
  0x23: ['6', '^'],
  0x24: ['7', '&'],
  0x25: ['8', '*'],
  0x26: ['9', '('],
  0x27: ['0', ')'],
  0x2d: ['-', '_'],
  0x2e: ['=', '+'],
  0x2f: ['[', '{'],
  0x30: [']', '}'],
  0x31: ['\\', '|'],
  0x32: ['\\', '|'],
  0x33: [';', ':'],
  0x34: ["'", '"'],
  0x35: ['`', '~'],
  0x36: [',', '<'],
  0x37: ['.', '>'],
  0x38: ['/', '?'],
  0x64: ['<', '>', '|'],
});

const de = build('de', 'German (QWERTZ)', {
  0x08: ['e', 'E', '€'],
  0x10: ['m', 'M', 'µ'],
  0x14: ['q', 'Q', '@'],
  0x1c: ['z', 'Z'],
  0x1d: ['y', 'Y'],
  0x1e: ['1', '!', '¹'],
  0x1f: ['2', '"', '²'],
  0x20: ['3', '§', '³'],
  0x21: ['4', '$', '¼'],
  0x22: ['5', '%', '½'],
  0x23: ['6', '&', '¬'],
  0x24: ['7', '/', '{'],
  0x25: ['8', '(', '['],
  0x26: ['9', ')', ']'],
  0x27: ['0', '=', '}'],
  0x2d: ['ß', '?', '\\'],
  0x2e: [dead('´'), dead('`'), dead('¸')],
  0x2f: ['ü', 'Ü', dead('¨')],
  0x30: ['+', '*', '~'],
  0x31: ['#', "'", '’'],
  0x32: ['#', "'", '’'],
  0x33: ['ö', 'Ö'],
  0x34: ['ä', 'Ä', dead('^')],
  0x35: [dead('^'), '°'],
  0x36: [',', ';', '·'],
  0x37: ['.', ':', '…'],
  0x38: ['-', '_', '–'],
  0x63: [',', ','],
  0x64: ['<', '>', '|'],
});

const be = build('be', 'Belgian (AZERTY)', {
  0x04: ['q', 'Q', 'æ'],
  0x08: ['e', 'E', '€'],
  0x10: [',', '?', dead('¸')],
  0x14: ['a', 'A', '@'],
  0x1a: ['z', 'Z'],
  0x1d: ['w', 'W', '«'],
  0x1e: ['&', '1', '|'],
  0x1f: ['é', '2', '@'],
  0x20: ['"', '3', '#'],
  0x21: ["'", '4', '¼'],
  0x22: ['(', '5', '½'],
  0x23: ['§', '6', '^'],
  0x24: ['è', '7', '{'],
  0x25: ['!', '8', '['],
  0x26: ['ç', '9', '{'],
  0x27: ['à', '0', '}'],
  0x2d: [')', '°', '\\'],
  0x2e: ['-', '_', dead('¸')],
  0x2f: [dead('^'), dead('¨'), '['],
  0x30: ['$', '*', ']'],
  0x31: ['µ', '£', dead('`')],
  0x32: ['µ', '£', dead('`')],
  0x33: ['m', 'M', dead('´')],
  0x34: ['ù', '%', dead('´')],
  0x35: ['²', '³', '¬'],
  0x36: [';', '.', '•'],
  0x37: [':', '/', '·'],
  0x38: ['=', '+', dead('~')],
  0x64: ['<', '>', '\\'],
});

export const LAYOUTS: Readonly<Record<LayoutName, KeyboardLayout>> = Object.freeze({ us, de, be });

export function resolveLayout(layout: LayoutName | KeyboardLayout | undefined): KeyboardLayout {
  if (layout === undefined) return us;
  if (typeof layout !== 'string') return layout;
  const found = (LAYOUTS as Record<string, KeyboardLayout | undefined>)[layout];
  if (!found) throw new KioskError('CONFIG_INVALID', `unknown keyboard layout "${layout}" (known: ${Object.keys(LAYOUTS).join(', ')})`, { layout });
  return found;
}

/** One key press: the usage and the modifier byte held with it. */
export interface Keystroke {
  usage: number;
  modifiers: number;
}

const LEVEL_MODIFIERS = [0, MOD.LSHIFT, MOD.RALT, MOD.RALT | MOD.LSHIFT];

const isKeypad = (usage: number) => usage >= 0x54 && usage <= 0x67;

/** The key typing a symbol: main keys before the keypad (as scanners type), lower levels first. */
function findSym(layout: KeyboardLayout, wanted: (sym: KeySym) => boolean, maxLevel = 3): Keystroke | undefined {
  for (const keypad of [false, true]) {
    for (let level = 0; level <= maxLevel; level++) {
      for (const [usage, levels] of layout.keys) {
        if (isKeypad(usage) !== keypad) continue;
        const sym = levels[level];
        if (sym !== undefined && wanted(sym)) return { usage, modifiers: LEVEL_MODIFIERS[level] };
      }
    }
  }
  return undefined;
}

/**
 * The key presses that type `ch` on `layout` (what a scanner configured for that layout sends): usually one;
 * a dead key then the base letter for composed characters (`ê` on `de`); a dead key then space for a lone accent;
 * Ctrl + key for control characters (`GS` = Ctrl+`]`, the "Control + ASCII" mode of scanners).
 * Throws `CONFIG_INVALID` when the layout cannot type the character.
 */
export function keystrokesFor(layout: KeyboardLayout, ch: string): Keystroke[] {
  const direct = findSym(layout, (s) => s === ch);
  if (direct) return [direct];
  const cp = ch.codePointAt(0)!;
  if (ch.length === 1 && cp < 0x20) {
    const target = String.fromCharCode(cp | 0x40);
    const base = findSym(layout, (s) => typeof s === 'string' && (s === target || s === target.toLowerCase()), 1);
    if (base) return [{ usage: base.usage, modifiers: base.modifiers | MOD.LCTRL }];
  }
  const accentKey = findSym(layout, (s) => typeof s !== 'string' && s.dead === ch);
  if (accentKey) return [accentKey, { usage: USAGE.SPACE, modifiers: 0 }];
  const nfd = ch.normalize('NFD');
  if (nfd.length === 2) {
    const accent = Object.keys(COMBINING).find((a) => COMBINING[a] === nfd[1]);
    const deadKey = accent && findSym(layout, (s) => typeof s !== 'string' && s.dead === accent);
    const base = findSym(layout, (s) => s === nfd[0]);
    if (deadKey && base) return [deadKey, base];
  }
  throw new KioskError('CONFIG_INVALID', `keyboard layout "${layout.name}" cannot type ${JSON.stringify(ch)}`, { layout: layout.name, ch });
}

/** Dead key + following character, as a keyboard driver composes them. */
export function compose(accent: string, ch: string): string {
  if (ch === ' ') return accent;
  const mark = COMBINING[accent];
  if (mark) {
    const composed = (ch + mark).normalize('NFC');
    if ([...composed].length === 1) return composed;
  }
  return accent + ch;
}
