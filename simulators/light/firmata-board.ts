import { EventEmitter } from 'node:events';
import type { SerialPortStream } from '@serialport/stream';
import { SystemClock, type Clock, type TimerHandle } from '../../kernel/clock';
import { ptyCable } from '../cables';
import { openCablePort, type CableAccess, type SerialCable } from '../serial-cable';
import {
  FirmataParser,
  PIN_MODE,
  encodeAnalogMapping,
  encodeCapabilities,
  encodeDigitalPort,
  encodeFirmware,
  encodePinState,
  encodeReportVersion,
  type FirmataCommand,
} from './firmata-parser';
import type { FirmataBoardEvents, FirmataBoardOptions, PinSnapshot } from './firmata-board-options';
import { drives, readLight, type ColorPins, type PinChange, type SimulatedLight } from './tower-light';

export type { FirmataBoardEvents, FirmataBoardOptions, PinSnapshot } from './firmata-board-options';
export type { ColorName, ColorPins, PinChange, SimulatedLight } from './tower-light';

/**
 * A simulated Arduino Uno running StandardFirmata 2.5, speaking the real protocol bytes on the device end of a
 * simulated serial cable (a pty pair or an in-process link, opened with serialport v13), with a lane tower light wired to three digital pins.
 *
 * What it does, as StandardFirmata does:
 * - On power-up (`start()`, `replug()`) every digital pin is OUTPUT low, pins 14–19 are ANALOG, and the board
 *   announces itself unsolicited with REPORT_VERSION (F9 02 05) and REPORT_FIRMWARE (F0 79 02 05 name F7).
 * - Answers REPORT_VERSION, REPORT_FIRMWARE, CAPABILITY_QUERY, ANALOG_MAPPING_QUERY and PIN_STATE_QUERY.
 * - Applies SET_PIN_MODE, DIGITAL_MESSAGE (to OUTPUT pins of the port), SET_DIGITAL_PIN_VALUE, ANALOG_MESSAGE and
 *   EXTENDED_ANALOG (to PWM pins), REPORT_DIGITAL / REPORT_ANALOG (flags; enabling a digital port reports it once),
 *   SAMPLING_INTERVAL, SYSTEM_RESET. Unknown sysex commands are ignored; garbage bytes are skipped (see the parser).
 *
 * The light is read from the colour pins as `tower-light.ts` describes (lit, blinking, mixed).
 */

const HISTORY_MS = 5000;

interface PinRecord {
  mode: number;
  value: number;
  changedAt: number;
  history: PinChange[];
}

export class FirmataBoard extends EventEmitter<FirmataBoardEvents> {
  readonly colorPins: ColorPins;
  /** Host commands answered or applied since construction, by type (for tests and diagnostics). */
  readonly received = new Map<FirmataCommand['type'], number>();
  private readonly clock: Clock;
  private readonly pinCount: number;
  private readonly analogPins: number[];
  private readonly pwmPins: Set<number>;
  private readonly firmwareName: string;
  private readonly version: { major: number; minor: number };
  private readonly announce: boolean;
  private readonly blinkWindowMs: number;
  private readonly blinkMinChanges: number;
  private readonly parser = new FirmataParser();
  private pinState: PinRecord[] = [];
  private reportDigital = new Set<number>();
  private reportAnalog = new Set<number>();
  private samplingMs = 19;
  private lastLight: SimulatedLight = { color: 'off', mode: 'steady' };
  private lightTimer: TimerHandle | null = null;
  private pair: SerialCable | null;
  private readonly ownsPair: boolean;
  private port: SerialPortStream | null = null;
  private responding = true;
  /** Bytes the board "sent", when no port is attached (unit tests drive `receive()` directly). */
  private readonly sink: ((bytes: Buffer) => void) | null;

  constructor(opts: FirmataBoardOptions = {}, sink?: (bytes: Buffer) => void) {
    super();
    this.colorPins = { green: 9, yellow: 10, red: 11, ...opts.pins };
    this.clock = opts.clock ?? new SystemClock();
    this.pinCount = opts.pinCount ?? 20;
    this.analogPins = opts.analogPins ?? [14, 15, 16, 17, 18, 19];
    this.pwmPins = new Set(opts.pwmPins ?? []);
    this.firmwareName = opts.firmwareName ?? 'StandardFirmata.ino';
    this.version = opts.version ?? { major: 2, minor: 5 };
    this.announce = opts.announce ?? true;
    this.blinkWindowMs = opts.blinkWindowMs ?? 1500;
    this.blinkMinChanges = opts.blinkMinChanges ?? 3;
    this.pair = opts.pair ?? null;
    this.ownsPair = !opts.pair;
    this.sink = sink ?? null;
    this.powerUp();
  }

  /** Creates (or uses) a cable, opens its device end and powers the board up. The driver opens `hostPath`. */
  static async start(opts: FirmataBoardOptions = {}): Promise<FirmataBoard> {
    const board = new FirmataBoard(opts);
    board.pair = opts.pair ?? (await (opts.cable ?? ptyCable)('firmata'));
    await board.openPort();
    return board;
  }

  /** The path the driver opens (the host end of the cable). */
  get hostPath(): string {
    if (!this.pair) throw new Error('FirmataBoard has no pty pair (constructed without start())');
    return this.pair.hostPath;
  }

  /** How the driver reaches `hostPath`: the OS for a pty pair, the link itself for an in-process link. */
  get hostAccess(): CableAccess {
    if (!this.pair) throw new Error('FirmataBoard has no cable (constructed without start())');
    return this.pair.access;
  }

  get plugged(): boolean {
    return this.port !== null;
  }

  // ---- inspection ----

  pins(): PinSnapshot[] {
    const now = this.clock.now();
    return this.pinState.map((p, pin) => ({
      pin,
      mode: p.mode,
      value: p.value,
      changedAt: p.changedAt,
      history: p.history.filter((h) => now - h.at <= HISTORY_MS),
      reporting: this.reportDigital.has(pin >> 3),
    }));
  }

  pin(n: number): PinSnapshot {
    const p = this.pins()[n];
    if (!p) throw new RangeError(`no pin ${n}`);
    return p;
  }

  /** Pins currently driven high (OUTPUT or PWM with value > 0). */
  highPins(): number[] {
    return this.pinState.flatMap((p, pin) => (drives(p) && p.value > 0 ? [pin] : []));
  }

  light(): SimulatedLight {
    return readLight(this.pinState, this.colorPins, this.clock.now(), { blinkWindowMs: this.blinkWindowMs, blinkMinChanges: this.blinkMinChanges });
  }

  samplingInterval(): number {
    return this.samplingMs;
  }

  analogReporting(): number[] {
    return [...this.reportAnalog].sort((a, b) => a - b);
  }

  /** Resolves when `light()` equals `want` (polling every 20 ms), rejects after `timeoutMs`. */
  async waitForLight(want: SimulatedLight, timeoutMs = 3000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const got = this.light();
      if (got.color === want.color && got.mode === want.mode) return;
      if (Date.now() > deadline) throw new Error(`light is ${got.mode} ${got.color}, wanted ${want.mode} ${want.color} (pins high: ${this.highPins().join(',') || 'none'})`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  // ---- control ----

  /** Stop answering (the board hangs or runs other firmware); commands are still parsed and applied. */
  setResponding(on: boolean): void {
    this.responding = on;
  }

  /** Pull the USB cable: the pty pair disappears (the driver sees its port close); the board loses power. */
  async unplug(): Promise<void> {
    await this.closePort();
    await this.pair?.unplug();
    this.powerUp(); // a USB-powered board goes dark with the cable: every pin low until it is plugged in again
    this.emit('plugged', false);
  }

  /** Plug it back in: the pair reappears, the board powers up from scratch (all pins low) and announces itself. */
  async replug(): Promise<void> {
    if (!this.pair) throw new Error('FirmataBoard has no pty pair');
    await this.pair.replug();
    this.powerUp();
    await this.openPort();
    this.emit('plugged', true);
  }

  async close(): Promise<void> {
    if (this.lightTimer) this.clock.clearTimeout(this.lightTimer);
    this.lightTimer = null;
    await this.closePort();
    if (this.ownsPair) await this.pair?.close();
  }

  /**
   * Puts `bytes` on the wire to the host exactly as given, whether the board is responding or not: line noise,
   * malformed replies, a sysex that never ends. Resolves when the bytes are handed to the pty (or the port closes).
   */
  sendRaw(bytes: Uint8Array): Promise<void> {
    const port = this.port;
    if (!port) return Promise.reject(new Error('simulated Firmata board is unplugged'));
    return new Promise<void>((resolve) => {
      port.write(Buffer.from(bytes), () => port.drain(() => resolve()));
    });
  }

  /** Feeds bytes as if they arrived from the host (the port's data handler calls this). */
  receive(chunk: Uint8Array): void {
    for (const cmd of this.parser.push(chunk)) {
      this.received.set(cmd.type, (this.received.get(cmd.type) ?? 0) + 1);
      this.emit('command', cmd);
      this.apply(cmd);
    }
  }

  /** Garbage bytes skipped by the parser so far. */
  get skippedBytes(): number {
    return this.parser.skipped;
  }

  // ---- internals ----

  private powerUp(): void {
    const now = this.clock.now();
    this.parser.reset();
    this.reportDigital.clear();
    this.reportAnalog.clear();
    this.samplingMs = 19;
    this.pinState = Array.from({ length: this.pinCount }, (_, pin) => ({
      mode: this.analogPins.includes(pin) ? PIN_MODE.ANALOG : PIN_MODE.OUTPUT,
      value: 0,
      changedAt: now,
      history: [],
    }));
    this.updateLight();
  }

  private async openPort(): Promise<void> {
    if (!this.pair) return;
    const port = await openCablePort(this.pair.access, { path: this.pair.devicePath, baudRate: 57600, lock: false });
    port.on('data', (chunk: Buffer) => this.receive(chunk));
    // a write in flight when the board's own port closes (unplug) fails: only worth an event if someone listens
    port.on('error', (err) => {
      if (this.listenerCount('error') > 0) this.emit('error', err);
    });
    port.on('close', () => {
      if (this.port === port) this.port = null;
    });
    this.port = port;
    if (this.announce) this.send([...encodeReportVersion(this.version.major, this.version.minor), ...encodeFirmware(this.version.major, this.version.minor, this.firmwareName)]);
  }

  private async closePort(): Promise<void> {
    const port = this.port;
    this.port = null;
    if (!port || !port.isOpen) return;
    await new Promise<void>((resolve) => port.close(() => resolve()));
  }

  private send(bytes: number[]): void {
    if (!this.responding) return;
    const buf = Buffer.from(bytes);
    if (this.sink) this.sink(buf);
    else this.port?.write(buf);
  }

  private setValue(pin: number, value: number): void {
    const p = this.pinState[pin];
    if (!p || p.value === value) return;
    const now = this.clock.now();
    p.value = value;
    p.changedAt = now;
    p.history.push({ at: now, value });
    while (p.history.length > 0 && now - p.history[0]!.at > HISTORY_MS) p.history.shift();
    this.emit('pin', pin, { at: now, value });
    this.updateLight();
  }

  /** Re-derives the light, emits `light` on change, and re-checks later while a blink may start or expire. */
  private updateLight(): void {
    const now = this.light();
    if (now.color !== this.lastLight.color || now.mode !== this.lastLight.mode) {
      this.lastLight = now;
      this.emit('light', now);
    }
    if (this.lightTimer) this.clock.clearTimeout(this.lightTimer);
    this.lightTimer = null;
    const t = this.clock.now();
    const active = Object.values(this.colorPins).some((pin) => {
      const p = this.pinState[pin];
      return p !== undefined && p.history.length > 0 && t - p.history[p.history.length - 1]!.at <= this.blinkWindowMs;
    });
    if (active) this.lightTimer = this.clock.setTimeout(() => this.updateLight(), 50);
  }

  private apply(cmd: FirmataCommand): void {
    switch (cmd.type) {
      case 'reportVersion':
        this.send(encodeReportVersion(this.version.major, this.version.minor));
        return;
      case 'queryFirmware':
        this.send(encodeFirmware(this.version.major, this.version.minor, this.firmwareName));
        return;
      case 'capabilityQuery':
        this.send(encodeCapabilities(this.pinState.map((_, pin) => this.capabilities(pin))));
        return;
      case 'analogMappingQuery':
        this.send(encodeAnalogMapping(this.pinState.map((_, pin) => (this.analogPins.includes(pin) ? this.analogPins.indexOf(pin) : 0x7f))));
        return;
      case 'pinStateQuery': {
        const p = this.pinState[cmd.pin];
        if (p) this.send(encodePinState(cmd.pin, p.mode, p.value));
        return;
      }
      case 'setPinMode': {
        const p = this.pinState[cmd.pin];
        if (!p) return;
        const supported = this.capabilities(cmd.pin).some(([m]) => m === cmd.mode) || cmd.mode === PIN_MODE.IGNORE;
        if (!supported) return; // StandardFirmata ignores a mode the pin does not have
        p.mode = cmd.mode;
        // StandardFirmata: switching to an output mode starts low; to INPUT clears the pull-up
        if (cmd.mode === PIN_MODE.OUTPUT || cmd.mode === PIN_MODE.PWM || cmd.mode === PIN_MODE.INPUT) this.setValue(cmd.pin, 0);
        this.updateLight();
        return;
      }
      case 'digitalMessage':
        for (let bit = 0; bit < 8; bit++) {
          const pin = cmd.port * 8 + bit;
          const p = this.pinState[pin];
          if (p && p.mode === PIN_MODE.OUTPUT) this.setValue(pin, (cmd.value >> bit) & 1);
        }
        return;
      case 'setDigitalPinValue': {
        const p = this.pinState[cmd.pin];
        if (p && p.mode === PIN_MODE.OUTPUT) this.setValue(cmd.pin, cmd.value ? 1 : 0);
        return;
      }
      case 'analogMessage':
      case 'extendedAnalog': {
        const p = this.pinState[cmd.pin];
        if (p && p.mode === PIN_MODE.PWM) this.setValue(cmd.pin, cmd.value);
        return;
      }
      case 'reportDigital':
        if (cmd.enable) {
          this.reportDigital.add(cmd.port);
          // StandardFirmata reports the port's inputs once when reporting is switched on
          this.send(encodeDigitalPort(cmd.port, this.inputPortValue(cmd.port)));
        } else this.reportDigital.delete(cmd.port);
        return;
      case 'reportAnalog':
        if (cmd.enable) this.reportAnalog.add(cmd.channel);
        else this.reportAnalog.delete(cmd.channel);
        return;
      case 'samplingInterval':
        this.samplingMs = Math.max(1, cmd.ms);
        return;
      case 'systemReset':
        this.powerUp();
        return;
      case 'stringData':
      case 'sysex':
        return;
    }
  }

  private inputPortValue(port: number): number {
    let v = 0;
    for (let bit = 0; bit < 8; bit++) {
      const p = this.pinState[port * 8 + bit];
      if (p && (p.mode === PIN_MODE.INPUT || p.mode === PIN_MODE.PULLUP) && p.value) v |= 1 << bit;
    }
    return v;
  }

  /** (mode, resolution) pairs this pin advertises. */
  private capabilities(pin: number): Array<[number, number]> {
    const caps: Array<[number, number]> = [
      [PIN_MODE.INPUT, 1],
      [PIN_MODE.OUTPUT, 1],
      [PIN_MODE.PULLUP, 1],
    ];
    if (this.analogPins.includes(pin)) caps.push([PIN_MODE.ANALOG, 10]);
    if (this.pwmPins.has(pin)) caps.push([PIN_MODE.PWM, 8]);
    return caps;
  }
}
