import type { Device, DeviceEvents } from './device';

export type LightColor = 'green' | 'yellow' | 'red' | 'off';
export type LightMode = 'steady' | 'blink';

export interface LightState {
  color: LightColor;
  mode: LightMode;
}

/** The lane's tower light: green = free or shopping, yellow blinking = attendant needed, red = out of service. */
export interface LaneLight extends Device<DeviceEvents> {
  set(state: LightState): Promise<void>;
  current(): LightState;
}
