import { EventEmitter } from 'node:events';
import { DEFAULT_MAX_SYSEX_BYTES, FirmataFramer, START_SYSEX } from './firmata-framer';

/**
 * The contained input path of the lane light: the transport firmata.js is given instead of the serial port.
 *
 * firmata.js parses bytes inside serialport's `data` callback and throws there on replies it does not expect
 * (a PIN_STATE_RESPONSE for a pin the board does not have: `F0 6E 7F 01 00 F7`; a zero-length REPORT_FIRMWARE:
 * `F0 79 F7`; an ANALOG_MAPPING_RESPONSE longer than the board's pin list) — an uncaught exception that takes the
 * process down, out of reach of any `'error'` listener — and its sysex buffer grows without bound while `F7`
 * never comes. So firmata.js never sees the port's bytes: the guard frames them itself (`FirmataFramer`, at most
 * `maxSysexBytes` held), checks each sysex reply against what firmata.js's handler will index, passes only whole
 * messages it can take, and calls firmata.js inside try/catch. A reply that would have broken firmata.js, an
 * exception from it anyway, or an overflowing sysex is a fault: the frame is dropped, counted, and `onFault`
 * hears why (the link then treats the board as faulty and reconnects). Noise between messages is only counted.
 *
 * Writes, `open`, `close` and `error` pass straight through to and from the port.
 */

/** What the guard reads of the firmata.js instance it feeds. */
export interface FirmataIoView {
  readonly versionReceived: boolean;
  readonly pins: readonly unknown[];
  /** firmata.js's own parse buffer; emptied after every message it is fed. */
  buffer: number[];
}

/** The serial port as the guard uses it (serialport v13's SerialPort fits). */
export interface GuardedPort {
  on(event: 'data', listener: (chunk: Buffer) => void): unknown;
  on(event: 'open' | 'close' | 'error', listener: (...args: unknown[]) => void): unknown;
  write(data: Buffer, callback?: (err?: Error | null) => void): unknown;
}

export interface FirmataGuardStats {
  /** Messages handed to firmata.js. */
  delivered: number;
  /** Sysex replies firmata.js has no use for (or sent before REPORT_VERSION), dropped quietly. */
  ignored: number;
  /** Replies that would have broken firmata.js, and exceptions it threw anyway. */
  malformed: number;
  /** Sysex messages longer than the cap. */
  overflows: number;
  /** Noise and dropped bytes (framer). */
  skippedBytes: number;
  /** Most bytes held at once, by the framer and firmata.js together. */
  peakHeldBytes: number;
}

/** The counters of two guards (links) together: sums, and the larger peak. */
export function addGuardStats(a: FirmataGuardStats, b: FirmataGuardStats): FirmataGuardStats {
  return {
    delivered: a.delivered + b.delivered,
    ignored: a.ignored + b.ignored,
    malformed: a.malformed + b.malformed,
    overflows: a.overflows + b.overflows,
    skippedBytes: a.skippedBytes + b.skippedBytes,
    peakHeldBytes: Math.max(a.peakHeldBytes, b.peakHeldBytes),
  };
}

// Sysex reply commands (Firmata protocol.md / firmata.js constants) the lane light's firmata.js path handles.
const ANALOG_MAPPING_RESPONSE = 0x6a;
const CAPABILITY_RESPONSE = 0x6c;
const PIN_STATE_RESPONSE = 0x6e;
const STRING_DATA = 0x71;
const REPORT_FIRMWARE = 0x79;
const MAX_PINS = 128;

function hex(bytes: Uint8Array, max = 12): string {
  const shown = Array.from(bytes.subarray(0, max), (b) => b.toString(16).toUpperCase().padStart(2, '0')).join(' ');
  return bytes.length > max ? `${shown} … (${bytes.length} bytes)` : shown;
}

/**
 * Why firmata.js must not see this sysex reply (it would throw or corrupt its pin table), or null when it is safe.
 * `frame` is a whole `F0 … F7` message.
 */
export function unsafeSysexReply(frame: Uint8Array, io: FirmataIoView): string | null {
  const cmd = frame[1];
  const n = frame.length;
  switch (cmd) {
    case REPORT_FIRMWARE:
      // F0 79 major minor name… F7: firmata.js allocates (n - 6) / 2 bytes for the name, negative below 5
      return n >= 5 ? null : `REPORT_FIRMWARE reply of ${n} bytes (at least 5: F0 79 major minor F7)`;
    case PIN_STATE_RESPONSE: {
      // F0 6E pin mode state… F7: firmata.js writes into pins[pin]
      if (n < 6) return `PIN_STATE_RESPONSE of ${n} bytes (at least 6: F0 6E pin mode state F7)`;
      const pin = frame[2]!;
      return io.pins[pin] ? null : `PIN_STATE_RESPONSE for pin ${pin}, the board has ${io.pins.length} pins`;
    }
    case ANALOG_MAPPING_RESPONSE: {
      // F0 6A channel-of-pin-0 … F7: firmata.js writes into pins[0 … n-4]
      const entries = n - 3;
      return entries <= io.pins.length ? null : `ANALOG_MAPPING_RESPONSE for ${entries} pins, the board has ${io.pins.length}`;
    }
    case CAPABILITY_RESPONSE: {
      let pins = 0;
      for (let i = 2; i < n - 1; i++) if (frame[i] === 0x7f) pins++;
      return pins <= MAX_PINS ? null : `CAPABILITY_RESPONSE for ${pins} pins (Firmata addresses at most ${MAX_PINS})`;
    }
    default:
      return null;
  }
}

export class GuardedFirmataTransport extends EventEmitter {
  private readonly framer: FirmataFramer;
  private io: FirmataIoView | null = null;
  private faultListener: (reason: string) => void = () => undefined;
  private readonly counts = { delivered: 0, ignored: 0, malformed: 0, overflows: 0 };
  private peakHeld = 0;

  constructor(
    private readonly port: GuardedPort,
    opts: { maxSysexBytes?: number } = {},
  ) {
    super();
    this.framer = new FirmataFramer(opts.maxSysexBytes ?? DEFAULT_MAX_SYSEX_BYTES);
    port.on('data', (chunk) => this.push(chunk));
    port.on('open', (...args) => this.emit('open', ...args));
    port.on('close', (...args) => this.emit('close', ...args));
    // firmata.js always listens for 'error'; without it there is nobody to tell
    port.on('error', (...args) => {
      if (this.listenerCount('error') > 0) this.emit('error', ...args);
    });
  }

  /** The firmata.js instance built on this transport (after `new Firmata(transport)`). */
  attach(io: FirmataIoView): void {
    this.io = io;
  }

  /** Called (synchronously, from the data path) for every fault. */
  onFault(listener: (reason: string) => void): void {
    this.faultListener = listener;
  }

  write(data: Buffer, callback?: (err?: Error | null) => void): unknown {
    return this.port.write(data, callback);
  }

  /** Bytes held right now: the framer's message in progress plus firmata.js's buffer. */
  get heldBytes(): number {
    return this.framer.held + (this.io?.buffer.length ?? 0);
  }

  get stats(): FirmataGuardStats {
    return { ...this.counts, skippedBytes: this.framer.skipped, peakHeldBytes: Math.max(this.peakHeld, this.framer.peak) };
  }

  /** Bytes from the board. Never throws. */
  push(chunk: Uint8Array): void {
    try {
      this.framer.push(chunk, {
        frame: (bytes) => this.deliver(bytes),
        overflow: (held) => {
          this.counts.overflows++;
          this.fault(`sysex without F7 longer than ${this.framer.maxSysexBytes} bytes (${held} held) dropped`);
        },
      });
    } catch (err) {
      // nothing above should throw; if it does, the bytes still never reach the process
      this.framer.reset();
      this.counts.malformed++;
      this.fault(`Firmata input failed: ${(err as Error).message}`);
    }
  }

  private deliver(frame: Uint8Array): void {
    const io = this.io;
    if (!io) return;
    if (frame[0] === START_SYSEX) {
      // firmata.js acts on sysex only after REPORT_VERSION; before it, it would discard them anyway
      if (!io.versionReceived || frame.length < 3) {
        this.counts.ignored++;
        return;
      }
      const cmd = frame[1]!;
      if (cmd !== REPORT_FIRMWARE && cmd !== CAPABILITY_RESPONSE && cmd !== ANALOG_MAPPING_RESPONSE && cmd !== PIN_STATE_RESPONSE && cmd !== STRING_DATA) {
        this.counts.ignored++;
        return;
      }
      const why = unsafeSysexReply(frame, io);
      if (why) {
        this.counts.malformed++;
        this.fault(`malformed reply dropped: ${why} [${hex(frame)}]`);
        return;
      }
    }
    try {
      this.counts.delivered++;
      this.emit('data', Buffer.from(frame));
    } catch (err) {
      this.counts.malformed++;
      this.fault(`firmata.js failed on [${hex(frame)}]: ${(err as Error).message}`);
    } finally {
      const held = frame.length + io.buffer.length;
      if (held > this.peakHeld) this.peakHeld = held;
      // every message is whole: whatever firmata.js still holds is left over from a failure
      io.buffer.length = 0;
    }
  }

  private fault(reason: string): void {
    try {
      this.faultListener(reason);
    } catch {
      // a listener's failure must not reach the port's data callback either
    }
  }
}
