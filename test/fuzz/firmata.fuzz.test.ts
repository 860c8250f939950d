import { EventEmitter } from 'node:events';
import fc from 'fast-check';
import { DEFAULT_MAX_SYSEX_BYTES } from '../../drivers/light/firmata-framer';
import { Firmata } from '../../drivers/light/firmata-io';
import { GuardedFirmataTransport } from '../../drivers/light/firmata-guard';
import { encodeAnalogMapping, encodeCapabilities, encodeFirmware, encodePinState, encodeReportVersion } from '../../simulators/light/firmata-parser';
import { bytesFrom, params, RUNS } from '../support/fuzz';

/**
 * Fuzz target (issue 11): the lane light's contained Firmata input path — `GuardedFirmataTransport` feeding the
 * real firmata.js — takes arbitrary bytes, split at arbitrary points, without ever throwing out, holding more than
 * the sysex cap, or letting firmata.js throw (every reply it cannot take is caught by the guard's checks before it
 * gets there, so `malformed` faults come from the checks, never from firmata.js failing).
 * Inputs: the replies a StandardFirmata board sends (and the three firmata.js throws on), mutated and glued
 * (test/support/fuzz.ts), mixed with random bytes, well- and ill-formed sysex and MIDI messages and over-long
 * sysex, after an optional REPORT_VERSION (so firmata.js acts on sysex), split at arbitrary points.
 * Runs: env FUZZ_RUNS (test/support/fuzz.ts); `FUZZ_RUNS=200000 npx jest test/fuzz/firmata.fuzz.test.ts` for a long run.
 */
const CAP = 256; // a small cap, so overflows happen within short inputs

const byte = fc.integer({ min: 0, max: 255 });
const data7 = fc.integer({ min: 0, max: 0x7f });
const sysex = (cmd: number, body: fc.Arbitrary<number[]>) => body.map((b) => [0xf0, cmd, ...b, 0xf7]);
/** A capability reply for `n` pins, each OUTPUT (1) + ANALOG (2) capable. */
const capabilities = fc.integer({ min: 0, max: 40 }).map((n) => [0xf0, 0x6c, ...Array.from({ length: n }, () => [0x01, 0x01, 0x02, 0x0a, 0x7f]).flat(), 0xf7]);

/** What a board sends (the simulator's encoders, written from the protocol), and the replies firmata.js throws on. */
const samples = [
  encodeReportVersion(2, 5),
  encodeFirmware(2, 5, 'StandardFirmata.ino'),
  encodeCapabilities(Array.from({ length: 20 }, () => [[1, 1], [3, 8]] as Array<[number, number]>)),
  encodeAnalogMapping(Array.from({ length: 20 }, (_, p) => (p >= 14 ? p - 14 : 127))),
  encodePinState(9, 1, 1),
  [0xf0, 0x6e, 0x7f, 0x01, 0x00, 0xf7],
  [0xf0, 0x79, 0xf7],
  [0xf0, 0x6a, ...Array.from({ length: 21 }, () => 0x7f), 0xf7],
].map((b) => Uint8Array.from(b));

/** Pieces the byte stream is built from: raw bytes and messages firmata.js acts on, well- and ill-formed. */
const piece = fc.oneof(
  { weight: 4, arbitrary: bytesFrom(samples, 40).map((b) => [...b]) },
  { weight: 4, arbitrary: fc.array(byte, { maxLength: 12 }) },
  { weight: 2, arbitrary: fc.constantFrom([0xf9, 0x02, 0x05], [0xf0, 0x79, 0xf7], [0xf0, 0x6e, 0x7f, 0x01, 0x00, 0xf7], [0xf0, 0xf7], [0xf7], [0xf0]) },
  { weight: 2, arbitrary: capabilities },
  { weight: 2, arbitrary: fc.tuple(fc.constantFrom(0x79, 0x6a, 0x6e, 0x6c, 0x71, 0x69, 0x6b, 0x77, 0x60, 0x61, 0x62, 0x72), fc.array(data7, { maxLength: 40 })).chain(([cmd, b]) => sysex(cmd, fc.constant(b))) },
  { weight: 2, arbitrary: fc.tuple(fc.constantFrom(0x90, 0x91, 0xe0, 0xe5, 0xf9), data7, data7).map(([s, a, b]) => [s, a, b]) },
  { weight: 1, arbitrary: fc.integer({ min: CAP - 4, max: CAP * 3 }).map((n) => [0xf0, ...Array.from({ length: n }, (_, i) => i & 0x7f)]) },
);

const input = fc
  .tuple(fc.boolean(), fc.array(piece, { maxLength: 30 }), fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 8 }))
  .map(([handshake, pieces, cuts]) => ({ bytes: Buffer.from([...(handshake ? [0xf9, 0x02, 0x05] : []), ...pieces.flat()]), cuts }));

/** A port that only ever receives what the test pushes. */
class FakePort extends EventEmitter {
  write(_data: Buffer, callback?: (err?: Error | null) => void): boolean {
    callback?.(null);
    return true;
  }
}

describe('fuzz: Firmata input path of the lane light', () => {
  it(`never throws, never holds more than the cap, firmata.js never throws (${RUNS} runs)`, () => {
    let faults = 0;
    let delivered = 0;
    fc.assert(
      fc.property(input, ({ bytes, cuts }) => {
        const port = new FakePort();
        const guard = new GuardedFirmataTransport(port, { maxSysexBytes: CAP });
        const io = new Firmata(guard, { reportVersionTimeout: 60_000 });
        io.on('error', () => undefined);
        guard.attach(io);
        const reasons: string[] = [];
        guard.onFault((r) => reasons.push(r));
        try {
          let at = 0;
          let k = 0;
          while (at < bytes.length) {
            const n = cuts[k++ % cuts.length]!;
            port.emit('data', bytes.subarray(at, at + n)); // the serial port's read callback
            at += n;
            // plain checks: jest's expect costs ~80 µs a call, too much per chunk
            if (guard.heldBytes > CAP) throw new Error(`holds ${guard.heldBytes} bytes, cap ${CAP}`);
            if (io.buffer.length !== 0) throw new Error(`firmata.js holds ${io.buffer.length} bytes between messages`);
          }
          const stats = guard.stats;
          if (stats.peakHeldBytes > CAP) throw new Error(`peak ${stats.peakHeldBytes} bytes, cap ${CAP}`);
          const thrown = reasons.filter((r) => /firmata\.js failed|input failed/.test(r));
          if (thrown.length > 0) throw new Error(`firmata.js threw: ${thrown.join('; ')}`);
          if (reasons.length !== stats.malformed + stats.overflows) throw new Error(`${reasons.length} faults reported, ${stats.malformed + stats.overflows} counted`);
          faults += reasons.length;
          delivered += stats.delivered;
        } finally {
          if (io.reportVersionTimeoutId) clearTimeout(io.reportVersionTimeoutId);
        }
      }),
      params,
    );
    // the generator does reach both sides: messages delivered and faults caught
    expect(delivered).toBeGreaterThan(0);
    expect(faults).toBeGreaterThan(0);
  });

  it('the default cap is what the driver uses, and a stream of nothing but sysex data stays within it', () => {
    const port = new FakePort();
    const guard = new GuardedFirmataTransport(port);
    const io = new Firmata(guard, { reportVersionTimeout: 60_000 });
    guard.attach(io);
    let overflows = 0;
    guard.onFault(() => overflows++);
    try {
      port.emit('data', Buffer.from([0xf0]));
      const chunk = Buffer.alloc(64 * 1024, 0x11);
      for (let i = 0; i < 160; i++) port.emit('data', chunk); // 10 MiB, no F7
      expect(guard.heldBytes).toBeLessThanOrEqual(DEFAULT_MAX_SYSEX_BYTES);
      expect(guard.stats.peakHeldBytes).toBeLessThanOrEqual(DEFAULT_MAX_SYSEX_BYTES);
      expect(overflows).toBe(1);
    } finally {
      if (io.reportVersionTimeoutId) clearTimeout(io.reportVersionTimeoutId);
    }
  });
});
