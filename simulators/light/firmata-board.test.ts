import { EventEmitter } from 'node:events';
import { Firmata } from '../../drivers/light/firmata-io';
import { SimulatedClock } from '../../kernel/clock';
import { FirmataBoard, type FirmataBoardOptions, type SimulatedLight } from './firmata-board';

/** A board with no port: what it sends is collected, bytes from the host are fed with receive(). */
function bench(opts: FirmataBoardOptions = {}) {
  const clock = new SimulatedClock();
  const sent: number[] = [];
  const board = new FirmataBoard({ clock, ...opts }, (b) => sent.push(...b));
  const lights: SimulatedLight[] = [];
  board.on('light', (l) => lights.push(l));
  const take = (): number[] => sent.splice(0, sent.length);
  return { clock, board, take, lights };
}

describe('FirmataBoard (in memory)', () => {
  it('answers REPORT_VERSION and REPORT_FIRMWARE with StandardFirmata 2.5', () => {
    const { board, take } = bench();
    board.receive(Buffer.from([0xf9]));
    expect(take()).toEqual([0xf9, 2, 5]);
    board.receive(Buffer.from([0xf0, 0x79, 0xf7]));
    const name = [...Buffer.from('StandardFirmata.ino')].flatMap((c) => [c, 0]);
    expect(take()).toEqual([0xf0, 0x79, 2, 5, ...name, 0xf7]);
  });

  it('reports digital output capability on pins 0–19, analog on 14–19, PWM only where configured', () => {
    const { board, take } = bench({ pwmPins: [9] });
    board.receive(Buffer.from([0xf0, 0x6b, 0xf7]));
    const bytes = take();
    expect(bytes.slice(0, 2)).toEqual([0xf0, 0x6c]);
    expect(bytes[bytes.length - 1]).toBe(0xf7);
    // split the body into per-pin (mode, resolution) lists
    const pins: Array<Array<[number, number]>> = [[]];
    const body = bytes.slice(2, -1);
    for (let i = 0; i < body.length; ) {
      if (body[i] === 0x7f) {
        pins.push([]);
        i++;
      } else {
        pins[pins.length - 1]!.push([body[i]!, body[i + 1]!]);
        i += 2;
      }
    }
    pins.pop();
    expect(pins).toHaveLength(20);
    for (const modes of pins) expect(modes).toContainEqual([1, 1]); // OUTPUT, 1 bit
    expect(pins[9]).toContainEqual([3, 8]); // PWM, 8 bits
    expect(pins[10]!.some(([m]) => m === 3)).toBe(false);
    expect(pins[14]).toContainEqual([2, 10]); // ANALOG, 10 bits
    expect(pins[13]!.some(([m]) => m === 2)).toBe(false);
  });

  it('answers ANALOG_MAPPING_QUERY and PIN_STATE_QUERY', () => {
    const { board, take } = bench();
    board.receive(Buffer.from([0xf0, 0x69, 0xf7]));
    expect(take()).toEqual([0xf0, 0x6a, ...Array(14).fill(0x7f), 0, 1, 2, 3, 4, 5, 0xf7]);
    board.receive(Buffer.from([0xf4, 9, 1, 0xf5, 9, 1, 0xf0, 0x6d, 9, 0xf7]));
    expect(take()).toEqual([0xf0, 0x6e, 9, 1, 1, 0xf7]);
    board.receive(Buffer.from([0xf0, 0x6d, 99, 0xf7])); // no such pin: StandardFirmata stays silent
    expect(take()).toEqual([]);
  });

  it('applies DIGITAL_MESSAGE to the OUTPUT pins of the port only, and SET_DIGITAL_PIN_VALUE', () => {
    const { board, clock } = bench();
    board.receive(Buffer.from([0xf4, 8, 0])); // pin 8 INPUT
    clock.advance(10);
    board.receive(Buffer.from([0x91, 0x07, 0x00])); // port 1 = pins 8..15: bits 0,1,2 → pins 8,9,10
    expect(board.highPins()).toEqual([9, 10]);
    expect(board.pin(9)).toMatchObject({ mode: 1, value: 1, changedAt: clock.now() });
    expect(board.pin(8).value).toBe(0);
    board.receive(Buffer.from([0xf5, 10, 0, 0xf5, 11, 1]));
    expect(board.highPins()).toEqual([9, 11]);
    expect(board.pin(10).history.map((h) => h.value)).toEqual([1, 0]);
  });

  it('applies ANALOG_MESSAGE to PWM pins (a real Uno drives LEDs on 9/10/11 by PWM)', () => {
    const { board } = bench({ pwmPins: [9, 10, 11] });
    board.receive(Buffer.from([0xf4, 9, 3, 0xe9, 0x7f, 0x01]));
    expect(board.pin(9)).toMatchObject({ mode: 3, value: 255 });
    expect(board.light()).toEqual({ color: 'green', mode: 'steady' });
    board.receive(Buffer.from([0xf4, 12, 3])); // pin 12 has no PWM: ignored
    expect(board.pin(12).mode).toBe(1);
  });

  it('tracks REPORT_DIGITAL / REPORT_ANALOG / SAMPLING_INTERVAL and resets on SYSTEM_RESET', () => {
    const { board, take } = bench();
    board.receive(Buffer.from([0xd1, 1, 0xc2, 1, 0xf0, 0x7a, 0x64, 0x00, 0xf7]));
    expect(take()).toEqual([0x91, 0, 0]); // enabling a port reports its inputs once
    expect(board.pin(9).reporting).toBe(true);
    expect(board.analogReporting()).toEqual([2]);
    expect(board.samplingInterval()).toBe(100);
    board.receive(Buffer.from([0xf5, 9, 1, 0xff]));
    expect(board.highPins()).toEqual([]);
    expect(board.pin(9).reporting).toBe(false);
    expect(board.analogReporting()).toEqual([]);
  });

  it('skips garbage and keeps answering', () => {
    const { board, take } = bench();
    board.receive(Buffer.from([0x00, 0x13, 0xf7, 0xa5, 0xf0, 0x79, 0x91, 0xf9]));
    expect(take()).toEqual([0xf9, 2, 5]);
    expect(board.skippedBytes).toBeGreaterThan(0);
  });

  describe('light()', () => {
    const on = (pin: number, v: number) => Buffer.from([0xf5, pin, v]);

    it('reads steady colours, off and mixed', () => {
      const { board, lights } = bench();
      expect(board.light()).toEqual({ color: 'off', mode: 'steady' });
      board.receive(on(11, 1));
      expect(board.light()).toEqual({ color: 'red', mode: 'steady' });
      board.receive(on(9, 1));
      expect(board.light()).toEqual({ color: 'mixed', mode: 'steady' });
      board.receive(on(11, 0));
      board.receive(on(9, 0));
      expect(board.light()).toEqual({ color: 'off', mode: 'steady' });
      expect(lights.map((l) => l.color)).toEqual(['red', 'mixed', 'green', 'off']);
    });

    it('detects a blink at its third change, not at "on then off", and drops it soon after it stops', () => {
      const { board, clock } = bench();
      board.receive(on(10, 1));
      clock.advance(500);
      board.receive(on(10, 0)); // two changes: a colour that was switched off, not a blink
      expect(board.light()).toEqual({ color: 'off', mode: 'steady' });
      clock.advance(500);
      board.receive(on(10, 1));
      expect(board.light()).toEqual({ color: 'yellow', mode: 'blink' });
      clock.advance(500);
      board.receive(on(10, 0));
      expect(board.light()).toEqual({ color: 'yellow', mode: 'blink' }); // off phase of the blink
      clock.advance(400);
      expect(board.light()).toEqual({ color: 'yellow', mode: 'blink' }); // the next change is due
      clock.advance(200); // 600 ms without a change: only 2 changes left in the 1.5 s window
      expect(board.light()).toEqual({ color: 'off', mode: 'steady' });
    });

    it('does not take a colour switched on, off and on again by separate commands for a blink', () => {
      const { board, clock } = bench();
      board.receive(on(9, 1));
      clock.advance(30);
      board.receive(on(9, 0));
      clock.advance(200);
      board.receive(on(9, 1));
      expect(board.light()).toEqual({ color: 'green', mode: 'steady' });
    });

    it('does not see a blink slower than the window allows (half-period 800 ms > 1500 / 2)', () => {
      const { board, clock } = bench();
      for (let i = 0; i < 6; i++) {
        board.receive(on(9, i % 2 === 0 ? 1 : 0));
        clock.advance(800);
        expect(board.light().mode).toBe('steady');
      }
    });

    it('emits light events as blink starts and stops, on its own timer', () => {
      const { board, clock, lights } = bench({ blinkWindowMs: 1000 });
      for (let i = 0; i < 4; i++) {
        board.receive(on(11, i % 2 === 0 ? 1 : 0));
        clock.advance(200);
      }
      clock.advance(1000);
      expect(lights).toEqual([
        { color: 'red', mode: 'steady' },
        { color: 'off', mode: 'steady' }, // the first off phase: indistinguishable from "switched off" yet
        { color: 'red', mode: 'blink' },
        { color: 'off', mode: 'steady' }, // stopped: 1.5 half-periods after the last change
      ]);
    });
  });

  it('brings firmata.js (the library johnny-five uses) to ready over an in-memory line', async () => {
    const board = new FirmataBoard({}, (bytes) => setImmediate(() => transport.emit('data', bytes)));
    const transport = Object.assign(new EventEmitter(), {
      write(data: Buffer, cb?: () => void) {
        setImmediate(() => {
          board.receive(data);
          cb?.();
        });
        return true;
      },
    });
    const io = new Firmata(transport, { reportVersionTimeout: 10 });
    await new Promise<void>((resolve) => io.once('ready', () => resolve()));
    expect(io.firmware.name).toBe('StandardFirmata.ino');
    expect(io.pins).toHaveLength(20);
    expect(io.pins[9]!.supportedModes).toContain(io.MODES.OUTPUT);
    expect(io.pins[14]!.analogChannel).toBe(0);
    expect(board.received.get('capabilityQuery')).toBe(1);
  });
});
