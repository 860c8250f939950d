import { MODIFIER_BIT } from './hid-usages';
import { TYPING_LAYOUTS, keyPressesFor, typingLayout } from './typing-layouts';

const SHIFT = MODIFIER_BIT.LEFT_SHIFT;
const ALTGR = MODIFIER_BIT.RIGHT_ALT;
const press = (modifiers: number, usage: number) => ({ usage, modifiers });

describe('the simulator typing layouts (HUT §10 key positions, xkb symbols)', () => {
  it('us: letters, shifted symbols, the ANSI backslash key, Ctrl+] for GS', () => {
    const us = TYPING_LAYOUTS.us;
    expect(keyPressesFor(us, 'A')).toEqual([press(SHIFT, 0x04)]);
    expect(keyPressesFor(us, '@')).toEqual([press(SHIFT, 0x1f)]);
    expect(keyPressesFor(us, '\\')).toEqual([press(0, 0x31)]);
    expect(keyPressesFor(us, '\x1d')).toEqual([press(MODIFIER_BIT.LEFT_CONTROL, 0x30)]);
  });

  it('de: QWERTZ, AltGr symbols, umlaut keys, dead keys for accents', () => {
    const de = TYPING_LAYOUTS.de;
    expect(keyPressesFor(de, 'z')).toEqual([press(0, 0x1c)]);
    expect(keyPressesFor(de, '@')).toEqual([press(ALTGR, 0x14)]);
    expect(keyPressesFor(de, 'ä')).toEqual([press(0, 0x34)]);
    expect(keyPressesFor(de, '#')).toEqual([press(0, 0x32)]);
    expect(keyPressesFor(de, 'é')).toEqual([press(0, 0x2e), press(0, 0x08)]); // dead ´, then e
    expect(keyPressesFor(de, '^')).toEqual([press(0, 0x35), press(0, 0x2c)]); // dead ^, then space
  });

  it('be: AZERTY, digits need Shift', () => {
    const be = typingLayout('be');
    expect('0123456789'.split('').map((d) => keyPressesFor(be, d)[0].modifiers)).toEqual(Array(10).fill(SHIFT));
    expect(keyPressesFor(be, 'a')).toEqual([press(0, 0x14)]);
    expect(keyPressesFor(be, 'ï')).toEqual([press(SHIFT, 0x2f), press(0, 0x0c)]); // dead ¨, then i
  });

  it('refuses what a layout cannot type, and unknown layouts', () => {
    expect(() => keyPressesFor(TYPING_LAYOUTS.us, 'ß')).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
    expect(() => typingLayout('fr' as 'us')).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
  });
});
