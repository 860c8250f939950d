import type { Device, DeviceEvents } from './device';

/**
 * A customer-facing display: the 2×20 pole display, and (later) the shopper's touchscreen through the same
 * contract. Text longer than a line is truncated by the driver, never wrapped into the next line.
 */
export interface CustomerDisplay extends Device<DeviceEvents> {
  readonly columns: number;
  readonly rows: number;
  show(lines: string[]): Promise<void>;
  clear(): Promise<void>;
}
