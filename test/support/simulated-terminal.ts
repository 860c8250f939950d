import { InProcessLink } from '../../simulators/in-process-link';
import { PtyPair } from '../../simulators/pty-pair';
import type { SerialCable } from '../../simulators/serial-cable';
import { ZvtTerminal, type ZvtTerminalOptions, type ZvtTimeouts } from '../../drivers/terminal/zvt-terminal';
import { ZvtTerminalSimulator, type TerminalSimulatorOptions } from '../../simulators/terminal/zvt-simulator';

export interface SimulatedTerminal {
  terminal: ZvtTerminal;
  sim: ZvtTerminalSimulator;
  /** Only for `pty` / `in-process`: unplug()/replug() pull the "cable". */
  pair?: SerialCable;
  cleanup(): Promise<void>;
}

/** Short protocol timeouts for tests and demos (real terminals use the spec defaults). */
export const FAST_TIMEOUTS: Partial<ZvtTimeouts> = { ack: 250, commandAck: 1500, completion: 3000, admin: 3000, endOfDay: 3000, connect: 1500, drain: 3000 };

/**
 * A real ZvtTerminal driver wired to a simulator: over a socat pty pair (the driver opens the host end with
 * serialport, exactly like /dev/ttyUSB0) or over TCP loopback (ephemeral port). The driver is not opened.
 */
export async function simulatedTerminal(
  via: 'pty' | 'in-process' | 'tcp',
  opts: { sim?: TerminalSimulatorOptions; driver?: Partial<Omit<ZvtTerminalOptions, 'connection'>> } = {},
): Promise<SimulatedTerminal> {
  const sim = new ZvtTerminalSimulator({ serialWatchMs: 50, ecrAckTimeoutMs: 2000, linkAckTimeoutMs: 250, ...opts.sim });
  const driverDefaults: Partial<ZvtTerminalOptions> = { offlineDebounceMs: 150, reconnect: { initialMs: 50, maxMs: 400 }, ...opts.driver, timeouts: { ...FAST_TIMEOUTS, ...opts.driver?.timeouts } };
  let pair: SerialCable | undefined;
  let terminal: ZvtTerminal;
  if (via === 'pty' || via === 'in-process') {
    const cable = via === 'pty' ? await PtyPair.create('zvt') : new InProcessLink('zvt');
    pair = cable;
    await sim.attachSerial(cable.devicePath, { access: cable.access });
    terminal = new ZvtTerminal({ ...driverDefaults, connection: { kind: 'serial', path: cable.hostPath, serial: cable.access, watchIntervalMs: 50 } });
  } else {
    const addr = await sim.listenTcp();
    terminal = new ZvtTerminal({ ...driverDefaults, connection: { kind: 'tcp', host: addr.host, port: addr.port } });
  }
  return {
    terminal,
    sim,
    pair,
    async cleanup() {
      await terminal.close();
      await sim.close();
      await pair?.close();
    },
  };
}
