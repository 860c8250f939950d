/**
 * Incremental parser for the host → board direction of the Firmata protocol (the bytes firmata.js / johnny-five
 * send to an Arduino running StandardFirmata). Pure: bytes in, commands out; no I/O, no time.
 *
 * Framing rules (Firmata 2.x, MIDI-style):
 * - A byte ≥ 0x80 is a status byte and starts a message; bytes < 0x80 are data bytes.
 * - Channel messages carry the port / pin in the low nibble: 0x90 DIGITAL_MESSAGE, 0xE0 ANALOG_MESSAGE (2 data
 *   bytes), 0xC0 REPORT_ANALOG, 0xD0 REPORT_DIGITAL (1 data byte).
 * - System messages: 0xF4 SET_PIN_MODE, 0xF5 SET_DIGITAL_PIN_VALUE (2 data bytes), 0xF9 REPORT_VERSION,
 *   0xFF SYSTEM_RESET (none), 0xF0 … 0xF7 sysex (any number of data bytes).
 *
 * Resynchronisation (garbage is skipped, never fatal):
 * - A data byte outside a message, a status byte the board does not understand, or a stray END_SYSEX is skipped.
 * - A status byte arriving before the current message is complete abandons that message (its bytes count as
 *   skipped) and starts the new one; inside a sysex this applies to every status byte except END_SYSEX.
 * - A sysex longer than `maxSysexLength` data bytes is abandoned.
 * Every valid message therefore parses correctly after any garbage, because it starts with a status byte.
 */

export const FIRMATA = {
  DIGITAL_MESSAGE: 0x90,
  ANALOG_MESSAGE: 0xe0,
  REPORT_ANALOG: 0xc0,
  REPORT_DIGITAL: 0xd0,
  START_SYSEX: 0xf0,
  SET_PIN_MODE: 0xf4,
  SET_DIGITAL_PIN_VALUE: 0xf5,
  END_SYSEX: 0xf7,
  REPORT_VERSION: 0xf9,
  SYSTEM_RESET: 0xff,
  // sysex commands
  ANALOG_MAPPING_QUERY: 0x69,
  ANALOG_MAPPING_RESPONSE: 0x6a,
  CAPABILITY_QUERY: 0x6b,
  CAPABILITY_RESPONSE: 0x6c,
  PIN_STATE_QUERY: 0x6d,
  PIN_STATE_RESPONSE: 0x6e,
  EXTENDED_ANALOG: 0x6f,
  STRING_DATA: 0x71,
  REPORT_FIRMWARE: 0x79,
  SAMPLING_INTERVAL: 0x7a,
} as const;

/** Pin modes as Firmata numbers them. */
export const PIN_MODE = {
  INPUT: 0x00,
  OUTPUT: 0x01,
  ANALOG: 0x02,
  PWM: 0x03,
  SERVO: 0x04,
  PULLUP: 0x0b,
  IGNORE: 0x7f,
} as const;

export type FirmataCommand =
  | { type: 'reportVersion' }
  | { type: 'systemReset' }
  | { type: 'setPinMode'; pin: number; mode: number }
  | { type: 'digitalMessage'; port: number; value: number }
  | { type: 'analogMessage'; pin: number; value: number }
  | { type: 'setDigitalPinValue'; pin: number; value: number }
  | { type: 'reportAnalog'; channel: number; enable: boolean }
  | { type: 'reportDigital'; port: number; enable: boolean }
  | { type: 'queryFirmware' }
  | { type: 'capabilityQuery' }
  | { type: 'analogMappingQuery' }
  | { type: 'pinStateQuery'; pin: number }
  | { type: 'samplingInterval'; ms: number }
  | { type: 'extendedAnalog'; pin: number; value: number }
  | { type: 'stringData'; text: string }
  /** A well-framed sysex the board does not implement (StandardFirmata ignores these). */
  | { type: 'sysex'; command: number; data: number[] };

/** Number of data bytes following a non-sysex status byte, or undefined when the board does not know it. */
function dataLength(status: number): number | undefined {
  if (status < 0xf0) {
    switch (status & 0xf0) {
      case FIRMATA.DIGITAL_MESSAGE:
      case FIRMATA.ANALOG_MESSAGE:
        return 2;
      case FIRMATA.REPORT_ANALOG:
      case FIRMATA.REPORT_DIGITAL:
        return 1;
      default:
        return undefined;
    }
  }
  switch (status) {
    case FIRMATA.SET_PIN_MODE:
    case FIRMATA.SET_DIGITAL_PIN_VALUE:
      return 2;
    case FIRMATA.REPORT_VERSION:
    case FIRMATA.SYSTEM_RESET:
      return 0;
    default:
      return undefined;
  }
}

function decodeMessage(status: number, data: number[]): FirmataCommand {
  const d0 = data[0] ?? 0;
  const d1 = data[1] ?? 0;
  if (status < 0xf0) {
    const low = status & 0x0f;
    switch (status & 0xf0) {
      case FIRMATA.DIGITAL_MESSAGE:
        return { type: 'digitalMessage', port: low, value: d0 | (d1 << 7) };
      case FIRMATA.ANALOG_MESSAGE:
        return { type: 'analogMessage', pin: low, value: d0 | (d1 << 7) };
      case FIRMATA.REPORT_ANALOG:
        return { type: 'reportAnalog', channel: low, enable: d0 !== 0 };
      default:
        return { type: 'reportDigital', port: low, enable: d0 !== 0 };
    }
  }
  switch (status) {
    case FIRMATA.SET_PIN_MODE:
      return { type: 'setPinMode', pin: d0, mode: d1 };
    case FIRMATA.SET_DIGITAL_PIN_VALUE:
      return { type: 'setDigitalPinValue', pin: d0, value: d1 };
    case FIRMATA.REPORT_VERSION:
      return { type: 'reportVersion' };
    default:
      return { type: 'systemReset' };
  }
}

/** Little-endian 7-bit groups → integer. */
function from7bit(bytes: number[]): number {
  let v = 0;
  for (let i = bytes.length - 1; i >= 0; i--) v = v * 128 + (bytes[i]! & 0x7f);
  return v;
}

function decodeSysex(command: number, data: number[]): FirmataCommand {
  switch (command) {
    case FIRMATA.REPORT_FIRMWARE:
      return { type: 'queryFirmware' };
    case FIRMATA.CAPABILITY_QUERY:
      return { type: 'capabilityQuery' };
    case FIRMATA.ANALOG_MAPPING_QUERY:
      return { type: 'analogMappingQuery' };
    case FIRMATA.PIN_STATE_QUERY:
      if (data.length >= 1) return { type: 'pinStateQuery', pin: data[0]! };
      break;
    case FIRMATA.SAMPLING_INTERVAL:
      if (data.length >= 2) return { type: 'samplingInterval', ms: from7bit(data.slice(0, 2)) };
      break;
    case FIRMATA.EXTENDED_ANALOG:
      if (data.length >= 2) return { type: 'extendedAnalog', pin: data[0]!, value: from7bit(data.slice(1)) };
      break;
    case FIRMATA.STRING_DATA: {
      const chars: number[] = [];
      for (let i = 0; i + 1 < data.length; i += 2) chars.push((data[i]! & 0x7f) | ((data[i + 1]! & 0x7f) << 7));
      return { type: 'stringData', text: Buffer.from(chars).toString('utf8').replace(/\0+$/, '') };
    }
  }
  return { type: 'sysex', command, data };
}

export interface FirmataParserOptions {
  /** Longest sysex body (data bytes after the command byte) accepted; longer ones are abandoned. Default 1024. */
  maxSysexLength?: number;
}

export class FirmataParser {
  /** Bytes skipped as garbage since construction. */
  skipped = 0;
  private readonly maxSysex: number;
  /** Status byte of the message being collected, or null when idle. */
  private status: number | null = null;
  private need = 0;
  private data: number[] = [];

  constructor(opts: FirmataParserOptions = {}) {
    this.maxSysex = opts.maxSysexLength ?? 1024;
  }

  /** Feeds a chunk (any split of the stream) and returns the commands it completed, in order. */
  push(chunk: Iterable<number>): FirmataCommand[] {
    const out: FirmataCommand[] = [];
    for (const byte of chunk) this.byte(byte & 0xff, out);
    return out;
  }

  /** Drops a half-received message (e.g. after the line was re-opened). */
  reset(): void {
    if (this.status !== null) this.skipped += 1 + this.data.length;
    this.status = null;
    this.data = [];
  }

  private byte(b: number, out: FirmataCommand[]): void {
    if (this.status === FIRMATA.START_SYSEX) {
      if (b < 0x80) {
        this.data.push(b);
        // the command byte plus maxSysex data bytes
        if (this.data.length > this.maxSysex + 1) this.reset();
        return;
      }
      if (b === FIRMATA.END_SYSEX) {
        const [command, ...body] = this.data;
        this.status = null;
        this.data = [];
        if (command === undefined) this.skipped += 2; // F0 F7: empty sysex
        else out.push(decodeSysex(command, body));
        return;
      }
      this.reset(); // a status byte inside a sysex: the sysex was cut short
    } else if (this.status !== null) {
      if (b < 0x80) {
        this.data.push(b);
        if (this.data.length === this.need) {
          out.push(decodeMessage(this.status, this.data));
          this.status = null;
          this.data = [];
        }
        return;
      }
      this.reset(); // a status byte before the message was complete
    }

    // idle
    if (b < 0x80) {
      this.skipped++;
      return;
    }
    if (b === FIRMATA.START_SYSEX) {
      this.status = b;
      this.data = [];
      return;
    }
    const n = dataLength(b);
    if (n === undefined) {
      this.skipped++;
      return;
    }
    if (n === 0) {
      out.push(decodeMessage(b, []));
      return;
    }
    this.status = b;
    this.need = n;
    this.data = [];
  }
}

// ---- board → host encoders (what StandardFirmata sends) ----

/** Integer → little-endian 7-bit groups (at least `min` groups). */
export function to7bit(value: number, min = 1): number[] {
  const out: number[] = [];
  let v = Math.max(0, Math.floor(value));
  do {
    out.push(v & 0x7f);
    v = Math.floor(v / 128);
  } while (v > 0 || out.length < min);
  return out;
}

export function encodeReportVersion(major: number, minor: number): number[] {
  return [FIRMATA.REPORT_VERSION, major & 0x7f, minor & 0x7f];
}

/** REPORT_FIRMWARE: F0 79 major minor name(each char as lsb, msb) F7. */
export function encodeFirmware(major: number, minor: number, name: string): number[] {
  const body: number[] = [];
  for (const c of Buffer.from(name, 'utf8')) body.push(c & 0x7f, (c >> 7) & 0x7f);
  return [FIRMATA.START_SYSEX, FIRMATA.REPORT_FIRMWARE, major & 0x7f, minor & 0x7f, ...body, FIRMATA.END_SYSEX];
}

/** CAPABILITY_RESPONSE: per pin, (mode, resolution) pairs then 0x7F. */
export function encodeCapabilities(pins: Array<Array<[mode: number, resolution: number]>>): number[] {
  const body: number[] = [];
  for (const modes of pins) {
    for (const [mode, res] of modes) body.push(mode & 0x7f, res & 0x7f);
    body.push(0x7f);
  }
  return [FIRMATA.START_SYSEX, FIRMATA.CAPABILITY_RESPONSE, ...body, FIRMATA.END_SYSEX];
}

/** ANALOG_MAPPING_RESPONSE: per pin, its analog channel or 0x7F. */
export function encodeAnalogMapping(channels: number[]): number[] {
  return [FIRMATA.START_SYSEX, FIRMATA.ANALOG_MAPPING_RESPONSE, ...channels.map((c) => c & 0x7f), FIRMATA.END_SYSEX];
}

/** PIN_STATE_RESPONSE: F0 6E pin mode state(7-bit groups) F7. */
export function encodePinState(pin: number, mode: number, state: number): number[] {
  return [FIRMATA.START_SYSEX, FIRMATA.PIN_STATE_RESPONSE, pin & 0x7f, mode & 0x7f, ...to7bit(state), FIRMATA.END_SYSEX];
}

export function encodeDigitalPort(port: number, value: number): number[] {
  return [FIRMATA.DIGITAL_MESSAGE | (port & 0x0f), value & 0x7f, (value >> 7) & 0x7f];
}
