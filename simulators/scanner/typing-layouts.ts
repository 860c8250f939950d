import { KioskError } from '../../kernel/errors';
import { KEY, MODIFIER_BIT } from './hid-usages';

/**
 * How a keyboard-wedge scanner types a character on the layout it is configured for: character → key presses
 * (Keyboard/Keypad page 0x07 usage + modifier bits). The simulator's own tables, written from the X.Org xkb symbol
 * files `us` (ANSI), `de` and `be` (basic variants; ISO keyboards) and the HID Usage Tables 1.12 §10 key positions —
 * independent of the driver's usage → character tables, so an interop test can catch a disagreement.
 *
 * A layout is four physical rows; each row lists its keys left to right as usages, and for every level (plain,
 * Shift, AltGr) what each key produces: one character, `x*` = dead key carrying accent `x`, `..` = nothing.
 */

/** Key usages of each row, left to right (HUT 1.12 §10 names in the comments). */
const ROWS = {
  /** ` 1 2 … 0 - = (0x35, 0x1E–0x27, 0x2D, 0x2E) */
  number: [0x35, 0x1e, 0x1f, 0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27, 0x2d, 0x2e],
  /** Q W E R T Y U I O P [ ] */
  top: [0x14, 0x1a, 0x08, 0x15, 0x17, 0x1c, 0x18, 0x0c, 0x12, 0x13, 0x2f, 0x30],
  /** A S D F G H J K L ; ' and the key left of Return (0x31 on ANSI, 0x32 Non-US # on ISO) */
  home: [0x04, 0x16, 0x07, 0x09, 0x0a, 0x0b, 0x0d, 0x0e, 0x0f, 0x33, 0x34, KEY.NON_US_HASH],
  /** Non-US \ (ISO only), Z X C V B N M , . / */
  bottom: [KEY.NON_US_BACKSLASH, 0x1d, 0x1b, 0x06, 0x19, 0x05, 0x11, 0x10, 0x36, 0x37, 0x38],
} as const;

type RowName = keyof typeof ROWS;
/** Per row: the plain, Shift and AltGr levels as space-separated tokens. */
type RowLevels = readonly [plain: string, shift: string, altGr?: string];

export type TypingLayoutName = 'us' | 'de' | 'be';

export interface KeyPress {
  usage: number;
  modifiers: number;
}

export interface TypingLayout {
  readonly name: string;
  /** Symbol → the first key press producing it (lowest level first, rows top to bottom). */
  readonly direct: ReadonlyMap<string, KeyPress>;
  /** Accent → the dead key carrying it. */
  readonly deadKeys: ReadonlyMap<string, KeyPress>;
}

const LEVEL_MODIFIERS = [0, MODIFIER_BIT.LEFT_SHIFT, MODIFIER_BIT.RIGHT_ALT] as const;

function layout(name: string, rows: Record<RowName, RowLevels>, keys: { leftOfReturn?: number } = {}): TypingLayout {
  const direct = new Map<string, KeyPress>();
  const deadKeys = new Map<string, KeyPress>();
  for (let level = 0; level < LEVEL_MODIFIERS.length; level++) {
    for (const row of Object.keys(ROWS) as RowName[]) {
      const text = rows[row][level];
      if (text === undefined) continue;
      const tokens = text.split(' ');
      const usages: readonly number[] = ROWS[row];
      if (tokens.length !== usages.length) throw new Error(`layout ${name}: row ${row} level ${level} has ${tokens.length} keys, not ${usages.length}`);
      tokens.forEach((token, i) => {
        const usage = row === 'home' && i === usages.length - 1 && keys.leftOfReturn !== undefined ? keys.leftOfReturn : usages[i];
        const press = { usage, modifiers: LEVEL_MODIFIERS[level] };
        if (token === '..') return;
        if (token.length === 2 && token.endsWith('*')) {
          if (!deadKeys.has(token[0])) deadKeys.set(token[0], press);
        } else if (!direct.has(token)) direct.set(token, press);
      });
    }
  }
  direct.set(' ', { usage: KEY.SPACEBAR, modifiers: 0 });
  direct.set('\t', { usage: KEY.TAB, modifiers: 0 });
  return Object.freeze({ name, direct, deadKeys });
}

/** xkb `us` on an ANSI keyboard: no ISO key; the key above Return is 0x31 "\ and |". */
const us = layout(
  'us',
  {
    number: ['` 1 2 3 4 5 6 7 8 9 0 - =', '~ ! @ # $ % ^ & * ( ) _ +'],
    top: ['q w e r t y u i o p [ ]', 'Q W E R T Y U I O P { }'],
    home: ["a s d f g h j k l ; ' \\", 'A S D F G H J K L : " |'],
    bottom: ['.. z x c v b n m , . /', '.. Z X C V B N M < > ?'],
  },
  { leftOfReturn: KEY.BACKSLASH },
);

/** xkb `de` (basic), QWERTZ. */
const de = layout('de', {
  number: ['^* 1 2 3 4 5 6 7 8 9 0 ß ´*', '° ! " § $ % & / ( ) = ? `*', '.. ¹ ² ³ ¼ ½ ¬ { [ ] } \\ ¸*'],
  top: ['q w e r t z u i o p ü +', 'Q W E R T Z U I O P Ü *', '@ .. € .. .. .. .. .. .. .. ¨* ~'],
  home: ['a s d f g h j k l ö ä #', "A S D F G H J K L Ö Ä '", '.. .. .. .. .. .. .. .. .. .. ^* ’'],
  bottom: ['< y x c v b n m , . -', '> Y X C V B N M ; : _', '| .. .. .. .. .. .. µ · … –'],
});

/** xkb `be` (basic), AZERTY: digits need Shift. */
const be = layout('be', {
  number: ['² & é " \' ( § è ! ç à ) -', '³ 1 2 3 4 5 6 7 8 9 0 ° _', '¬ | @ # ¼ ½ ^ { [ { } \\ ¸*'],
  top: ['a z e r t y u i o p ^* $', 'A Z E R T Y U I O P ¨* *', '@ .. € .. .. .. .. .. .. .. [ ]'],
  home: ['q s d f g h j k l m ù µ', 'Q S D F G H J K L M % £', 'æ .. .. .. .. .. .. .. .. ´* ´* `*'],
  bottom: ['< w x c v b n , ; : =', '> W X C V B N ? . / +', '\\ « .. .. .. .. .. ¸* • · ~*'],
});

export const TYPING_LAYOUTS: Readonly<Record<TypingLayoutName, TypingLayout>> = Object.freeze({ us, de, be });

export function typingLayout(name: TypingLayoutName | TypingLayout): TypingLayout {
  if (typeof name !== 'string') return name;
  const found = (TYPING_LAYOUTS as Record<string, TypingLayout | undefined>)[name];
  if (!found) throw new KioskError('CONFIG_INVALID', `the scanner simulator has no keyboard layout "${name}"`, { layout: name });
  return found;
}

/** Combining mark (NFD) → the spacing accent a dead key carries. */
const ACCENT_OF_MARK: Readonly<Record<string, string>> = {
  '\u0300': '`',
  '\u0301': '´',
  '\u0302': '^',
  '\u0303': '~',
  '\u0308': '¨',
  '\u0327': '¸',
};

/**
 * The key presses typing `ch`: one key when a key produces it; Ctrl + key for a control character (the scanners'
 * "Control + ASCII" mode, e.g. GS = Ctrl+`]`); dead key + space for an accent only a dead key carries; dead key +
 * base letter for an accented letter the layout has no key for. Throws `CONFIG_INVALID` otherwise.
 */
export function keyPressesFor(layout: TypingLayout, ch: string): KeyPress[] {
  const key = layout.direct.get(ch);
  if (key) return [key];
  const cp = ch.codePointAt(0) ?? 0;
  if (ch.length === 1 && cp < 0x20) {
    const letter = String.fromCharCode(cp | 0x40);
    const base = [letter.toLowerCase(), letter].map((c) => layout.direct.get(c)).find((p) => p && !(p.modifiers & MODIFIER_BIT.RIGHT_ALT));
    if (base) return [{ usage: base.usage, modifiers: base.modifiers | MODIFIER_BIT.LEFT_CONTROL }];
  }
  const lone = layout.deadKeys.get(ch);
  if (lone) return [lone, { usage: KEY.SPACEBAR, modifiers: 0 }];
  const [letter, mark, ...rest] = ch.normalize('NFD');
  const accent = mark === undefined ? undefined : ACCENT_OF_MARK[mark];
  const dead = accent === undefined ? undefined : layout.deadKeys.get(accent);
  const base = layout.direct.get(letter);
  if (rest.length === 0 && dead && base) return [dead, base];
  throw new KioskError('CONFIG_INVALID', `keyboard layout "${layout.name}" cannot type ${JSON.stringify(ch)}`, { layout: layout.name, ch });
}
