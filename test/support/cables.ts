import { inProcessCable, ptyCable } from '../../simulators/cables';
import type { CableMaker } from '../../simulators/serial-cable';

/** The two cables a simulated serial device can sit on; suites that must hold on both run once per entry. */
export const CABLES: readonly { label: string; cable: CableMaker }[] = [
  { label: 'a real pty pair', cable: ptyCable },
  { label: 'the in-process link (no socat)', cable: inProcessCable },
];
