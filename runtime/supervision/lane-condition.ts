import type { DeviceClass, DeviceFault, DeviceStatus, LightState } from '../../drivers/contract';
import type { OrderState } from '../orders/states';
import type { LocalizedText } from '../pricing/types';

export interface LaneCondition {
  inService: boolean;
  /** Why the lane is out of service, for staff ("printer: paper out"). */
  reasons: string[];
  /** What the shopper sees, when something is wrong. */
  message: LocalizedText | null;
  light: LightState;
  /** Present when the lane is closed (locked by HQ or an attendant): no new order starts; an open one may finish. */
  closed?: { reason: string };
}

/**
 * The light of a lane closed by HQ or an attendant (`lock`): red, steady — the same "do not come here" as out of
 * service (the screen says which: "Lane closed"). An order still open on it that needs the attendant blinks yellow.
 */
export const LANE_CLOSED_LIGHT: LightState = { color: 'red', mode: 'steady' };

const FAULT_TEXT: Record<DeviceFault, string> = {
  PAPER_OUT: 'paper out',
  PAPER_NEAR_END: 'paper near end',
  COVER_OPEN: 'cover open',
  CARD_INSERTED: 'card left in the reader',
  TERMINAL_BUSY: 'busy',
  HARDWARE: 'hardware fault',
};

/** Faults that stop a device from doing its job (near-end paper still prints). */
const BLOCKING: readonly DeviceFault[] = ['PAPER_OUT', 'COVER_OPEN', 'HARDWARE'];

/**
 * Pure: the lane's condition from device statuses, lane-wide faults, the open order's state and whether the lane is
 * closed. Red when a required device is offline or blocked or any lane-wide fault is set; yellow blinking when the
 * order waits for an attendant or a payment is in doubt; red steady ({@link LANE_CLOSED_LIGHT}) when closed; else green.
 */
export function laneCondition(
  statuses: Partial<Record<DeviceClass, DeviceStatus>>,
  required: readonly DeviceClass[],
  orderState: OrderState | null,
  /** Lane-wide faults that are not a device's (storage, data loss, sync): `source: reason`. */
  faults: readonly string[] = [],
  /** The lane is closed (Lane.closed): in service still (an open order may finish and pay), but shown closed. */
  closed: { reason: string } | null = null,
): LaneCondition {
  const reasons: string[] = [...faults];
  for (const cls of required) {
    const s = statuses[cls];
    if (!s) reasons.push(`${cls}: not connected`);
    else if (!s.online) reasons.push(`${cls}: offline${s.detail ? ` (${s.detail})` : ''}`);
    else for (const f of s.faults.filter((x) => BLOCKING.includes(x))) reasons.push(`${cls}: ${FAULT_TEXT[f]}`);
  }
  if (reasons.length > 0) {
    return {
      inService: false,
      reasons,
      message: { 'zh-CN': '本收银台暂停服务，请使用其他收银台或联系工作人员', en: 'This lane is out of service. Please use another lane or ask a member of staff.' },
      light: { color: 'red', mode: 'steady' },
      ...(closed ? { closed: { reason: closed.reason } } : {}),
    };
  }
  const attention = orderState === 'needs_attendant' || orderState === 'payment_unknown';
  return {
    inService: true,
    reasons: [],
    message: null,
    light: attention ? { color: 'yellow', mode: 'blink' } : closed ? { ...LANE_CLOSED_LIGHT } : { color: 'green', mode: 'steady' },
    ...(closed ? { closed: { reason: closed.reason } } : {}),
  };
}
