import * as iconv from 'iconv-lite';

/**
 * `ESC t n` character code tables the display knows, as Epson's ESC/POS command reference numbers them
 * (0 PC437, 2 PC850, 16 WPC1252, 17 PC866, 18 PC852, 19 PC858), with the iconv-lite codec of each. The simulator's
 * own table, not the driver's: a wrong number on either side shows as wrong characters in tests.
 */
const CODEC_BY_TABLE: ReadonlyMap<number, string> = new Map([
  [0, 'cp437'],
  [2, 'cp850'],
  [16, 'windows1252'],
  [17, 'cp866'],
  [18, 'cp852'],
  [19, 'cp858'],
]);

/**
 * What a 2×20 ESC/POS customer display does with the bytes it receives: a screen of cells, a cursor, the display
 * modes. A real decoder of the command set (Epson ESC/POS customer-display commands), fed in arbitrary chunks (a
 * command split across writes is completed by the next write).
 *
 * Unknown ESC / US / FS commands are skipped as two bytes (their parameters, if any, may then show as text — as on a
 * real display); other control bytes are ignored. Commands with known lengths (user-defined characters, windows,
 * macros, time, extended `US (`) are skipped whole. While the display is deselected (`ESC = 1`, data for the printer)
 * everything but `ESC = n` is ignored.
 */
export type DisplayMode = 'overwrite' | 'vertical-scroll' | 'horizontal-scroll';

export interface PoleDisplayState {
  cursor: { column: number; row: number };
  mode: DisplayMode;
  cursorVisible: boolean;
  brightness: number;
  codeTable: number;
  chinese: boolean;
  selected: boolean;
}

const CONTINUATION = '';

export class PoleDisplayDecoder {
  readonly columns: number;
  readonly rows: number;
  private cells: string[][];
  private col = 0;
  private row = 0;
  private mode: DisplayMode = 'overwrite';
  private cursorVisible = true;
  private brightness = 4;
  private codeTable = 0;
  private chinese = false;
  private selected = true;
  private pending: number[] = [];
  /** Commands the decoder did not know (skipped). */
  unknownCommands = 0;
  bytesReceived = 0;
  /** Times ESC @ was received since power-on. */
  initializations = 0;

  constructor(opts: { columns?: number; rows?: number } = {}) {
    this.columns = opts.columns ?? 20;
    this.rows = opts.rows ?? 2;
    this.cells = this.blank();
  }

  /** The text of each row, trailing blanks removed. */
  lines(): string[] {
    return this.grid().map((l) => l.trimEnd());
  }

  /** Each row at full width (a double-width character is one string element covering two cells). */
  grid(): string[] {
    return this.cells.map((r) => r.filter((c) => c !== CONTINUATION).join(''));
  }

  state(): PoleDisplayState {
    return {
      cursor: { column: this.col + 1, row: this.row + 1 },
      mode: this.mode,
      cursorVisible: this.cursorVisible,
      brightness: this.brightness,
      codeTable: this.codeTable,
      chinese: this.chinese,
      selected: this.selected,
    };
  }

  /** Power cycle: blank screen, power-on settings, selection restored, counters zeroed. */
  reset(): void {
    this.initialize();
    this.initializations = 0;
    this.unknownCommands = 0;
    this.selected = true;
    this.pending = [];
  }

  write(bytes: Uint8Array): void {
    this.bytesReceived += bytes.length;
    for (const b of bytes) this.pending.push(b);
    let i = 0;
    const p = this.pending;
    while (i < p.length) {
      const used = this.step(p, i);
      if (used === 0) break; // incomplete command: wait for more bytes
      i += used;
    }
    this.pending = p.slice(i);
  }

  /** Interprets the command or character at p[i]; returns the bytes consumed, 0 when incomplete. */
  private step(p: number[], i: number): number {
    const b = p[i];
    const avail = p.length - i;
    if (!this.selected) {
      if (b !== 0x1b) return 1;
      if (avail < 2) return 0;
      if (p[i + 1] !== 0x3d) return 1;
      if (avail < 3) return 0;
      this.selected = (p[i + 2] & 0x02) !== 0;
      return 3;
    }
    if (b === 0x1b) return this.esc(p, i, avail);
    if (b === 0x1f) return this.us(p, i, avail);
    if (b === 0x1c) return this.fs(p, i, avail);
    if (b < 0x20 || b === 0x7f) {
      this.control(b);
      return 1;
    }
    if (this.chinese && b >= 0x81 && b <= 0xfe) {
      if (avail < 2) return 0;
      const ch = iconv.decode(Buffer.from([b, p[i + 1]]), 'gb18030');
      this.put(ch, 2);
      return 2;
    }
    this.put(iconv.decode(Buffer.from([b]), CODEC_BY_TABLE.get(this.codeTable) ?? 'cp437'), 1);
    return 1;
  }

  private esc(p: number[], i: number, avail: number): number {
    if (avail < 2) return 0;
    const c = p[i + 1];
    const need = (n: number, fn: () => void): number => {
      if (avail < n) return 0;
      fn();
      return n;
    };
    switch (c) {
      case 0x40: // ESC @
        return need(2, () => {
          this.initialize();
          this.initializations++;
        });
      case 0x3d: // ESC = n
        return need(3, () => (this.selected = (p[i + 2] & 0x02) !== 0));
      case 0x74: // ESC t n
        return need(3, () => (this.codeTable = p[i + 2]));
      case 0x52: // ESC R n (international set)
      case 0x25: // ESC % n (user-defined set on/off)
      case 0x3f: // ESC ? n (cancel user-defined character)
        return need(3, () => undefined);
      case 0x57: {
        // ESC W n m [x1 y1 x2 y2]: window
        if (avail < 4) return 0;
        return need(p[i + 3] === 0 ? 4 : 8, () => undefined);
      }
      case 0x26: {
        // ESC & y c1 c2 [x d1…d(y·x)]…: define user characters
        if (avail < 5) return 0;
        const y = p[i + 2];
        const count = p[i + 4] - p[i + 3] + 1;
        let at = i + 5;
        for (let k = 0; k < Math.max(0, count); k++) {
          if (at >= p.length) return 0;
          at += 1 + y * p[at];
        }
        if (at > p.length) return 0;
        return at - i;
      }
      default:
        this.unknownCommands++;
        return 2;
    }
  }

  private us(p: number[], i: number, avail: number): number {
    if (avail < 2) return 0;
    const c = p[i + 1];
    const need = (n: number, fn: () => void): number => {
      if (avail < n) return 0;
      fn();
      return n;
    };
    switch (c) {
      case 0x01:
        return need(2, () => (this.mode = 'overwrite'));
      case 0x02:
        return need(2, () => (this.mode = 'vertical-scroll'));
      case 0x03:
        return need(2, () => (this.mode = 'horizontal-scroll'));
      case 0x24: // US $ x y
        return need(4, () => {
          const x = p[i + 2];
          const y = p[i + 3];
          if (x >= 1 && x <= this.columns && y >= 1 && y <= this.rows) {
            this.col = x - 1;
            this.row = y - 1;
          }
        });
      case 0x43: // US C n
        return need(3, () => (this.cursorVisible = (p[i + 2] & 0x01) !== 0));
      case 0x58: // US X n
        return need(3, () => {
          if (p[i + 2] >= 1 && p[i + 2] <= 4) this.brightness = p[i + 2];
        });
      case 0x45: // US E n (blink)
      case 0x72: // US r n (reverse)
      case 0x76: // US v n
        return need(3, () => undefined);
      case 0x54: // US T h m (set time)
      case 0x5e: // US ^ n m (execute macro)
        return need(4, () => undefined);
      case 0x0a: // US LF: cursor up
        return need(2, () => (this.row = (this.row + this.rows - 1) % this.rows));
      case 0x0d: // US CR: rightmost position
        return need(2, () => (this.col = this.columns - 1));
      case 0x42: // US B: bottom row
        return need(2, () => (this.row = this.rows - 1));
      case 0x40: // US @ self-test
      case 0x55: // US U display time
      case 0x3a: // US : macro definition start/end
        return need(2, () => undefined);
      case 0x28: {
        // US ( fn pL pH d1…dk
        if (avail < 5) return 0;
        return need(5 + p[i + 3] + 256 * p[i + 4], () => undefined);
      }
      default:
        this.unknownCommands++;
        return 2;
    }
  }

  private fs(p: number[], i: number, avail: number): number {
    if (avail < 2) return 0;
    switch (p[i + 1]) {
      case 0x26:
        this.chinese = true;
        return 2;
      case 0x2e:
        this.chinese = false;
        return 2;
      case 0x43: // FS C n: code system
        return avail < 3 ? 0 : 3;
      default:
        this.unknownCommands++;
        return 2;
    }
  }

  private control(b: number): void {
    switch (b) {
      case 0x08: // BS
        if (this.col > 0) this.col--;
        else {
          this.col = this.columns - 1;
          this.row = (this.row + this.rows - 1) % this.rows;
        }
        break;
      case 0x09: // HT
        this.advance(1);
        break;
      case 0x0a: // LF
        this.lineFeed();
        break;
      case 0x0b: // HOM
        this.col = 0;
        this.row = 0;
        break;
      case 0x0c: // CLR
        this.cells = this.blank();
        this.col = 0;
        this.row = 0;
        break;
      case 0x0d: // CR
        this.col = 0;
        break;
      case 0x18: // CAN
        this.cells[this.row] = Array(this.columns).fill(' ');
        this.col = 0;
        break;
      default:
        break; // other control bytes: ignored
    }
  }

  private put(ch: string, width: 1 | 2): void {
    if (width === 2 && this.col === this.columns - 1) this.advance(1); // a wide character never straddles the edge
    const row = this.cells[this.row];
    // overwriting half of a wide character blanks its other half
    if (row[this.col] === CONTINUATION && this.col > 0) row[this.col - 1] = ' ';
    const after = this.col + width;
    if (after < this.columns && row[after] === CONTINUATION) row[after] = ' ';
    row[this.col] = ch;
    if (width === 2) row[this.col + 1] = CONTINUATION;
    this.advance(width);
  }

  private advance(n: number): void {
    this.col += n;
    if (this.col < this.columns) return;
    this.col = 0;
    this.lineFeed();
  }

  private lineFeed(): void {
    if (this.row < this.rows - 1) {
      this.row++;
      return;
    }
    if (this.mode === 'vertical-scroll') {
      this.cells.shift();
      this.cells.push(Array(this.columns).fill(' '));
    } else {
      this.row = 0; // overwrite mode: back to the top line
    }
  }

  private initialize(): void {
    this.cells = this.blank();
    this.col = 0;
    this.row = 0;
    this.mode = 'overwrite';
    this.cursorVisible = true;
    this.brightness = 4;
    this.codeTable = 0;
    this.chinese = false;
  }

  private blank(): string[][] {
    return Array.from({ length: this.rows }, () => Array(this.columns).fill(' '));
  }
}
