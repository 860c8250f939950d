/**
 * Splits the byte stream from a Firmata board into whole messages before firmata.js sees any of it, holding at
 * most `maxSysexBytes` bytes whatever arrives.
 *
 * Firmata is MIDI-framed (Firmata protocol, protocol.md: "Message Types" and "Sysex Message Format"):
 *   - a sysex message is `F0 <command> <7-bit data…> F7`;
 *   - the only other messages a board sends are DIGITAL_MESSAGE `9p LSB MSB`, ANALOG_MESSAGE `Ep LSB MSB` and
 *     REPORT_VERSION `F9 major minor`: a status byte and two 7-bit data bytes.
 * Everything else is noise: data bytes outside a message and status bytes firmata.js has no use for are skipped,
 * a message cut short by a status byte is dropped (the status byte starts the next one), and a sysex longer than
 * `maxSysexBytes` without its `F7` is an overflow: dropped, and the rest of it up to the next status byte skipped.
 */

export const START_SYSEX = 0xf0;
export const END_SYSEX = 0xf7;
export const REPORT_VERSION = 0xf9;
const DIGITAL_MESSAGE = 0x90;
const ANALOG_MESSAGE = 0xe0;

/** Largest sysex the framer holds (F0 and F7 included). A 128-pin capability reply with every mode is ~3 KB. */
export const DEFAULT_MAX_SYSEX_BYTES = 4096;

export interface FramerSink {
  /** One whole message. The array is reused after the call returns: copy it to keep it. */
  frame(bytes: Uint8Array): void;
  /** A sysex reached `maxSysexBytes` without F7 (reported once per overflowing message). */
  overflow(heldBytes: number): void;
}

type Mode = 'idle' | 'sysex' | 'midi' | 'discard';

export class FirmataFramer {
  readonly maxSysexBytes: number;
  private readonly buf: Uint8Array;
  private len = 0;
  private mode: Mode = 'idle';
  /** Bytes thrown away: noise, messages cut short, overflowing sysex. */
  skipped = 0;
  /** Most bytes ever held at once (never more than maxSysexBytes). */
  peak = 0;

  constructor(maxSysexBytes = DEFAULT_MAX_SYSEX_BYTES) {
    if (!Number.isInteger(maxSysexBytes) || maxSysexBytes < 8) throw new RangeError(`maxSysexBytes must be an integer >= 8 (got ${maxSysexBytes})`);
    this.maxSysexBytes = maxSysexBytes;
    this.buf = new Uint8Array(maxSysexBytes);
  }

  /** Bytes held for the message in progress. */
  get held(): number {
    return this.len;
  }

  reset(): void {
    this.len = 0;
    this.mode = 'idle';
  }

  push(chunk: Uint8Array, sink: FramerSink): void {
    for (let i = 0; i < chunk.length; i++) this.byte(chunk[i]!, sink);
  }

  private byte(b: number, sink: FramerSink): void {
    if (b >= 0x80) {
      if (this.mode === 'sysex' && b === END_SYSEX) {
        this.buf[this.len++] = b;
        this.emit(sink);
        return;
      }
      // a status byte ends whatever was in progress: an unfinished message is dropped
      if (this.mode === 'sysex' || this.mode === 'midi') this.skipped += this.len;
      this.len = 0;
      this.mode = 'idle';
      if (b === START_SYSEX || b === REPORT_VERSION || (b & 0xf0) === DIGITAL_MESSAGE || (b & 0xf0) === ANALOG_MESSAGE) {
        this.buf[0] = b;
        this.len = 1;
        this.mode = b === START_SYSEX ? 'sysex' : 'midi';
        this.peak = Math.max(this.peak, 1);
      } else {
        this.skipped++;
      }
      return;
    }
    switch (this.mode) {
      case 'idle':
      case 'discard':
        this.skipped++;
        return;
      case 'midi':
        this.buf[this.len++] = b;
        if (this.len === 3) this.emit(sink);
        return;
      case 'sysex':
        // keep one byte free for the F7
        if (this.len < this.maxSysexBytes - 1) {
          this.buf[this.len++] = b;
          if (this.len > this.peak) this.peak = this.len;
        } else {
          this.overflowed(sink);
        }
        return;
    }
  }

  private overflowed(sink: FramerSink): void {
    const held = this.len;
    this.skipped += held + 1;
    this.len = 0;
    this.mode = 'discard';
    sink.overflow(held);
  }

  private emit(sink: FramerSink): void {
    const frame = this.buf.subarray(0, this.len);
    this.len = 0;
    this.mode = 'idle';
    sink.frame(frame);
  }
}
