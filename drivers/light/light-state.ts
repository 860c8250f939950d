import type { LightColor, LightMode, LightState } from '../contract/light';

/** What the light shows when nothing was set, and after a board powers up. */
export const OFF: LightState = Object.freeze({ color: 'off', mode: 'steady' });
export const COLORS: readonly LightColor[] = ['green', 'yellow', 'red', 'off'];
export const MODES: readonly LightMode[] = ['steady', 'blink'];

/** A state in words: "off", "steady green", "blink red". */
export function label(s: LightState): string {
  return s.color === 'off' ? 'off' : `${s.mode} ${s.color}`;
}
