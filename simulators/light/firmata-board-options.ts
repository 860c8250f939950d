import type { Clock } from '../../kernel/clock';
import type { CableMaker, SerialCable } from '../serial-cable';
import type { FirmataCommand } from './firmata-parser';
import type { ColorPins, PinChange, SimulatedLight } from './tower-light';

export interface PinSnapshot {
  pin: number;
  /** Firmata mode number (0 INPUT, 1 OUTPUT, 2 ANALOG, 3 PWM, …). */
  mode: number;
  /** Last written value: 0/1 for OUTPUT, 0–255 for PWM. */
  value: number;
  /** Clock ms of the last value change (or of power-up). */
  changedAt: number;
  /** Value changes within the last `historyMs` (oldest first). */
  history: PinChange[];
  /** REPORT_DIGITAL enabled for this pin's port. */
  reporting: boolean;
}

export interface FirmataBoardOptions {
  pins?: Partial<ColorPins>;
  /** Pins 0..pinCount-1 exist (Uno: 20). */
  pinCount?: number;
  /** Pins reported as analog-capable, mapped to channels 0.. in order (Uno: 14–19). */
  analogPins?: number[];
  /** Pins that advertise PWM capability (a real Uno: 3, 5, 6, 9, 10, 11). Default none: digital output only. */
  pwmPins?: number[];
  firmwareName?: string;
  version?: { major: number; minor: number };
  /** Send REPORT_VERSION + firmware on power-up, as StandardFirmata does after a reset. Default true. */
  announce?: boolean;
  blinkWindowMs?: number;
  blinkMinChanges?: number;
  clock?: Clock;
  /** Use this cable (a pty pair or an in-process link) instead of creating one (the simulator then does not close it). */
  pair?: SerialCable;
  /** The kind of cable `start()` creates when no `pair` is given: a socat pty pair (default) or `inProcessCable`. */
  cable?: CableMaker;
}

export type FirmataBoardEvents = {
  /** A pin's value changed. */
  pin: [number, PinChange];
  /** The derived light changed. */
  light: [SimulatedLight];
  /** Every command parsed from the host. */
  command: [FirmataCommand];
  plugged: [boolean];
  error: [Error];
};
