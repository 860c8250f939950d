import { Transform, type TransformCallback } from 'node:stream';
import { KioskError } from '../../kernel/errors';
import { AUTO_ENCODING, DEFAULT_ALLOWED_CONTROLS, MAX_READ_LENGTH, aimOf, checkEncoding, decodeReadBytes, hexPreview, protocolError } from './read-text';

/**
 * Splits the byte stream of a serial (RS-232 / USB-CDC) barcode scanner into reads.
 *
 * A scanner sends `[AIM prefix] data suffix` per read, where the suffix is CR, LF or CR LF (scanner setting), or
 * no suffix at all. The framer is a Transform stream in the style of node-serialport's parsers: bytes in,
 * `FramedRead` objects out.
 *
 * - `suffix: 'auto'` (default) ends a read at CR, at LF and at CR LF (the LF after a CR ends nothing, empty reads
 *   are ignored). Configure the exact suffix when reads may contain line breaks themselves (2-D codes): with
 *   `'\r\n'` a lone CR or LF inside the data stays in the read. With `'\r'` or `'\n'` the other line-break byte
 *   inside a read is a control character like any other (a scanner sending CR LF to a framer set to CR shows up
 *   as errors, not as reads with a stray LF).
 * - The AIM symbology identifier (`]E0`…) is kept in `raw`, and parsed into `aim` for convenience.
 * - A run longer than `maxLength` bytes without a suffix is dropped: one `protocolError` event (a `KioskError`
 *   with code `PROTOCOL`), then every byte up to the next suffix is discarded, and framing resumes after it.
 *   The framer never holds more than `maxLength` bytes.
 * - A read containing bytes no scanner sends (NUL, most C0 controls, DEL, C1 controls, invalid UTF-8) is line
 *   noise (wrong baud rate, a cable being plugged): dropped with a `protocolError`. HT, EOT, FS, GS and RS are
 *   allowed (GS1 FNC1 and ISO/IEC 15434 envelopes use them); see `allowedControls`.
 *
 * ## 2-D codes: what passes through, and the limits of a text-framed line
 * Bytes between the AIM identifier and the suffix are kept as received (`bytes`) and decoded once per read (so a
 * UTF-8 character split across chunks is whole): GS separators of GS1 DataMatrix / GS1 QR, ISO/IEC 15434 envelopes
 * (RS, GS, EOT), GS1 Digital Link URLs, UTF-8 text (the default `auto` encoding), up to `maxLength` (8192, the
 * parser's MAX_SCAN_LENGTH; more than any 2-D symbol holds). What a suffix-framed line cannot carry is its own
 * suffix: a CR or LF inside the data ends the read there. Scanners offer two ways out, both supported:
 * - suffix CR LF (`'\r\n'`): a lone CR or a lone LF inside the data is data (line breaks in a QR's text); only
 *   the pair ends a read.
 * - no suffix (`'none'`, the scanner's suffix set to "None"): nothing in the data ends a read (CR and LF are
 *   allowed data); the read ends when the line goes quiet — scanners send a read as one contiguous burst — which
 *   the driver detects with an idle timer (`SerialScanner` `idleMs`, default 50 ms) and signals with `endRead()`.
 *   Limits: two reads less than `idleMs` apart become one (scanners keep a re-read delay of hundreds of ms), and a
 *   read stalled longer than `idleMs` on the way (a loaded host) arrives in two parts: raise `idleMs` then.
 * Bytes no scanner sends (NUL, other C0 controls, C1) are refused in every mode: a read is text, not a blob.
 *
 * Errors are emitted as `protocolError`, not `error`: an `error` event would end the stream (and a pipe).
 */
export type SerialSuffix = 'auto' | '\r' | '\n' | '\r\n' | 'none';

export interface SerialFramerOptions {
  /** Read terminator, default `'auto'` (CR, LF or CR LF); `'none'`: reads end at `endRead()` (idle line). */
  suffix?: SerialSuffix;
  /** Longest read in bytes (AIM prefix included, suffix excluded). Default 8192 (`MAX_READ_LENGTH`). */
  maxLength?: number;
  /**
   * Character encoding of the scanner's bytes: `auto` (default: UTF-8 when the read is valid UTF-8, else Latin-1),
   * `utf8`, `latin1`, or any iconv-lite single-byte code page.
   */
  encoding?: string;
  /** Control characters (code points < 0x20) allowed inside a read. Default HT, EOT, FS, GS, RS. */
  allowedControls?: number[];
  /** Clock for `FramedRead.at` (ms); default `Date.now`. Inject the kiosk clock. */
  now?: () => number;
}

export interface FramedRead {
  /** The read as text, AIM prefix kept, suffix removed. */
  raw: string;
  /** The AIM symbology identifier when the read starts with one (`]` + 2 characters), e.g. `]E0`. */
  aim?: string;
  /** The bytes of the read as received (suffix removed). */
  bytes: Buffer;
  /** `now()` when the suffix arrived (suffix `'none'`: when the read's last bytes arrived). */
  at: number;
}

export const DEFAULT_MAX_READ_LENGTH = MAX_READ_LENGTH;

const CR = 0x0d;
const LF = 0x0a;

/** The framing rules without the stream: bytes in, reads and errors out, synchronously. */
export class SerialReadDecoder {
  readonly suffix: SerialSuffix;
  readonly maxLength: number;
  readonly encoding: string;
  private readonly allowed: ReadonlySet<number>;
  private readonly now: () => number;
  /** Bytes of the read in progress: at most maxLength, plus one pending CR in CR LF mode. */
  private readonly buf: Buffer;
  private len = 0;
  /** Over-long run: discarding until the next suffix. */
  private discarding = false;
  /** The previous byte was a CR ('auto': that CR ended a read, so an LF right after it ends nothing). */
  private afterCr = false;
  /** Suffix `'none'`: when the last bytes arrived (the read's time; `end()` comes an idle gap later). */
  private lastAt = 0;
  private out: Array<FramedRead | KioskError> = [];

  constructor(opts: SerialFramerOptions = {}) {
    this.suffix = opts.suffix ?? 'auto';
    this.maxLength = opts.maxLength ?? DEFAULT_MAX_READ_LENGTH;
    this.encoding = opts.encoding ?? AUTO_ENCODING;
    const allowed = new Set(opts.allowedControls ?? DEFAULT_ALLOWED_CONTROLS);
    // only CR LF ends a read: a lone CR or LF is data (line breaks inside 2-D codes); without a suffix, both are data
    if (this.suffix === '\r\n' || this.suffix === 'none') allowed.add(CR).add(LF);
    this.allowed = allowed;
    this.now = opts.now ?? Date.now;
    if (!['auto', '\r', '\n', '\r\n', 'none'].includes(this.suffix)) {
      throw new KioskError('CONFIG_INVALID', `scanner suffix must be CR, LF, CR LF, auto or none`, { suffix: this.suffix });
    }
    if (!Number.isInteger(this.maxLength) || this.maxLength < 1) {
      throw new KioskError('CONFIG_INVALID', `scanner maxLength must be a positive integer`, { maxLength: this.maxLength });
    }
    checkEncoding(this.encoding);
    this.buf = Buffer.alloc(this.maxLength + 1);
  }

  /** Bytes currently held for the read in progress. */
  get buffered(): number {
    return this.len;
  }

  /** Feeds bytes; returns the reads and errors they completed, in order. */
  feed(bytes: Uint8Array): Array<FramedRead | KioskError> {
    const out: Array<FramedRead | KioskError> = [];
    this.out = out;
    if (this.suffix === 'none' && bytes.length > 0) this.lastAt = this.now();
    for (let i = 0; i < bytes.length; i++) this.byte(bytes[i]);
    this.out = [];
    return out;
  }

  /**
   * Ends the read in progress as if its suffix had arrived (suffix `'none'`: the line went idle); returns what it
   * completed. With a suffix configured, a read without its suffix is not complete: nothing happens.
   */
  end(): Array<FramedRead | KioskError> {
    if (this.suffix !== 'none' || (this.len === 0 && !this.discarding)) return [];
    const out: Array<FramedRead | KioskError> = [];
    this.out = out;
    this.terminate(this.len);
    this.out = [];
    return out;
  }

  /**
   * Forgets the read in progress (the connection was lost: half a read must not be glued to the next one).
   * Returns how many bytes were dropped.
   */
  reset(): number {
    const dropped = this.len;
    this.len = 0;
    this.discarding = false;
    this.afterCr = false;
    return dropped;
  }

  private byte(b: number): void {
    if (this.suffix === 'auto') {
      if (b === CR || b === LF) {
        const swallow = b === LF && this.afterCr;
        this.afterCr = b === CR;
        if (!swallow) this.terminate(this.len);
        return;
      }
      this.afterCr = false;
    } else if (this.suffix === '\r\n') {
      if (b === LF && this.afterCr) {
        this.afterCr = false;
        this.terminate(this.discarding ? 0 : this.len - 1);
        return;
      }
      this.afterCr = b === CR;
    } else if (this.suffix !== 'none' && b === this.suffix.charCodeAt(0)) {
      this.terminate(this.len);
      return;
    }
    if (this.discarding) return;
    if (this.len < this.maxLength || (this.suffix === '\r\n' && this.len === this.maxLength && b === CR)) {
      this.buf[this.len++] = b;
      return;
    }
    this.out.push(
      protocolError('serial', `read longer than ${this.maxLength} bytes without a suffix; discarding until the next ${this.suffix === 'none' ? 'idle gap' : 'suffix'}`, {
        maxLength: this.maxLength,
        preview: hexPreview(this.buf.subarray(0, this.len)),
      }),
    );
    this.len = 0;
    this.discarding = true;
  }

  /** A suffix arrived; the read is buf[0, end). */
  private terminate(end: number): void {
    const wasDiscarding = this.discarding;
    this.discarding = false;
    this.len = 0;
    if (wasDiscarding || end <= 0) return;
    const bytes = Buffer.from(this.buf.subarray(0, end));
    const decoded = decodeReadBytes(bytes, this.encoding, this.allowed);
    if ('problem' in decoded) {
      this.out.push(protocolError('serial', `garbled read dropped (${decoded.problem})`, { preview: hexPreview(bytes) }));
      return;
    }
    const read: FramedRead = { raw: decoded.text, bytes, at: this.suffix === 'none' ? this.lastAt : this.now() };
    const aim = aimOf(decoded.text);
    if (aim) read.aim = aim;
    this.out.push(read);
  }
}

/**
 * The framer as a Transform stream: `port.pipe(new SerialFramer()).on('data', (read: FramedRead) => …)`, and
 * `.on('protocolError', (e: KioskError) => …)` for dropped reads.
 */
export class SerialFramer extends Transform {
  readonly decoder: SerialReadDecoder;

  constructor(opts: SerialFramerOptions = {}) {
    super({ readableObjectMode: true, writableObjectMode: false });
    this.decoder = new SerialReadDecoder(opts);
  }

  /** Bytes currently held for the read in progress. */
  get buffered(): number {
    return this.decoder.buffered;
  }

  /** See `SerialReadDecoder.reset`. */
  reset(): number {
    return this.decoder.reset();
  }

  /** Suffix `'none'`: the line went idle, the read in progress is complete (see `SerialReadDecoder.end`). */
  endRead(): void {
    this.deliver(this.decoder.end());
  }

  override _transform(chunk: Buffer | string, _enc: BufferEncoding, done: TransformCallback): void {
    this.deliver(this.decoder.feed(typeof chunk === 'string' ? Buffer.from(chunk, 'latin1') : chunk));
    done();
  }

  override _flush(done: TransformCallback): void {
    if (this.decoder.suffix === 'none') this.endRead(); // no suffix: the end of the stream ends the read
    const dropped = this.decoder.reset();
    if (dropped > 0) this.emit('protocolError', protocolError('serial', `stream ended inside a read; ${dropped} bytes without a suffix discarded`));
    done();
  }

  private deliver(out: Array<FramedRead | KioskError>): void {
    for (const item of out) {
      if (item instanceof KioskError) this.emit('protocolError', item);
      else this.push(item);
    }
  }
}
