import { KioskError } from '../../kernel/errors';
import { cableMaker } from '../../simulators/cables';
import { findOnPath } from '../../kernel/path-presence';
import type { CableMaker } from '../../simulators/serial-cable';
import type { DeviceContext } from './types';

/** The one line a kiosk in pty mode without socat prints (exit 1, no stack). */
export const SOCAT_MISSING = 'simulated devices in pty mode need socat — install it: apt-get install socat (or set devices.simulatedLink to "in-process")';

/**
 * The cable the simulated devices sit on (`devices.simulatedLink`): in-process links by default — nothing beyond
 * `npm install` — or socat pty pairs, checked for up front so a missing socat is one clear line, not a stack.
 */
export function simulatedCable(ctx: DeviceContext, pathVar = process.env.PATH): CableMaker {
  const kind = ctx.config.devices.simulatedLink;
  if (kind === 'pty' && !findOnPath('socat', pathVar)) throw new KioskError('DEVICE_OFFLINE', SOCAT_MISSING, { tool: 'socat' });
  return cableMaker(kind);
}
