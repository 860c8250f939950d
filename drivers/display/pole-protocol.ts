import * as iconv from 'iconv-lite';
import { KioskError } from '../../kernel/errors';

/**
 * The ESC/POS customer display command set (Epson DM-D series and the many 2×20 VFD/LCD pole displays that
 * copy it), as far as the kiosk uses it. Columns and rows are 1-based on the wire.
 *
 * | bytes            | command                                                             |
 * |------------------|---------------------------------------------------------------------|
 * | 1B 3D n          | ESC = n: select peripheral (1 printer, 2 display, 3 both)           |
 * | 1B 40            | ESC @: initialize (clear, cursor home, power-on settings)          |
 * | 0C               | CLR: clear the screen, cursor home                                  |
 * | 18               | CAN: clear the cursor line                                          |
 * | 1F 01 / 02 / 03  | US MD1/MD2/MD3: overwrite / vertical scroll / horizontal scroll mode |
 * | 1F 24 x y        | US $ x y: move the cursor to column x (1–20), row y (1–2)           |
 * | 1F 43 n          | US C n: cursor off (0) / on (1)                                     |
 * | 1F 58 n          | US X n: brightness 1–4                                              |
 * | 1B 74 n          | ESC t n: character code table (0 PC437, 2 PC850, 16 WPC1252, 19 PC858…) |
 * | 1C 26 / 1C 2E    | FS & / FS .: Chinese (double-byte) character mode on / off          |
 * | 08 09 0A 0B 0D   | BS, HT, LF, HOM, CR: cursor left, right, down, home, line start     |
 */
export const ESC = 0x1b;
export const FS = 0x1c;
export const US = 0x1f;

export const CMD = {
  initialize: (): Buffer => Buffer.from([ESC, 0x40]),
  selectPeripheral: (n: 1 | 2 | 3): Buffer => Buffer.from([ESC, 0x3d, n]),
  clear: (): Buffer => Buffer.from([0x0c]),
  clearLine: (): Buffer => Buffer.from([0x18]),
  overwriteMode: (): Buffer => Buffer.from([US, 0x01]),
  verticalScrollMode: (): Buffer => Buffer.from([US, 0x02]),
  moveCursor: (column: number, row: number): Buffer => Buffer.from([US, 0x24, column, row]),
  cursor: (on: boolean): Buffer => Buffer.from([US, 0x43, on ? 1 : 0]),
  brightness: (level: 1 | 2 | 3 | 4): Buffer => Buffer.from([US, 0x58, level]),
  codeTable: (n: number): Buffer => Buffer.from([ESC, 0x74, n]),
  chineseOn: (): Buffer => Buffer.from([FS, 0x26]),
  chineseOff: (): Buffer => Buffer.from([FS, 0x2e]),
} as const;

/** Character code tables: ESC t number and the iconv-lite codec. */
export const CODE_PAGES = {
  pc437: { table: 0, codec: 'cp437' },
  pc850: { table: 2, codec: 'cp850' },
  pc852: { table: 18, codec: 'cp852' },
  pc858: { table: 19, codec: 'cp858' },
  pc866: { table: 17, codec: 'cp866' },
  wpc1252: { table: 16, codec: 'windows1252' },
} as const;

export type CodePageName = keyof typeof CODE_PAGES;

/** ESC t table number → codec, for decoders. */
export const CODEC_BY_TABLE: ReadonlyMap<number, string> = new Map(Object.values(CODE_PAGES).map((p) => [p.table, p.codec]));

export interface LineEncoding {
  /** Single-byte code page of the display (ignored for CJK text when `gb18030`). */
  codePage: CodePageName;
  /** Chinese-capable display in double-byte mode: text encoded as GB18030, CJK characters two columns wide. */
  gb18030: boolean;
}

export interface EncodedLine {
  /** Exactly `columns` columns' worth of bytes (padded with spaces). */
  bytes: Buffer;
  /** The text as it will appear (after truncation and replacement), trailing padding removed. */
  text: string;
  /** Characters replaced with '?' because the display cannot show them. */
  replaced: number;
  /** Characters cut off at the right edge. */
  truncated: number;
}

const charMaps = new Map<string, Map<string, number>>();

/** Character → byte for a single-byte code page; control bytes excluded (they are commands, never text). */
function charMap(codec: string): Map<string, number> {
  let map = charMaps.get(codec);
  if (!map) {
    map = new Map();
    for (let b = 0x20; b <= 0xff; b++) {
      if (b === 0x7f) continue;
      const ch = iconv.decode(Buffer.from([b]), codec);
      if (ch.length === 1 && ch !== '\ufffd' && ch.charCodeAt(0) >= 0x20 && !map.has(ch)) map.set(ch, b);
    }
    charMaps.set(codec, map);
  }
  return map;
}

/** One character's bytes and width on the display, or null when it cannot be shown. */
function encodeChar(ch: string, enc: LineEncoding): { bytes: number[]; width: 1 | 2 } | null {
  const cp = ch.codePointAt(0)!;
  if (enc.gb18030) {
    if (cp >= 0x20 && cp < 0x7f) return { bytes: [cp], width: 1 };
    if (cp < 0x80) return null;
    const b = iconv.encode(ch, 'gb18030');
    // 2-byte GBK area only: 4-byte GB18030 sequences are beyond what pole displays carry fonts for
    if (b.length === 2 && b[0] >= 0x81 && b[1] >= 0x40 && iconv.decode(b, 'gb18030') === ch) return { bytes: [b[0], b[1]], width: 2 };
    return null;
  }
  const b = charMap(CODE_PAGES[enc.codePage].codec).get(ch);
  return b === undefined ? null : { bytes: [b], width: 1 };
}

/**
 * Encodes one display line: NFC-normalised, tabs as spaces, every character the display cannot show replaced with
 * '?', cut at `columns` (a double-width character that would straddle the edge is left out, never split), padded
 * with spaces to exactly `columns` columns so the line overwrites whatever was there.
 */
export function encodeLine(text: string, columns: number, enc: LineEncoding): EncodedLine {
  const out: number[] = [];
  const shown: string[] = [];
  let width = 0;
  let replaced = 0;
  let truncated = 0;
  for (const raw of text.normalize('NFC').replace(/\t/g, ' ')) {
    let ch = raw;
    let e = encodeChar(ch, enc);
    if (!e) {
      replaced++;
      ch = '?';
      e = { bytes: [0x3f], width: 1 };
    }
    if (width + e.width > columns) {
      truncated++;
      continue;
    }
    out.push(...e.bytes);
    shown.push(ch);
    width += e.width;
  }
  while (width < columns) {
    out.push(0x20);
    width++;
  }
  return { bytes: Buffer.from(out), text: shown.join('').trimEnd(), replaced, truncated };
}

export interface FrameOptions extends LineEncoding {
  columns: number;
  rows: number;
}

/** The bytes that put `lines` on the display: each row addressed with US $ and written full width. */
export function encodeFrame(lines: readonly string[], opts: FrameOptions): { bytes: Buffer; lines: EncodedLine[] } {
  const parts: Buffer[] = [];
  const encoded: EncodedLine[] = [];
  for (let row = 0; row < opts.rows; row++) {
    const line = encodeLine(lines[row] ?? '', opts.columns, opts);
    encoded.push(line);
    parts.push(CMD.moveCursor(1, row + 1), line.bytes);
  }
  return { bytes: Buffer.concat(parts), lines: encoded };
}

/** Initialisation: peripheral selection, reset, overwrite mode, cursor off, code table, Chinese mode, clear. */
export function encodeInit(opts: LineEncoding & { selectPeripheral: boolean }): Buffer {
  const page = CODE_PAGES[opts.codePage];
  if (!page) throw new KioskError('CONFIG_INVALID', `unknown display code page "${opts.codePage}"`, { codePage: opts.codePage });
  return Buffer.concat([
    opts.selectPeripheral ? CMD.selectPeripheral(2) : Buffer.alloc(0),
    CMD.initialize(),
    CMD.overwriteMode(),
    CMD.cursor(false),
    CMD.codeTable(page.table),
    opts.gb18030 ? CMD.chineseOn() : CMD.chineseOff(),
    CMD.clear(),
  ]);
}
