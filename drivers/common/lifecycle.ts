import type { LifecycleState } from '../contract/device';
import { KioskError } from '../../kernel/errors';

/**
 * The one lifecycle table of drivers/ and the checks every driver makes with it; the rules themselves are written
 * once, in drivers/contract/device.ts ("Lifecycle").
 */
const RANK: Record<LifecycleState, number> = { closed: 0, opened: 1, claimed: 2, enabled: 3 };

/** `state` is `target` or above it (e.g. `atLeast('enabled', 'claimed')`). */
export function atLeast(state: LifecycleState, target: LifecycleState): boolean {
  return RANK[state] >= RANK[target];
}

/** The state one step below `target` that a call going up to `target` starts from. */
const BELOW: Record<Exclude<LifecycleState, 'closed'>, LifecycleState> = { opened: 'closed', claimed: 'opened', enabled: 'claimed' };

/**
 * Going up to `target` from `state`: `'done'` when the device is already there or above (the call is idempotent),
 * `'step'` when the call must run; throws `DEVICE_STATE` when a step below is missing (e.g. `enable()` of an
 * opened device).
 */
export function stepUp(who: string, call: string, state: LifecycleState, target: Exclude<LifecycleState, 'closed'>): 'done' | 'step' {
  if (atLeast(state, target)) return 'done';
  const from = BELOW[target];
  if (state === from) return 'step';
  throw new KioskError('DEVICE_STATE', `${who}: ${call}() needs the device ${from}, it is ${state}`, { state, lifecycle: state, call, needs: from });
}
