import type { BindingInterface } from '@serialport/bindings-interface';
import { SerialPortStream, type OpenOptions } from '@serialport/stream';

/**
 * How a cable's ends are reached: the binding serialport opens them with, and the presence checks (what stat()
 * answers for a device node). A `PtyPair` is reached through the OS (`OS_CABLE_ACCESS`); an `InProcessLink` is
 * its own. The shape matches the drivers' `SerialAccess` (drivers/common/serial-access.ts), so the composition
 * root hands a cable's access to the real driver as it is.
 */
export interface CableAccess {
  readonly binding: BindingInterface;
  existsSync(path: string): boolean;
  pathExists(path: string): Promise<boolean>;
  deviceNumber(path: string): Promise<number | null>;
}

/**
 * A simulated serial cable between a real driver (it opens `hostPath`) and a device simulator (it opens
 * `devicePath`): a socat pty pair or an in-process link. `unplug()`/`replug()` pull and restore it.
 */
export interface SerialCable {
  readonly hostPath: string;
  readonly devicePath: string;
  readonly plugged: boolean;
  readonly access: CableAccess;
  unplug(): Promise<void>;
  replug(): Promise<void>;
  close(): Promise<void>;
}

/** Makes a cable named `name` (a simulator's option: which kind of cable it sits on). */
export type CableMaker = (name: string) => Promise<SerialCable>;

/** A port on one end of a cable, not yet opened (`autoOpen` false). Simulators open the device end with it. */
export function cablePort(access: CableAccess, options: Omit<OpenOptions, 'binding' | 'autoOpen'>): SerialPortStream {
  return new SerialPortStream({ ...options, binding: access.binding, autoOpen: false });
}

/** Opens a port on a cable end; rejects with the binding's error. */
export async function openCablePort(access: CableAccess, options: Omit<OpenOptions, 'binding' | 'autoOpen'>): Promise<SerialPortStream> {
  const port = cablePort(access, options);
  await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
  return port;
}
