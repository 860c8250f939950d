import * as fs from 'node:fs';
import * as path from 'node:path';
import type { PaymentTerminal } from '../../drivers/contract';
import { ZvtTerminal } from '../../drivers/terminal/zvt-terminal';
import { ZvtTerminalSimulator } from '../../simulators/terminal/zvt-simulator';
import type { SimControl } from '../simulation/sim-control';
import { simulatedCable } from './sim-cable';
import type { Built, DeviceContext } from './types';

/** Simulated terminals answer quickly; real ones get the ZVT spec's timeouts. */
const SIM_TIMEOUTS = { ack: 500, commandAck: 3000, completion: 15_000, admin: 5000, endOfDay: 5000, connect: 3000, drain: 5000 };

export async function buildTerminal(ctx: DeviceContext): Promise<Built<PaymentTerminal, NonNullable<SimControl['terminal']>>> {
  const cfg = ctx.config.devices.terminal;
  const common = { clock: ctx.clock, password: ctx.config.devices.terminalPassword, currency: Number(ctx.config.currency.numeric) };
  if (cfg.transport === 'serial') {
    const t = new ZvtTerminal({ ...common, connection: { kind: 'serial', path: cfg.path, baudRate: cfg.baudRate } });
    return { device: t, close: () => t.close() };
  }
  if (cfg.transport === 'tcp') {
    const t = new ZvtTerminal({ ...common, connection: { kind: 'tcp', host: cfg.host, port: cfg.port } });
    return { device: t, close: () => t.close() };
  }
  const pair = await simulatedCable(ctx)('terminal');
  // the simulated terminal keeps its journal in the data dir: like a real one, it outlives the kiosk process
  fs.mkdirSync(path.join(ctx.config.dataDir, 'sim-terminal'), { recursive: true });
  // the twin works in the configured currency: the simulator refuses a registration in any other one, as real terminals do
  const sim = new ZvtTerminalSimulator({ serialWatchMs: 100, currency: common.currency, journalPath: path.join(ctx.config.dataDir, 'sim-terminal', 'journal.json') });
  await sim.attachSerial(pair.devicePath, { access: pair.access });
  const t = new ZvtTerminal({
    ...common,
    id: 'zvt:simulated',
    connection: { kind: 'serial', path: pair.hostPath, serial: pair.access, watchIntervalMs: 100 },
    timeouts: SIM_TIMEOUTS,
    offlineDebounceMs: 500,
    reconnect: { initialMs: 100, maxMs: 1000 },
  });
  return {
    device: t,
    sim: {
      approve: () => void sim.approveNext(),
      decline: (code) => void sim.declineNext(code ?? 0x05),
      timeout: () => void sim.timeoutNext(),
      unplug: () => pair.unplug(),
      replug: () => pair.replug(),
      transactions: () => sim.journal.entries().map((e) => ({ kind: e.kind, traceNumber: e.traceNumber, amount: e.amount, result: e.result, reversed: e.reversed })),
    },
    async close() {
      await t.close();
      await sim.close();
      await pair.close();
    },
  };
}
