import type { KioskConfig } from '../../config/schema';
import type { Clock } from '../../kernel/clock';
import type { Logger } from '../logger';

export interface DeviceContext {
  config: KioskConfig;
  clock: Clock;
  log?: Logger;
}

/** One device as the composition root built it: the driver, and for a simulated one its control surface. */
export interface Built<D, S> {
  device: D;
  sim?: S;
  /** Closes the driver, then the simulator and its pty. */
  close(): Promise<void>;
}
