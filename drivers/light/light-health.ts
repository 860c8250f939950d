import type { Clock } from '../../kernel/clock';
import { KioskError } from '../../kernel/errors';
import type { HealthResult, LifecycleState } from '../contract/device';
import type { LightState } from '../contract/light';
import { atLeast } from '../common/lifecycle';
import { LAMP_COLORS, type FirmataLink, type FirmwareInfo, type LightPins } from './firmata-link';
import { COLORS, MODES, label } from './light-state';

type Outcome = Omit<HealthResult, 'level'>;

/** internal: the state is valid, the pins differ, and the lamps the link drives are the ones the state says. */
export function lampsConsistent(s: LightState, pins: LightPins, lifecycle: LifecycleState, link: FirmataLink | null, detail: string | undefined): Outcome {
  const fail = (reason: string): Outcome => ({ ok: false, reason });
  if (!COLORS.includes(s.color) || !MODES.includes(s.mode)) return fail(`invalid state ${JSON.stringify(s)}`);
  if (s.color === 'off' && s.mode !== 'steady') return fail('state off must be steady');
  const pinList = Object.values(pins);
  if (new Set(pinList).size !== pinList.length) return fail('two lamps share a pin');
  if (!atLeast(lifecycle, 'claimed')) {
    if (link) return fail(`a link is open while ${lifecycle}`);
    return { ok: true, reason: `${lifecycle}, light ${label(s)} (not connected)` };
  }
  if (!link) return { ok: true, reason: `${lifecycle}, link down (${detail ?? 'reconnecting'}), will re-apply ${label(s)}` };
  const { lit, blinking } = link.view();
  const want = s.color === 'off' ? { lit: [], blinking: [] } : s.mode === 'blink' ? { lit: [], blinking: [s.color] } : { lit: [s.color], blinking: [] };
  const same = (a: string[], b: string[]): boolean => a.length === b.length && a.every((x) => b.includes(x));
  if (!same(lit, want.lit) || !same(blinking, want.blinking)) {
    return fail(`lamps hold lit=[${lit.join(',')}] blinking=[${blinking.join(',')}] but the state is ${label(s)}`);
  }
  return { ok: true, reason: `${lifecycle}, light ${label(s)}, lamps consistent` };
}

/**
 * external: REPORT_VERSION and the firmware query answer, and the board's own pin states (PIN_STATE_QUERY) are
 * what `s` says — a blinking lamp may be in either phase, every other lamp must read exactly what was written.
 * `onFirmware` gets what the board reported; `stillCurrent` says whether the link is still the driver's after the
 * round trips.
 */
export async function boardAgrees(
  link: FirmataLink,
  state: () => LightState,
  pins: LightPins,
  timeoutMs: number,
  clock: Clock,
  hooks: { onFirmware(fw: FirmwareInfo): void; stillCurrent(): boolean },
): Promise<Outcome> {
  const t0 = clock.now();
  await link.ping(timeoutMs);
  const fw = await link.queryFirmware(timeoutMs);
  const ms = clock.now() - t0;
  hooks.onFirmware(fw);
  const read = await link.readPins(timeoutMs);
  if (!hooks.stillCurrent()) throw new KioskError('DEVICE_OFFLINE', 'link lost during the check');
  const s = state();
  for (const c of LAMP_COLORS) {
    if (s.color === c && s.mode === 'blink') continue;
    const expectOn = s.color === c;
    if ((read[c] > 0) !== expectOn) {
      return { ok: false, code: 'PROTOCOL', reason: `board reports ${c} pin ${pins[c]} = ${read[c]}, expected ${expectOn ? 'on' : 'off'} for ${label(s)}` };
    }
  }
  return { ok: true, reason: `${fw.name} ${fw.version} (Firmata ${fw.protocol}) answered in ${ms} ms; pins match ${label(s)}` };
}

/**
 * interactive: shows steady green, asks a person, then puts the light back as it was whatever the answer (`restore`
 * handles a link that dropped meanwhile).
 */
export async function personSeesGreen(
  prompt: (text: string) => Promise<boolean>,
  set: (s: LightState) => Promise<void>,
  restore: () => Promise<void>,
): Promise<Outcome> {
  await set({ color: 'green', mode: 'steady' });
  let answer: boolean;
  try {
    answer = await prompt('Is the lane light steady GREEN now, with yellow and red off?');
  } finally {
    await restore();
  }
  return answer
    ? { ok: true, reason: 'a person confirmed steady green' }
    : { ok: false, reason: 'a person did not see steady green (lamp, wiring or pin configuration fault)' };
}
