import { InProcessLink } from './in-process-link';
import { PtyPair } from './pty-pair';
import type { CableMaker } from './serial-cable';

/** Which cable a simulated device sits on: a socat pty pair (real ttys) or an in-process link (no system binary). */
export type CableKind = 'pty' | 'in-process';

export const ptyCable: CableMaker = (name) => PtyPair.create(name);
export const inProcessCable: CableMaker = async (name) => new InProcessLink(name);

export function cableMaker(kind: CableKind): CableMaker {
  return kind === 'pty' ? ptyCable : inProcessCable;
}
