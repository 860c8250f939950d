import type { DeviceClass } from '../drivers/contract';
import type { LaneCondition } from '../runtime/supervision/lane-condition';
import type { LaneDevices } from '../runtime/supervision/supervisor';
import type { KioskHardware } from './hardware';
import type { SdNotifier } from './sd-notify';

/** The lane as one line for systemd's STATUS= (shown by `systemctl status kiosk`). */
export function serviceStatus(condition: LaneCondition, devices: { ok: number; total: number }, hqConnected: boolean | null): string {
  const hq = hqConnected === null ? '' : hqConnected ? ', HQ connected' : ', HQ not connected';
  if (!condition.inService) return `out of service: ${condition.reasons.join('; ') || 'unknown reason'}${hq}`;
  return `in service, ${devices.ok} of ${devices.total} devices ok${hq}`;
}

/** How many of the lane's devices are online. */
export function devicesOk(devices: LaneDevices): { ok: number; total: number } {
  const present = (Object.keys(devices) as DeviceClass[]).map((cls) => devices[cls]).filter((d) => d !== undefined);
  return { ok: present.filter((d) => d.status().online).length, total: present.length };
}

/**
 * Tells systemd the kiosk is ready with the lane's status line now, and sends the line again whenever the lane
 * condition, a device's status or the HQ link changes (the notifier drops repeats). Returns the function that stops.
 */
export function followServiceStatus(
  hw: KioskHardware,
  hq: { readonly connected: boolean; on(event: 'connect' | 'close', fn: () => void): unknown; off(event: 'connect' | 'close', fn: () => void): unknown },
  notify: Pick<SdNotifier, 'ready' | 'status'>,
): () => void {
  const line = () => serviceStatus(hw.supervisor.condition(), devicesOk(hw.devices), hq.connected);
  const update = () => notify.status(line());
  hw.supervisor.on('condition', update);
  hw.supervisor.on('deviceStatus', update);
  hq.on('connect', update);
  hq.on('close', update);
  notify.ready(line());
  return () => {
    hw.supervisor.off('condition', update);
    hw.supervisor.off('deviceStatus', update);
    hq.off('connect', update);
    hq.off('close', update);
  };
}
