/**
 * How the simulated board's tower light is read from its pins.
 *
 * A colour is *lit* when its pin is in OUTPUT or PWM mode with a value > 0. A colour is *blinking* when its pin
 * toggles periodically: its last `blinkMinChanges` value changes (default 3, i.e. on-off-on or off-on-off — two
 * changes are just "was on, now off") all lie within the last `blinkWindowMs` (default 1500 ms), are evenly spaced
 * (longest gap ≤ 1.5 × shortest, so a colour switched on, off and on again by separate commands does not count) and
 * the last one is no older than 1.5 × the longest gap (it is still toggling). So a blink with a half-period of
 * 500 ms is recognised at its third change (≤ 1 s after it starts), any half-period up to 750 ms can be
 * recognised, and a stopped blink reads steady/off again at most 1.5 half-periods after its last change (until then
 * the old colour can make the light read `mixed`; poll with `waitForLight`). The first off phase of a new blink
 * reads as `off`.
 * The light is `{color, mode:'blink'}` when exactly one colour blinks and no other colour is lit or blinking,
 * `{color, mode:'steady'}` when exactly one colour is lit and none blinks, `off` when nothing is lit or blinking,
 * and `mixed` otherwise (more than one colour on — a wiring or driver fault).
 */
import { PIN_MODE } from './firmata-parser';

export type ColorName = 'green' | 'yellow' | 'red';
export interface ColorPins {
  green: number;
  yellow: number;
  red: number;
}

export interface SimulatedLight {
  color: ColorName | 'off' | 'mixed';
  mode: 'steady' | 'blink';
}

export interface PinChange {
  at: number;
  value: number;
}

/** What the light reading needs of a pin. */
export interface LightPin {
  mode: number;
  value: number;
  history: PinChange[];
}

export interface BlinkRule {
  blinkWindowMs: number;
  blinkMinChanges: number;
}

/** The pin drives its output (OUTPUT or PWM). */
export function drives(p: LightPin): boolean {
  return p.mode === PIN_MODE.OUTPUT || p.mode === PIN_MODE.PWM;
}

function isBlinking(p: LightPin, now: number, rule: BlinkRule): boolean {
  const n = Math.max(2, rule.blinkMinChanges);
  const last = p.history.filter((h) => now - h.at <= rule.blinkWindowMs).slice(-n);
  if (last.length < n) return false;
  let maxGap = 0;
  let minGap = Infinity;
  for (let i = 1; i < last.length; i++) {
    const gap = last[i]!.at - last[i - 1]!.at;
    maxGap = Math.max(maxGap, gap);
    minGap = Math.min(minGap, gap);
  }
  if (minGap <= 0 || maxGap > minGap * 1.5) return false; // not periodic
  return now - last[last.length - 1]!.at <= maxGap * 1.5;
}

export function readLight(pins: readonly LightPin[], colorPins: ColorPins, now: number, rule: BlinkRule): SimulatedLight {
  const lit: ColorName[] = [];
  const blinking: ColorName[] = [];
  for (const color of ['green', 'yellow', 'red'] as const) {
    const p = pins[colorPins[color]];
    if (!p || !drives(p)) continue;
    if (isBlinking(p, now, rule)) blinking.push(color);
    else if (p.value > 0) lit.push(color);
  }
  if (blinking.length === 1 && lit.length === 0) return { color: blinking[0]!, mode: 'blink' };
  if (blinking.length === 0 && lit.length === 1) return { color: lit[0]!, mode: 'steady' };
  if (blinking.length === 0 && lit.length === 0) return { color: 'off', mode: 'steady' };
  return { color: 'mixed', mode: blinking.length > 0 ? 'blink' : 'steady' };
}
