import fc from 'fast-check';
import {
  FirmataParser,
  encodeAnalogMapping,
  encodeCapabilities,
  encodeFirmware,
  encodePinState,
  encodeReportVersion,
  to7bit,
  type FirmataCommand,
} from './firmata-parser';

/** One of each host → board message firmata.js sends, with what it must parse to. */
const SAMPLES: Array<[number[], FirmataCommand]> = [
  [[0xf9], { type: 'reportVersion' }],
  [[0xff], { type: 'systemReset' }],
  [[0xf4, 9, 1], { type: 'setPinMode', pin: 9, mode: 1 }],
  [[0x91, 0x06, 0x00], { type: 'digitalMessage', port: 1, value: 0b110 }],
  [[0x92, 0x7f, 0x01], { type: 'digitalMessage', port: 2, value: 0xff }],
  [[0xe9, 0x7f, 0x01], { type: 'analogMessage', pin: 9, value: 255 }],
  [[0xf5, 10, 1], { type: 'setDigitalPinValue', pin: 10, value: 1 }],
  [[0xc3, 1], { type: 'reportAnalog', channel: 3, enable: true }],
  [[0xd1, 0], { type: 'reportDigital', port: 1, enable: false }],
  [[0xf0, 0x79, 0xf7], { type: 'queryFirmware' }],
  [[0xf0, 0x6b, 0xf7], { type: 'capabilityQuery' }],
  [[0xf0, 0x69, 0xf7], { type: 'analogMappingQuery' }],
  [[0xf0, 0x6d, 11, 0xf7], { type: 'pinStateQuery', pin: 11 }],
  [[0xf0, 0x7a, 0x13, 0x00, 0xf7], { type: 'samplingInterval', ms: 19 }],
  [[0xf0, 0x7a, 0x68, 0x07, 0xf7], { type: 'samplingInterval', ms: 1000 }],
  [[0xf0, 0x6f, 20, 0x7f, 0x01, 0xf7], { type: 'extendedAnalog', pin: 20, value: 255 }],
  [[0xf0, 0x71, 0x68, 0x00, 0x69, 0x00, 0x00, 0x00, 0xf7], { type: 'stringData', text: 'hi' }],
  [[0xf0, 0x42, 1, 2, 3, 0xf7], { type: 'sysex', command: 0x42, data: [1, 2, 3] }],
];

const STREAM = SAMPLES.flatMap(([bytes]) => bytes);
const EXPECTED = SAMPLES.map(([, cmd]) => cmd);

describe('FirmataParser', () => {
  it.each(SAMPLES.map(([bytes, cmd]) => [cmd.type, bytes, cmd] as const))('decodes %s', (_type, bytes, cmd) => {
    const p = new FirmataParser();
    expect(p.push(bytes)).toEqual([cmd]);
    expect(p.skipped).toBe(0);
  });

  it('decodes the whole stream in one chunk', () => {
    expect(new FirmataParser().push(STREAM)).toEqual(EXPECTED);
  });

  it('gives the same commands when the stream is split in two at every byte boundary', () => {
    for (let i = 0; i <= STREAM.length; i++) {
      const p = new FirmataParser();
      const got = [...p.push(STREAM.slice(0, i)), ...p.push(STREAM.slice(i))];
      expect({ split: i, got }).toEqual({ split: i, got: EXPECTED });
      expect(p.skipped).toBe(0);
    }
  });

  it('gives the same commands fed one byte at a time and in every 3-way split of a sysex', () => {
    const p = new FirmataParser();
    expect(STREAM.flatMap((b) => p.push([b]))).toEqual(EXPECTED);
    const sysex = [0xf0, 0x71, 0x61, 0x00, 0x62, 0x00, 0x63, 0x00, 0xf7];
    for (let i = 0; i <= sysex.length; i++) {
      for (let j = i; j <= sysex.length; j++) {
        const q = new FirmataParser();
        const got = [...q.push(sysex.slice(0, i)), ...q.push(sysex.slice(i, j)), ...q.push(sysex.slice(j))];
        expect(got).toEqual([{ type: 'stringData', text: 'abc' }]);
      }
    }
  });

  it('skips stray data bytes, unknown status bytes and a stray END_SYSEX', () => {
    const p = new FirmataParser();
    expect(p.push([0x01, 0x7f, 0x80, 0x05, 0xa0, 0xf7, 0xf1, 0xf9])).toEqual([{ type: 'reportVersion' }]);
    expect(p.skipped).toBe(7);
  });

  it('abandons a message cut short by the next status byte and parses that one', () => {
    const p = new FirmataParser();
    // DIGITAL_MESSAGE missing its msb, then SET_PIN_MODE
    expect(p.push([0x91, 0x02, 0xf4, 10, 1])).toEqual([{ type: 'setPinMode', pin: 10, mode: 1 }]);
    expect(p.skipped).toBe(2);
    // a sysex interrupted by REPORT_VERSION
    expect(p.push([0xf0, 0x79, 0x01, 0xf9])).toEqual([{ type: 'reportVersion' }]);
    expect(p.skipped).toBe(5);
  });

  it('skips an empty sysex and abandons an overlong one', () => {
    const p = new FirmataParser({ maxSysexLength: 4 });
    expect(p.push([0xf0, 0xf7, 0xf0, 0x42, 1, 2, 3, 4, 5, 6, 0xf7, 0xf9])).toEqual([{ type: 'reportVersion' }]);
    // F0 F7 (2) + F0 and 6 body bytes abandoned at the limit (7) + the trailing 6 and F7 (2)
    expect(p.skipped).toBe(11);
  });

  it('reset() drops a half-received message', () => {
    const p = new FirmataParser();
    p.push([0xf0, 0x79]);
    p.reset();
    expect(p.push([0x02, 0xf7, 0xf9])).toEqual([{ type: 'reportVersion' }]);
  });

  it('recovers after any garbage: the valid messages that follow always parse (property)', () => {
    const message = fc.constantFrom(...SAMPLES);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), fc.array(message, { minLength: 1, maxLength: 6 }), fc.integer({ min: 1, max: 7 }), (garbage, msgs, chunk) => {
        const bytes = [...garbage, ...msgs.flatMap(([b]) => b)];
        const p = new FirmataParser();
        const got: FirmataCommand[] = [];
        for (let i = 0; i < bytes.length; i += chunk) got.push(...p.push(bytes.slice(i, i + chunk)));
        const want = msgs.map(([, c]) => c);
        expect(got.slice(got.length - want.length)).toEqual(want);
      }),
      { numRuns: 300 },
    );
  });
});

describe('board → host encoders', () => {
  it('encode the StandardFirmata replies byte for byte', () => {
    expect(encodeReportVersion(2, 5)).toEqual([0xf9, 2, 5]);
    expect(encodeFirmware(2, 5, 'Ab')).toEqual([0xf0, 0x79, 2, 5, 0x41, 0, 0x62, 0, 0xf7]);
    expect(encodeCapabilities([[[0, 1], [1, 1]], []])).toEqual([0xf0, 0x6c, 0, 1, 1, 1, 0x7f, 0x7f, 0xf7]);
    expect(encodeAnalogMapping([0x7f, 0, 1])).toEqual([0xf0, 0x6a, 0x7f, 0, 1, 0xf7]);
    expect(encodePinState(9, 3, 255)).toEqual([0xf0, 0x6e, 9, 3, 0x7f, 0x01, 0xf7]);
    expect(to7bit(0)).toEqual([0]);
    expect(to7bit(16384)).toEqual([0, 0, 1]);
  });
});
