import type { LaneLight } from '../../drivers/contract';
import { FirmataLaneLight } from '../../drivers/light/lane-light';
import { FirmataBoard } from '../../simulators/light/firmata-board';
import type { SimControl } from '../simulation/sim-control';
import { simulatedCable } from './sim-cable';
import type { Built, DeviceContext } from './types';

export async function buildLight(ctx: DeviceContext): Promise<Built<LaneLight, NonNullable<SimControl['light']>> | null> {
  const cfg = ctx.config.devices.light;
  if (cfg.transport === 'none') return null;
  if (cfg.transport === 'firmata') {
    const l = new FirmataLaneLight({ path: cfg.path, pins: cfg.pins, clock: ctx.clock });
    return { device: l, close: () => l.close() };
  }
  const board = await FirmataBoard.start({ cable: simulatedCable(ctx) });
  const l = new FirmataLaneLight({ path: board.hostPath, serial: board.hostAccess, id: 'firmata:simulated', clock: ctx.clock, offlineDebounceMs: 500, reconnect: { initialMs: 100, maxMs: 1000 } });
  return {
    device: l,
    sim: {
      state: () => {
        const s = board.light();
        return s.color === 'mixed' ? null : { color: s.color, mode: s.mode };
      },
      unplug: () => board.unplug(),
      replug: () => board.replug(),
    },
    async close() {
      await l.close();
      await board.close();
    },
  };
}
